package e2e

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/store"
)

// End-to-end tests of the bounds on inputs (issue 9: bounded cost). Every
// list and string a client sends is bounded before it is processed, and a
// users filter is bounded in width as in depth; a refusal is BAD_USER_INPUT
// (or the field's own code) naming the field, and leaves nothing behind.

// tagList returns n tags, distinct or all the same.
func tagList(n int, distinct bool) []string {
	tags := make([]string, n)
	for i := range tags {
		tags[i] = "t"
		if distinct {
			tags[i] = fmt.Sprintf("t%d", i)
		}
	}
	return tags
}

func TestSignupBoundsListsAndStrings(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	big := strings.Repeat("x", 300<<10)
	signup := func(extra vars) vars {
		in := vars{"username": "dave", "password": testPassword}
		for k, v := range extra {
			in[k] = v
		}
		return in
	}
	cases := []struct {
		name  string
		in    vars
		code  string
		field string
	}{
		// Checked for duplicates against every earlier tag before the count
		// was: 6 s of CPU for one request.
		{"50,000 distinct tags", signup(vars{"tags": tagList(50_000, true)}), "BAD_USER_INPUT", "tags"},
		// Counted after dropping duplicates, it passed.
		{"50,000 copies of one tag", signup(vars{"tags": tagList(50_000, false)}), "BAD_USER_INPUT", "tags"},
		{"65 tags", signup(vars{"tags": tagList(65, true)}), "BAD_USER_INPUT", "tags"},
		{"a tag of 300 KB", signup(vars{"tags": []string{big}}), "BAD_USER_INPUT", "tags"},
		{"a first name of 300 KB", signup(vars{"firstName": big}), "BAD_USER_INPUT", "firstName"},
		{"a username of 300 KB", signup(vars{"username": big}), "INVALID_USERNAME", "username"},
		{"an email of 300 KB", signup(vars{"email": big + "@example.com"}), "INVALID_EMAIL", "email"},
		{"a phone of 300 KB", signup(vars{"phone": big}), "INVALID_PHONE", "phone"},
		{"a password of 300 KB", signup(vars{"password": big}), "WEAK_PASSWORD", "password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, "", signupMutation, vars{"in": c.in})
			wantCode(t, r, c.code, 0)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
			}
		})
	}
	r := ts.gql(t, "", `mutation { login(input: {identifier: "dave", password: "correct horse battery"}) { accessToken } }`, nil)
	wantCode(t, r, "INVALID_CREDENTIALS", 603) // none of them left an account behind

	// 64 tags, repeated, are fine: the bound is on what is sent.
	r = ts.mustGQL(t, "", `mutation($in: SignupInput!) { signup(input: $in) { user { tags } } }`,
		vars{"in": signup(vars{"tags": append(tagList(32, true), tagList(32, true)...)})})
	var out struct {
		Signup struct{ User struct{ Tags []string } }
	}
	r.decode(t, &out)
	if got := len(out.Signup.User.Tags); got != 32 {
		t.Errorf("signed up with %d tags, want the 32 distinct ones", got)
	}
}

func TestLoginBoundsIdentifierAndPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "erin", testPassword)
	big := strings.Repeat("x", 300<<10)
	for _, c := range []struct {
		id, pw, field string
	}{
		{big, testPassword, "identifier"}, // it keys a rate limiter
		{"erin", big, "password"},         // it is hashed
	} {
		r := ts.gql(t, "", loginMutation, vars{"id": c.id, "pw": c.pw})
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if r.field() != c.field {
			t.Errorf("field = %q, want %q", r.field(), c.field)
		}
	}
	ts.login(t, "erin", testPassword)
}

// filterWorld is a server with an administrator and one user to find.
type filterWorld struct {
	ts    *testServer
	admin string
	hit   string // the id of user "hit"
}

func newFilterWorld(t *testing.T, opts ...option) *filterWorld {
	t.Helper()
	ts := startServer(t, opts...)
	w := &filterWorld{ts: ts, admin: ts.admin(t).AccessToken}
	w.hit = ts.signup(t, "hit", testPassword).User.ID
	ts.signup(t, "miss", testPassword)
	return w
}

// orOf is an "or" of n branches of which the first selects id.
func orOf(n int, id string) vars {
	branches := make([]vars, n)
	branches[0] = vars{"ids": []string{id}}
	for i := 1; i < n; i++ {
		branches[i] = vars{"ids": []string{fmt.Sprintf("no-such-id-%d", i)}}
	}
	return vars{"or": branches}
}

// usernames runs users(filter) and returns the usernames or the response.
func (w *filterWorld) usernames(t *testing.T, filter vars) ([]string, *gqlResponse) {
	t.Helper()
	r := w.ts.gql(t, w.admin, `query($f: UserFilter) { users(filter: $f, first: 100) { nodes { username } } }`, vars{"f": filter})
	if len(r.Errors) > 0 {
		return nil, r
	}
	var out struct {
		Users struct{ Nodes []struct{ Username string } }
	}
	r.decode(t, &out)
	var names []string
	for _, n := range out.Users.Nodes {
		names = append(names, n.Username)
	}
	return names, r
}

