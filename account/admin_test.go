package account_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// rolesResource is the resource whose PUT grants roles and DELETE takes
// them away (API.md).
const rolesResource = "graphql/users/roles"

// granter is a signed-in member whose role may PUT graphql/users/roles
// (grant roles) but not DELETE them.
func (e *env) granter(t *testing.T, username string) *session.Principal {
	t.Helper()
	e.withRole(t, "granter", rolesResource, store.VerbPut)
	p := e.member(t, username)
	if _, err := e.accounts.GrantRole(e.ctx, p.UserID, "granter"); err != nil {
		t.Fatal(err)
	}
	return e.reauth(t, p)
}

// reauth is p as its next request sees it.
func (e *env) reauth(t *testing.T, p *session.Principal) *session.Principal {
	t.Helper()
	tok, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: p.User.Username, Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	return e.principal(t, tok)
}

// An administrator's createUser may give the default role (or, by
// default, gets it) without more; any other role needs the permission to
// grant roles, and must exist. Names are folded, repeats dropped. No
// password is needed, and none is hashed.
func TestCreateUserRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin(t)
	plain := e.member(t, "plain")
	granter := e.granter(t, "granter1")
	if _, err := e.access.CreateRole(e.ctx, "editor", ""); err != nil {
		t.Fatal(err)
	}
	hashes := e.hashes()
	for i, c := range []struct {
		name  string
		actor *session.Principal
		roles []string
		want  []string // stored roles; nil: refused with code
		code  apperr.Code
		field string
	}{
		{"roles left out", plain, nil, []string{"user"}, "", ""},
		{"the default role", plain, []string{"USER"}, []string{"user"}, "", ""},
		{"no roles at all", plain, []string{}, []string{}, "", ""},
		{"another role without the permission", plain, []string{"editor"}, nil, apperr.Forbidden, ""},
		{"another role, anonymous", nil, []string{"editor"}, nil, apperr.Unauthenticated, ""},
		{"another role with the permission", granter, []string{"editor", " EDITOR ", "user"}, []string{"editor", "user"}, "", ""},
		{"a role that does not exist", granter, []string{"ghost"}, nil, apperr.InvalidRole, "role"},
		{"an invalid role name", admin, []string{"two words"}, nil, apperr.InvalidRole, "role"},
		{"65 roles", admin, slices.Repeat([]string{"user"}, 65), nil, apperr.BadUserInput, "roles"},
		{"admin by an administrator", admin, []string{"admin"}, []string{"admin"}, "", ""},
	} {
		u, err := e.accounts.CreateUser(e.ctx, c.actor, account.NewUser{Username: "new" + string(rune('a'+i)), Roles: c.roles})
		if c.want == nil {
			wantCode(t, c.name, err, c.code, c.field)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		got := e.stored(t, u.ID)
		if !slices.Equal(got.Roles, c.want) || got.Status != store.StatusActive || got.PasswordHash != "" {
			t.Errorf("%s: stored roles %v status %s hash %q; want %v, ACTIVE, no password", c.name, got.Roles, got.Status, got.PasswordHash, c.want)
		}
	}
	if n := e.hashes() - hashes; n != 0 {
		t.Errorf("createUser without passwords ran %d hashes, want none", n)
	}
	u, err := e.accounts.CreateUser(e.ctx, admin, account.NewUser{Username: "pending", Password: goodPassword, Status: store.StatusPending})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.stored(t, u.ID); got.Status != store.StatusPending || !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Errorf("with a status and a password: %s %q, want PENDING and a hash", got.Status, got.PasswordHash)
	}
	_, err = e.accounts.CreateUser(e.ctx, admin, account.NewUser{Username: "weak", Password: "short"})
	wantCode(t, "a weak password", err, apperr.WeakPassword, "password")
}

