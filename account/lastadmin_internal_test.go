package account

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// newAdminGuardService wires an account service as the server does, on a
// fresh SQLite file, with cheap argon2id parameters (the same code path).
func newAdminGuardService(t *testing.T) (*Service, store.Store) {
	t.Helper()
	ctx := t.Context()
	c := servicetest.New(t, ctx, servicetest.Options{})
	db, sessions, roles, log := c.DB, c.Sessions, c.Roles, c.Log
	hasher := password.NewHasher(password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 4)
	return New(Deps{Store: db, Hasher: hasher, Policy: password.Policy{MinLength: 8}, Sessions: sessions,
		Access: roles, Log: log}, Config{}), db
}

const adminGuardPassword = "correct horse battery"

// Every change that can take an active administrator away, applied to one
// user.
var adminRemovals = []struct {
	name string
	run  func(ctx context.Context, s *Service, id string) error
}{
	{"revokeRole", func(ctx context.Context, s *Service, id string) error {
		_, err := s.RevokeRole(ctx, id, access.AdminRole)
		return err
	}},
	{"setUserStatus", func(ctx context.Context, s *Service, id string) error {
		_, err := s.SetStatus(ctx, id, store.StatusSuspended)
		return err
	}},
	{"deleteUser", func(ctx context.Context, s *Service, id string) error { return s.DeleteUser(ctx, id, false) }},
	{"deleteUser hard", func(ctx context.Context, s *Service, id string) error { return s.DeleteUser(ctx, id, true) }},
	{"updateUsers suspend", func(ctx context.Context, s *Service, id string) error {
		suspended := store.StatusSuspended
		_, err := s.UpdateUsers(ctx, nil, &store.UserFilter{IDs: []string{id}}, Patch{Status: &suspended})
		return err
	}},
	{"updateUsers removeRoles", func(ctx context.Context, s *Service, id string) error {
		actor := &session.Principal{User: &store.User{Roles: []string{access.AdminRole}}}
		_, err := s.UpdateUsers(ctx, actor, &store.UserFilter{IDs: []string{id}}, Patch{RemoveRoles: []string{access.AdminRole}})
		return err
	}},
	{"deleteUsers", func(ctx context.Context, s *Service, id string) error {
		_, err := s.DeleteUsers(ctx, &store.UserFilter{IDs: []string{id}}, false)
		return err
	}},
	{"deleteAccount", func(ctx context.Context, s *Service, id string) error {
		return s.DeleteAccount(ctx, &session.Principal{UserID: id}, adminGuardPassword)
	}},
}

// Two changes that each take away one of the last two active
// administrators, started at the same moment: exactly one succeeds, the
// other is FORBIDDEN, and one administrator stays active. Each round pairs
// two different kinds of change, so every kind races every other's
// neighbour in the list, and twice over.
func TestLastAdminGuardUnderConcurrency(t *testing.T) {
	ctx := t.Context()
	s, db := newAdminGuardService(t)
	hash, err := s.hash(ctx, adminGuardPassword)
	if err != nil {
		t.Fatal(err)
	}
	newAdmin := func(i int) string {
		t.Helper()
		now := store.Now()
		name := fmt.Sprintf("admin%d", i)
		u := &store.User{ID: store.NewID(), Username: name, UsernameKey: name, PasswordHash: hash,
			Status: store.StatusActive, Roles: []string{access.AdminRole}, CreatedAt: now, UpdatedAt: now}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return u.ID
	}
	activeAdmins := &store.UserFilter{Roles: &store.SetMatch{Any: []string{access.AdminRole}}, Active: ptr(true)}

	survivor := newAdmin(0)
	for round := range 2 * len(adminRemovals) {
		ids := [2]string{survivor, newAdmin(round + 1)}
		ops := [2]int{round % len(adminRemovals), (round + 1) % len(adminRemovals)}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Go(func() {
				<-start
				errs[i] = adminRemovals[ops[i]].run(ctx, s, ids[i])
			})
		}
		close(start)
		wg.Wait()

		what := fmt.Sprintf("round %d (%s ‖ %s)", round, adminRemovals[ops[0]].name, adminRemovals[ops[1]].name)
		refused := -1
		for i, err := range errs {
			switch {
			case err == nil:
			case apperr.CodeOf(err) == apperr.Forbidden && refused < 0:
				refused = i
			default:
				t.Fatalf("%s: %s = %v, want nil or one FORBIDDEN", what, adminRemovals[ops[i]].name, err)
			}
		}
		if refused < 0 {
			t.Fatalf("%s: both changes succeeded, want one FORBIDDEN", what)
		}
		n, err := db.CountUsers(ctx, activeAdmins)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%s: %d active administrators afterwards, want 1", what, n)
		}
		survivor = ids[refused]
	}
}

// A guarded change waiting for another to finish gives up when its
// request ends, and the lock works on once released.
func TestAdminLockGivesUpWithItsCaller(t *testing.T) {
	l := newAdminLock()
	unlock, err := l.lock(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := l.lock(ctx); err != context.Canceled {
		t.Errorf("lock while held, caller gone = %v, want context.Canceled", err)
	}
	unlock()
	if unlock, err = l.lock(t.Context()); err != nil {
		t.Fatalf("lock after release = %v, want nil", err)
	}
	unlock()
}
