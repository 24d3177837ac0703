package e2e

import (
	"slices"
	"strings"
	"testing"
)

// End-to-end tests of roles, permissions and what they grant.

// userRoleNames returns the role names of a user as the admin sees them.
func userRoleNames(t *testing.T, ts *testServer, adminToken, id string) []string {
	t.Helper()
	r := ts.mustGQL(t, adminToken, `query($id: ID!) { user(id: $id) { roles { name } } }`, vars{"id": id})
	u := dataField[*struct{ Roles []struct{ Name string } }](t, r, "user")
	if u == nil {
		t.Fatalf("user %s not found", id)
	}
	var names []string
	for _, role := range u.Roles {
		names = append(names, role.Name)
	}
	slices.Sort(names)
	return names
}

// roleHolders counts the users whose stored roles include name.
func roleHolders(t *testing.T, ts *testServer, adminToken, name string) int {
	t.Helper()
	r := ts.mustGQL(t, adminToken, `query($n: String!) { users(filter: {roles: {any: [$n]}}) { totalCount } }`, vars{"n": name})
	return dataField[struct{ TotalCount int }](t, r, "users").TotalCount
}

const usersCountQuery = `{ users(first: 1) { totalCount } }`

func TestRoleCreate(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken

	created := createRole(t, ts, root, "  Editors ")
	if created.Name != "editors" || created.BuiltIn || len(created.Permissions) != 0 || created.ID == "" {
		t.Fatalf("createRole = %+v, want name editors, not built in, no permissions", created)
	}
	r := ts.mustGQL(t, root, `mutation { createRole(input: {name: "Support", description: "  Helps people  "}) { name description } }`, nil)
	if got := dataField[apiRole](t, r, "createRole"); got.Name != "support" || got.Description == nil || *got.Description != "Helps people" {
		t.Errorf("createRole with description = %+v", got)
	}

	cases := []struct {
		name   string
		role   string
		code   string
		status int
	}{
		{"bad characters", "bad name!", "INVALID_ROLE", 701},
		{"empty", "", "INVALID_ROLE", 701},
		{"leading dash", "-x", "INVALID_ROLE", 701},
		{"too long", strings.Repeat("a", 65), "INVALID_ROLE", 701},
		{"duplicate", "editors", "ROLE_EXISTS", 702},
		{"duplicate upper case", "EDITORS", "ROLE_EXISTS", 702},
		{"duplicate mixed case", "EdItOrS", "ROLE_EXISTS", 702},
		{"built-in admin", "Admin", "ROLE_EXISTS", 702},
		{"built-in user", "USER", "ROLE_EXISTS", 702},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, root, `mutation($in: RoleInput!) { createRole(input: $in) { name } }`, vars{"in": vars{"name": c.role}})
			wantCode(t, r, c.code, c.status)
			if r.field() != "name" {
				t.Errorf("field = %q, want name", r.field())
			}
		})
	}

	r = ts.mustGQL(t, root, `{ roles { name } }`, nil)
	var names []string
	for _, role := range dataField[[]apiRole](t, r, "roles") {
		names = append(names, role.Name)
	}
	if want := []string{"admin", "editors", "support", "user"}; !slices.Equal(names, want) {
		t.Fatalf("roles = %v, want %v (ordered by name, no half-created roles)", names, want)
	}
}

func TestRoleQueries(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken

	r := ts.mustGQL(t, root, `{ roles { `+roleFields+` } }`, nil)
	roles := dataField[[]apiRole](t, r, "roles")
	if len(roles) != 2 || roles[0].Name != "admin" || roles[1].Name != "user" || !roles[0].BuiltIn || !roles[1].BuiltIn {
		t.Fatalf("roles after initialize = %+v, want built-in admin and user", roles)
	}
	if p := roles[0].Permissions; len(p) != 1 || p[0].Pattern != "**" || len(p[0].Verbs) != 6 {
		t.Errorf("admin permissions = %+v, want ** with every verb", p)
	}

	cases := []struct {
		name, role, want string
	}{
		{"exact", "admin", "admin"},
		{"folded", "USER", "user"},
		{"unknown", "nobody", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := getRole(t, ts, root, c.role)
			switch {
			case c.want == "" && got != nil:
				t.Fatalf("role(%q) = %+v, want null", c.role, got)
			case c.want != "" && (got == nil || got.Name != c.want):
				t.Fatalf("role(%q) = %+v, want %s", c.role, got, c.want)
			}
		})
	}
}

