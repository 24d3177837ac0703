package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/client"
)

// End-to-end tests of the administrators' user operations, through the
// typed client (package client), except where a test sends what no client
// built from the schema can (TestAdminSelfServiceCannotEscalate).

// adminCreate creates a user with the typed client and fails on errors.
func adminCreate(t *testing.T, ts *testServer, token string, in client.CreateUserInput) *client.UserFields {
	t.Helper()
	res, err := client.CreateUser(t.Context(), ts.api(token), &in)
	if err != nil {
		t.Fatalf("createUser: %v", err)
	}
	return &res.CreateUser.UserFields
}

// adminGet reads a user by id with the typed client (nil if null).
func adminGet(t *testing.T, ts *testServer, token, id string) *client.UserFields {
	t.Helper()
	res, err := client.User(t.Context(), ts.api(token), id)
	if err != nil {
		t.Fatalf("user %s: %v", id, err)
	}
	if res.User == nil {
		return nil
	}
	return &res.User.UserFields
}

// roleNamesOf returns the names of u's roles, sorted.
func roleNamesOf(u *client.UserFields) []string {
	var out []string
	for _, r := range u.Roles {
		out = append(out, r.Name)
	}
	slices.Sort(out)
	return out
}

// rawJSON is a JSON input value.
func rawJSON(s string) *json.RawMessage { return client.Ptr(json.RawMessage(s)) }

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "managers")
	addPermission(t, ts, root, "managers", "graphql/users", "GET", "POST")
	_, manager := newUserWithRoles(t, ts, root, "manager", "user", "managers")

	t.Run("default role, active, can log in", func(t *testing.T) {
		u := adminCreate(t, ts, root, client.CreateUserInput{Username: client.Ptr("dora"), Email: client.Ptr("Dora@Example.com"),
			Password: client.Ptr(testPassword), FirstName: client.Ptr("Dora"), Tags: []string{"a", "a", "b"},
			Metadata: rawJSON(`{"x":1}`), AppMetadata: rawJSON(`{"plan":"pro"}`)})
		if got := roleNamesOf(u); !slices.Equal(got, []string{"user"}) || u.Status != client.UserStatusActive || !u.Active || u.EmailVerified {
			t.Fatalf("created = %+v, want role user, ACTIVE, unverified", u)
		}
		if !slices.Equal(u.Tags, []string{"a", "b"}) {
			t.Errorf("tags = %v", u.Tags)
		}
		assertJSONEqual(t, "metadata", u.Metadata, `{"x":1}`)
		assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"pro"}`)
		if a := ts.login(t, "dora@example.com", testPassword); a.User.ID != u.Id {
			t.Fatalf("login as %s, want %s", a.User.ID, u.Id)
		}
	})
	t.Run("explicit roles, status and emailVerified", func(t *testing.T) {
		u := adminCreate(t, ts, root, client.CreateUserInput{Email: client.Ptr("eve@example.com"), Password: client.Ptr(testPassword),
			Roles: []string{"Managers"}, Status: client.Ptr(client.UserStatusPending), EmailVerified: client.Ptr(true)})
		if got := roleNamesOf(u); !slices.Equal(got, []string{"managers"}) || u.Status != client.UserStatusPending || u.Active || !u.EmailVerified {
			t.Fatalf("created = %+v", u)
		}
		if code, st := loginCode(t, ts, "eve@example.com", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login of a PENDING user = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
	})
	t.Run("no roles at all", func(t *testing.T) {
		u := adminCreate(t, ts, root, client.CreateUserInput{Username: client.Ptr("nobody"), Roles: []string{}})
		if len(u.Roles) != 0 {
			t.Fatalf("roles = %v, want none", roleNamesOf(u))
		}
	})
	t.Run("no password cannot log in", func(t *testing.T) {
		adminCreate(t, ts, root, client.CreateUserInput{Username: client.Ptr("nopass")})
		if code, _ := loginCode(t, ts, "nopass", ""); code != "INVALID_CREDENTIALS" {
			t.Fatalf("login = %s, want INVALID_CREDENTIALS", code)
		}
	})
	t.Run("manager without the roles permission", func(t *testing.T) {
		u := adminCreate(t, ts, manager.AccessToken, client.CreateUserInput{Username: client.Ptr("made-by-manager"), Password: client.Ptr(testPassword)})
		if got := roleNamesOf(u); !slices.Equal(got, []string{"user"}) {
			t.Fatalf("roles = %v, want the default", got)
		}
		for _, role := range []string{"managers", "admin"} {
			_, err := client.CreateUser(t.Context(), ts.api(manager.AccessToken), &client.CreateUserInput{
				Username: client.Ptr("escalated"), Password: client.Ptr(testPassword), Roles: []string{role}})
			wantErr(t, err, "FORBIDDEN", 609)
		}
		res, err := client.UserByUsername(t.Context(), ts.api(root), "escalated")
		if err != nil || res.UserByUsername != nil {
			t.Fatalf("a refused createUser created the account: %+v, %v", res, err)
		}
	})

	bad := []struct {
		name   string
		in     client.CreateUserInput
		code   string
		status int
		field  string
	}{
		{"unknown role", client.CreateUserInput{Username: client.Ptr("frank"), Roles: []string{"nosuchrole"}}, "INVALID_ROLE", 701, "role"},
		{"bad role name", client.CreateUserInput{Username: client.Ptr("frank"), Roles: []string{"bad name!"}}, "INVALID_ROLE", 701, "role"},
		{"duplicate username", client.CreateUserInput{Username: client.Ptr("DORA")}, "ALREADY_EXISTS", 602, "username"},
		{"duplicate email", client.CreateUserInput{Username: client.Ptr("frank"), Email: client.Ptr("DORA@example.com")}, "ALREADY_EXISTS", 602, "email"},
		{"no identifier", client.CreateUserInput{Password: client.Ptr(testPassword)}, "BAD_USER_INPUT", 0, "username"},
		{"weak password", client.CreateUserInput{Username: client.Ptr("frank"), Password: client.Ptr("short")}, "WEAK_PASSWORD", 0, "password"},
		{"appMetadata not an object", client.CreateUserInput{Username: client.Ptr("frank"), AppMetadata: rawJSON(`[1]`)}, "BAD_USER_INPUT", 0, "appMetadata"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.CreateUser(t.Context(), ts.api(root), &c.in)
			wantErr(t, err, c.code, c.status)
			if got := client.Field(err); got != c.field {
				t.Errorf("field = %q, want %q", got, c.field)
			}
		})
	}
	if code, _ := loginCode(t, ts, "frank", testPassword); code != "INVALID_CREDENTIALS" {
		t.Fatalf("a refused createUser left an account: login = %q", code)
	}
}

func TestAdminUpdateUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	id, gina := newUserWithRoles(t, ts, root, "gina")
	newUserWithRoles(t, ts, root, "taken")
	update := func(t *testing.T, id string, in client.UpdateUserInput) (*client.UserFields, error) {
		t.Helper()
		res, err := client.UpdateUser(t.Context(), ts.api(root), id, &in)
		if err != nil {
			return nil, err
		}
		return &res.UpdateUser.UserFields, nil
	}
	mustUpdate := func(t *testing.T, in client.UpdateUserInput) *client.UserFields {
		t.Helper()
		u, err := update(t, id, in)
		if err != nil {
			t.Fatalf("updateUser: %v", err)
		}
		return u
	}
	mustUpdate(t, client.UpdateUserInput{AppMetadata: rawJSON(`{"plan":"free","limits":{"seats":1}}`)})

	u := mustUpdate(t, client.UpdateUserInput{
		Username: client.Set("Gina2"), Email: client.Set("gina2@example.com"), Phone: client.Set("+14155550123"),
		FirstName: client.Set("Gina"), LastName: client.Set("Jones"), Tags: client.Ptr([]string{"vip"}),
		AppMetadata:   rawJSON(`{"plan":"pro","limits":{"storage":10,"seats":null},"since":2024}`),
		EmailVerified: client.Ptr(true),
	})
	checks := map[string][2]string{
		"username": {userStr(u.Username), "Gina2"}, "email": {userStr(u.Email), "gina2@example.com"},
		"phone": {userStr(u.Phone), "+14155550123"}, "fullName": {userStr(u.FullName), "Gina Jones"},
		"tags": {strings.Join(u.Tags, ","), "vip"}, "emailVerified": {fmt.Sprint(u.EmailVerified), "true"},
		"roles": {strings.Join(roleNamesOf(u), ","), "user"}, "status": {string(u.Status), "ACTIVE"},
	}
	for f, gw := range checks {
		if gw[0] != gw[1] {
			t.Errorf("%s = %q, want %q", f, gw[0], gw[1])
		}
	}
	assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"pro","limits":{"storage":10},"since":2024}`)

	// Profile edits leave the sessions alone; the new identifiers sign in.
	ts.meID(t, gina.AccessToken)
	ts.login(t, "gina2", testPassword)
	ts.login(t, "GINA2@example.com", testPassword)
	if code, _ := loginCode(t, ts, "gina", testPassword); code != "INVALID_CREDENTIALS" {
		t.Errorf("the old username still signs in: %q", code)
	}

	t.Run("clearing fields", func(t *testing.T) {
		u := mustUpdate(t, client.UpdateUserInput{LastName: client.Null[string](), Phone: client.Null[string](),
			Tags: client.Ptr([]string(nil)), AppMetadata: rawJSON(`null`)})
		if u.LastName != nil || u.Phone != nil || len(u.Tags) != 0 || userStr(u.FirstName) != "Gina" {
			t.Errorf("after clearing: %+v", u)
		}
		assertJSONEqual(t, "appMetadata", u.AppMetadata, `{}`)
	})
	t.Run("a new email is unverified unless said otherwise", func(t *testing.T) {
		if u := mustUpdate(t, client.UpdateUserInput{Email: client.Set("gina3@example.com")}); u.EmailVerified {
			t.Error("emailVerified stayed true for a new email")
		}
	})

	bad := []struct {
		name   string
		id     string
		in     client.UpdateUserInput
		code   string
		status int
		field  string
	}{
		{"username taken", id, client.UpdateUserInput{Username: client.Set("TAKEN")}, "ALREADY_EXISTS", 602, "username"},
		{"email taken", id, client.UpdateUserInput{Email: client.Set("taken@example.com")}, "ALREADY_EXISTS", 602, "email"},
		{"bad username", id, client.UpdateUserInput{Username: client.Set("a b")}, "INVALID_USERNAME", 900, "username"},
		{"weak password", id, client.UpdateUserInput{Password: client.Set("short")}, "WEAK_PASSWORD", 0, "password"},
		{"appMetadata not an object", id, client.UpdateUserInput{AppMetadata: rawJSON(`"x"`)}, "BAD_USER_INPUT", 0, "appMetadata"},
		{"unknown user", "no-such-user", client.UpdateUserInput{FirstName: client.Set("x")}, "NOT_FOUND", 605, ""},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			_, err := update(t, c.id, c.in)
			wantErr(t, err, c.code, c.status)
			if got := client.Field(err); got != c.field {
				t.Errorf("field = %q, want %q", got, c.field)
			}
		})
	}

	t.Run("a new password ends the sessions", func(t *testing.T) {
		other := ts.login(t, "gina2", testPassword)
		mustUpdate(t, client.UpdateUserInput{Password: client.Set("a brand new secret")})
		for _, tok := range []string{gina.AccessToken, other.AccessToken} {
			_, err := client.Me(t.Context(), ts.api(tok))
			wantErr(t, err, "UNAUTHENTICATED", 0)
		}
		_, err := client.RefreshSession(t.Context(), ts.api(""), other.RefreshToken)
		wantErr(t, err, "UNAUTHENTICATED", 0)
		if code, _ := loginCode(t, ts, "gina2", testPassword); code != "INVALID_CREDENTIALS" {
			t.Errorf("the old password = %q, want INVALID_CREDENTIALS", code)
		}
		ts.login(t, "gina2", "a brand new secret")
	})
}

