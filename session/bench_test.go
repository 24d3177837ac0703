package session_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

// The session check every authenticated request pays, against a real
// SQLite store: from the cache, and (CacheTTL 0) with the token's
// signature verified and the session and user read each time. The
// OnDevice variants check a session opened on a permitted device with
// device control on (the device gate of package devices, wired as the
// server wires it): from the cache they must cost what the others cost;
// uncached they add the device's read.

func BenchmarkAuthenticateCached(b *testing.B) {
	benchmarkAuthenticate(b, 5*time.Second, false)
}

func BenchmarkAuthenticateUncached(b *testing.B) {
	benchmarkAuthenticate(b, 0, false)
}

func BenchmarkAuthenticateCachedOnDevice(b *testing.B) {
	benchmarkAuthenticate(b, 5*time.Second, true)
}

func BenchmarkAuthenticateUncachedOnDevice(b *testing.B) {
	benchmarkAuthenticate(b, 0, true)
}

func benchmarkAuthenticate(b *testing.B, cacheTTL time.Duration, onDevice bool) {
	ctx := context.Background()
	m, access := openSession(b, cacheTTL, onDevice)
	if _, err := m.Authenticate(ctx, access); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Authenticate(ctx, access); err != nil {
			b.Fatal(err)
		}
	}
}

// openSession builds a Manager on a temporary SQLite store and opens one
// session of an active user, returning its access token. onDevice: with
// device control on, on a permitted device.
func openSession(b *testing.B, cacheTTL time.Duration, onDevice bool) (*session.Manager, string) {
	b.Helper()
	ctx := context.Background()
	m, db, u := newManager(b, session.Config{
		IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, CacheTTL: cacheTTL, FlushEvery: time.Hour,
	})
	var device *store.Device
	if onDevice {
		gate := devices.New(devices.Deps{Store: db, Sessions: m, Log: slog.New(slog.DiscardHandler)}, devices.Config{Control: true})
		m.GateDevices(gate)
		var err error
		if device, err = gate.Enroll(ctx, u.ID, "bench-device"); err != nil {
			b.Fatal(err)
		}
	}
	t, err := m.OpenOn(ctx, u, store.SessionUser, device)
	if err != nil {
		b.Fatal(err)
	}
	return m, t.Access
}

// newManager builds a Manager with cfg on a temporary SQLite store that
// holds one active user.
func newManager(tb testing.TB, cfg session.Config) (*session.Manager, store.Store, *store.User) {
	tb.Helper()
	ctx := context.Background()
	db := newStore(tb)
	log := slog.New(slog.DiscardHandler)
	tokens, err := token.New(ctx, db, token.Config{Issuer: "http://test", Audience: "http://test"}, log)
	if err != nil {
		tb.Fatal(err)
	}
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: "alice", UsernameKey: "alice", Status: store.StatusActive,
		Roles: []string{"user"}, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		tb.Fatal(err)
	}
	return session.New(db, tokens, cfg, log), db, u
}