func TestRoleUpdateRenamesHolders(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "editors")
	permID := addPermission(t, ts, root, "editors", "graphql/users", "GET")
	aliceID, alice := newUserWithRoles(t, ts, root, "alice", "user", "editors")
	bobID, _ := newUserWithRoles(t, ts, root, "bob", "editors")
	carolID, _ := newUserWithRoles(t, ts, root, "carol")
	// Alice's token is in use (and so remembered by the server) before the rename.
	ts.mustGQL(t, alice.AccessToken, usersCountQuery, nil)

	r := ts.mustGQL(t, root, `mutation { updateRole(name: "EDITORS", input: {name: "Writers", description: "They write"}) { `+roleFields+` } }`, nil)
	got := dataField[apiRole](t, r, "updateRole")
	if got.Name != "writers" || got.Description == nil || *got.Description != "They write" ||
		len(got.Permissions) != 1 || got.Permissions[0].ID != permID {
		t.Fatalf("updateRole = %+v, want writers with its permission kept", got)
	}

	for _, c := range []struct {
		name, id string
		want     []string
	}{
		{"alice", aliceID, []string{"user", "writers"}},
		{"bob", bobID, []string{"writers"}},
		{"carol (not a holder)", carolID, []string{"user"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := userRoleNames(t, ts, root, c.id); !slices.Equal(got, c.want) {
				t.Fatalf("roles = %v, want %v", got, c.want)
			}
		})
	}
	if n := roleHolders(t, ts, root, "editors"); n != 0 {
		t.Errorf("%d users still hold the old name", n)
	}
	if getRole(t, ts, root, "editors") != nil {
		t.Error("the old name still resolves to a role")
	}
	// The holder keeps what the role grants, on the same token, at once.
	ts.mustGQL(t, alice.AccessToken, usersCountQuery, nil)

	// A description-only change keeps the name.
	r = ts.mustGQL(t, root, `mutation { updateRole(name: "writers", input: {name: "writers", description: "Changed"}) { name description } }`, nil)
	if got := dataField[apiRole](t, r, "updateRole"); got.Name != "writers" || *got.Description != "Changed" {
		t.Errorf("description change = %+v", got)
	}

	bad := []struct {
		name, from, to, code string
		status               int
	}{
		{"to an existing name", "writers", "User", "ROLE_EXISTS", 702},
		{"to a bad name", "writers", "bad name!", "INVALID_ROLE", 701},
		{"unknown role", "nobody", "somebody", "NOT_FOUND", 605},
		{"built-in admin", "admin", "root", "FORBIDDEN", 609},
		{"built-in user", "user", "member", "FORBIDDEN", 609},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, root, `mutation($n: String!, $in: RoleInput!) { updateRole(name: $n, input: $in) { name } }`,
				vars{"n": c.from, "in": vars{"name": c.to}})
			wantCode(t, r, c.code, c.status)
		})
	}
	if getRole(t, ts, root, "admin") == nil || getRole(t, ts, root, "user") == nil || getRole(t, ts, root, "writers") == nil {
		t.Fatal("a refused rename changed a role")
	}
}

