package account_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	devicerules "github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

// The sign-in lockout's cost on the hot path, on the real SQLite store: how
// many writes each kind of sign-in makes (a test) and what it costs (a
// benchmark, figures in docs/PERFORMANCE.md).

// countingStore counts the writes a sign-in can make.
type countingStore struct {
	store.Store
	updates, failures, clears, sessions atomic.Int64
}

func (c *countingStore) UpdateUser(ctx context.Context, id string, f func(*store.User) error) (*store.User, error) {
	c.updates.Add(1)
	return c.Store.UpdateUser(ctx, id, f)
}

func (c *countingStore) RecordLoginFailure(ctx context.Context, id string, next func(store.Lockout) store.Lockout) (store.Lockout, error) {
	c.failures.Add(1)
	return c.Store.RecordLoginFailure(ctx, id, next)
}

func (c *countingStore) ClearLockout(ctx context.Context, id string) error {
	c.clears.Add(1)
	return c.Store.ClearLockout(ctx, id)
}

func (c *countingStore) CreateSession(ctx context.Context, s *store.Session, t ...*store.RefreshToken) error {
	c.sessions.Add(1)
	return c.Store.CreateSession(ctx, s, t...)
}

// writes is the total so far.
func (c *countingStore) writes() int64 {
	return c.updates.Load() + c.failures.Load() + c.clears.Load() + c.sessions.Load()
}

const pw = "correct horse battery"

// fixture is an account service on a fresh SQLite file with one user,
// "owner", whose sign-up gave a device cookie.
type fixture struct {
	accounts *account.Service
	store    *countingStore
	ownerID  string
	cookie   string
	ctx      context.Context
}

// newFixture wires the services as the server does, with cheap argon2id
// parameters (the same code path) so that the bookkeeping shows.
func newFixture(tb testing.TB, policy lockout.Policy, budget ratelimit.Rule) *fixture {
	tb.Helper()
	ctx := session.WithClient(context.Background(), session.Client{IP: "192.0.2.1"})
	st := &countingStore{Store: newStore(tb)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	tokens, err := token.New(ctx, st, token.Config{Issuer: "http://test", Audience: "http://test"}, log)
	if err != nil {
		tb.Fatal(err)
	}
	sessions := session.New(st, tokens, session.Config{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, CacheTTL: time.Second, FlushEvery: time.Second}, log)
	roles := access.New(st, "user", time.Second, log)
	if err := roles.EnsureBuiltIns(ctx); err != nil {
		tb.Fatal(err)
	}
	devices, err := lockout.LoadDevices(ctx, st, budget)
	if err != nil {
		tb.Fatal(err)
	}
	hasher := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2)
	accounts := account.New(account.Deps{Store: st, Hasher: hasher, Policy: password.Policy{MinLength: 8},
		Sessions: sessions, Access: roles, Devices: devices, Log: log,
		DeviceTokens: devicesService(st, sessions, roles, devicerules.Config{}, log)}, account.Config{Lockout: policy})
	u, t, err := accounts.Signup(ctx, account.NewUser{Username: "owner", Password: pw})
	if err != nil {
		tb.Fatal(err)
	}
	return &fixture{accounts: accounts, store: st, ownerID: u.ID, cookie: t.DeviceCookie, ctx: ctx}
}

// never locks within a test or benchmark; budget likewise.
var (
	never       = lockout.Policy{Threshold: 1 << 30, Base: time.Hour, Max: time.Hour}
	ample       = ratelimit.Rule{Burst: 1 << 30, Per: time.Hour}
	strangerBad = account.Credentials{Identifier: "owner", Password: "wrong password"}
	strangerOK  = account.Credentials{Identifier: "owner", Password: pw}
	unknownBad  = account.Credentials{Identifier: "nobody", Password: "wrong password"}
)

func (f *fixture) known(password string) account.Credentials {
	return account.Credentials{Identifier: "owner", Password: password, DeviceCookie: f.cookie}
}

