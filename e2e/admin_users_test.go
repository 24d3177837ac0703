package e2e

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// End-to-end tests of the administrators' user operations.

func TestAdminCreateUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "managers")
	addPermission(t, ts, root, "managers", "graphql/users", "GET", "POST")
	_, manager := newUserWithRoles(t, ts, root, "manager", "user", "managers")

	t.Run("default role, active, can log in", func(t *testing.T) {
		u := createUser(t, ts, root, vars{"username": "dora", "email": "Dora@Example.com", "password": testPassword,
			"firstName": "Dora", "tags": []string{"a", "a", "b"}, "metadata": vars{"x": 1}, "appMetadata": vars{"plan": "pro"}})
		if got := u.roleNames(); !slices.Equal(got, []string{"user"}) || u.Status != "ACTIVE" || !u.Active || u.EmailVerified {
			t.Fatalf("created = %+v, want role user, ACTIVE, unverified", u)
		}
		if !slices.Equal(u.Tags, []string{"a", "b"}) {
			t.Errorf("tags = %v", u.Tags)
		}
		assertJSONEqual(t, "metadata", u.Metadata, `{"x":1}`)
		assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"pro"}`)
		if a := ts.login(t, "dora@example.com", testPassword); a.User.ID != u.ID {
			t.Fatalf("login as %s, want %s", a.User.ID, u.ID)
		}
	})
	t.Run("explicit roles, status and emailVerified", func(t *testing.T) {
		u := createUser(t, ts, root, vars{"email": "eve@example.com", "password": testPassword,
			"roles": []string{"Managers"}, "status": "PENDING", "emailVerified": true})
		if got := u.roleNames(); !slices.Equal(got, []string{"managers"}) || u.Status != "PENDING" || u.Active || !u.EmailVerified {
			t.Fatalf("created = %+v", u)
		}
		if code, st := loginCode(t, ts, "eve@example.com", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login of a PENDING user = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
	})
	t.Run("no roles at all", func(t *testing.T) {
		u := createUser(t, ts, root, vars{"username": "nobody", "roles": []string{}})
		if len(u.Roles) != 0 {
			t.Fatalf("roles = %v, want none", u.roleNames())
		}
	})
	t.Run("no password cannot log in", func(t *testing.T) {
		createUser(t, ts, root, vars{"username": "nopass"})
		if code, _ := loginCode(t, ts, "nopass", ""); code != "INVALID_CREDENTIALS" {
			t.Fatalf("login = %s, want INVALID_CREDENTIALS", code)
		}
	})
	t.Run("manager without the roles permission", func(t *testing.T) {
		u := createUser(t, ts, manager.AccessToken, vars{"username": "made-by-manager", "password": testPassword})
		if got := u.roleNames(); !slices.Equal(got, []string{"user"}) {
			t.Fatalf("roles = %v, want the default", got)
		}
		r := ts.gql(t, manager.AccessToken, createUserMutation, vars{"in": vars{"username": "escalated", "password": testPassword, "roles": []string{"managers"}}})
		wantCode(t, r, "FORBIDDEN", 609)
		r = ts.gql(t, manager.AccessToken, createUserMutation, vars{"in": vars{"username": "escalated", "password": testPassword, "roles": []string{"admin"}}})
		wantCode(t, r, "FORBIDDEN", 609)
		if dataField[*apiUser](t, ts.mustGQL(t, root, `{ userByUsername(username: "escalated") { id } }`, nil), "userByUsername") != nil {
			t.Fatal("a refused createUser created the account")
		}
	})

	bad := []struct {
		name   string
		in     vars
		code   string
		status int
		field  string
	}{
		{"unknown role", vars{"username": "frank", "roles": []string{"nosuchrole"}}, "INVALID_ROLE", 701, "role"},
		{"bad role name", vars{"username": "frank", "roles": []string{"bad name!"}}, "INVALID_ROLE", 701, "role"},
		{"duplicate username", vars{"username": "DORA"}, "ALREADY_EXISTS", 602, "username"},
		{"duplicate email", vars{"username": "frank", "email": "DORA@example.com"}, "ALREADY_EXISTS", 602, "email"},
		{"no identifier", vars{"password": testPassword}, "BAD_USER_INPUT", 0, "username"},
		{"weak password", vars{"username": "frank", "password": "short"}, "WEAK_PASSWORD", 0, "password"},
		{"appMetadata not an object", vars{"username": "frank", "appMetadata": []int{1}}, "BAD_USER_INPUT", 0, "appMetadata"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, root, createUserMutation, vars{"in": c.in})
			wantCode(t, r, c.code, c.status)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
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
	ts.mustGQL(t, root, `mutation($id: ID!) { updateUser(id: $id, input: {appMetadata: {plan: "free", limits: {seats: 1}}}) { id } }`, vars{"id": id})

	const update = `mutation($id: ID!, $in: UpdateUserInput!) { updateUser(id: $id, input: $in) { ` + adminUserFields + ` } }`
	r := ts.mustGQL(t, root, update, vars{"id": id, "in": vars{
		"username": "Gina2", "email": "gina2@example.com", "phone": "+14155550123",
		"firstName": "Gina", "lastName": "Jones", "tags": []string{"vip"},
		"appMetadata":   vars{"plan": "pro", "limits": vars{"storage": 10, "seats": nil}, "since": 2024},
		"emailVerified": true,
	}})
	u := dataField[apiUser](t, r, "updateUser")
	checks := map[string][2]string{
		"username": {userStr(u.Username), "Gina2"}, "email": {userStr(u.Email), "gina2@example.com"},
		"phone": {userStr(u.Phone), "+14155550123"}, "fullName": {userStr(u.FullName), "Gina Jones"},
		"tags": {strings.Join(u.Tags, ","), "vip"}, "emailVerified": {fmt.Sprint(u.EmailVerified), "true"},
		"roles": {strings.Join(u.roleNames(), ","), "user"}, "status": {u.Status, "ACTIVE"},
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
		r := ts.mustGQL(t, root, update, vars{"id": id, "in": vars{"lastName": nil, "phone": nil, "tags": nil, "appMetadata": nil}})
		u := dataField[apiUser](t, r, "updateUser")
		if u.LastName != nil || u.Phone != nil || len(u.Tags) != 0 || userStr(u.FirstName) != "Gina" {
			t.Errorf("after clearing: %+v", u)
		}
		assertJSONEqual(t, "appMetadata", u.AppMetadata, `{}`)
	})
	t.Run("a new email is unverified unless said otherwise", func(t *testing.T) {
		r := ts.mustGQL(t, root, update, vars{"id": id, "in": vars{"email": "gina3@example.com"}})
		if u := dataField[apiUser](t, r, "updateUser"); u.EmailVerified {
			t.Error("emailVerified stayed true for a new email")
		}
	})

	bad := []struct {
		name   string
		id     string
		in     vars
		code   string
		status int
		field  string
	}{
		{"username taken", id, vars{"username": "TAKEN"}, "ALREADY_EXISTS", 602, "username"},
		{"email taken", id, vars{"email": "taken@example.com"}, "ALREADY_EXISTS", 602, "email"},
		{"bad username", id, vars{"username": "a b"}, "INVALID_USERNAME", 900, "username"},
		{"weak password", id, vars{"password": "short"}, "WEAK_PASSWORD", 0, "password"},
		{"appMetadata not an object", id, vars{"appMetadata": "x"}, "BAD_USER_INPUT", 0, "appMetadata"},
		{"unknown user", "no-such-user", vars{"firstName": "x"}, "NOT_FOUND", 605, ""},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, root, update, vars{"id": c.id, "in": c.in})
			wantCode(t, r, c.code, c.status)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
			}
		})
	}

	t.Run("a new password ends the sessions", func(t *testing.T) {
		other := ts.login(t, "gina2", testPassword)
		ts.mustGQL(t, root, update, vars{"id": id, "in": vars{"password": "a brand new secret"}})
		for _, tok := range []string{gina.AccessToken, other.AccessToken} {
			wantCode(t, ts.gql(t, tok, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		}
		wantCode(t, ts.gql(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`, vars{"t": other.RefreshToken}), "UNAUTHENTICATED", 0)
		if code, _ := loginCode(t, ts, "gina2", testPassword); code != "INVALID_CREDENTIALS" {
			t.Errorf("the old password = %q, want INVALID_CREDENTIALS", code)
		}
		ts.login(t, "gina2", "a brand new secret")
	})
}

