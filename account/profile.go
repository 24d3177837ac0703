package account

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// ProfileChange lists the fields to change; nil fields stay as they are,
// and a pointer to "" clears a field.
type ProfileChange struct {
	Email, Phone                                *string
	FirstName, LastName, FullName               *string
	Website, AvatarURL, Address, AdditionalInfo *string
	Tags                                        *[]string
	MetadataPatch                               json.RawMessage // JSON merge patch; nil: unchanged
}

// UpdateProfile changes the caller's own profile. A new email address is
// unverified. A change that carries an email counts against the sign-up
// limit: ALREADY_EXISTS would otherwise tell a signed-in caller, without
// limit, which addresses are registered.
//
// With email verification on, a new address waits in PendingEmail (the
// email stays) until a link mailed to it is followed, and the current
// address is told. An address another account has is answered the same
// way and never completes: its owner is told instead, and no link is sent.
func (s *Service) UpdateProfile(ctx context.Context, p *session.Principal, ch ProfileChange) (*store.User, error) {
	if ch.Email != nil {
		if err := s.limitSignup(ctx); err != nil {
			return nil, err
		}
	}
	pending := "" // the address this change leaves waiting, if any (asking again mails again)
	u, err := s.update(audit.With(ctx, profileEvents(ctx, p.UserID, ch, s.cfg.Verification.On())...), p.UserID, func(u *store.User) error {
		if err := s.applyChange(u, ch, !s.cfg.Verification.On()); err != nil {
			return err
		}
		if ch.Email != nil {
			pending = u.PendingEmail
		}
		return nil
	})
	if err == nil && pending != "" {
		s.requestEmailChange(ctx, u, pending)
	}
	return u, err
}

// requestEmailChange mails what a pending email change calls for: a link
// to the new address, or to its owner the notice that it is taken; and to
// the current address, the notice of the change.
func (s *Service) requestEmailChange(ctx context.Context, u *store.User, pending string) {
	owner, err := s.store.GetUserByKey(ctx, store.KeyEmail, store.FoldKey(pending))
	switch {
	case err == nil && owner.ID != u.ID:
		s.notify(ctx, "address in use", u.ID, func(n Notices) error { return n.AddressInUse(ctx, pending) })
	case err == nil || errors.Is(err, store.ErrNotFound):
		s.notify(ctx, "verification", u.ID, func(n Notices) error { return n.VerifyAddress(ctx, u, pending) })
	default:
		s.log.ErrorContext(ctx, "account: looking up a pending address failed", "user_id", u.ID, "err", err)
		return
	}
	if u.Email != "" {
		s.notify(ctx, "email change notice", u.ID, func(n Notices) error { return n.EmailChangeRequested(ctx, u, pending) })
	}
}

// applyChange validates and applies a profile change to u. A new email
// applies at once if direct, else it waits in PendingEmail.
func (s *Service) applyChange(u *store.User, ch ProfileChange, direct bool) error {
	if err := s.changeIdentifiers(u, ch.Email, ch.Phone, direct); err != nil {
		return err
	}
	texts := []struct {
		name string
		src  *string
		dst  *string
	}{
		{"firstName", ch.FirstName, &u.FirstName}, {"lastName", ch.LastName, &u.LastName},
		{"fullName", ch.FullName, &u.FullName}, {"website", ch.Website, &u.Website},
		{"avatarUrl", ch.AvatarURL, &u.AvatarURL}, {"address", ch.Address, &u.Address},
		{"additionalInfo", ch.AdditionalInfo, &u.AdditionalInfo},
	}
	for _, t := range texts {
		if t.src == nil {
			continue
		}
		v, err := checkText(t.name, *t.src)
		if err != nil {
			return err
		}
		*t.dst = v
	}
	if ch.Tags != nil {
		tags, err := checkTags("tags", *ch.Tags)
		if err != nil {
			return err
		}
		u.Tags = tags
	}
	if ch.MetadataPatch != nil {
		merged, err := s.mergeObject("metadata", u.Metadata, ch.MetadataPatch)
		if err != nil {
			return err
		}
		u.Metadata = merged
	}
	return nil
}

// changeIdentifiers sets a new email and/or phone; at least a username or
// an email must remain. A new address applies at once and is unverified
// if direct; otherwise it waits in PendingEmail for confirmation. Removing
// the email, or giving the current one again, applies at once either way
// and drops a pending change.
func (s *Service) changeIdentifiers(u *store.User, email, phone *string, direct bool) error {
	if email != nil {
		e := ""
		if *email != "" {
			var err error
			if e, err = checkEmail(*email); err != nil {
				return err
			}
		}
		if e == "" && u.Username == "" {
			return apperr.Input("email", "an account without a username needs an email")
		}
		switch key := store.FoldKey(e); {
		case e == "" || key == u.EmailKey:
			u.PendingEmail = ""
			u.Email = e
			if e == "" {
				u.EmailVerified = false
			}
		case direct:
			u.Email, u.EmailVerified, u.PendingEmail = e, false, ""
		default:
			u.PendingEmail = e
		}
	}
	if phone != nil {
		p := ""
		if *phone != "" {
			var err error
			if p, err = checkPhone(*phone, s.cfg.PhoneRegion); err != nil {
				return err
			}
		}
		u.Phone = p
	}
	s.setKeys(u)
	return nil
}

// ChangeUsername gives the caller a new username.
func (s *Service) ChangeUsername(ctx context.Context, p *session.Principal, username string) (*store.User, error) {
	name, key, err := s.checkUsername(username)
	if err != nil {
		return nil, err
	}
	// ALREADY_EXISTS tells whether a name is taken, as a sign-up does.
	if err := s.limitSignup(ctx); err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.UsernameChanged, p.UserID, nil)
	return s.update(audit.With(ctx, ev), p.UserID, func(u *store.User) error {
		setUsername(u, name, key)
		return nil
	})
}
