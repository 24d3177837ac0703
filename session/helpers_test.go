package session_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/token"
)

// The rules of package session, against a real SQLite store in a temporary
// directory. Time is a test clock (session.SetClock, token.Config.Now) that
// moves only when a test advances it: idle timeouts, lifetimes, the reuse
// window and the cache are tested without sleeping, and no test depends on
// how fast the machine is.

// clock is a test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one database shared by any number of instances (managers), all
// reading the same clock.
type env struct {
	db    *sqlite.DB
	clock *clock
	log   *slog.Logger
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return &env{db: newStore(t), clock: &clock{t: store.Now()}, log: slog.New(slog.DiscardHandler)}
}

// config is a configuration where nothing ends by itself within a test;
// each test sets what it is about.
func config() session.Config {
	return session.Config{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour, CacheTTL: time.Hour, FlushEvery: time.Hour}
}

// manager returns a new instance on e's store: its own token service (on
// the shared signing keys), cache and pending activity. Access tokens
// outlive any session here (AccessTTL 48 h), so a session ends by the
// session's own rules, which cap the token's expiry at the session's.
func (e *env) manager(t *testing.T, cfg session.Config) *session.Manager {
	t.Helper()
	tokens, err := token.New(t.Context(), e.db, token.Config{Issuer: "http://test", Audience: "http://test",
		AccessTTL: 48 * time.Hour, Now: e.clock.Now}, e.log)
	if err != nil {
		t.Fatal(err)
	}
	m := session.New(e.db, tokens, cfg, e.log)
	session.SetClock(m, e.clock.Now)
	return m
}

// user stores an active user.
func (e *env) user(t *testing.T, name string) *store.User {
	t.Helper()
	now := e.clock.Now()
	u := &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive,
		Roles: []string{"user"}, CreatedAt: now, UpdatedAt: now}
	if err := e.db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// setStatus changes a user's status in the store only, as another
// instance would: this instance's cache does not hear of it.
func (e *env) setStatus(t *testing.T, userID string, s store.Status) {
	t.Helper()
	if _, err := e.db.UpdateUser(t.Context(), userID, func(u *store.User) error {
		u.Status = s
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func open(t *testing.T, m *session.Manager, u *store.User) *session.Tokens {
	t.Helper()
	tok, err := m.Open(t.Context(), u, store.SessionUser)
	if err != nil {
		t.Fatalf("open a session of %s: %v", u.Username, err)
	}
	return tok
}

func mustAuthenticate(t *testing.T, m *session.Manager, what, access string) *session.Principal {
	t.Helper()
	p, err := m.Authenticate(t.Context(), access)
	if err != nil {
		t.Fatalf("%s: Authenticate: %v, want the session live", what, err)
	}
	return p
}

func mustRefresh(t *testing.T, m *session.Manager, what, refresh string) *session.Tokens {
	t.Helper()
	tok, err := m.Refresh(t.Context(), refresh)
	if err != nil {
		t.Fatalf("%s: Refresh: %v, want new tokens", what, err)
	}
	return tok
}

// API.md's statuses of UNAUTHENTICATED: 607 sign in again, 608 refresh
// (or, from a refresh, the session is over).
const (
	ended   = apperr.StatusInvalidToken
	expired = apperr.StatusExpiredToken
)

// wantUnauthenticated fails unless err is UNAUTHENTICATED with status.
func wantUnauthenticated(t *testing.T, what string, err error, status int) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != apperr.Unauthenticated || e.Status != status {
		t.Fatalf("%s: got %v, want UNAUTHENTICATED with status %d", what, err, status)
	}
}

// wantAuthFails fails unless access no longer authenticates, with status.
func wantAuthFails(t *testing.T, m *session.Manager, what, access string, status int) {
	t.Helper()
	_, err := m.Authenticate(t.Context(), access)
	wantUnauthenticated(t, what, err, status)
}

// withClient is a context of a request from ip with user agent ua.
func withClient(ctx context.Context, ip, ua string) context.Context {
	return session.WithClient(ctx, session.Client{IP: ip, UserAgent: ua})
}

func listOrFail(t *testing.T, m *session.Manager, userIDs ...string) []*store.Session {
	t.Helper()
	live, err := m.List(t.Context(), userIDs)
	if err != nil {
		t.Fatal(err)
	}
	return live
}

// newStore opens a fresh database in a temporary directory: a copy of an
// empty database migrated once per test binary, since copying and opening
// one costs a few milliseconds and migrating each anew some 25.
func newStore(tb testing.TB) *sqlite.DB {
	tb.Helper()
	migrated.once.Do(func() { migrated.data, migrated.err = migratedDatabase() })
	if migrated.err != nil {
		tb.Fatal(migrated.err)
	}
	path := filepath.Join(tb.TempDir(), "sessions.db")
	if err := os.WriteFile(path, migrated.data, 0o600); err != nil {
		tb.Fatal(err)
	}
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// migrated is the file of an empty database with every migration applied.
var migrated struct {
	once sync.Once
	data []byte
	err  error
}

func migratedDatabase() ([]byte, error) {
	dir, err := os.MkdirTemp("", "usergraph-test-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "migrated.db")
	db, err := sqlite.Open(context.Background(), path, sqlite.Options{})
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil { // checkpoints the log into the file
		return nil, err
	}
	return os.ReadFile(path)
}