func TestAdminSetUserStatus(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	const setStatus = `mutation($id: ID!, $s: UserStatus!) { setUserStatus(id: $id, status: $s) { status active } }`

	t.Run("SUSPENDED ends the sessions at once", func(t *testing.T) {
		id, hal := newUserWithRoles(t, ts, root, "hal")
		ts.meID(t, hal.AccessToken)
		r := ts.mustGQL(t, root, setStatus, vars{"id": id, "s": "SUSPENDED"})
		if u := dataField[apiUser](t, r, "setUserStatus"); u.Status != "SUSPENDED" || u.Active {
			t.Fatalf("status = %+v", u)
		}
		wantCode(t, ts.gql(t, hal.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		wantCode(t, ts.gql(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`, vars{"t": hal.RefreshToken}), "UNAUTHENTICATED", 0)
		if code, st := loginCode(t, ts, "hal", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
		ts.mustGQL(t, root, setStatus, vars{"id": id, "s": "ACTIVE"})
		ts.meID(t, ts.login(t, "hal", testPassword).AccessToken)
		// The old session stays ended.
		wantCode(t, ts.gql(t, hal.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
	})
	t.Run("PENDING to ACTIVE activates", func(t *testing.T) {
		u := createUser(t, ts, root, vars{"username": "ivy", "password": testPassword, "status": "PENDING"})
		if code, st := loginCode(t, ts, "ivy", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login while PENDING = %s %d", code, st)
		}
		r := ts.mustGQL(t, root, setStatus, vars{"id": u.ID, "s": "ACTIVE"})
		if got := dataField[apiUser](t, r, "setUserStatus"); got.Status != "ACTIVE" || !got.Active {
			t.Fatalf("status = %+v", got)
		}
		ts.meID(t, ts.login(t, "ivy", testPassword).AccessToken)
	})
	t.Run("PENDING ends the sessions too", func(t *testing.T) {
		id, jo := newUserWithRoles(t, ts, root, "jo")
		ts.mustGQL(t, root, setStatus, vars{"id": id, "s": "PENDING"})
		wantCode(t, ts.gql(t, jo.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
	})
	t.Run("unknown user", func(t *testing.T) {
		wantCode(t, ts.gql(t, root, setStatus, vars{"id": "nope", "s": "ACTIVE"}), "NOT_FOUND", 605)
	})
}

func TestAdminDeleteUser(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	const del = `mutation($id: ID!, $hard: Boolean) { deleteUser(id: $id, hard: $hard) }`
	const listed = `query($f: UserFilter) { users(filter: $f) { totalCount nodes { id } } }`
	inListing := func(t *testing.T, id string, filter vars) bool {
		t.Helper()
		r := ts.mustGQL(t, root, listed, vars{"f": filter})
		for _, n := range dataField[struct{ Nodes []struct{ ID string } }](t, r, "users").Nodes {
			if n.ID == id {
				return true
			}
		}
		return false
	}

	t.Run("soft", func(t *testing.T) {
		id, kim := newUserWithRoles(t, ts, root, "kim")
		if !dataField[bool](t, ts.mustGQL(t, root, del, vars{"id": id}), "deleteUser") {
			t.Fatal("deleteUser = false")
		}
		wantCode(t, ts.gql(t, kim.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		if code, st := loginCode(t, ts, "kim", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
		wantCode(t, ts.gql(t, "", signupMutation, vars{"in": vars{"username": "KIM", "password": testPassword}}), "ALREADY_EXISTS", 602)
		wantCode(t, ts.gql(t, "", signupMutation, vars{"in": vars{"email": "kim@example.com", "password": testPassword}}), "ALREADY_EXISTS", 602)
		u := getUser(t, ts, root, id)
		if u == nil || u.DeletedAt == nil || u.Status != "SUSPENDED" || u.Active {
			t.Fatalf("soft-deleted user = %+v, want deletedAt set and SUSPENDED", u)
		}
		for _, c := range []struct {
			name   string
			filter vars
			want   bool
		}{
			{"no filter", nil, false},
			{"by id", vars{"ids": []string{id}}, false},
			{"suspended", vars{"status": []string{"SUSPENDED"}}, false},
			{"deleted", vars{"deleted": true}, true},
			{"not deleted", vars{"deleted": false}, false},
			{"deleted inside not", vars{"not": vars{"deleted": false}}, true},
			{"deleted inside or", vars{"or": []vars{{"deleted": true}, {"ids": []string{"x"}}}}, true},
		} {
			t.Run(c.name, func(t *testing.T) {
				if got := inListing(t, id, c.filter); got != c.want {
					t.Fatalf("listed = %v, want %v", got, c.want)
				}
			})
		}
		// Reactivating restores the account.
		ts.mustGQL(t, root, `mutation($id: ID!) { setUserStatus(id: $id, status: ACTIVE) { id } }`, vars{"id": id})
		if u := getUser(t, ts, root, id); u.DeletedAt != nil || !u.Active {
			t.Fatalf("reactivated user = %+v", u)
		}
		ts.login(t, "kim", testPassword)
		// The sessions from before the deletion stay ended.
		wantCode(t, ts.gql(t, kim.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
	})
	t.Run("hard", func(t *testing.T) {
		id, lee := newUserWithRoles(t, ts, root, "lee")
		if !dataField[bool](t, ts.mustGQL(t, root, del, vars{"id": id, "hard": true}), "deleteUser") {
			t.Fatal("deleteUser = false")
		}
		wantCode(t, ts.gql(t, lee.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		if u := getUser(t, ts, root, id); u != nil {
			t.Fatalf("hard-deleted user still readable: %+v", u)
		}
		if inListing(t, id, vars{"deleted": true}) {
			t.Fatal("hard-deleted user still listed")
		}
		if code, _ := loginCode(t, ts, "lee", testPassword); code != "INVALID_CREDENTIALS" {
			t.Fatalf("login = %q, want INVALID_CREDENTIALS", code)
		}
		ts.signup(t, "lee", testPassword)
	})
	t.Run("hard after soft frees the username", func(t *testing.T) {
		id, _ := newUserWithRoles(t, ts, root, "max")
		ts.mustGQL(t, root, del, vars{"id": id})
		ts.mustGQL(t, root, del, vars{"id": id, "hard": true})
		ts.signup(t, "max", testPassword)
	})
	t.Run("unknown user", func(t *testing.T) {
		for _, hard := range []bool{false, true} {
			wantCode(t, ts.gql(t, root, del, vars{"id": "no-such-user", "hard": hard}), "NOT_FOUND", 605)
		}
	})
}

func TestAdminLastAdministratorIsKept(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	rootAuth := ts.admin(t)
	root, rootID := rootAuth.AccessToken, rootAuth.User.ID

	refusals := []struct {
		name  string
		query string
		v     vars
	}{
		{"suspend", `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": rootID}},
		{"make pending", `mutation($id: ID!) { setUserStatus(id: $id, status: PENDING) { id } }`, vars{"id": rootID}},
		{"soft delete", `mutation($id: ID!) { deleteUser(id: $id) }`, vars{"id": rootID}},
		{"hard delete", `mutation($id: ID!) { deleteUser(id: $id, hard: true) }`, vars{"id": rootID}},
		{"revoke admin", `mutation($id: ID!) { revokeRole(userId: $id, role: "ADMIN") { id } }`, vars{"id": rootID}},
		{"bulk suspend", `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {status: SUSPENDED}) }`, vars{"id": rootID}},
		{"bulk remove admin", `mutation { updateUsers(filter: {roles: {any: ["admin"]}}, patch: {removeRoles: ["admin"]}) }`, nil},
		{"bulk make pending", `mutation { updateUsers(filter: {usernames: ["root"]}, patch: {status: PENDING}) }`, nil},
		{"bulk delete", `mutation { deleteUsers(filter: {roles: {any: ["admin"]}}) }`, nil},
		{"bulk hard delete", `mutation { deleteUsers(filter: {search: "root"}, hard: true) }`, nil},
	}
	check := func(t *testing.T) {
		t.Helper()
		for _, c := range refusals {
			t.Run(c.name, func(t *testing.T) {
				wantCode(t, ts.gql(t, root, c.query, c.v), "FORBIDDEN", 609)
			})
		}
		u := getUser(t, ts, root, rootID)
		if u == nil || u.Status != "ACTIVE" || u.DeletedAt != nil || !slices.Contains(u.roleNames(), "admin") {
			t.Fatalf("the last administrator changed: %+v", u)
		}
	}
	t.Run("alone", check)

	// A second administrator who is not active does not count.
	id2, second := newUserWithRoles(t, ts, root, "second", "admin")
	ts.mustGQL(t, second.AccessToken, `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": id2})
	t.Run("with a suspended second admin", check)

	// With an active second administrator the first may go.
	ts.mustGQL(t, root, `mutation($id: ID!) { setUserStatus(id: $id, status: ACTIVE) { id } }`, vars{"id": id2})
	second = ts.login(t, "second", testPassword)
	ts.mustGQL(t, second.AccessToken, `mutation($id: ID!) { revokeRole(userId: $id, role: "admin") { id } }`, vars{"id": rootID})
	wantCode(t, ts.gql(t, second.AccessToken, `mutation($id: ID!) { deleteUser(id: $id) }`, vars{"id": id2}), "FORBIDDEN", 609)
	wantCode(t, ts.gql(t, root, `{ users { totalCount } }`, nil), "FORBIDDEN", 609)
}

func TestAdminSetUserMetadata(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	id, _ := newUserWithRoles(t, ts, root, "meta")
	const set = `mutation($id: ID!, $m: JSON!) { setUserMetadata(id: $id, metadata: $m) { metadata } }`
	metaOf := func(t *testing.T, r *gqlResponse, field string) json.RawMessage {
		t.Helper()
		return dataField[struct{ Metadata json.RawMessage }](t, r, field).Metadata
	}

	assertJSONEqual(t, "first", metaOf(t, ts.mustGQL(t, root, set, vars{"id": id, "m": vars{"a": 1, "keep": "no"}}), "setUserMetadata"), `{"a":1,"keep":"no"}`)
	assertJSONEqual(t, "replaced", metaOf(t, ts.mustGQL(t, root, set, vars{"id": id, "m": vars{"b": vars{"c": true}}}), "setUserMetadata"), `{"b":{"c":true}}`)

	for _, c := range []struct {
		name string
		m    any
	}{
		{"array", []int{1}},
		{"string", "str"},
		{"number", 5},
		{"null", nil},
		{"dotted key", vars{"a.b": 1}},
		{"dollar key", vars{"$x": 1}},
	} {
		t.Run("setUserMetadata "+c.name, func(t *testing.T) {
			r := ts.gql(t, root, set, vars{"id": id, "m": c.m})
			if c.m == nil {
				// null for a JSON! argument is refused before the resolver.
				if len(r.Errors) == 0 {
					t.Fatal("null metadata accepted")
				}
				return
			}
			wantCode(t, r, "BAD_USER_INPUT", 0)
			if r.field() != "metadata" {
				t.Errorf("field = %q, want metadata", r.field())
			}
		})
	}
	assertJSONEqual(t, "after refusals", getUser(t, ts, root, id).Metadata, `{"b":{"c":true}}`)

	const setField = `mutation($id: ID!, $k: String!, $v: JSON) { setUserMetadataField(id: $id, key: $k, value: $v) { metadata } }`
	steps := []struct {
		name  string
		key   string
		value any
		omit  bool
		want  string
	}{
		{"creates nested objects", "org.id", 7, false, `{"b":{"c":true},"org":{"id":7}}`},
		{"adds a sibling", "org.name", "Acme", false, `{"b":{"c":true},"org":{"id":7,"name":"Acme"}}`},
		{"sets an array", "list", []any{1, "x", nil}, false, `{"b":{"c":true},"org":{"id":7,"name":"Acme"},"list":[1,"x",null]}`},
		{"replaces a scalar by an object", "b.c.d", "deep", false, `{"b":{"c":{"d":"deep"}},"org":{"id":7,"name":"Acme"},"list":[1,"x",null]}`},
		{"null removes the key", "org.id", nil, false, `{"b":{"c":{"d":"deep"}},"org":{"name":"Acme"},"list":[1,"x",null]}`},
		{"no value removes the key", "list", nil, true, `{"b":{"c":{"d":"deep"}},"org":{"name":"Acme"}}`},
		{"removing a missing key", "nope.nope", nil, false, `{"b":{"c":{"d":"deep"}},"org":{"name":"Acme"}}`},
	}
	for _, s := range steps {
		t.Run("setUserMetadataField "+s.name, func(t *testing.T) {
			v := vars{"id": id, "k": s.key}
			if !s.omit {
				v["v"] = s.value
			}
			assertJSONEqual(t, "metadata", metaOf(t, ts.mustGQL(t, root, setField, v), "setUserMetadataField"), s.want)
		})
	}
	for _, key := range []string{"", "a..b", "a b", "$x", ".a"} {
		t.Run(fmt.Sprintf("bad key %q", key), func(t *testing.T) {
			r := ts.gql(t, root, setField, vars{"id": id, "k": key, "v": 1})
			wantCode(t, r, "BAD_USER_INPUT", 0)
			if r.field() != "key" {
				t.Errorf("field = %q, want key", r.field())
			}
		})
	}
	wantCode(t, ts.gql(t, root, set, vars{"id": "no-such-user", "m": vars{}}), "NOT_FOUND", 605)
}

func TestAdminLookups(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	rootAuth := ts.admin(t)
	root := rootAuth.AccessToken
	id, nia := newUserWithRoles(t, ts, root, "nia")
	ts.mustGQL(t, root, `mutation($id: ID!) { updateUser(id: $id, input: {firstName: "Nia", appMetadata: {plan: "pro"}}) { id } }`, vars{"id": id})
	userRole := getRole(t, ts, root, "user")
	viewer := ts.signup(t, "viewer", testPassword)

	cases := []struct {
		name, token, query string
		v                  vars
		field              string
		wantID             string // "" for null
		wantType           string
		private            bool // email and appMetadata visible
	}{
		{"userByUsername as admin", root, `query($u: String!) { userByUsername(username: $u) { ` + adminUserFields + ` } }`, vars{"u": "NIA"}, "userByUsername", id, "User", true},
		{"userByUsername as another user", viewer.AccessToken, `query($u: String!) { userByUsername(username: $u) { ` + adminUserFields + ` } }`, vars{"u": "nia"}, "userByUsername", id, "User", false},
		{"userByUsername unknown", root, `query($u: String!) { userByUsername(username: $u) { id } }`, vars{"u": "nobody"}, "userByUsername", "", "", false},
		{"userByEmail as admin", root, `query($e: String!) { userByEmail(email: $e) { ` + adminUserFields + ` } }`, vars{"e": "NIA@example.com"}, "userByEmail", id, "User", true},
		{"userByEmail unknown", root, `query($e: String!) { userByEmail(email: $e) { id } }`, vars{"e": "nobody@example.com"}, "userByEmail", "", "", false},
		{"node user as admin", root, `query($id: ID!) { node(id: $id) { __typename id ... on User { ` + adminUserFields + ` } } }`, vars{"id": id}, "node", id, "User", true},
		{"node user as self", nia.AccessToken, `query($id: ID!) { node(id: $id) { __typename id ... on User { ` + adminUserFields + ` } } }`, vars{"id": id}, "node", id, "User", true},
		{"node role as admin", root, `query($id: ID!) { node(id: $id) { __typename id ... on Role { name } } }`, vars{"id": userRole.ID}, "node", userRole.ID, "Role", false},
		{"node role as a plain user", viewer.AccessToken, `query($id: ID!) { node(id: $id) { __typename id } }`, vars{"id": userRole.ID}, "node", "", "", false},
		{"node unknown", root, `query($id: ID!) { node(id: $id) { __typename id } }`, vars{"id": "no-such-node"}, "node", "", "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := dataField[*apiUser](t, ts.mustGQL(t, c.token, c.query, c.v), c.field)
			if c.wantID == "" {
				if got != nil {
					t.Fatalf("%s = %+v, want null", c.field, got)
				}
				return
			}
			if got == nil || got.ID != c.wantID || got.Typename != c.wantType {
				t.Fatalf("%s = %+v, want %s %s", c.field, got, c.wantType, c.wantID)
			}
			if c.wantType != "User" {
				return
			}
			if userStr(got.Username) != "nia" || userStr(got.FirstName) != "Nia" {
				t.Errorf("public fields missing: %+v", got)
			}
			if c.private {
				if userStr(got.Email) != "nia@example.com" {
					t.Errorf("email = %s", userStr(got.Email))
				}
				assertJSONEqual(t, "appMetadata", got.AppMetadata, `{"plan":"pro"}`)
			} else if got.Email != nil || len(got.Roles) != 0 {
				t.Errorf("another user sees private fields: %+v", got)
			}
		})
	}
	wantCode(t, ts.gql(t, viewer.AccessToken, `{ userByEmail(email: "nia@example.com") { id } }`, nil), "FORBIDDEN", 609)
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
	ts.mustGQL(t, root, `mutation($id: ID!) { updateUser(id: $id, input: {appMetadata: {plan: "free"}}) { id } }`, vars{"id": id})
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
	ts.mustGQL(t, tok, `mutation { updateProfile(input: {firstName: "Mal", metadata: {appMetadata: {plan: "pro"}, roles: ["admin"], status: "ACTIVE"}}) { id } }`, nil)
	u := getUser(t, ts, root, id)
	assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"free"}`)
	assertJSONEqual(t, "metadata", u.Metadata, `{"appMetadata":{"plan":"pro"},"roles":["admin"],"status":"ACTIVE"}`)
	if got := u.roleNames(); !slices.Equal(got, []string{"user"}) || u.Status != "ACTIVE" || userStr(u.FirstName) != "Mal" {
		t.Fatalf("after the attempts: roles %v, status %s, firstName %s", got, u.Status, userStr(u.FirstName))
	}
	if r := getRole(t, ts, root, "user"); len(r.Permissions) != 0 {
		t.Fatalf("the user role gained permissions: %+v", r.Permissions)
	}
	for _, q := range []string{`{ authorize(resource: "graphql/users", verb: PATCH) }`, `{ authorize(resource: "graphql/users/roles", verb: PUT) }`} {
		if dataField[bool](t, ts.mustGQL(t, tok, q, nil), "authorize") {
			t.Errorf("%s = true for a plain user", q)
		}
	}
}
