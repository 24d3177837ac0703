package transfer_test

import (
	"context"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/store/sqlite"
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
	c := servicetest.New(tb, ctx, servicetest.Options{Lifetime: time.Hour})
	db, sessions, roles, log := c.DB, c.Sessions, c.Roles, c.Log
	deviceTokens := devices.New(devices.Deps{Store: db, Sessions: sessions, Access: roles, Log: log}, devices.Config{})
	hasher := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 2)
	accounts := account.New(account.Deps{Store: db, Hasher: hasher, Sessions: sessions, Access: roles,
		DeviceTokens: deviceTokens, Log: log}, account.Config{})
	return &env{db: db, accounts: accounts}
}
