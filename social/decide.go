package social

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// From a verified identity to an account. The identity is the provider
// account (provider and subject), never its email: an email leads to no
// account here. So:
//   - SIGN_IN signs in the account the identity is linked to
//     (IDENTITY_NOT_LINKED if none);
//   - SIGN_UP signs in that account too if there is one; else it creates
//     an account and links the identity, unless the email belongs to an
//     account already: then LINK_REQUIRED and nothing changes, since
//     merging would hand that account to whoever controls the provider
//     account (no silent merge). That answer tells the caller the address
//     has an account, as every peer's does (README says so);
//   - LINK adds the identity to the signed-in caller (ALREADY_EXISTS if
//     another account has it, or the caller has another of the provider).
// Each ends in a sign-in by the account rules (account.SignInExternal):
// status, email verification, device control.

func (s *Service) decide(ctx context.Context, provider string, action store.OAuthAction, prof *Profile, linkTo, deviceToken string) (*session.Tokens, error) {
	switch action {
	case store.OAuthSignUp:
		return s.signUp(ctx, provider, prof, deviceToken)
	case store.OAuthLink:
		return s.link(ctx, provider, prof, linkTo, deviceToken)
	}
	return s.signIn(ctx, provider, prof, deviceToken)
}

// linkedUser returns the account the identity is linked to, nil if none.
func (s *Service) linkedUser(ctx context.Context, provider, subject string) (*store.User, error) {
	id, err := s.store.GetIdentity(ctx, provider, subject)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, id.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // deleted meanwhile
	}
	return u, err
}

func (s *Service) signIn(ctx context.Context, provider string, prof *Profile, deviceToken string) (*session.Tokens, error) {
	u, err := s.linkedUser(ctx, provider, prof.Subject)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, apperr.New(apperr.IdentityNotLinked,
			"no account is linked to this %s account: sign up with it, or sign in another way and link it", provider)
	}
	return s.signInTo(ctx, u, provider, deviceToken)
}

// signInTo opens the session by the account rules.
func (s *Service) signInTo(ctx context.Context, u *store.User, provider, deviceToken string) (*session.Tokens, error) {
	tokens, err := s.accounts.SignInExternal(ctx, u, deviceToken)
	if err != nil {
		return nil, err
	}
	s.signedIn(ctx, u.ID, provider)
	return tokens, nil
}

func (s *Service) signUp(ctx context.Context, provider string, prof *Profile, deviceToken string) (*session.Tokens, error) {
	if u, err := s.linkedUser(ctx, provider, prof.Subject); err != nil || u != nil {
		if err != nil {
			return nil, err
		}
		return s.signInTo(ctx, u, provider, deviceToken)
	}
	if prof.Email != "" {
		if _, err := s.store.GetUserByKey(ctx, store.KeyEmail, store.FoldKey(prof.Email)); !errors.Is(err, store.ErrNotFound) {
			if err != nil {
				return nil, err
			}
			return nil, errLinkRequired(provider)
		}
	}
	u, err := s.accounts.CreateExternal(ctx, account.ExternalUser{Username: prof.Username, Email: prof.Email,
		EmailVerified: prof.EmailVerified, DeviceToken: deviceToken,
		Profile: account.Profile{FirstName: prof.GivenName, LastName: prof.FamilyName, FullName: prof.Name, AvatarURL: prof.Picture}})
	if apperr.CodeOf(err) == apperr.AlreadyExists { // the address was taken meanwhile
		return nil, errLinkRequired(provider)
	}
	if err != nil {
		return nil, err
	}
	id := &store.Identity{UserID: u.ID, Provider: provider, Subject: prof.Subject, Email: prof.Email, LinkedAt: store.Now()}
	// The sign-up is complete when its identity is linked: both events
	// ride with that write.
	evs := audit.With(ctx, signedUpEvent(ctx, u.ID, provider), linkedEvent(ctx, id))
	if err := s.store.CreateIdentity(evs, id); err != nil {
		s.undoSignUp(ctx, u)
		if store.ConflictField(err) == store.FieldIdentity { // another sign-up of this identity won
			return s.signIn(ctx, provider, prof, deviceToken)
		}
		return nil, err
	}
	s.signedUp(ctx, u.ID, provider)
	s.linked(ctx, id)
	return s.signInTo(ctx, u, provider, deviceToken)
}

func errLinkRequired(provider string) error {
	return apperr.New(apperr.LinkRequired,
		"an account with this %s account's email exists: sign in to it, then link %s", provider, provider)
}

// undoSignUp deletes an account whose identity could not be linked, so
// that a failed sign-up leaves nothing behind. It has no session yet.
func (s *Service) undoSignUp(ctx context.Context, u *store.User) {
	if err := s.store.DeleteUser(context.WithoutCancel(ctx), u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.ErrorContext(ctx, "social: removing an account whose sign-up failed", "user_id", u.ID, "err", err)
	}
}

func (s *Service) link(ctx context.Context, provider string, prof *Profile, userID, deviceToken string) (*session.Tokens, error) {
	id := &store.Identity{UserID: userID, Provider: provider, Subject: prof.Subject, Email: prof.Email, LinkedAt: store.Now()}
	if err := s.addIdentity(ctx, id); err != nil {
		return nil, err
	}
	u, err := s.store.GetUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	return s.signInTo(ctx, u, provider, deviceToken)
}

// addIdentity links id to its user; linking one already linked to that
// user does nothing.
func (s *Service) addIdentity(ctx context.Context, id *store.Identity) error {
	err := s.store.CreateIdentity(audit.With(ctx, linkedEvent(ctx, id)), id)
	switch {
	case err == nil:
		s.linked(ctx, id)
		return nil
	case store.ConflictField(err) == store.FieldIdentity:
		held, gerr := s.store.GetIdentity(ctx, id.Provider, id.Subject)
		if gerr == nil && held.UserID == id.UserID {
			return nil
		}
		return apperr.Wrap(apperr.AlreadyExists, err, "this %s account is linked to another account", id.Provider).OnField("provider")
	case store.ConflictField(err) == store.FieldProvider:
		return apperr.Wrap(apperr.AlreadyExists, err, "the account has another %s account linked: unlink it first", id.Provider).OnField("provider")
	case errors.Is(err, store.ErrNotFound):
		return apperr.Wrap(apperr.NotFound, err, "no such user")
	}
	return err
}
