package session

import (
	"context"
	"errors"
	"time"

	"github.com/usergraph/usergraph/apperr"
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
		m.activity.record(p.SessionID, p.UserID, now)
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
	until := minTime(now.Add(m.cfg.CacheTTL), claims.ExpiresAt, p.Session.ExpiresAt)
	m.cache.put(accessToken, p, stamp, until)
	m.activity.record(p.SessionID, p.UserID, now)
	return p, nil
}

// check reads the session and user a token names: one read each by primary key.
func (m *Manager) check(ctx context.Context, c *token.Claims, now time.Time) (*Principal, error) {
	s, err := m.store.GetSession(ctx, c.SessionID)
	if err != nil || s.UserID != c.UserID {
		return nil, notFoundAs(err, errInvalidToken)
	}
	if err := m.liveErr(s, now); err != nil {
		return nil, err
	}
	u, err := m.store.GetUser(ctx, s.UserID)
	if err != nil {
		return nil, notFoundAs(err, errInvalidToken)
	}
	if !u.Active() {
		return nil, errInvalidToken
	}
	return &Principal{UserID: u.ID, SessionID: s.ID, Kind: s.Kind, User: u, Session: s}, nil
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
