package session

import (
	"context"
	"errors"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

var (
	errInvalidToken = apperr.New(apperr.Unauthenticated, "the access token is not valid").WithStatus(apperr.StatusInvalidToken)
	errExpiredToken = apperr.New(apperr.Unauthenticated, "the access token has expired").WithStatus(apperr.StatusExpiredToken)
)

// Authenticate checks an access token and its session. A token seen
// recently is answered from memory: its signature was verified and its
// session and user read when it was first seen, and anything that ends the
// session in this process removes it from the cache (see cache.go).
func (m *Manager) Authenticate(ctx context.Context, accessToken string) (*Principal, error) {
	now := m.now()
	if p, ok := m.cache.get(accessToken, now); ok {
		m.activity.record(p.Session, now)
		return p, nil
	}
	claims, err := m.tokens.Verify(accessToken)
	if errors.Is(err, token.ErrExpired) {
		return nil, errExpiredToken
	}
	if err != nil {
		return nil, errInvalidToken
	}
	// Taken before the store reads: a revoke that lands meanwhile changes
	// the stamp, and the entry put below is never served.
	stamp := m.cache.stamp(claims.UserID, claims.SessionID)
	p, err := m.check(ctx, claims, now)
	if err != nil {
		return nil, err
	}
	m.remember(accessToken, p, stamp, now, claims.ExpiresAt, p.Session.ExpiresAt)
	m.activity.record(p.Session, now)
	return p, nil
}

// check reads the session and the user (or application) of an access
// token and checks both may still be used; a user no longer active makes
// the token invalid.
func (m *Manager) check(ctx context.Context, c *token.Claims, now time.Time) (*Principal, error) {
	return m.read(ctx, c.SessionID, c.UserID, now, errInvalidToken, errInvalidToken)
}

// read reads a session and its user, one read each by primary key, and
// checks the session is live, the user active and, under device control,
// the device still permitted (devices.go). subject is whom the caller's
// token or refresh token names. A session or user that is missing (or
// not each other's) is answered with missing, a user no longer active
// with inactive: callers differ in what those mean. What kind of session
// it is, and so what is read and checked, is the stored session's word,
// never the token's: an APP session has an application, no user (app.go).
func (m *Manager) read(ctx context.Context, sessionID, subject string, now time.Time, missing, inactive error) (*Principal, error) {
	s, err := m.store.GetSession(ctx, sessionID)
	if err != nil || subject == "" || subject != ownerOf(s) {
		return nil, notFoundAs(err, missing)
	}
	if err := m.liveErr(s, now); err != nil {
		return nil, err
	}
	if s.Kind == store.SessionApp {
		return m.readApp(ctx, s)
	}
	u, err := m.store.GetUser(ctx, s.UserID)
	if err != nil {
		return nil, notFoundAs(err, missing)
	}
	if !u.Active() {
		return nil, inactive
	}
	if err := m.admitDevice(ctx, s); err != nil {
		return nil, err
	}
	return &Principal{UserID: u.ID, SessionID: s.ID, Kind: s.Kind, User: u, Session: s}, nil
}

// remember caches p under key for CacheTTL from now, or until the first of
// ends if sooner. CacheTTL 0 caches nothing: every request reads its
// session and user from the store, so a revocation made by another
// instance is seen at the next request, for one store read each.
func (m *Manager) remember(key string, p *Principal, st stamp, now time.Time, ends ...time.Time) {
	if m.cfg.CacheTTL <= 0 {
		return
	}
	m.cache.put(key, p, st, minTime(append(ends, now.Add(m.cfg.CacheTTL))...))
}

func minTime(ts ...time.Time) time.Time {
	m := ts[0]
	for _, t := range ts[1:] {
		if t.Before(m) {
			m = t
		}
	}
	return m
}
