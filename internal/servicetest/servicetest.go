// Package servicetest builds, for the services' package tests, what every
// service stands on, wired as the server wires it (app/wire.go): a real
// SQLite store in the test's temporary directory, signing keys, sessions,
// and roles with the built-in ones. Kept in one place so that a change in
// how these are made is made once for every package's tests; each test
// then adds the service it is about.
package servicetest

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/token"
)

// Core is the parts every service's tests wire.
type Core struct {
	DB       *sqlite.DB
	Log      *slog.Logger // discards
	Tokens   *token.Service
	Sessions *session.Manager
	Roles    *access.Service
}

// Options change Core's defaults.
type Options struct {
	// DefaultRole is the role of new users ("user" if empty; "-" for none).
	DefaultRole string
	// Lifetime is a session's (a day if zero); sessions idle after an hour.
	Lifetime time.Duration
}

// New opens a fresh store (Store) and builds the core on it. ctx is the
// one the core is built with: a test's, carrying a client if it needs one.
func New(tb testing.TB, ctx context.Context, o Options) *Core {
	tb.Helper()
	db := Store(tb)
	log := slog.New(slog.DiscardHandler)
	tokens, err := token.New(ctx, db, token.Config{Issuer: "http://test", Audience: "http://test"}, log)
	if err != nil {
		tb.Fatal(err)
	}
	if o.Lifetime == 0 {
		o.Lifetime = 24 * time.Hour
	}
	sessions := session.New(db, tokens, session.Config{IdleTimeout: time.Hour, Lifetime: o.Lifetime,
		CacheTTL: time.Hour, FlushEvery: time.Hour}, log)
	switch o.DefaultRole {
	case "":
		o.DefaultRole = "user"
	case "-":
		o.DefaultRole = ""
	}
	roles := access.New(db, o.DefaultRole, time.Hour, log)
	roles.OnHoldersChanged(sessions.ForgetUsers) // as the server: role changes reach cached sessions
	if err := roles.EnsureBuiltIns(ctx); err != nil {
		tb.Fatal(err)
	}
	return &Core{DB: db, Log: log, Tokens: tokens, Sessions: sessions, Roles: roles}
}

// Store opens a fresh database in a temporary directory, closed when the
// test ends: a copy of an empty database migrated once per test binary,
// since copying and opening one costs a few milliseconds and migrating
// each anew some 25.
func Store(tb testing.TB) *sqlite.DB {
	tb.Helper()
	migrated.once.Do(func() { migrated.data, migrated.err = migratedDatabase() })
	if migrated.err != nil {
		tb.Fatal(migrated.err)
	}
	path := filepath.Join(tb.TempDir(), "usergraph.db")
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
