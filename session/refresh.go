package session

import (
	"context"
	"errors"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

var (
	errBadRefresh    = apperr.New(apperr.Unauthenticated, "the refresh token is not valid").WithStatus(apperr.StatusInvalidToken)
	errReusedRefresh = apperr.New(apperr.Unauthenticated, "the refresh token was already used; the session has been ended").WithStatus(apperr.StatusInvalidToken)
)

// Refresh exchanges a refresh token for new tokens. Every refresh consumes
// the token it was given and stores its successor in one step; of two
// concurrent refreshes with the same token the store lets exactly one
// consume it. A consumed token presented again is answered by repeat.
func (m *Manager) Refresh(ctx context.Context, refresh string) (*Tokens, error) {
	hash := hashToken(refresh)
	nextPlain, nextHash := newRefreshToken()
	now := m.now()
	next, err := m.store.RotateRefreshToken(ctx, hash, nextHash, now)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errBadRefresh
	case errors.Is(err, store.ErrConflict):
		return m.repeat(ctx, hash, now)
	case err != nil:
		return nil, err
	}
	// Checked after the rotation: a token of an ended session or a
	// suspended user is consumed for nothing, which does no harm.
	s, u, err := m.load(ctx, next.SessionID, next.UserID)
	if err != nil {
		return nil, err
	}
	m.activity.record(s, now)
	return m.signUser(u, s, nextPlain)
}

// repeat answers a consumed refresh token presented again.
//
// The rule (README, "Walkthrough"): a repeat of the just-rotated
// token — the one whose successor is still current — within ReuseWindow of
// its rotation is two tabs (or a retry after a lost answer) refreshing at
// once: it gets a fresh sibling successor in the same session, and the
// first successor stays valid too. Any other repeat — after the window, or
// of an older token, whose successor was itself consumed — means the token
// leaked, and the whole session ends.
//
// The store's compare-and-swap still lets exactly one caller consume a
// token; this only decides what the losers get. Every input to the rule
// (when the token was consumed, which successor it got, whether that one
// was consumed) is in the store, so instances agree without talking. A
// successor not stored yet counts as current: a backend without
// transactions records it on the consumed token before inserting it. The
// check and the sibling's insert are two steps: a repeat that races the
// successor's own refresh by milliseconds may still get its sibling, as it
// would have a moment earlier; the window bounds that, and a replay after
// it always ends the session.
func (m *Manager) repeat(ctx context.Context, hash string, now time.Time) (*Tokens, error) {
	rt, err := m.store.GetRefreshToken(ctx, hash)
	if err != nil {
		return nil, notFoundAs(err, errBadRefresh)
	}
	justRotated, err := m.justRotated(ctx, rt, now)
	if err != nil {
		return nil, err
	}
	if !justRotated {
		return nil, m.reused(ctx, rt)
	}
	s, u, err := m.load(ctx, rt.SessionID, rt.UserID)
	if err != nil {
		return nil, err // an ended session gets no new token
	}
	plain, siblingHash := newRefreshToken()
	sibling := &store.RefreshToken{Hash: siblingHash, SessionID: s.ID, UserID: u.ID, CreatedAt: now, ExpiresAt: rt.ExpiresAt}
	if err := m.store.CreateRefreshToken(ctx, sibling); err != nil {
		return nil, err
	}
	m.log.DebugContext(ctx, "refresh token repeated within the reuse window; sibling issued", "session", s.ID, "user", u.ID)
	m.activity.record(s, now)
	return m.signUser(u, s, plain)
}

// justRotated reports whether rt, a consumed token, may get a sibling: it
// was consumed within ReuseWindow of now and its successor is current.
func (m *Manager) justRotated(ctx context.Context, rt *store.RefreshToken, now time.Time) (bool, error) {
	if m.cfg.ReuseWindow <= 0 || rt.Successor == "" || now.Sub(rt.ConsumedAt) > m.cfg.ReuseWindow {
		return false, nil
	}
	next, err := m.store.GetRefreshToken(ctx, rt.Successor)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return true, nil // recorded, not inserted yet (see repeat)
	case err != nil:
		return false, err
	}
	return !next.Consumed(), nil
}

// reused revokes the session of a replayed refresh token.
func (m *Manager) reused(ctx context.Context, rt *store.RefreshToken) error {
	m.log.WarnContext(ctx, "refresh token reused; revoking session", "session", rt.SessionID, "user", rt.UserID)
	ev := audit.New(ctx, audit.RefreshReuseDetected, rt.UserID, audit.Data{"session": rt.SessionID})
	if err := m.Revoke(audit.With(ctx, ev), rt.SessionID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return errReusedRefresh
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
	m.remember(key, p, stamp, now, p.Session.ExpiresAt)
	return p.Session, p.User, nil
}