func TestRoleDeleteRemovesFromHolders(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "temp")
	addPermission(t, ts, root, "temp", "graphql/users", "GET")
	bobID, bob := newUserWithRoles(t, ts, root, "bob", "user", "temp")
	carolID, _ := newUserWithRoles(t, ts, root, "carol", "temp")
	ts.mustGQL(t, bob.AccessToken, usersCountQuery, nil)

	if ok := dataField[bool](t, ts.mustGQL(t, root, `mutation { deleteRole(name: "TEMP") }`, nil), "deleteRole"); !ok {
		t.Fatal("deleteRole = false")
	}
	if getRole(t, ts, root, "temp") != nil {
		t.Fatal("role still there after deleteRole")
	}
	if n := roleHolders(t, ts, root, "temp"); n != 0 {
		t.Fatalf("%d users still hold the deleted role", n)
	}
	wantCode(t, ts.gql(t, bob.AccessToken, usersCountQuery, nil), "FORBIDDEN", 609)

	// A new role of the same name starts with no holders.
	createRole(t, ts, root, "temp")
	addPermission(t, ts, root, "temp", "graphql/users", "GET")
	if got := userRoleNames(t, ts, root, bobID); !slices.Equal(got, []string{"user"}) {
		t.Errorf("bob's roles = %v, want [user]", got)
	}
	if got := userRoleNames(t, ts, root, carolID); len(got) != 0 {
		t.Errorf("carol's roles = %v, want none", got)
	}
	wantCode(t, ts.gql(t, bob.AccessToken, usersCountQuery, nil), "FORBIDDEN", 609)

	for _, c := range []struct {
		name, role, code string
		status           int
	}{
		{"built-in admin", "admin", "FORBIDDEN", 609},
		{"built-in user", "User", "FORBIDDEN", 609},
		{"unknown", "nobody", "NOT_FOUND", 605},
		{"bad name", "bad name!", "INVALID_ROLE", 701},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, root, `mutation($n: String!) { deleteRole(name: $n) }`, vars{"n": c.role}), c.code, c.status)
		})
	}
	if getRole(t, ts, root, "admin") == nil || getRole(t, ts, root, "user") == nil {
		t.Fatal("a built-in role was deleted")
	}
}

func TestRolePermissionEditing(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "ops")

	const add = `mutation($r: String!, $in: PermissionInput!) { addPermission(role: $r, input: $in) { id name pattern verbs } }`
	r := ts.mustGQL(t, root, add, vars{"r": "OPS", "in": vars{"name": " items ", "pattern": "/api/*", "verbs": []string{"POST", "GET", "GET"}}})
	first := dataField[apiPermission](t, r, "addPermission")
	if first.ID == "" || first.Pattern != "/api/*" || !slices.Equal(first.Verbs, []string{"GET", "POST"}) || first.Name == nil || *first.Name != "items" {
		t.Fatalf("addPermission = %+v, want /api/* with GET, POST once each", first)
	}
	second := addPermission(t, ts, root, "ops", "/files/**", "GET", "PUT")

	addCases := []struct {
		name    string
		role    string
		pattern string
		verbs   []string
		code    string
		status  int
		field   string
	}{
		{"empty pattern", "ops", "", []string{"GET"}, "INVALID_PATTERN", 703, "pattern"},
		{"pattern with a space", "ops", "a b", []string{"GET"}, "INVALID_PATTERN", 703, "pattern"},
		{"unclosed brace", "ops", "{unclosed", []string{"GET"}, "INVALID_PATTERN", 703, "pattern"},
		{"no verbs", "ops", "/x", []string{}, "BAD_USER_INPUT", 0, "verbs"},
		{"same pattern twice", "ops", "/api/*", []string{"DELETE"}, "PATTERN_EXISTS", 704, "pattern"},
		{"unknown role", "nobody", "/x", []string{"GET"}, "NOT_FOUND", 605, ""},
		{"admin role", "admin", "/x", []string{"GET"}, "FORBIDDEN", 609, ""},
	}
	for _, c := range addCases {
		t.Run("add "+c.name, func(t *testing.T) {
			r := ts.gql(t, root, add, vars{"r": c.role, "in": vars{"pattern": c.pattern, "verbs": c.verbs}})
			wantCode(t, r, c.code, c.status)
			if c.field != "" && r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
			}
		})
	}

	const update = `mutation($r: String!, $id: ID!, $in: PermissionInput!) { updatePermission(role: $r, id: $id, input: $in) { id pattern verbs } }`
	r = ts.mustGQL(t, root, update, vars{"r": "ops", "id": first.ID, "in": vars{"pattern": "/api/**", "verbs": []string{"DELETE"}}})
	if got := dataField[apiPermission](t, r, "updatePermission"); got.ID != first.ID || got.Pattern != "/api/**" || !slices.Equal(got.Verbs, []string{"DELETE"}) {
		t.Fatalf("updatePermission = %+v, want the same id with /api/** DELETE", got)
	}
	// Keeping its own pattern is no collision.
	ts.mustGQL(t, root, update, vars{"r": "ops", "id": first.ID, "in": vars{"pattern": "/api/**", "verbs": []string{"GET", "DELETE"}}})

	admin := getRole(t, ts, root, "admin")
	updateCases := []struct {
		name, role, id, pattern, code string
		status                        int
	}{
		{"unknown id", "ops", "no-such-permission", "/y", "NOT_FOUND", 605},
		{"collides with another", "ops", second, "/api/**", "PATTERN_EXISTS", 704},
		{"bad pattern", "ops", second, "{a", "INVALID_PATTERN", 703},
		{"admin role", "admin", admin.Permissions[0].ID, "/only/this", "FORBIDDEN", 609},
	}
	for _, c := range updateCases {
		t.Run("update "+c.name, func(t *testing.T) {
			r := ts.gql(t, root, update, vars{"r": c.role, "id": c.id, "in": vars{"pattern": c.pattern, "verbs": []string{"GET"}}})
			wantCode(t, r, c.code, c.status)
		})
	}

	const remove = `mutation($r: String!, $id: ID!) { removePermission(role: $r, id: $id) }`
	if !dataField[bool](t, ts.mustGQL(t, root, remove, vars{"r": "ops", "id": second}), "removePermission") {
		t.Fatal("removePermission = false")
	}
	for _, c := range []struct {
		name, role, id, code string
		status               int
	}{
		{"already removed", "ops", second, "NOT_FOUND", 605},
		{"admin role", "admin", admin.Permissions[0].ID, "FORBIDDEN", 609},
	} {
		t.Run("remove "+c.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, root, remove, vars{"r": c.role, "id": c.id}), c.code, c.status)
		})
	}

	ops := getRole(t, ts, root, "ops")
	if len(ops.Permissions) != 1 || ops.Permissions[0].ID != first.ID || ops.Permissions[0].Pattern != "/api/**" ||
		!slices.Equal(ops.Permissions[0].Verbs, []string{"GET", "DELETE"}) {
		t.Errorf("ops permissions = %+v, want only the updated /api/** GET, DELETE", ops.Permissions)
	}
	if got := getRole(t, ts, root, "admin"); len(got.Permissions) != 1 || got.Permissions[0].Pattern != "**" || len(got.Permissions[0].Verbs) != 6 {
		t.Errorf("admin permissions changed: %+v", got.Permissions)
	}
}