// signedOut fails unless token's session has ended.
func signedOut(t *testing.T, ts *testServer, token string) {
	t.Helper()
	_, err := client.Me(t.Context(), ts.api(token))
	wantErr(t, err, "UNAUTHENTICATED", 0)
}

func TestAdminSetUserStatus(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	setStatus := func(t *testing.T, id string, s client.UserStatus) *client.UserFields {
		t.Helper()
		res, err := client.SetUserStatus(t.Context(), ts.api(root), id, s)
		if err != nil {
			t.Fatalf("setUserStatus %s: %v", s, err)
		}
		return &res.SetUserStatus.UserFields
	}

	t.Run("SUSPENDED ends the sessions at once", func(t *testing.T) {
		id, hal := newUserWithRoles(t, ts, root, "hal")
		ts.meID(t, hal.AccessToken)
		if u := setStatus(t, id, client.UserStatusSuspended); u.Status != client.UserStatusSuspended || u.Active {
			t.Fatalf("status = %s, active %v", u.Status, u.Active)
		}
		signedOut(t, ts, hal.AccessToken)
		_, err := client.RefreshSession(t.Context(), ts.api(""), hal.RefreshToken)
		wantErr(t, err, "UNAUTHENTICATED", 0)
		if code, st := loginCode(t, ts, "hal", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
		setStatus(t, id, client.UserStatusActive)
		ts.meID(t, ts.login(t, "hal", testPassword).AccessToken)
		// The old session stays ended.
		signedOut(t, ts, hal.AccessToken)
	})
	t.Run("PENDING to ACTIVE activates", func(t *testing.T) {
		u := adminCreate(t, ts, root, client.CreateUserInput{Username: client.Ptr("ivy"), Password: client.Ptr(testPassword),
			Status: client.Ptr(client.UserStatusPending)})
		if code, st := loginCode(t, ts, "ivy", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login while PENDING = %s %d", code, st)
		}
		if got := setStatus(t, u.Id, client.UserStatusActive); got.Status != client.UserStatusActive || !got.Active {
			t.Fatalf("status = %s, active %v", got.Status, got.Active)
		}
		ts.meID(t, ts.login(t, "ivy", testPassword).AccessToken)
	})
	t.Run("PENDING ends the sessions too", func(t *testing.T) {
		id, jo := newUserWithRoles(t, ts, root, "jo")
		setStatus(t, id, client.UserStatusPending)
		signedOut(t, ts, jo.AccessToken)
	})
	t.Run("unknown user", func(t *testing.T) {
		_, err := client.SetUserStatus(t.Context(), ts.api(root), "nope", client.UserStatusActive)
		wantErr(t, err, "NOT_FOUND", 605)
	})
}

func TestAdminDeleteUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	del := func(t *testing.T, id string, hard bool) error {
		t.Helper()
		res, err := client.DeleteUser(t.Context(), ts.api(root), id, hard)
		if err == nil && !res.DeleteUser {
			t.Fatal("deleteUser = false")
		}
		return err
	}
	inListing := func(t *testing.T, id string, filter *client.UserFilter) bool {
		t.Helper()
		res, err := client.Users(t.Context(), ts.api(root), filter, nil, nil, nil, nil)
		if err != nil {
			t.Fatalf("users: %v", err)
		}
		for _, e := range res.Users.Edges {
			if e.Node.Id == id {
				return true
			}
		}
		return false
	}
	signUpCode := func(in client.SignupInput) string {
		_, err := client.Signup(t.Context(), ts.api(""), &in)
		return client.Code(err)
	}

	t.Run("soft", func(t *testing.T) {
		id, kim := newUserWithRoles(t, ts, root, "kim")
		if err := del(t, id, false); err != nil {
			t.Fatalf("deleteUser: %v", err)
		}
		signedOut(t, ts, kim.AccessToken)
		if code, st := loginCode(t, ts, "kim", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
		if code := signUpCode(client.SignupInput{Username: client.Ptr("KIM"), Password: testPassword}); code != "ALREADY_EXISTS" {
			t.Errorf("signup with the deleted username = %q, want ALREADY_EXISTS", code)
		}
		if code := signUpCode(client.SignupInput{Email: client.Ptr("kim@example.com"), Password: testPassword}); code != "ALREADY_EXISTS" {
			t.Errorf("signup with the deleted email = %q, want ALREADY_EXISTS", code)
		}
		u := adminGet(t, ts, root, id)
		if u == nil || u.DeletedAt == nil || u.Status != client.UserStatusSuspended || u.Active {
			t.Fatalf("soft-deleted user = %+v, want deletedAt set and SUSPENDED", u)
		}
		for _, c := range []struct {
			name   string
			filter *client.UserFilter
			want   bool
		}{
			{"no filter", nil, false},
			{"by id", &client.UserFilter{Ids: []string{id}}, false},
			{"suspended", &client.UserFilter{Status: []client.UserStatus{client.UserStatusSuspended}}, false},
			{"deleted", &client.UserFilter{Deleted: client.Ptr(true)}, true},
			{"not deleted", &client.UserFilter{Deleted: client.Ptr(false)}, false},
			{"deleted inside not", &client.UserFilter{Not: &client.UserFilter{Deleted: client.Ptr(false)}}, true},
			{"deleted inside or", &client.UserFilter{Or: []*client.UserFilter{{Deleted: client.Ptr(true)}, {Ids: []string{"x"}}}}, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := inListing(t, id, c.filter); got != c.want {
					t.Fatalf("listed = %v, want %v", got, c.want)
				}
			})
		}
		// Reactivating restores the account.
		if _, err := client.SetUserStatus(t.Context(), ts.api(root), id, client.UserStatusActive); err != nil {
			t.Fatalf("setUserStatus: %v", err)
		}
		if u := adminGet(t, ts, root, id); u.DeletedAt != nil || !u.Active {
			t.Fatalf("reactivated user = %+v", u)
		}
		ts.login(t, "kim", testPassword)
		// The sessions from before the deletion stay ended.
		signedOut(t, ts, kim.AccessToken)
	})
	t.Run("hard", func(t *testing.T) {
		id, lee := newUserWithRoles(t, ts, root, "lee")
		if err := del(t, id, true); err != nil {
			t.Fatalf("deleteUser: %v", err)
		}
		signedOut(t, ts, lee.AccessToken)
		if u := adminGet(t, ts, root, id); u != nil {
			t.Fatalf("hard-deleted user still readable: %+v", u)
		}
		if inListing(t, id, &client.UserFilter{Deleted: client.Ptr(true)}) {
			t.Fatal("hard-deleted user still listed")
		}
		if code, _ := loginCode(t, ts, "lee", testPassword); code != "INVALID_CREDENTIALS" {
			t.Fatalf("login = %q, want INVALID_CREDENTIALS", code)
		}
		ts.signup(t, "lee", testPassword)
	})
	t.Run("hard after soft frees the username", func(t *testing.T) {
		id, _ := newUserWithRoles(t, ts, root, "max")
		for _, hard := range []bool{false, true} {
			if err := del(t, id, hard); err != nil {
				t.Fatalf("deleteUser hard=%v: %v", hard, err)
			}
		}
		ts.signup(t, "max", testPassword)
	})
	t.Run("unknown user", func(t *testing.T) {
		for _, hard := range []bool{false, true} {
			wantErr(t, del(t, "no-such-user", hard), "NOT_FOUND", 605)
		}
	})
}

