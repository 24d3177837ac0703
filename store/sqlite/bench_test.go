package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// Benchmarks of the store's hot paths on a seeded file. Setup (seeding)
// happens before the measured loop; nothing here runs under plain go test.

const (
	benchUsers = 20_000
	benchOrgs  = 100 // 200 users per org
)

// seeded opens a store with an index on metadata.org and n users
// bench-<i> whose metadata.org is org-<i mod benchOrgs>.
func seeded(b *testing.B, n int) (*sqlite.DB, []*store.User) {
	b.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"),
		sqlite.Options{IndexedPaths: []store.IndexedPath{{Path: "org"}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	users := make([]*store.User, n)
	now := store.Now()
	for i := range users {
		name := fmt.Sprintf("bench-%d", i)
		users[i] = &store.User{
			ID: store.NewID(), Username: name, Email: name + "@example.com",
			UsernameKey: name, EmailKey: name + "@example.com",
			Metadata: json.RawMessage(fmt.Sprintf(`{"org":"org-%d","plan":"free","n":%d}`, i%benchOrgs, i)),
			Status:   store.StatusActive, Roles: []string{"user"},
			PasswordHash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U",
			CreatedAt:    now.Add(time.Duration(i) * time.Millisecond), UpdatedAt: now,
		}
	}
	if err := db.CreateUsers(ctx, users); err != nil {
		b.Fatal(err)
	}
	return db, users
}

func orgFilter(org int) *store.UserFilter {
	return &store.UserFilter{Metadata: []store.JSONPredicate{{
		Path: "org", Op: store.JSONEq, Value: json.RawMessage(fmt.Sprintf(`"org-%d"`, org)),
	}}}
}

func BenchmarkGetUser(b *testing.B) {
	db, users := seeded(b, benchUsers)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := db.GetUser(ctx, users[i%len(users)].ID); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}

func BenchmarkGetSession(b *testing.B) {
	db, users := seeded(b, 1)
	ctx := context.Background()
	now := store.Now()
	s := &store.Session{ID: store.NewID(), UserID: users[0].ID, Kind: store.SessionUser,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateSession(ctx, s); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.GetSession(ctx, s.ID); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListUsersIndexedPath is the admin listing the load tool's users
// scenario asks for: a first page of 50 filtered on an indexed path.
func BenchmarkListUsersIndexedPath(b *testing.B) {
	db, _ := seeded(b, benchUsers)
	ctx := context.Background()
	filters := make([]*store.UserFilter, benchOrgs)
	for i := range filters {
		filters[i] = orgFilter(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		page, err := db.ListUsers(ctx, store.UserQuery{Filter: filters[i%benchOrgs], Limit: 50})
		if err != nil || len(page.Users) != 50 {
			b.Fatalf("ListUsers: %d users, %v", len(page.Users), err)
		}
		i++
	}
}

// BenchmarkCountUsers is totalCount of the same filter.
func BenchmarkCountUsers(b *testing.B) {
	db, _ := seeded(b, benchUsers)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		n, err := db.CountUsers(ctx, orgFilter(i%benchOrgs))
		if err != nil || n != benchUsers/benchOrgs {
			b.Fatalf("CountUsers = %d, %v", n, err)
		}
		i++
	}
}

// BenchmarkCompileFilter measures validating and compiling a nested filter
// (and the statement SQLite prepares from it), end to end through
// ListUsers on a store so small that running the query costs next to
// nothing. The compiler is not exported, so this is its closest measure.
func BenchmarkCompileFilter(b *testing.B) {
	db, _ := seeded(b, 10)
	ctx := context.Background()
	yes := true
	f := &store.UserFilter{
		Active: &yes,
		Roles:  &store.SetMatch{Any: []string{"user", "admin"}},
		Search: "bench",
		Metadata: []store.JSONPredicate{
			{Path: "org", Op: store.JSONIn, Value: json.RawMessage(`["org-1","org-2","org-3"]`)},
			{Path: "n", Op: store.JSONGte, Value: json.RawMessage(`0`)},
		},
		Or: []store.UserFilter{
			{Metadata: []store.JSONPredicate{{Path: "plan", Op: store.JSONEq, Value: json.RawMessage(`"free"`)}}},
			{Tags: &store.SetMatch{All: []string{"a", "b"}}},
			{CreatedAt: &store.TimeRange{Gte: time.Unix(0, 0)}},
		},
		Not: &store.UserFilter{Usernames: []string{"nobody"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.ListUsers(ctx, store.UserQuery{Filter: f, Limit: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoginWrite is a sign-in's one write (the last-login stamp) with
// and without its login.succeeded event, and with the event and a webhook
// that takes every event (its delivery is written in the same
// transaction). Run with -count to interleave the three.
func BenchmarkLoginWrite(b *testing.B) {
	for _, arm := range []struct {
		name          string
		event, hooked bool
	}{{"no-event", false, false}, {"event", true, false}, {"event-and-webhook", true, true}} {
		b.Run(arm.name, func(b *testing.B) {
			db, users := seeded(b, 1000)
			ctx := context.Background()
			if arm.hooked {
				w := &store.Webhook{ID: store.NewID(), URL: "https://receiver.example", Events: []string{"*"},
					Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Active: true, CreatedAt: store.Now().Add(-time.Hour)}
				if err := db.CreateWebhook(ctx, w); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				u := users[i%len(users)]
				wctx := ctx
				if arm.event {
					wctx = store.WithEvents(ctx, &store.Event{ID: store.NewID(), Type: "login.succeeded", At: store.Now(),
						ActorID: u.ID, ActorKind: "user", SubjectID: u.ID, IP: "203.0.113.7", UserAgent: "bench",
						Data: json.RawMessage(`{"method":"password"}`)})
				}
				if _, err := db.UpdateUser(wctx, u.ID, func(u *store.User) error {
					u.LastLoginAt = store.Now()
					return nil
				}); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