// wantRefused fails unless filter is BAD_USER_INPUT on field filter.
func (w *filterWorld) wantRefused(t *testing.T, what string, filter vars) {
	t.Helper()
	_, r := w.usernames(t, filter)
	if r.code() != "BAD_USER_INPUT" || r.field() != "filter" {
		t.Errorf("%s: code %q on field %q (%+v), want BAD_USER_INPUT on filter", what, r.code(), r.field(), r.Errors)
	}
}

// wantHit fails unless filter selects exactly user "hit".
func (w *filterWorld) wantHit(t *testing.T, what string, filter vars) {
	t.Helper()
	got, r := w.usernames(t, filter)
	if len(r.Errors) > 0 || !slices.Equal(got, []string{"hit"}) {
		t.Errorf("%s: got %v (errors %+v), want [hit]", what, got, r.Errors)
	}
}

func TestUsersFilterWidth(t *testing.T) {
	t.Parallel()
	w := newFilterWorld(t)
	// 1000 branches went through to SQLite, past its expression depth:
	// INTERNAL.
	w.wantRefused(t, "or of 1000", orOf(1000, w.hit))
	w.wantRefused(t, "or of 501", orOf(501, w.hit))
	w.wantHit(t, "or of 500", orOf(500, w.hit))
	w.wantRefused(t, "and of 501", vars{"and": orOf(501, w.hit)["or"]})

	many := func(n int) []string { return tagList(n, true) }
	in := func(n int) []any {
		l := make([]any, n)
		for i := range l {
			l[i] = i
		}
		return l
	}
	for _, c := range []struct {
		name string
		list func(n int) vars
	}{
		{"ids", func(n int) vars { return vars{"ids": append(many(n-1), w.hit)} }},
		{"usernames", func(n int) vars { return vars{"usernames": append(many(n-1), "hit")} }},
		{"emails", func(n int) vars { return vars{"emails": append(many(n-1), "hit@example.com")} }},
		{"roles.any", func(n int) vars { return vars{"ids": []string{w.hit}, "roles": vars{"any": append(many(n-1), "user")}} }},
		{"tags.all", func(n int) vars { return vars{"ids": []string{w.hit}, "not": vars{"tags": vars{"all": many(n)}}} }},
		{"metadata IN", func(n int) vars {
			return vars{"ids": []string{w.hit}, "not": vars{"metadata": []vars{{"path": "a", "op": "IN", "value": in(n)}}}}
		}},
	} {
		w.wantHit(t, c.name+" of 500", c.list(500))
		w.wantRefused(t, c.name+" of 501", c.list(501))
	}
	w.wantRefused(t, "status of 501", vars{"status": slices.Repeat([]string{"ACTIVE"}, 501)})
	w.wantRefused(t, "search of 1025 bytes", vars{"search": strings.Repeat("s", 1025)})
}

// The bulk mutations take the same filters, and their patch lists are
// bounded like the others; nobody is changed by a refused request.
func TestBulkMutationsBoundFilterAndPatch(t *testing.T) {
	t.Parallel()
	w := newFilterWorld(t)
	for _, c := range []struct {
		name, mutation string
		v              vars
		field          string
	}{
		{"delete with an or of 1000", `mutation($f: UserFilter!) { deleteUsers(filter: $f, hard: true) }`,
			vars{"f": orOf(1000, w.hit)}, "filter"},
		{"update with an or of 1000", `mutation($f: UserFilter!) { updateUsers(filter: $f, patch: {addTags: ["x"]}) }`,
			vars{"f": orOf(1000, w.hit)}, "filter"},
		// Not checked at all before: applied to every user selected, with a
		// comparison per removed tag and held tag.
		{"50,000 tags to remove", `mutation($f: UserFilter!, $tags: [String!]) { updateUsers(filter: $f, patch: {removeTags: $tags}) }`,
			vars{"f": vars{"ids": []string{w.hit}}, "tags": tagList(50_000, true)}, "removeTags"},
		{"65 tags to add", `mutation($f: UserFilter!, $tags: [String!]) { updateUsers(filter: $f, patch: {addTags: $tags}) }`,
			vars{"f": vars{"ids": []string{w.hit}}, "tags": tagList(65, true)}, "addTags"},
		{"65 roles to remove", `mutation($f: UserFilter!, $roles: [String!]) { updateUsers(filter: $f, patch: {removeRoles: $roles}) }`,
			vars{"f": vars{"ids": []string{w.hit}}, "roles": tagList(65, true)}, "removeRoles"},
	} {
		r := w.ts.gql(t, w.admin, c.mutation, c.v)
		if r.code() != "BAD_USER_INPUT" || r.field() != c.field {
			t.Errorf("%s: code %q on field %q (%+v), want BAD_USER_INPUT on %s", c.name, r.code(), r.field(), r.Errors, c.field)
		}
	}
	w.wantHit(t, "after the refused mutations", vars{"ids": []string{w.hit}, "tags": vars{"all": []string{}}})
	if got, _ := w.usernames(t, vars{"tags": vars{"any": []string{"x"}}}); len(got) != 0 {
		t.Errorf("a refused update tagged %v", got)
	}
}