func (f *fixture) lockout(tb testing.TB) store.Lockout {
	tb.Helper()
	u, err := f.store.GetUser(f.ctx, f.ownerID)
	if err != nil {
		tb.Fatal(err)
	}
	return u.Lockout
}

// TestLoginWrites pins the store writes of each kind of sign-in: the
// lockout adds one write to a stranger's failure and none anywhere else; a
// success clears the count inside the write that stamps LastLoginAt.
func TestLoginWrites(t *testing.T) {
	t.Parallel()
	f := newFixture(t, never, ample)
	steps := []struct {
		name             string
		c                account.Credentials
		ok               bool
		updates, records int64 // UpdateUser and RecordLoginFailure calls
		wantFailures     int   // the stored count after the step
	}{
		{"success, nothing to clear", strangerOK, true, 1, 0, 0},
		{"stranger's failure", strangerBad, false, 0, 1, 1},
		{"unknown identifier's failure", unknownBad, false, 0, 0, 1},
		{"known client's failure", f.known("wrong password"), false, 0, 0, 1},
		{"known client's success keeps the strangers' count", f.known(pw), true, 1, 0, 1},
		{"stranger's success clears it", strangerOK, true, 1, 0, 0},
	}
	for _, s := range steps {
		u0, r0, c0, s0 := f.store.updates.Load(), f.store.failures.Load(), f.store.clears.Load(), f.store.sessions.Load()
		_, err := f.accounts.Login(f.ctx, s.c)
		if gotOK := err == nil; gotOK != s.ok {
			t.Fatalf("%s: error %v, want success %v", s.name, err, s.ok)
		}
		if !s.ok && apperr.CodeOf(err) != apperr.InvalidCredentials {
			t.Fatalf("%s: error %v, want INVALID_CREDENTIALS", s.name, err)
		}
		if got := f.store.updates.Load() - u0; got != s.updates {
			t.Errorf("%s: %d UpdateUser calls, want %d", s.name, got, s.updates)
		}
		if got := f.store.failures.Load() - r0; got != s.records {
			t.Errorf("%s: %d RecordLoginFailure calls, want %d", s.name, got, s.records)
		}
		if got := f.store.clears.Load() - c0; got != 0 {
			t.Errorf("%s: %d ClearLockout calls, want none (the success's own write clears)", s.name, got)
		}
		if got, want := f.store.sessions.Load()-s0, map[bool]int64{true: 1, false: 0}[s.ok]; got != want {
			t.Errorf("%s: %d sessions created, want %d", s.name, got, want)
		}
		if got := f.lockout(t).Failures; got != s.wantFailures {
			t.Errorf("%s: stored Failures = %d, want %d", s.name, got, s.wantFailures)
		}
	}
}

// BenchmarkLogin measures each kind of sign-in with the lockout's
// bookkeeping; writes/op counts store writes (a success also opens a
// session). Run: go test -run '^$' -bench Login -benchmem ./account/
func BenchmarkLogin(b *testing.B) {
	cases := []struct {
		name   string
		policy lockout.Policy
		creds  func(f *fixture) account.Credentials
	}{
		{"success/stranger", never, func(*fixture) account.Credentials { return strangerOK }},
		{"success/known-device", never, func(f *fixture) account.Credentials { return f.known(pw) }},
		{"failure/stranger", never, func(*fixture) account.Credentials { return strangerBad }},
		{"failure/unknown-identifier", never, func(*fixture) account.Credentials { return unknownBad }},
		{"failure/known-device", never, func(f *fixture) account.Credentials { return f.known("wrong password") }},
		// Locked after the first failure: refused before the hash.
		{"refused/locked-stranger", lockout.Policy{Threshold: 1, Base: time.Hour, Max: time.Hour},
			func(*fixture) account.Credentials { return strangerBad }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b, c.policy, ample)
			creds := c.creds(f)
			f.accounts.Login(f.ctx, creds) // warm statement caches; locks the last case
			w0 := f.store.writes()
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				f.accounts.Login(f.ctx, creds)
			}
			b.ReportMetric(float64(f.store.writes()-w0)/float64(b.N), "writes/op")
		})
	}
}
