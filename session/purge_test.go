package session_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Run purges sessions expired for longer than store.ExpiredRetention when it
// starts and then every PurgeEvery, and leaves the others alone.
func TestRunPurgesLongExpiredSessions(t *testing.T) {
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
