package account

import (
	"context"
	"errors"
	"slices"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// View returns what viewer may see of u: the whole record for the user
// themself and for administrators; for anyone else the public view, and
// nothing at all of an account that is not active.
func (s *Service) View(ctx context.Context, viewer *session.Principal, u *store.User) (*store.User, error) {
	if u == nil {
		return nil, nil
	}
	private, err := s.CanSeePrivate(ctx, viewer, u.ID)
	switch {
	case err != nil:
		return nil, err
	case private:
		return u, nil
	case viewer == nil || !u.Active():
		return nil, nil
	}
	return publicView(u), nil
}

// CanSeePrivate reports whether viewer may see userID's private fields
// (sessions, roles, metadata).
func (s *Service) CanSeePrivate(ctx context.Context, viewer *session.Principal, userID string) (bool, error) {
	if viewer == nil {
		return false, nil
	}
	if viewer.UserID != "" && viewer.UserID == userID { // an APP session has no user: never "" itself
		return true, nil
	}
	return s.isAdminView(ctx, viewer)
}

// publicView keeps the fields API.md lists as public. Only active accounts
// are shown publicly, so the status it reports is true.
func publicView(u *store.User) *store.User {
	return &store.User{
		ID: u.ID, Username: u.Username, FullName: u.FullName, FirstName: u.FirstName,
		LastName: u.LastName, AvatarURL: u.AvatarURL, Tags: append([]string{}, u.Tags...), IsGuest: u.IsGuest,
		Status: store.StatusActive, Roles: []string{}, CreatedAt: u.CreatedAt, UpdatedAt: u.CreatedAt,
	}
}

// User returns the user with id as viewer may see it; nil if there is none
// or the viewer may not see it.
func (s *Service) User(ctx context.Context, viewer *session.Principal, id string) (*store.User, error) {
	u, err := s.store.GetUser(ctx, id)
	return s.viewOrNil(ctx, viewer, u, err)
}

// UserByUsername looks a user up by username.
func (s *Service) UserByUsername(ctx context.Context, viewer *session.Principal, username string) (*store.User, error) {
	if err := checkBytes("username", username, charBytes(maxUsernameLen)); err != nil {
		return nil, err
	}
	u, err := s.findByUsername(ctx, username)
	return s.viewOrNil(ctx, viewer, u, err)
}

// UserByEmail looks a user up by email (an administrator's lookup).
func (s *Service) UserByEmail(ctx context.Context, viewer *session.Principal, email string) (*store.User, error) {
	if err := checkBytes("email", email, maxEmailBytes); err != nil {
		return nil, err
	}
	u, err := s.store.GetUserByKey(ctx, store.KeyEmail, store.FoldKey(email))
	return s.viewOrNil(ctx, viewer, u, err)
}

// UsersByID returns the records of the existing users among ids, keyed by
// id, for batched loading; callers apply View.
func (s *Service) UsersByID(ctx context.Context, ids []string) (map[string]*store.User, error) {
	// An id longer than any record's names nobody: it never reaches the store.
	ids = slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return len(id) > maxIDBytes })
	users, err := s.store.GetUsers(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*store.User, len(users))
	for _, u := range users {
		out[u.ID] = u
	}
	return out, nil
}

func (s *Service) viewOrNil(ctx context.Context, viewer *session.Principal, u *store.User, err error) (*store.User, error) {
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.View(ctx, viewer, u)
}

// UsernameExists tells whether a username is taken (soft-deleted accounts
// keep theirs). Rate-limited per client, since it reveals accounts.
func (s *Service) UsernameExists(ctx context.Context, username string) (bool, error) {
	if ok, retry := s.limits.LookupPerIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return false, apperr.LimitedBy(apperr.RuleLookupIP, retry)
	}
	if _, _, err := s.checkUsername(username); err != nil {
		return false, err
	}
	_, err := s.findByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
