package session

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

var errBadRefresh = apperr.New(apperr.Unauthenticated, "the refresh token is not valid").WithStatus(apperr.StatusInvalidToken)

// Refresh exchanges a refresh token for new tokens. Every refresh consumes
// the token it was given; presenting a consumed token again means the token
// leaked (or a client replayed it), and the whole session is revoked.
func (m *Manager) Refresh(ctx context.Context, refresh string) (*Tokens, error) {
	hash := hashToken(refresh)
	rt, err := m.store.GetRefreshToken(ctx, hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, errBadRefresh
	}
	if err != nil {
		return nil, err
	}
	if rt.Consumed() {
		return nil, m.reused(ctx, rt)
	}
	s, u, err := m.load(ctx, rt.SessionID)
	if err != nil {
		return nil, err
	}
	// Exactly one of two concurrent refreshes with the same token wins this
	// compare-and-swap; the loser is treated as a replay.
	if err := m.store.ConsumeRefreshToken(ctx, hash, m.now()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, m.reused(ctx, rt)
		}
		return nil, err
	}
	m.activity.record(s.ID, u.ID, m.now())
	return m.issue(ctx, u, s)
}

// reused revokes the session of a replayed refresh token.
func (m *Manager) reused(ctx context.Context, rt *store.RefreshToken) error {
	m.log.Warn("refresh token reused; revoking session", "session", rt.SessionID, "user", rt.UserID)
	if err := m.Revoke(ctx, rt.SessionID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return apperr.New(apperr.Unauthenticated, "the refresh token was already used; the session has been ended").WithStatus(apperr.StatusInvalidToken)
}

// load reads a session and its user and checks both may still be used.
func (m *Manager) load(ctx context.Context, sessionID string) (*store.Session, *store.User, error) {
	s, err := m.store.GetSession(ctx, sessionID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errBadRefresh
	}
	if err != nil {
		return nil, nil, err
	}
	if err := m.liveErr(s, m.now()); err != nil {
		return nil, nil, err
	}
	u, err := m.store.GetUser(ctx, s.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errBadRefresh
	}
	if err != nil {
		return nil, nil, err
	}
	if !u.Active() {
		return nil, nil, apperr.New(apperr.UserNotActive, "the account is not active")
	}
	return s, u, nil
}