func TestAdminLastAdministratorIsKept(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	rootAuth := ts.admin(t)
	root, rootID := rootAuth.AccessToken, rootAuth.User.ID
	ctx, api := t.Context(), ts.api(root)
	only := func(id string) *client.UserFilter { return &client.UserFilter{Ids: []string{id}} }
	admins := &client.UserFilter{Roles: &client.StringSetFilter{Any: []string{"admin"}}}

	refusals := []struct {
		name string
		call func() error
	}{
		{"suspend", func() error { _, err := client.SetUserStatus(ctx, api, rootID, client.UserStatusSuspended); return err }},
		{"make pending", func() error { _, err := client.SetUserStatus(ctx, api, rootID, client.UserStatusPending); return err }},
		{"soft delete", func() error { _, err := client.DeleteUser(ctx, api, rootID, false); return err }},
		{"hard delete", func() error { _, err := client.DeleteUser(ctx, api, rootID, true); return err }},
		{"revoke admin", func() error { _, err := client.RevokeRole(ctx, api, rootID, "ADMIN"); return err }},
		{"bulk suspend", func() error {
			_, err := client.UpdateUsers(ctx, api, only(rootID), &client.UserPatchInput{Status: client.Ptr(client.UserStatusSuspended)})
			return err
		}},
		{"bulk remove admin", func() error {
			_, err := client.UpdateUsers(ctx, api, admins, &client.UserPatchInput{RemoveRoles: []string{"admin"}})
			return err
		}},
		{"bulk make pending", func() error {
			_, err := client.UpdateUsers(ctx, api, &client.UserFilter{Usernames: []string{"root"}}, &client.UserPatchInput{Status: client.Ptr(client.UserStatusPending)})
			return err
		}},
		{"bulk delete", func() error { _, err := client.DeleteUsers(ctx, api, admins, false); return err }},
		{"bulk hard delete", func() error {
			_, err := client.DeleteUsers(ctx, api, &client.UserFilter{Search: client.Ptr("root")}, true)
			return err
		}},
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, c := range refusals {
			t.Run(c.name, func(t *testing.T) {
				wantErr(t, c.call(), "FORBIDDEN", 609)
			})
		}
		u := adminGet(t, ts, root, rootID)
		if u == nil || u.Status != client.UserStatusActive || u.DeletedAt != nil || !slices.Contains(roleNamesOf(u), "admin") {
			t.Fatalf("the last administrator changed: %+v", u)
		}
	}
	t.Run("alone", check)

	// A second administrator who is not active does not count.
	id2, second := newUserWithRoles(t, ts, root, "second", "admin")
	if _, err := client.SetUserStatus(ctx, ts.api(second.AccessToken), id2, client.UserStatusSuspended); err != nil {
		t.Fatalf("the second administrator suspends themself: %v", err)
	}
	t.Run("with a suspended second admin", check)

	// With an active second administrator the first may go.
	if _, err := client.SetUserStatus(ctx, api, id2, client.UserStatusActive); err != nil {
		t.Fatalf("reactivate the second administrator: %v", err)
	}
	second = ts.login(t, "second", testPassword)
	if _, err := client.RevokeRole(ctx, ts.api(second.AccessToken), rootID, "admin"); err != nil {
		t.Fatalf("the second administrator revokes the first: %v", err)
	}
	_, err := client.DeleteUser(ctx, ts.api(second.AccessToken), id2, false)
	wantErr(t, err, "FORBIDDEN", 609)
	_, err = client.Users(ctx, api, nil, nil, nil, nil, nil)
	wantErr(t, err, "FORBIDDEN", 609)
}