func TestRolePermissionsGrantAccess(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "viewers")
	addPermission(t, ts, root, "viewers", "graphql/users", "GET")
	createRole(t, ts, root, "editors")
	addPermission(t, ts, root, "editors", "graphql/users", "GET", "PATCH")

	_, viewer := newUserWithRoles(t, ts, root, "viewer", "user", "viewers")
	_, editor := newUserWithRoles(t, ts, root, "editor", "user", "editors")
	targetID, _ := newUserWithRoles(t, ts, root, "target")

	type op struct {
		name  string
		query string
		v     vars
	}
	reads := []op{
		{"users", `{ users { totalCount nodes { id } } }`, nil},
		{"userByEmail", `query($e: String!) { userByEmail(email: $e) { id email } }`, vars{"e": "target@example.com"}},
	}
	writes := []op{
		{"createUser", `mutation { createUser(input: {username: "newbie", password: "correct horse battery"}) { id } }`, nil},
		{"updateUser", `mutation($id: ID!) { updateUser(id: $id, input: {firstName: "Changed"}) { id } }`, vars{"id": targetID}},
		{"deleteUser", `mutation($id: ID!) { deleteUser(id: $id) }`, vars{"id": targetID}},
		{"setUserStatus", `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": targetID}},
		{"grantRole", `mutation($id: ID!) { grantRole(userId: $id, role: "viewers") { id } }`, vars{"id": targetID}},
		{"createRole", `mutation { createRole(input: {name: "sneaky"}) { id } }`, nil},
	}
	for _, o := range reads {
		t.Run("viewer may "+o.name, func(t *testing.T) {
			ts.mustGQL(t, viewer.AccessToken, o.query, o.v)
		})
	}
	for _, o := range writes {
		t.Run("viewer may not "+o.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, viewer.AccessToken, o.query, o.v), "FORBIDDEN", 609)
		})
	}
	r := ts.mustGQL(t, root, `query($id: ID!) { user(id: $id) { firstName status deletedAt } }`, vars{"id": targetID})
	if u := dataField[struct {
		FirstName *string
		Status    string
		DeletedAt *string
	}](t, r, "user"); u.FirstName != nil || u.Status != "ACTIVE" || u.DeletedAt != nil {
		t.Fatalf("a refused write changed the target: %+v", u)
	}
	if n := dataField[struct{ TotalCount int }](t, ts.mustGQL(t, root, `{ users(filter: {usernames: ["newbie"]}) { totalCount } }`, nil), "users").TotalCount; n != 0 {
		t.Fatal("a refused createUser created the user")
	}

	t.Run("editor may updateUser", func(t *testing.T) {
		r := ts.mustGQL(t, editor.AccessToken, `mutation($id: ID!) { updateUser(id: $id, input: {firstName: "Edited"}) { firstName } }`, vars{"id": targetID})
		if got := dataField[struct{ FirstName string }](t, r, "updateUser"); got.FirstName != "Edited" {
			t.Fatalf("firstName = %q", got.FirstName)
		}
	})
	t.Run("editor may not grantRole", func(t *testing.T) {
		wantCode(t, ts.gql(t, editor.AccessToken, `mutation($id: ID!) { grantRole(userId: $id, role: "viewers") { id } }`, vars{"id": targetID}), "FORBIDDEN", 609)
	})
	const bulkAdd = `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {addRoles: ["viewers"], addTags: ["bulk"]}) }`
	t.Run("editor may not add roles in bulk", func(t *testing.T) {
		wantCode(t, ts.gql(t, editor.AccessToken, bulkAdd, vars{"id": targetID}), "FORBIDDEN", 609)
		r := ts.mustGQL(t, root, `query($id: ID!) { user(id: $id) { tags } }`, vars{"id": targetID})
		if tags := dataField[struct{ Tags []string }](t, r, "user").Tags; len(tags) != 0 {
			t.Errorf("tags = %v after a refused bulk update", tags)
		}
		if got := userRoleNames(t, ts, root, targetID); !slices.Equal(got, []string{"user"}) {
			t.Errorf("roles = %v after a refused bulk update", got)
		}
	})
	t.Run("editor may update tags in bulk", func(t *testing.T) {
		r := ts.mustGQL(t, editor.AccessToken, `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {addTags: ["bulk"]}) }`, vars{"id": targetID})
		if n := dataField[int](t, r, "updateUsers"); n != 1 {
			t.Fatalf("updateUsers = %d, want 1", n)
		}
	})
	t.Run("with roles PUT the editor may add roles in bulk", func(t *testing.T) {
		addPermission(t, ts, root, "editors", "graphql/users/roles", "PUT")
		if n := dataField[int](t, ts.mustGQL(t, editor.AccessToken, bulkAdd, vars{"id": targetID}), "updateUsers"); n != 1 {
			t.Fatalf("updateUsers = %d, want 1", n)
		}
		if got := userRoleNames(t, ts, root, targetID); !slices.Equal(got, []string{"user", "viewers"}) {
			t.Errorf("roles = %v, want [user viewers]", got)
		}
		ts.mustGQL(t, editor.AccessToken, `mutation($id: ID!) { grantRole(userId: $id, role: "editors") { id } }`, vars{"id": targetID})
	})
}

func TestRoleChangesTakeEffectAtOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "viewers")
	permID := addPermission(t, ts, root, "viewers", "graphql/users", "GET")
	viewerID, viewer := newUserWithRoles(t, ts, root, "viewer", "user", "viewers")
	tok := viewer.AccessToken

	permOf := func(t *testing.T) string { return getRole(t, ts, root, "viewers").Permissions[0].ID }
	steps := []struct {
		name    string
		change  func(t *testing.T)
		allowed bool
	}{
		{"before any change", nil, true},
		{"role revoked", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($id: ID!) { revokeRole(userId: $id, role: "viewers") { id } }`, vars{"id": viewerID})
		}, false},
		{"role granted again", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($id: ID!) { grantRole(userId: $id, role: "VIEWERS") { id } }`, vars{"id": viewerID})
		}, true},
		{"permission removed", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($p: ID!) { removePermission(role: "viewers", id: $p) }`, vars{"p": permID})
		}, false},
		{"permission added again", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation { addPermission(role: "viewers", input: {pattern: "graphql/*", verbs: [GET]}) { id } }`, nil)
		}, true},
		{"verb changed", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($p: ID!) { updatePermission(role: "viewers", id: $p, input: {pattern: "graphql/*", verbs: [POST]}) { id } }`, vars{"p": permOf(t)})
		}, false},
		{"verb restored", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($p: ID!) { updatePermission(role: "viewers", id: $p, input: {pattern: "graphql/*", verbs: [GET, POST]}) { id } }`, vars{"p": permOf(t)})
		}, true},
		{"bulk role removal", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {removeRoles: ["Viewers"]}) }`, vars{"id": viewerID})
		}, false},
		{"bulk role addition", func(t *testing.T) {
			ts.mustGQL(t, root, `mutation($id: ID!) { updateUsers(filter: {ids: [$id]}, patch: {addRoles: ["viewers"]}) }`, vars{"id": viewerID})
		}, true},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.change != nil {
				s.change(t)
			}
			r := ts.gql(t, tok, usersCountQuery, nil)
			if s.allowed && len(r.Errors) > 0 {
				t.Fatalf("users refused: %+v", r.Errors)
			}
			if !s.allowed {
				wantCode(t, r, "FORBIDDEN", 609)
			}
		})
	}
}

