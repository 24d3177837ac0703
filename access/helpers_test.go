package access_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The rules of package access, against a real SQLite store in a temporary
// directory.

// newAccess returns a service on db with the built-in roles, as a server
// starts one.
func newAccess(t *testing.T, db *sqlite.DB, defaultRole string, ttl time.Duration) *access.Service {
	t.Helper()
	s := access.New(db, defaultRole, ttl, slog.New(slog.DiscardHandler))
	if err := s.EnsureBuiltIns(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// newService is a service with the default role "user" on a fresh store,
// whose catalogue another instance does not change.
func newService(t *testing.T) *access.Service {
	t.Helper()
	return newAccess(t, newStore(t), "user", time.Minute)
}

// holder stores an active user holding roles.
func holder(t *testing.T, db *sqlite.DB, name string, roles ...string) *store.User {
	t.Helper()
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive,
		Roles: roles, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// rolesOf returns a user's roles as stored.
func rolesOf(t *testing.T, db *sqlite.DB, id string) []string {
	t.Helper()
	u, err := db.GetUser(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u.Roles
}

// forgotten records the users OnHoldersChanged reports.
type forgotten struct {
	mu  sync.Mutex
	ids []string
}

func (f *forgotten) hook(ids ...string) {
	f.mu.Lock()
	f.ids = append(f.ids, ids...)
	f.mu.Unlock()
}

// take returns the ids reported since the last take, sorted.
func (f *forgotten) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := slices.Sorted(slices.Values(f.ids))
	f.ids = nil
	return ids
}

func allowed(t *testing.T, s *access.Service, roles []string, resource string, verb store.Verb) bool {
	t.Helper()
	ok, err := s.Allowed(t.Context(), roles, resource, verb)
	if err != nil {
		t.Fatalf("Allowed(%v, %s %s): %v", roles, verb, resource, err)
	}
	return ok
}

func grant(t *testing.T, s *access.Service, role, pattern string, verbs ...store.Verb) *store.Permission {
	t.Helper()
	p, err := s.AddPermission(t.Context(), role, access.PermissionInput{Name: pattern, Pattern: pattern, Verbs: verbs})
	if err != nil {
		t.Fatalf("AddPermission(%s, %s): %v", role, pattern, err)
	}
	return p
}

func createRole(t *testing.T, s *access.Service, name string) *store.Role {
	t.Helper()
	r, err := s.CreateRole(t.Context(), name, "")
	if err != nil {
		t.Fatalf("CreateRole(%s): %v", name, err)
	}
	return r
}

// wantCode fails unless err carries code and, when field is not empty,
// names field.
func wantCode(t *testing.T, what string, err error, code apperr.Code, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || (field != "" && e.Field != field) {
		t.Errorf("%s: got %v, want %s on field %q", what, err, code, field)
	}
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
	path := filepath.Join(tb.TempDir(), "access.db")
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
