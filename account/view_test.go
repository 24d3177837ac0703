package account_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// What a viewer sees of a user: everything for the user themself and for
// whoever may GET graphql/users (administrators, or any role granted it);
// for other signed-in users the public fields of an active account only;
// for anonymous callers nothing.
func TestViewRules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin(t)
	u, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "alice", Email: "alice@example.com", Phone: "+14155550123",
		Password: goodPassword, Profile: account.Profile{FirstName: "Alice", FullName: "Alice Liddell", Address: "Wonderland"},
		Tags: []string{"t"}, Metadata: json.RawMessage(`{"secret":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	self := e.principal(t, tok)
	other := e.member(t, "bob")
	e.withRole(t, "auditor", "graphql/users", store.VerbGet)
	auditor := e.member(t, "carol")
	if _, err := e.accounts.GrantRole(e.ctx, auditor.UserID, "auditor"); err != nil {
		t.Fatal(err)
	}
	auditor = e.reauth(t, auditor)
	if _, err := e.db.UpdateUser(e.ctx, u.ID, func(u *store.User) error {
		u.UpdatedAt = u.CreatedAt.Add(time.Hour) // a later change, whose time is private
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stored := e.stored(t, u.ID)

	for _, c := range []struct {
		name   string
		viewer *session.Principal
	}{{"the user", self}, {"an administrator", admin}, {"a role with GET graphql/users", auditor}} {
		got, err := e.accounts.User(e.ctx, c.viewer, u.ID)
		if err != nil || got == nil || got.Email != "alice@example.com" || got.Phone == "" || len(got.Roles) == 0 {
			t.Errorf("%s sees %+v (%v), want the whole record", c.name, got, err)
		}
		if ok, _ := e.accounts.CanSeePrivate(e.ctx, c.viewer, u.ID); !ok {
			t.Errorf("%s: CanSeePrivate false", c.name)
		}
	}

	pub, err := e.accounts.User(e.ctx, other, u.ID)
	if err != nil || pub == nil {
		t.Fatalf("another member sees %v (%v), want the public view", pub, err)
	}
	if pub.Username != "alice" || pub.FullName != "Alice Liddell" || pub.FirstName != "Alice" || len(pub.Tags) != 1 || !pub.CreatedAt.Equal(stored.CreatedAt) {
		t.Errorf("public view lacks public fields: %+v", pub)
	}
	if pub.Email != "" || pub.Phone != "" || pub.Address != "" || pub.PasswordHash != "" || len(pub.Metadata) != 0 ||
		len(pub.AppMetadata) != 0 || len(pub.Roles) != 0 || !pub.LastLoginAt.IsZero() {
		t.Errorf("public view shows private fields: %+v", pub)
	}
	if !pub.UpdatedAt.Equal(stored.CreatedAt) {
		t.Errorf("public updatedAt %v, want createdAt %v (when the profile last changed is private)", pub.UpdatedAt, stored.CreatedAt)
	}
	if ok, _ := e.accounts.CanSeePrivate(e.ctx, other, u.ID); ok {
		t.Error("another member: CanSeePrivate true")
	}
	if got, err := e.accounts.User(e.ctx, nil, u.ID); got != nil || err != nil {
		t.Errorf("anonymous sees %+v (%v), want nothing", got, err)
	}
	if got, _ := e.accounts.UserByUsername(e.ctx, other, "ＡＬＩＣＥ"); got == nil || got.ID != u.ID || got.Email != "" {
		t.Errorf("userByUsername in another spelling: %+v, want alice's public view", got)
	}
	if got, err := e.accounts.User(e.ctx, admin, "no-such-user"); got != nil || err != nil {
		t.Errorf("an unknown id: %+v (%v), want nothing and no error", got, err)
	}

	if _, err := e.accounts.SetStatus(e.ctx, u.ID, store.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.accounts.User(e.ctx, other, u.ID); got != nil {
		t.Errorf("another member sees a suspended account: %+v", got)
	}
	if got, _ := e.accounts.User(e.ctx, admin, u.ID); got == nil || got.Status != store.StatusSuspended {
		t.Errorf("an administrator sees the suspended account as %+v", got)
	}
}

// usernameExists finds a name in any spelling, soft-deleted accounts'
// included (they keep their names), and refuses what is no username.
func TestUsernameExists(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signup(t, "alice", "")
	gone, _ := e.signup(t, "gone", "")
	if err := e.accounts.DeleteUser(e.ctx, gone.ID, false); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"alice": true, "ALICE": true, "ａｌｉｃｅ": true, "gone": true, "nobody": false} {
		if got, err := e.accounts.UsernameExists(e.ctx, name); err != nil || got != want {
			t.Errorf("UsernameExists(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	for _, bad := range []string{"x", "a b", strings.Repeat("a", 65)} {
		_, err := e.accounts.UsernameExists(e.ctx, bad)
		wantCode(t, "UsernameExists("+bad[:min(len(bad), 8)]+")", err, apperr.InvalidUsername, "username")
	}
}

// UsersByID loads the users that exist among ids; ids no record can have
// never reach the store.
func TestUsersByID(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, _ := e.signup(t, "alice", "")
	b, _ := e.signup(t, "bob", "")
	got, err := e.accounts.UsersByID(e.ctx, []string{a.ID, b.ID, "no-such-user", strings.Repeat("x", 65), a.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[a.ID] == nil || got[b.ID] == nil {
		t.Errorf("UsersByID = %v, want alice and bob", got)
	}
}
