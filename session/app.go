package session

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// APP sessions (ConnectyCube's application session, Kinvey's master
// secret): opened by package apps once an application's credentials
// check, they belong to the application and to no user. The access token
// names the application (sub) and the session; there is no refresh
// token: the session lasts as long as its one access token, and the
// application asks for a new one with its credentials. Each check
// requires the application: deleting it ends its sessions, and rotating
// its secret ends the sessions opened before (SecretSince).

var errAppGone = apperr.New(apperr.Unauthenticated, "the application's credentials changed or it was deleted").WithStatus(apperr.StatusInvalidToken)

// OpenApp starts an APP session of application a and returns its access
// token (Tokens.Refresh is empty, Tokens.User nil).
func (m *Manager) OpenApp(ctx context.Context, a *store.Application) (*Tokens, error) {
	now := m.now()
	c := ClientFrom(ctx)
	s := &store.Session{
		ID:            store.NewID(),
		ApplicationID: a.ID,
		Kind:          store.SessionApp,
		UserAgent:     truncate(c.UserAgent, 512),
		IP:            c.IP,
		CreatedAt:     now,
		LastSeenAt:    now,
		ExpiresAt:     now.Add(m.tokens.AccessTTL()),
	}
	ev := audit.New(ctx, audit.LoginSucceeded, a.ID, audit.Data{"method": "application", "session": s.ID})
	ev.ActorID, ev.ActorKind = a.ID, audit.ActorApplication
	if err := m.store.CreateSession(audit.With(ctx, ev), s); err != nil {
		return nil, err
	}
	t, err := m.sign(a.ID, a.Roles, s, "")
	if err != nil {
		return nil, err
	}
	t.Application = a
	return t, nil
}

// readApp checks the application of a live APP session: it must exist,
// and its secret must be no newer than the session.
func (m *Manager) readApp(ctx context.Context, s *store.Session) (*Principal, error) {
	a, err := m.store.GetApplication(ctx, s.ApplicationID)
	if err != nil {
		return nil, notFoundAs(err, errAppGone)
	}
	if s.CreatedAt.Before(a.SecretSince) {
		return nil, errAppGone
	}
	return &Principal{SessionID: s.ID, Kind: s.Kind, Application: a, Session: s}, nil
}

// ForgetApplication drops what the cache knows about an application's
// sessions, so the next request re-reads them: apps calls it when the
// application's roles or secret change or it is deleted.
func (m *Manager) ForgetApplication(id string) { m.cache.forgetUser(id) }

// ownerOf is whom a session's tokens name: its user, or the application
// of an APP session.
func ownerOf(s *store.Session) string {
	if s.Kind == store.SessionApp {
		return s.ApplicationID
	}
	return s.UserID
}