func TestAdminSetUserMetadata(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	ctx, api := t.Context(), ts.api(root)
	id, _ := newUserWithRoles(t, ts, root, "meta")
	set := func(t *testing.T, id, m string) (json.RawMessage, error) {
		t.Helper()
		res, err := client.SetUserMetadata(ctx, api, id, json.RawMessage(m))
		if err != nil {
			return nil, err
		}
		return res.SetUserMetadata.Metadata, nil
	}
	mustSet := func(t *testing.T, m string) json.RawMessage {
		t.Helper()
		got, err := set(t, id, m)
		if err != nil {
			t.Fatalf("setUserMetadata %s: %v", m, err)
		}
		return got
	}

	assertJSONEqual(t, "first", mustSet(t, `{"a":1,"keep":"no"}`), `{"a":1,"keep":"no"}`)
	assertJSONEqual(t, "replaced", mustSet(t, `{"b":{"c":true}}`), `{"b":{"c":true}}`)

	for _, c := range []struct{ name, m string }{
		{"array", `[1]`},
		{"string", `"str"`},
		{"number", `5`},
		{"null", `null`},
		{"dotted key", `{"a.b":1}`},
		{"dollar key", `{"$x":1}`},
	} {
		t.Run("setUserMetadata "+c.name, func(t *testing.T) {
			_, err := set(t, id, c.m)
			if c.m == "null" {
				// null for a JSON! argument is refused before the resolver.
				if len(client.Errors(err)) == 0 {
					t.Fatalf("null metadata accepted (error: %v)", err)
				}
				return
			}
			wantErr(t, err, "BAD_USER_INPUT", 0)
			if got := client.Field(err); got != "metadata" {
				t.Errorf("field = %q, want metadata", got)
			}
		})
	}
	assertJSONEqual(t, "after refusals", adminGet(t, ts, root, id).Metadata, `{"b":{"c":true}}`)

	setField := func(t *testing.T, key string, value *json.RawMessage) (json.RawMessage, error) {
		t.Helper()
		res, err := client.SetUserMetadataField(ctx, api, id, key, value)
		if err != nil {
			return nil, err
		}
		return res.SetUserMetadataField.Metadata, nil
	}
	steps := []struct {
		name  string
		key   string
		value *json.RawMessage // nil: the argument is left out
		want  string
	}{
		{"creates nested objects", "org.id", rawJSON(`7`), `{"b":{"c":true},"org":{"id":7}}`},
		{"adds a sibling", "org.name", rawJSON(`"Acme"`), `{"b":{"c":true},"org":{"id":7,"name":"Acme"}}`},
		{"sets an array", "list", rawJSON(`[1,"x",null]`), `{"b":{"c":true},"org":{"id":7,"name":"Acme"},"list":[1,"x",null]}`},
		{"replaces a scalar by an object", "b.c.d", rawJSON(`"deep"`), `{"b":{"c":{"d":"deep"}},"org":{"id":7,"name":"Acme"},"list":[1,"x",null]}`},
		{"null removes the key", "org.id", rawJSON(`null`), `{"b":{"c":{"d":"deep"}},"org":{"name":"Acme"},"list":[1,"x",null]}`},
		{"no value removes the key", "list", nil, `{"b":{"c":{"d":"deep"}},"org":{"name":"Acme"}}`},
		{"removing a missing key", "nope.nope", rawJSON(`null`), `{"b":{"c":{"d":"deep"}},"org":{"name":"Acme"}}`},
	}
	for _, s := range steps {
		t.Run("setUserMetadataField "+s.name, func(t *testing.T) {
			got, err := setField(t, s.key, s.value)
			if err != nil {
				t.Fatalf("setUserMetadataField %s: %v", s.key, err)
			}
			assertJSONEqual(t, "metadata", got, s.want)
		})
	}
	for _, key := range []string{"", "a..b", "a b", "$x", ".a"} {
		t.Run(fmt.Sprintf("bad key %q", key), func(t *testing.T) {
			_, err := setField(t, key, rawJSON(`1`))
			wantErr(t, err, "BAD_USER_INPUT", 0)
			if got := client.Field(err); got != "key" {
				t.Errorf("field = %q, want key", got)
			}
		})
	}
	_, err := set(t, "no-such-user", `{}`)
	wantErr(t, err, "NOT_FOUND", 605)
}

