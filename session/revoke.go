package session

import (
	"context"
	"errors"
	"slices"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// Revoke ends one session. Returns store.ErrNotFound if it does not exist.
func (m *Manager) Revoke(ctx context.Context, sessionID string) error {
	m.cache.forgetSession(sessionID)
	err := m.store.RevokeSession(ctx, sessionID, m.now())
	m.cache.forgetSession(sessionID) // again: a check may have run meanwhile
	return err
}

// Logout ends the caller's own session (the logout event goes with it).
func (m *Manager) Logout(ctx context.Context, p *Principal) error {
	ev := audit.New(ctx, audit.Logout, p.UserID, audit.Data{"session": p.SessionID})
	return m.Revoke(audit.With(ctx, ev), p.SessionID)
}

// RevokeOwn ends one of the caller's live sessions. Another user's session
// is NOT_FOUND exactly like a session that does not exist (or has ended),
// so that session ids cannot be probed. Ending the caller's current session
// is allowed: it is a logout.
func (m *Manager) RevokeOwn(ctx context.Context, caller *Principal, sessionID string) error {
	if _, err := m.Get(ctx, caller.UserID, sessionID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return apperr.New(apperr.NotFound, "no such session")
		}
		return err
	}
	ev := audit.New(ctx, audit.SessionRevoked, caller.UserID, audit.Data{"session": sessionID})
	return m.Revoke(audit.With(ctx, ev), sessionID)
}

// RevokeUser ends every session of a user except exceptSessionID (may be
// empty) and returns how many live sessions it ended. Sessions already over
// (idle too long, past their lifetime) are marked revoked too, but not
// counted: User.sessions no longer listed them.
func (m *Manager) RevokeUser(ctx context.Context, userID, exceptSessionID string) (int, error) {
	live, listErr := m.List(ctx, []string{userID}) // only for the count: a failure must not stop the revocation
	ids, err := m.revoke(ctx, []string{userID}, exceptSessionID)
	ended := make(map[string]bool, len(ids)) // a set: a user may hold thousands of sessions
	for _, id := range ids {
		ended[id] = true
	}
	n := 0
	for _, s := range live {
		if ended[s.ID] {
			n++
		}
	}
	return n, errors.Join(err, listErr)
}

// RevokeUsers ends every session of the users except exceptSessionID.
func (m *Manager) RevokeUsers(ctx context.Context, userIDs []string, exceptSessionID string) (int, error) {
	ids, err := m.revoke(ctx, userIDs, exceptSessionID)
	return len(ids), err
}

// revoke ends the users' sessions and returns the ids it ended. The cache
// forgets the users before and after: a check running meanwhile may have
// read the sessions still live.
func (m *Manager) revoke(ctx context.Context, userIDs []string, exceptSessionID string) ([]string, error) {
	userIDs = users(userIDs)
	if len(userIDs) == 0 {
		return nil, nil
	}
	m.ForgetUsers(userIDs...)
	evs := make([]*store.Event, len(userIDs))
	for i, id := range userIDs {
		evs[i] = audit.New(ctx, audit.SessionRevoked, id, audit.Data{"all": true, "except": exceptSessionID})
	}
	ids, err := m.store.RevokeSessions(audit.With(ctx, evs...), store.SessionRevocation{UserIDs: userIDs, ExceptID: exceptSessionID, At: m.now()})
	m.ForgetUsers(userIDs...)
	return ids, err
}

// ForgetUsers drops what the cache knows about the users' sessions, so the
// next request re-reads them. Services call it after changing a user's
// status, roles or profile.
func (m *Manager) ForgetUsers(userIDs ...string) {
	for _, id := range userIDs {
		m.cache.forgetUser(id)
	}
}

// List returns the live sessions of the users.
func (m *Manager) List(ctx context.Context, userIDs []string) ([]*store.Session, error) {
	now := m.now()
	all, err := m.store.ListSessions(ctx, users(userIDs), now)
	if err != nil {
		return nil, err
	}
	live := all[:0]
	for _, s := range all {
		if m.Live(s, now) {
			live = append(live, s)
		}
	}
	return live, nil
}

// Get returns one session of a user, or store.ErrNotFound if it is not the
// user's or no longer live. A caller without a user (an APP session, "")
// has no sessions here: APP sessions have no user either.
func (m *Manager) Get(ctx context.Context, userID, sessionID string) (*store.Session, error) {
	if userID == "" {
		return nil, store.ErrNotFound
	}
	s, err := m.store.GetSession(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	if s.UserID != userID || !m.Live(s, m.now()) {
		return nil, store.ErrNotFound
	}
	return s, nil
}

// users drops "" from ids: the "user" of APP sessions, which no listing or
// revocation of users' sessions may reach.
func users(ids []string) []string {
	if !slices.Contains(ids, "") {
		return ids
	}
	return slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return id == "" })
}
