package session_test

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// RevokeOwn ends the caller's own sessions, the current one included, and
// answers NOT_FOUND for anything else: another user's live session looks
// exactly like one that does not exist or has already ended, and survives.
func TestRevokeOwn(t *testing.T) {
	ctx := t.Context()
	m, db, alice := newManager(t, session.Config{IdleTimeout: time.Hour, Lifetime: 24 * time.Hour})
	now := store.Now()
	bob := &store.User{ID: store.NewID(), Username: "bob", UsernameKey: "bob", Status: store.StatusActive,
		CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(ctx, bob); err != nil {
		t.Fatal(err)
	}
	open := func(u *store.User) string {
		t.Helper()
		tk, err := m.Open(ctx, u, store.SessionUser)
		if err != nil {
			t.Fatal(err)
		}
		return tk.Session.ID
	}
	current, other, ended, bobs := open(alice), open(alice), open(alice), open(bob)
	if err := m.Revoke(ctx, ended); err != nil {
		t.Fatal(err)
	}
	caller := &session.Principal{UserID: alice.ID, SessionID: current}
	revoked := func(id string) bool {
		t.Helper()
		s, err := db.GetSession(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s.Revoked()
	}

	for _, c := range []struct {
		name, id string
	}{
		{"another user's session", bobs},
		{"an ended session", ended},
		{"an unknown id", store.NewID()},
	} {
		if got := apperr.CodeOf(m.RevokeOwn(ctx, caller, c.id)); got != apperr.NotFound {
			t.Errorf("RevokeOwn(%s) code = %v, want %v", c.name, got, apperr.NotFound)
		}
	}
	if revoked(bobs) {
		t.Errorf("RevokeOwn of another user's session ended it")
	}
	for _, id := range []string{other, current} {
		if err := m.RevokeOwn(ctx, caller, id); err != nil {
			t.Errorf("RevokeOwn(own session %s) = %v, want nil", id, err)
		}
		if !revoked(id) {
			t.Errorf("own session %s is still live after RevokeOwn", id)
		}
	}
}