// updateUser: a new password ends every session of the user; an email
// cannot be verified where there is none; appMetadata is merged; a user
// keeps a username or an email.
func TestUpdateUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, tok := e.signup(t, "alice", "")
	_, other := e.signup(t, "bob", "bob@example.com")

	got, err := e.accounts.UpdateUser(e.ctx, u.ID, account.AdminChange{EmailVerified: ptr(true),
		AppMetadataPatch: json.RawMessage(`{"plan":"pro","limits":{"seats":3}}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got.EmailVerified || !jsonEqual(t, got.AppMetadata, `{"plan":"pro","limits":{"seats":3}}`) {
		t.Errorf("verified %v appMetadata %s; want an absent email unverified and the patch applied", got.EmailVerified, got.AppMetadata)
	}
	got, err = e.accounts.UpdateUser(e.ctx, u.ID, account.AdminChange{AppMetadataPatch: json.RawMessage(`{"limits":{"seats":null,"rooms":1}}`)})
	if err != nil || !jsonEqual(t, got.AppMetadata, `{"plan":"pro","limits":{"rooms":1}}`) {
		t.Errorf("second appMetadata patch: %s, %v; want merged", got.AppMetadata, err)
	}
	e.wantLive(t, "after changes without a password", tok)

	for _, c := range []struct {
		name, id string
		ch       account.AdminChange
		code     apperr.Code
		field    string
	}{
		{"weak password", u.ID, account.AdminChange{Password: ptr("short")}, apperr.WeakPassword, "password"},
		{"taken username", u.ID, account.AdminChange{Username: ptr("BOB")}, apperr.AlreadyExists, "username"},
		{"no username and no email", u.ID, account.AdminChange{Username: ptr("")}, apperr.BadUserInput, "username"},
		{"unknown user", "no-such-user", account.AdminChange{ProfileChange: account.ProfileChange{FirstName: ptr("x")}}, apperr.NotFound, ""},
		{"id too long", strings.Repeat("i", 65), account.AdminChange{}, apperr.BadUserInput, "id"},
	} {
		_, err := e.accounts.UpdateUser(e.ctx, c.id, c.ch)
		wantCode(t, c.name, err, c.code, c.field)
	}
	e.wantLive(t, "after a refused password", tok)

	if _, err := e.accounts.UpdateUser(e.ctx, u.ID, account.AdminChange{Password: ptr("a brand new passphrase")}); err != nil {
		t.Fatal(err)
	}
	e.wantEnded(t, "the user's session after an administrator set a password", tok)
	e.wantLive(t, "another user's session", other)
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "alice", Password: "a brand new passphrase"}); err != nil {
		t.Errorf("login with the new password: %v", err)
	}

	bob := e.principal(t, other)
	if _, err := e.accounts.UpdateUser(e.ctx, bob.UserID, account.AdminChange{Username: ptr("")}); err != nil {
		t.Fatalf("clearing the username of a user with an email: %v", err)
	}
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "bob@example.com", Password: goodPassword}); err != nil {
		t.Errorf("login by email after the username was cleared: %v", err)
	}
}

// setUserStatus: anything but ACTIVE ends the user's sessions at once and
// for good;
// ACTIVE also restores a soft-deleted account.
func TestSetStatus(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, tok := e.signup(t, "alice", "")
	_, err := e.accounts.SetStatus(e.ctx, u.ID, "GONE")
	wantCode(t, "an unknown status", err, apperr.BadUserInput, "status")
	_, err = e.accounts.SetStatus(e.ctx, "no-such-user", store.StatusSuspended)
	wantCode(t, "an unknown user", err, apperr.NotFound, "")
	e.wantLive(t, "after refused changes", tok)

	for _, s := range []store.Status{store.StatusSuspended, store.StatusPending} {
		if _, err := e.accounts.SetStatus(e.ctx, u.ID, s); err != nil {
			t.Fatal(err)
		}
		e.wantEnded(t, "after "+string(s), tok)
		if _, err := e.accounts.SetStatus(e.ctx, u.ID, store.StatusActive); err != nil {
			t.Fatal(err)
		}
		e.wantEnded(t, "the session from before "+string(s)+", once active again", tok)
		if tok, err = e.accounts.Login(e.ctx, account.Credentials{Identifier: "alice", Password: goodPassword}); err != nil {
			t.Fatalf("login after ACTIVE again: %v", err)
		}
	}
	if err := e.accounts.DeleteUser(e.ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	got, err := e.accounts.SetStatus(e.ctx, u.ID, store.StatusActive)
	if err != nil {
		t.Fatal(err)
	}
	if got.Deleted() || !got.Active() {
		t.Errorf("ACTIVE after a soft delete: deleted %v active %v, want restored", got.Deleted(), got.Active())
	}
}

// grantRole gives an existing role once; revokeRole takes away any name,
// even one whose role is gone. Both reach cached sessions at once.
func TestGrantAndRevokeRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.signup(t, "alice", "")
	p := e.principal(t, tok)
	if _, err := e.access.CreateRole(e.ctx, "editor", ""); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := e.accounts.GrantRole(e.ctx, p.UserID, "Editor"); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.principal(t, tok).User.Roles; !slices.Equal(got, []string{"user", "editor"}) {
		t.Errorf("the session's roles after granting editor twice: %v, want [user editor]", got)
	}
	_, err := e.accounts.GrantRole(e.ctx, p.UserID, "ghost")
	wantCode(t, "grant a role that does not exist", err, apperr.InvalidRole, "role")
	_, err = e.accounts.RevokeRole(e.ctx, p.UserID, "two words")
	wantCode(t, "revoke an invalid name", err, apperr.InvalidRole, "role")

	// A name left behind (written before its role went) can be taken away.
	if _, err := e.db.UpdateUser(e.ctx, p.UserID, func(u *store.User) error { u.Roles = append(u.Roles, "legacy"); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"EDITOR", "legacy"} {
		if _, err := e.accounts.RevokeRole(e.ctx, p.UserID, r); err != nil {
			t.Fatalf("revoke %s: %v", r, err)
		}
	}
	if got := e.principal(t, tok).User.Roles; !slices.Equal(got, []string{"user"}) {
		t.Errorf("the session's roles after revoking: %v, want [user]", got)
	}
}

// No change leaves the service without an active administrator: not a
// suspension, a demotion, a deletion (soft, hard or of one's own account),
// nor a bulk change that selects every active administrator. Suspended
// and soft-deleted administrators do not count.
func TestLastActiveAdministratorIsKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	root := e.admin(t)
	adminsOnly := &store.UserFilter{Roles: &store.SetMatch{Any: []string{"admin"}}}
	suspended := store.StatusSuspended
	refusals := []struct {
		name string
		do   func() error
	}{
		{"suspend", func() error { _, err := e.accounts.SetStatus(e.ctx, root.UserID, store.StatusSuspended); return err }},
		{"make pending", func() error { _, err := e.accounts.SetStatus(e.ctx, root.UserID, store.StatusPending); return err }},
		{"revoke admin", func() error { _, err := e.accounts.RevokeRole(e.ctx, root.UserID, "ADMIN"); return err }},
		{"soft delete", func() error { return e.accounts.DeleteUser(e.ctx, root.UserID, false) }},
		{"hard delete", func() error { return e.accounts.DeleteUser(e.ctx, root.UserID, true) }},
		{"delete own account", func() error { return e.accounts.DeleteAccount(e.ctx, root, goodPassword) }},
		{"bulk suspend", func() error {
			_, err := e.accounts.UpdateUsers(e.ctx, root, &store.UserFilter{Usernames: []string{"ROOT"}}, account.Patch{Status: &suspended})
			return err
		}},
		{"bulk demote", func() error {
			_, err := e.accounts.UpdateUsers(e.ctx, root, adminsOnly, account.Patch{RemoveRoles: []string{"admin"}})
			return err
		}},
		{"bulk delete", func() error { _, err := e.accounts.DeleteUsers(e.ctx, adminsOnly, false); return err }},
	}
	check := func(stage string) {
		t.Helper()
		for _, r := range refusals {
			wantCode(t, stage+": "+r.name, r.do(), apperr.Forbidden, "")
		}
	}
	check("the only administrator")
	if got := e.stored(t, root.UserID); !got.Active() || !got.HasRole("admin") {
		t.Fatalf("after refused changes root is active %v, admin %v", got.Active(), got.HasRole("admin"))
	}
	if _, err := e.accounts.SetStatus(e.ctx, root.UserID, store.StatusActive); err != nil {
		t.Errorf("setting the last administrator ACTIVE: %v", err)
	}

	// A suspended and a soft-deleted administrator leave root the last.
	for _, name := range []string{"suspended", "deleted"} {
		p := e.member(t, name)
		if _, err := e.accounts.GrantRole(e.ctx, p.UserID, "admin"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.accounts.SetStatus(e.ctx, e.userID(t, "suspended"), store.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	if err := e.accounts.DeleteUser(e.ctx, e.userID(t, "deleted"), false); err != nil {
		t.Fatal(err)
	}
	check("with a suspended and a deleted administrator")

	// With a second active administrator either may go, not both.
	second := e.userID(t, "suspended")
	if _, err := e.accounts.SetStatus(e.ctx, second, store.StatusActive); err != nil {
		t.Fatal(err)
	}
	_, err := e.accounts.UpdateUsers(e.ctx, root, adminsOnly, account.Patch{Status: &suspended})
	wantCode(t, "bulk suspend of both", err, apperr.Forbidden, "")
	if _, err := e.accounts.RevokeRole(e.ctx, root.UserID, "admin"); err != nil {
		t.Fatalf("demote one of two administrators: %v", err)
	}
	_, err = e.accounts.SetStatus(e.ctx, second, store.StatusSuspended)
	wantCode(t, "suspend the other, now the last", err, apperr.Forbidden, "")
}

// userID finds a user by username in the store.
func (e *env) userID(t *testing.T, username string) string {
	t.Helper()
	u, err := e.db.GetUserByKey(e.ctx, store.KeyUsername, username)
	if err != nil {
		t.Fatalf("user %s: %v", username, err)
	}
	return u.ID
}

// A soft delete suspends the account, marks it deleted, ends its sessions
// and keeps its identifiers reserved; it is left out of listings unless
// asked for. A hard delete removes it with its sessions and frees its
// identifiers.
func TestDeleteUserSoftAndHard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	soft, softTok := e.signup(t, "soft", "soft@example.com")
	hard, hardTok := e.signup(t, "hard", "hard@example.com")

	e.wantLive(t, "the user to soft-delete, cached", softTok)
	if err := e.accounts.DeleteUser(e.ctx, soft.ID, false); err != nil {
		t.Fatal(err)
	}
	got := e.stored(t, soft.ID)
	if got.Status != store.StatusSuspended || !got.Deleted() {
		t.Errorf("after a soft delete: status %s deleted %v, want SUSPENDED and deleted", got.Status, got.Deleted())
	}
	e.wantEnded(t, "the soft-deleted user's session", softTok)
	for _, in := range []account.NewUser{{Username: "SOFT"}, {Email: "Soft@Example.com"}} {
		in.Password = goodPassword
		if _, _, err := e.accounts.Signup(e.ctx, in); apperr.CodeOf(err) != apperr.AlreadyExists {
			t.Errorf("sign-up with a soft-deleted account's identifier %+v: %v, want ALREADY_EXISTS", in, err)
		}
	}
	listed := func(f *store.UserFilter) bool {
		page, _, err := e.accounts.ListUsers(e.ctx, account.Query{Filter: f, First: 10})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(page.Users, func(u *store.User) bool { return u.ID == soft.ID })
	}
	if listed(nil) || listed(&store.UserFilter{Usernames: []string{"soft"}}) {
		t.Error("a soft-deleted account is listed by a filter that does not mention deleted")
	}
	if !listed(&store.UserFilter{Deleted: ptr(true)}) {
		t.Error("a soft-deleted account is not listed by deleted: true")
	}
	if err := e.accounts.DeleteUser(e.ctx, soft.ID, false); err != nil {
		t.Fatal(err)
	}
	if again := e.stored(t, soft.ID); !again.DeletedAt.Equal(got.DeletedAt) {
		t.Errorf("a second soft delete moved DeletedAt from %v to %v", got.DeletedAt, again.DeletedAt)
	}

	e.wantLive(t, "the user to hard-delete, cached", hardTok)
	if err := e.accounts.DeleteUser(e.ctx, hard.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.GetUser(e.ctx, hard.ID); err == nil {
		t.Error("a hard-deleted user is still stored")
	}
	e.wantEnded(t, "the hard-deleted user's session", hardTok)
	e.signup(t, "HARD", "hard@example.com") // free again
	for _, h := range []bool{false, true} {
		wantCode(t, "delete an unknown user", e.accounts.DeleteUser(e.ctx, "no-such-user", h), apperr.NotFound, "")
	}
}

// setUserMetadata replaces the whole object; setUserMetadataField sets or
// removes one value at a dot path, creating objects on the way, and
// removing what is not there changes nothing.
func TestSetMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, _ := e.signup(t, "alice", "")
	if _, err := e.accounts.SetMetadata(e.ctx, u.ID, json.RawMessage(`{"old":true}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.SetMetadata(e.ctx, u.ID, json.RawMessage(`{"a":{"x":1}}`)); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		key, value string // value "": none given
		want       string
	}{
		{"a.b.c", `1`, `{"a":{"x":1,"b":{"c":1}}}`},
		{"a.b.c", `{"d":[true]}`, `{"a":{"x":1,"b":{"c":{"d":[true]}}}}`},
		{"a.x", `null`, `{"a":{"b":{"c":{"d":[true]}}}}`},
		{"a.b", ``, `{"a":{}}`},
		{"no.such.path", `null`, `{"a":{}}`},
	}
	for _, s := range steps {
		var v json.RawMessage
		if s.value != "" {
			v = json.RawMessage(s.value)
		}
		got, err := e.accounts.SetMetadataField(e.ctx, u.ID, s.key, v)
		if err != nil {
			t.Fatalf("set %s to %q: %v", s.key, s.value, err)
		}
		if !jsonEqual(t, got.Metadata, s.want) {
			t.Errorf("set %s to %q: %s, want %s", s.key, s.value, got.Metadata, s.want)
		}
	}
	for _, c := range []struct {
		name  string
		err   error
		field string
	}{
		{"metadata null", func() error { _, err := e.accounts.SetMetadata(e.ctx, u.ID, json.RawMessage(`null`)); return err }(), "metadata"},
		{"metadata an array", func() error { _, err := e.accounts.SetMetadata(e.ctx, u.ID, json.RawMessage(`[]`)); return err }(), "metadata"},
		{"key with an empty step", func() error {
			_, err := e.accounts.SetMetadataField(e.ctx, u.ID, "a..b", json.RawMessage(`1`))
			return err
		}(), "key"},
		{"key with a space", func() error {
			_, err := e.accounts.SetMetadataField(e.ctx, u.ID, "a b", json.RawMessage(`1`))
			return err
		}(), "key"},
	} {
		wantCode(t, c.name, c.err, apperr.BadUserInput, c.field)
	}
	if got := e.stored(t, u.ID); !jsonEqual(t, got.Metadata, `{"a":{}}`) {
		t.Errorf("after refused changes: %s", got.Metadata)
	}
}
