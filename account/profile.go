package account

import (
	"context"
	"encoding/json"

	"github.com/usergraph/usergraph/apperr"
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
func (s *Service) UpdateProfile(ctx context.Context, p *session.Principal, ch ProfileChange) (*store.User, error) {
	if ch.Email != nil {
		if err := s.limitSignup(ctx); err != nil {
			return nil, err
		}
	}
	return s.update(ctx, p.UserID, func(u *store.User) error {
		return s.applyChange(u, ch)
	})
}

// applyChange validates and applies a profile change to u.
func (s *Service) applyChange(u *store.User, ch ProfileChange) error {
	if err := s.changeIdentifiers(u, ch.Email, ch.Phone); err != nil {
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
// an email must remain.
func (s *Service) changeIdentifiers(u *store.User, email, phone *string) error {
	if email != nil && *email != u.Email {
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
		if store.FoldKey(e) != u.EmailKey {
			u.EmailVerified = false
		}
		u.Email = e
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
	return s.update(ctx, p.UserID, func(u *store.User) error {
		setUsername(u, name, key)
		return nil
	})
}