// USERGRAPH_MAX_FILTER_WIDTH moves the bound.
func TestMaxFilterWidthSetting(t *testing.T) {
	t.Parallel()
	env := app.Env{Vars: []string{"USERGRAPH_MAX_FILTER_WIDTH=10"}, Stdout: io.Discard, Stderr: io.Discard}
	loaded, err := app.Load(nil, env)
	if err != nil {
		t.Fatal(err)
	}
	w := newFilterWorld(t, withConfig(func(c *app.Config) { c.Accounts.MaxFilterWidth = loaded.Accounts.MaxFilterWidth }))
	w.wantHit(t, "or of 10", orOf(10, w.hit))
	w.wantRefused(t, "or of 11", orOf(11, w.hit))
	w.wantHit(t, "ids of 10", vars{"ids": append(tagList(9, true), w.hit)})
	w.wantRefused(t, "ids of 11", vars{"ids": append(tagList(10, true), w.hit)})
}

func TestAuthorizeBoundsResourceAndPatterns(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	createRole(t, ts, root, "reader")
	// Alternatives of stars: glob's backtracking matcher takes hours on a
	// resource of 2 KB; within the bounds, so it must answer.
	addPermission(t, ts, root, "reader", strings.Repeat("{*,a}", 7)+"x*", "GET")
	_, user := newUserWithRoles(t, ts, root, "rita", "reader")
	ask := func(resource string) *gqlResponse {
		return ts.gql(t, user.AccessToken, `query($r: String!) { authorize(resource: $r, verb: GET) }`, vars{"r": resource})
	}
	for _, c := range []struct {
		resource string
		want     bool
	}{
		{strings.Repeat("a", 2047), false},
		{strings.Repeat("a", 2045) + "xy", true},
	} {
		var out struct{ Authorize bool }
		ask(c.resource).decode(t, &out)
		if out.Authorize != c.want {
			t.Errorf("authorize(%.8q…, %d bytes) = %v, want %v", c.resource, len(c.resource), out.Authorize, c.want)
		}
	}
	r := ask("/" + strings.Repeat("a", 2048))
	if r.code() != "BAD_USER_INPUT" || r.field() != "resource" {
		t.Errorf("a resource of 2049 bytes: code %q on %q, want BAD_USER_INPUT on resource", r.code(), r.field())
	}
	res := askAuthorization(t, ts, "GET", "", map[string]string{"Authorization": "Bearer " + user.AccessToken,
		"X-Forwarded-Uri": "/" + strings.Repeat("a", 4096), "X-Forwarded-Method": "GET"})
	if res.status != 400 {
		t.Errorf("/authorization with a URI of 4 KB: status %d, want 400", res.status)
	}

	r = ts.gql(t, root, `mutation($in: PermissionInput!) { addPermission(role: "reader", input: $in) { id } }`,
		vars{"in": vars{"pattern": strings.Repeat("{*,a}", 8) + "x*", "verbs": []string{"GET"}}})
	wantCode(t, r, "INVALID_PATTERN", 703)
}

// Input values are decoded level by level, at a cost that grows with the
// depth of each level: they are bounded in depth before any is decoded,
// far beyond what the services accept, so only abuse meets the bound.
func TestInputNestingBounded(t *testing.T) {
	t.Parallel()
	w := newFilterWorld(t)
	deep := vars{}
	for range 9000 {
		deep = vars{"not": deep}
	}
	// Anonymous: arguments are decoded before the permission is checked.
	r := w.ts.gql(t, "", `query($f: UserFilter) { users(filter: $f) { nodes { id } } }`, vars{"f": deep})
	if r.code() != "BAD_USER_INPUT" || r.field() != "$f" {
		t.Errorf("a filter variable 9000 levels deep: code %q on %q (%+v), want BAD_USER_INPUT on $f", r.code(), r.field(), r.Errors)
	}
	inline := `{ users(filter: ` + strings.Repeat(`{not: `, 100) + `{}` + strings.Repeat(`}`, 100) + `) { nodes { id } } }`
	r = w.ts.gql(t, w.admin, inline, nil)
	if r.code() != "BAD_USER_INPUT" || r.field() != "filter" {
		t.Errorf("a filter written 100 levels deep: code %q on %q, want BAD_USER_INPUT on filter", r.code(), r.field())
	}

	// The deepest inputs the services accept pass: a filter 8 levels of
	// "or" deep ending in a predicate, metadata 16 objects deep.
	f := vars{"ids": []string{w.hit}, "metadata": []vars{{"path": "a", "op": "NIN", "value": []int{1}}}}
	for range store.MaxFilterDepth {
		f = vars{"or": []vars{f}}
	}
	w.wantHit(t, "a filter 8 levels deep", f)
	var meta any = 1
	for range 16 {
		meta = vars{"a": meta}
	}
	w.ts.mustGQL(t, "", signupMutation, vars{"in": vars{"username": "deep", "password": testPassword, "metadata": meta}})
}
