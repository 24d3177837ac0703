package social

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Unlink removes the caller's identity of provider, unless it is the
// account's last way to sign in: no password and no other identity
// (LAST_SIGN_IN_METHOD). The store checks that in the same atomic step as
// the removal, so two unlinks at once cannot both pass it. Returns
// NOT_FOUND if the caller has no identity of provider.
func (s *Service) Unlink(ctx context.Context, caller *session.Principal, provider string) (*store.User, error) {
	if len(provider) > 32 {
		return nil, apperr.Input("provider", "no sign-in provider is named %q", truncate(provider, 32))
	}
	err := s.store.DeleteIdentity(audit.With(ctx, unlinkedEvent(ctx, caller.UserID, provider)), caller.UserID, provider, func(u *store.User, remaining []*store.Identity) error {
		if u.PasswordHash == "" && len(remaining) == 0 {
			return apperr.New(apperr.LastSignInMethod,
				"this is the account's only way to sign in: set a password or link another provider first")
		}
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, apperr.Wrap(apperr.NotFound, err, "no %s account is linked to this account", provider)
	}
	if err != nil {
		return nil, err
	}
	s.unlinked(ctx, caller.UserID, provider)
	return s.store.GetUser(ctx, caller.UserID)
}

// Identities returns the identities of the users, by user id, for batched
// loading (User.identities); callers decide who may see them.
func (s *Service) Identities(ctx context.Context, userIDs []string) (map[string][]*store.Identity, error) {
	all, err := s.store.ListIdentities(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*store.Identity, len(userIDs))
	for _, id := range userIDs {
		out[id] = []*store.Identity{}
	}
	for _, i := range all {
		out[i.UserID] = append(out[i.UserID], i)
	}
	return out, nil
}
