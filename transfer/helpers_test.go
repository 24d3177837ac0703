package transfer_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/token"
)

// The importer against a real SQLite store in a temporary directory, with
// the account service wired as `usergraph import` wires it.

type env struct {
	db       *sqlite.DB
	accounts *account.Service
}

func newEnv(tb testing.TB) *env {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "import.db"), sqlite.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	tokens, err := token.New(ctx, db, token.Config{Issuer: "http://test", Audience: "http://test"}, log)
	if err != nil {
		tb.Fatal(err)
	}
	sessions := session.New(db, tokens, session.Config{IdleTimeout: time.Hour, Lifetime: time.Hour, CacheTTL: time.Hour, FlushEvery: time.Hour}, log)
	roles := access.New(db, "user", time.Hour, log)
	if err := roles.EnsureBuiltIns(ctx); err != nil {
		tb.Fatal(err)
	}
	deviceTokens := devices.New(devices.Deps{Store: db, Sessions: sessions, Access: roles, Log: log}, devices.Config{})
	hasher := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2)
	accounts := account.New(account.Deps{Store: db, Hasher: hasher, Sessions: sessions, Access: roles,
		DeviceTokens: deviceTokens, Log: log}, account.Config{})
	return &env{db: db, accounts: accounts}
}