func TestAdminLookups(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	rootAuth := ts.admin(t)
	root := rootAuth.AccessToken
	ctx := t.Context()
	id, nia := newUserWithRoles(t, ts, root, "nia")
	if _, err := client.UpdateUser(ctx, ts.api(root), id, &client.UpdateUserInput{
		FirstName: client.Set("Nia"), AppMetadata: rawJSON(`{"plan":"pro"}`)}); err != nil {
		t.Fatalf("updateUser: %v", err)
	}
	userRole := getRole(t, ts, root, "user")
	viewer := ts.signup(t, "viewer", testPassword)

	// Each lookup answers the user it found (nil for null) and its __typename.
	type found struct {
		user     *client.UserFields
		id, kind string
	}
	byUsername := func(token, name string) (found, error) {
		res, err := client.UserByUsername(ctx, ts.api(token), name)
		if err != nil || res.UserByUsername == nil {
			return found{}, err
		}
		return found{&res.UserByUsername.UserFields, res.UserByUsername.Id, "User"}, nil
	}
	byEmail := func(token, email string) (found, error) {
		res, err := client.UserByEmail(ctx, ts.api(token), email)
		if err != nil || res.UserByEmail == nil {
			return found{}, err
		}
		return found{&res.UserByEmail.UserFields, res.UserByEmail.Id, "User"}, nil
	}
	node := func(token, nodeID string) (found, error) {
		res, err := client.Node(ctx, ts.api(token), nodeID)
		if err != nil || res.Node == nil {
			return found{}, err
		}
		out := found{id: (*res.Node).GetId(), kind: deref((*res.Node).GetTypename())}
		if u, ok := (*res.Node).(*client.NodeNodeUser); ok {
			out.user = &u.UserFields
		}
		return out, nil
	}

	cases := []struct {
		name     string
		lookup   func() (found, error)
		wantID   string // "" for null
		wantType string
		private  bool // email and appMetadata visible
	}{
		{"userByUsername as admin", func() (found, error) { return byUsername(root, "NIA") }, id, "User", true},
		{"userByUsername as another user", func() (found, error) { return byUsername(viewer.AccessToken, "nia") }, id, "User", false},
		{"userByUsername unknown", func() (found, error) { return byUsername(root, "nobody") }, "", "", false},
		{"userByEmail as admin", func() (found, error) { return byEmail(root, "NIA@example.com") }, id, "User", true},
		{"userByEmail unknown", func() (found, error) { return byEmail(root, "nobody@example.com") }, "", "", false},
		{"node user as admin", func() (found, error) { return node(root, id) }, id, "User", true},
		{"node user as self", func() (found, error) { return node(nia.AccessToken, id) }, id, "User", true},
		{"node role as admin", func() (found, error) { return node(root, userRole.ID) }, userRole.ID, "Role", false},
		{"node role as a plain user", func() (found, error) { return node(viewer.AccessToken, userRole.ID) }, "", "", false},
		{"node unknown", func() (found, error) { return node(root, "no-such-node") }, "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.lookup()
			if err != nil {
				t.Fatalf("lookup: %v", err)
			}
			if c.wantID == "" {
				if got.id != "" {
					t.Fatalf("found %s %s, want null", got.kind, got.id)
				}
				return
			}
			if got.id != c.wantID || got.kind != c.wantType {
				t.Fatalf("found %s %s, want %s %s", got.kind, got.id, c.wantType, c.wantID)
			}
			if c.wantType != "User" {
				return
			}
			u := got.user
			if userStr(u.Username) != "nia" || userStr(u.FirstName) != "Nia" {
				t.Errorf("public fields missing: %+v", u)
			}
			if c.private {
				if userStr(u.Email) != "nia@example.com" {
					t.Errorf("email = %s", userStr(u.Email))
				}
				assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"pro"}`)
			} else if u.Email != nil || len(u.Roles) != 0 {
				t.Errorf("another user sees private fields: %+v", u)
			}
		})
	}
	_, err := client.UserByEmail(ctx, ts.api(viewer.AccessToken), "nia@example.com")
	wantErr(t, err, "FORBIDDEN", 609)
}

// A user can never write their own appMetadata, roles or status: no
// self-service input has such a field, and every attempt through the
// self-service and the administrators' mutations leaves them unchanged.
func TestAdminSelfServiceCannotEscalate(t *testing.T) {
	t.Parallel()
	t.Run("no self-service input carries privileged fields", func(t *testing.T) {
		s := loadSchema(t)
		privileged := []string{"appMetadata", "roles", "addRoles", "removeRoles", "status", "emailVerified"}
		var found []string
		seen := map[string]bool{}
		var walk func(path, typeName string)
		walk = func(path, typeName string) {
			def := s.Types[typeName]
			if def == nil || def.Kind != "INPUT_OBJECT" || seen[typeName] {
				return
			}
			seen[typeName] = true
			for _, f := range def.Fields {
				if slices.Contains(privileged, f.Name) {
					found = append(found, path+"."+f.Name)
				}
				walk(path+"."+f.Name, f.Type.Name())
			}
		}
		for _, f := range rootFields(s) {
			if ds := accessDirectivesOf(f.field); f.op != "mutation" || len(ds) != 1 || (ds[0].Name != "public" && ds[0].Name != "signedIn") {
				continue
			}
			for _, a := range f.field.Arguments {
				if slices.Contains(privileged, a.Name) {
					found = append(found, f.String()+"("+a.Name+")")
				}
				clear(seen)
				walk(f.String()+"("+a.Name+")", a.Type.Name())
			}
		}
		if len(found) > 0 {
			t.Fatalf("self-service mutations accept privileged fields: %v", found)
		}
	})

	ts := startServer(t)
	root := ts.admin(t).AccessToken
	id, me := newUserWithRoles(t, ts, root, "mallory")
	if _, err := client.UpdateUser(t.Context(), ts.api(root), id, &client.UpdateUserInput{AppMetadata: rawJSON(`{"plan":"free"}`)}); err != nil {
		t.Fatalf("updateUser: %v", err)
	}
	tok := me.AccessToken

	attempts := []struct {
		name  string
		query string
		v     vars
	}{
		{"updateProfile appMetadata", `mutation { updateProfile(input: {appMetadata: {plan: "pro"}}) { id } }`, nil},
		{"updateProfile roles", `mutation { updateProfile(input: {roles: ["admin"]}) { id } }`, nil},
		{"updateProfile status", `mutation { updateProfile(input: {status: ACTIVE}) { id } }`, nil},
		{"updateProfile via variables", `mutation($in: ProfileInput!) { updateProfile(input: $in) { id } }`,
			vars{"in": vars{"appMetadata": vars{"plan": "pro"}, "roles": []string{"admin"}}}},
		{"signup with roles", `mutation($in: SignupInput!) { signup(input: $in) { user { id } } }`,
			vars{"in": vars{"username": "mallory2", "password": testPassword, "roles": []string{"admin"}, "appMetadata": vars{"plan": "pro"}}}},
		{"updateUser self", `mutation($id: ID!) { updateUser(id: $id, input: {appMetadata: {plan: "pro"}}) { id } }`, vars{"id": id}},
		{"grantRole self", `mutation($id: ID!) { grantRole(userId: $id, role: "admin") { id } }`, vars{"id": id}},
		{"setUserStatus self", `mutation($id: ID!) { setUserStatus(id: $id, status: ACTIVE) { id } }`, vars{"id": id}},
		{"setUserMetadata self", `mutation($id: ID!) { setUserMetadata(id: $id, metadata: {x: 1}) { id } }`, vars{"id": id}},
		{"setUserMetadataField self", `mutation($id: ID!) { setUserMetadataField(id: $id, key: "x", value: 1) { id } }`, vars{"id": id}},
		{"updateUsers self", `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {appMetadata: {plan: "pro"}, addRoles: ["admin"], status: ACTIVE}) }`, vars{"id": id}},
		{"createRole", `mutation { createRole(input: {name: "mine"}) { id } }`, nil},
		{"addPermission to user", `mutation { addPermission(role: "user", input: {pattern: "**", verbs: [GET, PATCH, PUT]}) { id } }`, nil},
		{"initialize", `mutation { initialize(input: {bootstrapToken: "x", username: "mallory3", password: "correct horse battery"}) { user { id } } }`, nil},
	}
	for _, a := range attempts {
		t.Run(a.name, func(t *testing.T) {
			r := ts.gql(t, tok, a.query, a.v)
			if len(r.Errors) == 0 {
				t.Fatalf("accepted: %s", r.Data)
			}
		})
	}
	// What a user may write, they write; the privileged data stays.
	if _, err := client.UpdateProfile(t.Context(), ts.api(tok), &client.ProfileInput{FirstName: client.Set("Mal"),
		Metadata: rawJSON(`{"appMetadata":{"plan":"pro"},"roles":["admin"],"status":"ACTIVE"}`)}); err != nil {
		t.Fatalf("updateProfile: %v", err)
	}
	u := adminGet(t, ts, root, id)
	assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"free"}`)
	assertJSONEqual(t, "metadata", u.Metadata, `{"appMetadata":{"plan":"pro"},"roles":["admin"],"status":"ACTIVE"}`)
	if got := roleNamesOf(u); !slices.Equal(got, []string{"user"}) || u.Status != client.UserStatusActive || userStr(u.FirstName) != "Mal" {
		t.Fatalf("after the attempts: roles %v, status %s, firstName %s", got, u.Status, userStr(u.FirstName))
	}
	if r := getRole(t, ts, root, "user"); len(r.Permissions) != 0 {
		t.Fatalf("the user role gained permissions: %+v", r.Permissions)
	}
	for _, resource := range []string{"graphql/users", "graphql/users/roles"} {
		for _, verb := range []client.Verb{client.VerbPatch, client.VerbPut} {
			res, err := client.Authorize(t.Context(), ts.api(tok), resource, verb)
			if err != nil {
				t.Fatalf("authorize: %v", err)
			}
			if res.Authorize {
				t.Errorf("authorize(%s, %s) = true for a plain user", resource, verb)
			}
		}
	}
}