func TestAuthorizeQuery(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "api")
	addPermission(t, ts, root, "api", "/api/*", "GET")
	addPermission(t, ts, root, "api", "/files/**", "PUT")
	addPermission(t, ts, root, "api", "/exact", "POST")
	addPermission(t, ts, root, "api", "/v?/{a,b}", "DELETE")
	_, apiUser := newUserWithRoles(t, ts, root, "apiuser", "user", "api")
	plain := ts.signup(t, "plain", testPassword)

	cases := []struct {
		resource, verb string
		api, plain     bool
	}{
		{"/api/items", "GET", true, false},
		{"/api/items", "HEAD", true, false},
		{"/api/items", "POST", false, false},
		{"/api/items/1", "GET", false, false},
		{"/api/items/1", "HEAD", false, false},
		{"/api", "GET", false, false},
		{"/api/items?page=2", "GET", true, false},
		{"/api/items/", "GET", true, false},
		{"/files/a", "PUT", true, false},
		{"/files/a/b/c", "PUT", true, false},
		{"/files/a/b/c", "GET", false, false},
		{"/files/a/b/c", "HEAD", false, false},
		{"/exact", "POST", true, false},
		{"/exact?x=1", "POST", true, false},
		{"/exact?next=/a/b", "POST", true, false},
		{"/exact", "HEAD", false, false},
		{"/exact/more", "POST", false, false},
		{"/v1/a", "DELETE", true, false},
		{"/v2/b", "DELETE", true, false},
		{"/v2/c", "DELETE", false, false},
		{"/v10/a", "DELETE", false, false},
		{"graphql/users", "GET", false, false},
	}
	const q = `query($r: String!, $v: Verb!) { authorize(resource: $r, verb: $v) }`
	for _, c := range cases {
		t.Run(c.verb+" "+c.resource, func(t *testing.T) {
			for _, who := range []struct {
				name, token string
				want        bool
			}{
				{"api user", apiUser.AccessToken, c.api},
				{"plain user", plain.AccessToken, c.plain},
				{"admin", root, true},
			} {
				if got := dataField[bool](t, ts.mustGQL(t, who.token, q, vars{"r": c.resource, "v": c.verb}), "authorize"); got != who.want {
					t.Errorf("%s: authorize = %v, want %v", who.name, got, who.want)
				}
			}
		})
	}
	wantCode(t, ts.gql(t, "", q, vars{"r": "/api/items", "v": "GET"}), "UNAUTHENTICATED", 606)
}
