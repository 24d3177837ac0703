package session_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Run purges sessions expired for longer than store.ExpiredRetention when it
// starts and then every PurgeEvery, and leaves the others alone.
func TestRunPurgesLongExpiredSessions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	m, db, u := newManager(t, session.Config{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour,
		FlushEvery: time.Hour, PurgeEvery: 50 * time.Millisecond})
	now := store.Now()
	session := func(expires time.Time) string {
		s := &store.Session{ID: store.NewID(), UserID: u.ID, Kind: store.SessionUser,
			CreatedAt: expires.Add(-time.Hour), LastSeenAt: expires.Add(-time.Hour), ExpiresAt: expires}
		if err := db.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s.ID
	}
	longAgo := now.Add(-store.ExpiredRetention - time.Minute)
	atStart := session(longAgo)
	recent := session(now.Add(-store.ExpiredRetention + time.Hour)) // expired, within retention
	live, err := m.Open(ctx, u, store.SessionUser)
	if err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { m.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	waitGone(t, db, atStart)
	later := session(longAgo) // expires as long ago, but appears after the first purge
	waitGone(t, db, later)

	for _, id := range []string{recent, live.Session.ID} {
		if _, err := db.GetSession(ctx, id); err != nil {
			t.Errorf("session %s should be kept: %v", id, err)
		}
	}
	if _, err := m.Refresh(ctx, live.Refresh); err != nil {
		t.Errorf("refresh of the live session after purges: %v", err)
	}
}

func waitGone(t *testing.T, db store.Store, id string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := db.GetSession(t.Context(), id); errors.Is(err, store.ErrNotFound) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("session %s was not purged within 5 s", id)
}

// Purge deletes a session, with its refresh tokens, once it has been
// expired for longer than store.ExpiredRetention, and not a moment before:
// until then a replay of its tokens is still recognized.
func TestPurgeKeepsExpiredSessionsForTheRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.Lifetime = time.Hour
	m := e.manager(t, cfg)
	alice := e.user(t, "alice")
	old := open(t, m, alice)
	e.clock.Advance(time.Minute)
	younger := open(t, m, alice)

	e.clock.Advance(cfg.Lifetime - time.Minute + store.ExpiredRetention) // old expired exactly the retention ago
	m.Purge(t.Context())
	if _, err := e.db.GetSession(t.Context(), old.Session.ID); err != nil {
		t.Fatalf("a session expired exactly the retention ago was purged (%v), want it kept", err)
	}
	e.clock.Advance(time.Millisecond)
	m.Purge(t.Context())
	if _, err := e.db.GetSession(t.Context(), old.Session.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a session expired longer than the retention: %v, want it purged", err)
	}
	if _, err := e.db.GetRefreshToken(t.Context(), sha256Hex(old.Refresh)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("its refresh token: %v, want it purged with the session", err)
	}
	if _, err := e.db.GetSession(t.Context(), younger.Session.ID); err != nil {
		t.Errorf("a session expired a minute less than the retention ago: %v, want it kept", err)
	}
	if _, err := e.db.GetRefreshToken(t.Context(), sha256Hex(younger.Refresh)); err != nil {
		t.Errorf("its refresh token: %v, want it kept", err)
	}
}

// sha256Hex is how the store keeps a refresh token (store.RefreshToken.Hash).
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
