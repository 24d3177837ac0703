package session

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

var errBadRefresh = apperr.New(apperr.Unauthenticated, "the refresh token is not valid").WithStatus(apperr.StatusInvalidToken)

// Refresh exchanges a refresh token for new tokens. Every refresh consumes
// the token it was given and stores its successor in one step; presenting a
// consumed token again means the token leaked (or a client replayed it), and
// the whole session is revoked. Exactly one of two concurrent refreshes
// with the same token wins; the loser counts as a replay.
func (m *Manager) Refresh(ctx context.Context, refresh string) (*Tokens, error) {
	hash := hashToken(refresh)
	nextPlain, nextHash := newRefreshToken()
	now := m.now()
	next, err := m.store.RotateRefreshToken(ctx, hash, nextHash, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errBadRefresh
	case errors.Is(err, store.ErrConflict):
		return nil, m.reused(ctx, hash)
	case err != nil:
		return nil, err
	}
	// Checked after the rotation: a token of an ended session or a
	// suspended user is consumed for nothing, which does no harm.
	s, u, err := m.load(ctx, next.SessionID, next.UserID)
	if err != nil {
		return nil, err
	}
	m.activity.record(s.ID, u.ID, now)
	return m.sign(u, s, nextPlain)
}

// reused revokes the session of a replayed refresh token.
func (m *Manager) reused(ctx context.Context, hash string) error {
	rt, err := m.store.GetRefreshToken(ctx, hash)
	if err != nil {
		return notFoundAs(err, errBadRefresh)
	}
	m.log.Warn("refresh token reused; revoking session", "session", rt.SessionID, "user", rt.UserID)
	if err := m.Revoke(ctx, rt.SessionID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return apperr.New(apperr.Unauthenticated, "the refresh token was already used; the session has been ended").WithStatus(apperr.StatusInvalidToken)
}

// load returns a session and its user, checking both may still be used.
// Like Authenticate, it trusts what it read for up to CacheTTL unless this
// process changed the session or the user since (see cache.go), so a chain
// of refreshes reads the store once per CacheTTL, not twice per refresh.
func (m *Manager) load(ctx context.Context, sessionID, userID string) (*store.Session, *store.User, error) {
	now := m.now()
	key := "session:" + sessionID // access tokens, the other keys, are JWTs
	if p, ok := m.cache.get(key, now); ok {
		return p.Session, p.User, m.liveErr(p.Session, now)
	}
	stamp := m.cache.stamp(userID, sessionID)
	p, err := m.read(ctx, sessionID, userID, now, errBadRefresh, apperr.New(apperr.UserNotActive, "the account is not active"))
	if err != nil {
		return nil, nil, err
	}
	m.cache.put(key, p, stamp, minTime(now.Add(m.cfg.CacheTTL), p.Session.ExpiresAt))
	return p.Session, p.User, nil
}
