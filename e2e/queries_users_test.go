package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// End-to-end tests of users(filter, orderBy, first, after, offset) and of
// the bulk mutations, over HTTP against ~30 seeded users. Expected answers
// are computed in Go from the seed, independently of the server.

// seededUser is one seeded user as the test knows it.
type seededUser struct {
	name     string
	lastName string
	meta     map[string]any
	app      map[string]any
	tags     []string
	roles    []string
	id       string
	created  time.Time
}

var nicknames = []string{"alpha", "albert", "bravo", "charlie", "alfred", "delta"}

// seededUserData describes user i of n.
func seededUserData(i int) *seededUser {
	s := &seededUser{name: fmt.Sprintf("u%02d", i), lastName: "Doe", tags: []string{"seed"}}
	if i%7 == 0 {
		s.lastName = "Smithson"
	}
	list := []any{"a"}
	if i%2 == 0 {
		list = append(list, "b")
	}
	s.meta = map[string]any{"score": i, "org": map[string]any{"id": i % 4, "name": fmt.Sprintf("org-%d", i%4)},
		"list": list, "nick": nicknames[i%6]}
	switch i % 3 {
	case 0:
		s.meta["code"] = 7
	case 1:
		s.meta["code"] = "7"
	}
	s.app = map[string]any{"level": i, "plan": []string{"free", "pro", "team"}[i%3]}
	if i%2 == 0 {
		s.tags = append(s.tags, "even")
	}
	if i%3 == 0 {
		s.tags = append(s.tags, "three")
	}
	if i%7 == 0 {
		s.tags = append(s.tags, "seven")
	}
	switch {
	case i%5 == 0:
		s.roles = []string{"user", "staff"}
	case i%10 == 1:
		s.roles = []string{"staff"}
	default:
		s.roles = []string{"user"}
	}
	return s
}

// seededUsers is a server with the seeded users and the administrator.
type seededUsers struct {
	ts    *testServer
	root  string
	users []*seededUser // the administrator "root" first, then u00..u29
}

const seededCount = 30

// seedUsers starts a server and seeds it through createUser.
func seedUsers(t *testing.T) *seededUsers {
	t.Helper()
	ts := startServer(t)
	w := &seededUsers{ts: ts, root: ts.admin(t).AccessToken}
	createRole(t, ts, w.root, "staff")
	w.users = append(w.users, &seededUser{name: "root", meta: map[string]any{}, app: map[string]any{}, roles: []string{"admin", "user"}})
	for i := range seededCount {
		s := seededUserData(i)
		r := ts.mustGQL(t, w.root, `mutation($in: CreateUserInput!) { createUser(input: $in) { id createdAt } }`, vars{"in": vars{
			"username": s.name, "email": s.name + "@example.com", "password": testPassword, "firstName": "Seed", "lastName": s.lastName,
			"metadata": s.meta, "appMetadata": s.app, "tags": s.tags, "roles": s.roles,
		}})
		out := dataField[struct {
			ID        string
			CreatedAt time.Time
		}](t, r, "createUser")
		s.id, s.created = out.ID, out.CreatedAt
		w.users = append(w.users, s)
	}
	r := ts.mustGQL(t, w.root, `{ me { id createdAt } }`, nil)
	me := dataField[struct {
		ID        string
		CreatedAt time.Time
	}](t, r, "me")
	w.users[0].id, w.users[0].created = me.ID, me.CreatedAt
	return w
}

// seed returns seeded user i (0..29).
func (w *seededUsers) seed(i int) *seededUser { return w.users[i+1] }

// userPage is one page of a users query.
type userPage struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   struct {
			ID       string
			Username string
		}
	}
	Nodes    []struct{ ID, Username string }
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

const userPageQuery = `query($f: UserFilter, $o: [UserOrder!], $first: Int, $after: String, $offset: Int) {
	users(filter: $f, orderBy: $o, first: $first, after: $after, offset: $offset) {
		totalCount edges { cursor node { id username } } nodes { id username }
		pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }`

// page runs one users query and fails on errors.
func (w *seededUsers) page(t *testing.T, v vars) userPage {
	t.Helper()
	return dataField[userPage](t, w.ts.mustGQL(t, w.root, userPageQuery, v), "users")
}

// ids returns the ids of a page in order.
func (p userPage) ids() []string {
	var out []string
	for _, n := range p.Nodes {
		out = append(out, n.ID)
	}
	return out
}

// asInt reads a JSON number the seed stored as an int.
func asInt(v any) (int, bool) {
	n, ok := v.(int)
	return n, ok
}

// valueAt walks objects only, as docs/FILTERS.md says.
func valueAt(doc map[string]any, path string) (any, bool) {
	var cur any = doc
	for _, k := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func TestUsersQueryFilters(t *testing.T) {
	t.Parallel()
	w := seedUsers(t)
	lo, hi := w.seed(10).created, w.seed(19).created
	codeIs := func(s *seededUser, want any) bool { v, ok := s.meta["code"]; return ok && v == want }
	orgID := func(s *seededUser) (int, bool) { v, _ := valueAt(s.meta, "org.id"); return asInt(v) }
	level := func(s *seededUser) (int, bool) { return asInt(s.app["level"]) }

	cases := []struct {
		name   string
		filter vars
		want   func(s *seededUser) bool
	}{
		{"no filter", nil, func(s *seededUser) bool { return true }},
		{"search is case-insensitive over names", vars{"search": "SMITHSON"}, func(s *seededUser) bool { return s.lastName == "Smithson" }},
		{"search over username and email", vars{"search": "U1"}, func(s *seededUser) bool { return strings.Contains(s.name, "u1") }},
		{"search over the full name fullName shows", vars{"search": "seed smithson"}, func(s *seededUser) bool { return s.lastName == "Smithson" }},
		{"usernames case-insensitive", vars{"usernames": []string{"U03", "u04", "nobody"}}, func(s *seededUser) bool { return s.name == "u03" || s.name == "u04" }},
		{"metadata EQ number", vars{"metadata": []vars{{"path": "code", "op": "EQ", "value": 7}}}, func(s *seededUser) bool { return codeIs(s, 7) }},
		{"metadata EQ string", vars{"metadata": []vars{{"path": "code", "op": "EQ", "value": "7"}}}, func(s *seededUser) bool { return codeIs(s, "7") }},
		{"metadata NE includes missing", vars{"metadata": []vars{{"path": "code", "op": "NE", "value": 7}}}, func(s *seededUser) bool { return !codeIs(s, 7) }},
		{"nested path", vars{"metadata": []vars{{"path": "org.id", "op": "EQ", "value": 2}}}, func(s *seededUser) bool { n, ok := orgID(s); return ok && n == 2 }},
		{"IN", vars{"metadata": []vars{{"path": "org.id", "op": "IN", "value": []int{0, 3}}}}, func(s *seededUser) bool { n, ok := orgID(s); return ok && (n == 0 || n == 3) }},
		{"NIN includes missing", vars{"metadata": []vars{{"path": "org.id", "op": "NIN", "value": []int{0, 1}}}}, func(s *seededUser) bool { n, ok := orgID(s); return !ok || n >= 2 }},
		{"EXISTS false", vars{"metadata": []vars{{"path": "code", "op": "EXISTS", "value": false}}}, func(s *seededUser) bool { _, ok := s.meta["code"]; return !ok }},
		{"CONTAINS in an array", vars{"metadata": []vars{{"path": "list", "op": "CONTAINS", "value": "b"}}}, func(s *seededUser) bool {
			l, _ := s.meta["list"].([]any)
			return slices.Contains(l, any("b"))
		}},
		{"CONTAINS a substring", vars{"metadata": []vars{{"path": "nick", "op": "CONTAINS", "value": "r"}}}, func(s *seededUser) bool {
			n, _ := s.meta["nick"].(string)
			return strings.Contains(n, "r")
		}},
		{"PREFIX", vars{"metadata": []vars{{"path": "nick", "op": "PREFIX", "value": "al"}}}, func(s *seededUser) bool {
			n, _ := s.meta["nick"].(string)
			return strings.HasPrefix(n, "al")
		}},
		{"string LT", vars{"metadata": []vars{{"path": "nick", "op": "LT", "value": "b"}}}, func(s *seededUser) bool {
			n, ok := s.meta["nick"].(string)
			return ok && n < "b"
		}},
		{"appMetadata GT", vars{"appMetadata": []vars{{"path": "level", "op": "GT", "value": 20}}}, func(s *seededUser) bool { n, ok := level(s); return ok && n > 20 }},
		{"appMetadata GTE and LTE", vars{"appMetadata": []vars{{"path": "level", "op": "GTE", "value": 5}, {"path": "level", "op": "LTE", "value": 9.5}}}, func(s *seededUser) bool {
			n, ok := level(s)
			return ok && n >= 5 && n <= 9
		}},
		{"roles all", vars{"roles": vars{"all": []string{"user", "staff"}}}, func(s *seededUser) bool {
			return slices.Contains(s.roles, "user") && slices.Contains(s.roles, "staff")
		}},
		{"roles any", vars{"roles": vars{"any": []string{"staff", "admin"}}}, func(s *seededUser) bool {
			return slices.Contains(s.roles, "staff") || slices.Contains(s.roles, "admin")
		}},
		{"tags any", vars{"tags": vars{"any": []string{"three", "seven"}}}, func(s *seededUser) bool {
			return slices.Contains(s.tags, "three") || slices.Contains(s.tags, "seven")
		}},
		{"tags all", vars{"tags": vars{"all": []string{"even", "three"}}}, func(s *seededUser) bool {
			return slices.Contains(s.tags, "even") && slices.Contains(s.tags, "three")
		}},
		{"and, or, not", vars{
			"or":  []vars{{"tags": vars{"any": []string{"even"}}}, {"metadata": []vars{{"path": "org.id", "op": "EQ", "value": 1}}}},
			"not": vars{"appMetadata": []vars{{"path": "level", "op": "LT", "value": 10}}},
			"and": []vars{{"search": "u"}},
		}, func(s *seededUser) bool {
			o, ook := orgID(s)
			l, lok := level(s)
			return (slices.Contains(s.tags, "even") || ook && o == 1) && !(lok && l < 10) && strings.Contains(s.name, "u")
		}},
		{"empty or matches nobody", vars{"or": []vars{}}, func(s *seededUser) bool { return false }},
		{"createdAt range", vars{"createdAt": vars{"gte": lo.Format(time.RFC3339Nano), "lte": hi.Format(time.RFC3339Nano)}}, func(s *seededUser) bool {
			return !s.created.Before(lo) && !s.created.After(hi)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var want []string
			for _, s := range w.users {
				if c.want(s) {
					want = append(want, s.name)
				}
			}
			p := w.page(t, vars{"f": c.filter, "first": 100})
			var got []string
			for _, n := range p.Nodes {
				got = append(got, n.Username)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("users = %v\nwant    %v", got, want)
			}
			if p.TotalCount != len(want) {
				t.Fatalf("totalCount = %d, want %d", p.TotalCount, len(want))
			}
			t.Logf("%d of %d users: %v", len(want), len(w.users), want)
		})
	}
	if n := len(w.page(t, vars{"f": vars{"createdAt": vars{"gte": lo.Format(time.RFC3339Nano), "lte": hi.Format(time.RFC3339Nano)}}}).Nodes); n < 10 {
		t.Fatalf("the createdAt range held %d users, want at least the 10 created in it", n)
	}
}

func TestUsersQueryPaging(t *testing.T) {
	t.Parallel()
	w := seedUsers(t)
	orders := []struct {
		name   string
		order  []vars
		filter vars
		sorted func(a, b *seededUser) bool // a may come before b
	}{
		{"default order", nil, nil, func(a, b *seededUser) bool {
			return a.created.Before(b.created) || a.created.Equal(b.created) && a.id < b.id
		}},
		{"metadata path DESC", []vars{{"field": "METADATA", "path": "org.id", "direction": "DESC"}}, nil, func(a, b *seededUser) bool {
			av, aok := valueAt(a.meta, "org.id")
			bv, bok := valueAt(b.meta, "org.id")
			an, _ := asInt(av)
			bn, _ := asInt(bv)
			switch {
			case aok != bok: // missing sorts first ascending, so last descending
				return aok
			case an != bn:
				return an > bn
			}
			return a.id < b.id
		}},
		{"username with a filter", []vars{{"field": "USERNAME", "direction": "ASC"}}, vars{"tags": vars{"any": []string{"even"}}}, func(a, b *seededUser) bool {
			return a.name < b.name
		}},
	}
	byID := map[string]*seededUser{}
	for _, s := range w.users {
		byID[s.id] = s
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			all := w.page(t, vars{"f": o.filter, "o": o.order, "first": 100})
			if all.PageInfo.HasNextPage || all.PageInfo.HasPreviousPage {
				t.Errorf("one big page: pageInfo = %+v", all.PageInfo)
			}
			if all.TotalCount != len(all.Nodes) {
				t.Errorf("totalCount = %d, nodes %d", all.TotalCount, len(all.Nodes))
			}
			if o.filter == nil && len(all.Nodes) != seededCount+1 {
				t.Fatalf("%d users, want %d", len(all.Nodes), seededCount+1)
			}
			for i := 1; i < len(all.Nodes); i++ {
				a, b := byID[all.Nodes[i-1].ID], byID[all.Nodes[i].ID]
				if !o.sorted(a, b) {
					t.Fatalf("%s comes before %s", a.name, b.name)
				}
			}

			var walked []string
			after, pages := "", 0
			for {
				v := vars{"f": o.filter, "o": o.order, "first": 7}
				if after != "" {
					v["after"] = after
				}
				p := w.page(t, v)
				pages++
				if p.PageInfo.HasPreviousPage != (pages > 1) {
					t.Errorf("page %d: hasPreviousPage = %v", pages, p.PageInfo.HasPreviousPage)
				}
				if len(p.Nodes) > 7 || len(p.Edges) != len(p.Nodes) {
					t.Fatalf("page %d: %d nodes, %d edges", pages, len(p.Nodes), len(p.Edges))
				}
				if p.TotalCount != all.TotalCount {
					t.Errorf("page %d: totalCount = %d, want %d", pages, p.TotalCount, all.TotalCount)
				}
				if len(p.Edges) > 0 && (p.PageInfo.StartCursor == nil || *p.PageInfo.StartCursor != p.Edges[0].Cursor ||
					p.PageInfo.EndCursor == nil || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor) {
					t.Errorf("page %d: start/end cursors do not match the edges", pages)
				}
				walked = append(walked, p.ids()...)
				if !p.PageInfo.HasNextPage {
					break
				}
				if pages > 20 {
					t.Fatal("paging does not end")
				}
				after = *p.PageInfo.EndCursor
			}
			if !slices.Equal(walked, all.ids()) {
				t.Fatalf("pages of 7 joined differ from one big page:\n%v\n%v", walked, all.ids())
			}
			if want := (len(all.Nodes) + 6) / 7; pages != want {
				t.Errorf("%d pages, want %d", pages, want)
			}
		})
	}

	all := w.page(t, vars{"first": 100})
	t.Run("offset", func(t *testing.T) {
		p := w.page(t, vars{"first": 5, "offset": 3})
		if !slices.Equal(p.ids(), all.ids()[3:8]) || !p.PageInfo.HasPreviousPage || !p.PageInfo.HasNextPage {
			t.Fatalf("offset 3 = %v (pageInfo %+v), want %v", p.ids(), p.PageInfo, all.ids()[3:8])
		}
		p = w.page(t, vars{"first": 5, "after": all.Edges[4].Cursor, "offset": 2})
		if !slices.Equal(p.ids(), all.ids()[7:12]) {
			t.Fatalf("after the 5th, offset 2 = %v, want %v", p.ids(), all.ids()[7:12])
		}
		p = w.page(t, vars{"first": 5, "offset": seededCount - 2})
		if !slices.Equal(p.ids(), all.ids()[seededCount-2:]) || p.PageInfo.HasNextPage {
			t.Fatalf("last offset page = %v (pageInfo %+v)", p.ids(), p.PageInfo)
		}
	})
	t.Run("default page size", func(t *testing.T) {
		r := w.ts.mustGQL(t, w.root, `{ users { nodes { id } } }`, nil)
		if n := len(dataField[userPage](t, r, "users").Nodes); n != seededCount+1 {
			t.Fatalf("%d users, want %d", n, seededCount+1)
		}
	})
	t.Run("a cursor stays valid while users are added", func(t *testing.T) {
		cursor := all.Edges[9].Cursor
		lateID, _ := newUserWithRoles(t, w.ts, w.root, "latecomer")
		p := w.page(t, vars{"first": 100, "after": cursor})
		if want := append(slices.Clone(all.ids()[10:]), lateID); !slices.Equal(p.ids(), want) {
			t.Fatalf("after the 10th: %v, want %v", p.ids(), want)
		}
	})

	bad := []struct {
		name  string
		v     vars
		field string
	}{
		{"bad path", vars{"f": vars{"metadata": []vars{{"path": "a..b", "op": "EQ", "value": 1}}}}, "filter"},
		{"path with a bad character", vars{"f": vars{"metadata": []vars{{"path": "a$b", "op": "EQ", "value": 1}}}}, "filter"},
		{"EXISTS with a string", vars{"f": vars{"metadata": []vars{{"path": "a", "op": "EXISTS", "value": "yes"}}}}, "filter"},
		{"IN without an array", vars{"f": vars{"appMetadata": []vars{{"path": "a", "op": "IN", "value": 1}}}}, "filter"},
		{"EQ with an object", vars{"f": vars{"metadata": []vars{{"path": "a", "op": "EQ", "value": vars{}}}}}, "filter"},
		{"bad predicate nested in not", vars{"f": vars{"not": vars{"metadata": []vars{{"path": "", "op": "EQ", "value": 1}}}}}, "filter"},
		{"garbage cursor", vars{"after": "not a cursor!"}, "after"},
		{"cursor of another order", vars{"after": all.Edges[0].Cursor, "o": []vars{{"field": "USERNAME", "direction": "ASC"}, {"field": "EMAIL", "direction": "ASC"}}}, "after"},
		{"first over 500", vars{"first": 501}, "first"},
		{"negative first", vars{"first": -1}, "first"},
		{"offset too deep", vars{"offset": 10001}, "offset"},
		{"negative offset", vars{"offset": -1}, "offset"},
		{"METADATA order without a path", vars{"o": []vars{{"field": "METADATA", "direction": "ASC"}}}, "orderBy"},
		{"CREATED_AT order with a path", vars{"o": []vars{{"field": "CREATED_AT", "direction": "ASC", "path": "a"}}}, "orderBy"},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			r := w.ts.gql(t, w.root, userPageQuery, c.v)
			wantCode(t, r, "BAD_USER_INPUT", 0)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
			}
		})
	}
	if p := w.page(t, vars{"first": 500}); len(p.Nodes) != seededCount+2 {
		t.Errorf("first: 500 = %d users", len(p.Nodes))
	}
}

// names returns the sorted usernames a filter selects (as the admin).
func (w *seededUsers) names(t *testing.T, filter vars) []string {
	t.Helper()
	p := w.page(t, vars{"f": filter, "first": 500})
	var out []string
	for _, n := range p.Nodes {
		out = append(out, n.Username)
	}
	slices.Sort(out)
	if p.TotalCount != len(out) {
		t.Fatalf("totalCount = %d, nodes %d", p.TotalCount, len(out))
	}
	return out
}

// expect returns the sorted names of seeded users (not root) for which keep holds.
func (w *seededUsers) expect(keep func(i int) bool) []string {
	var out []string
	for i := range seededCount {
		if keep(i) {
			out = append(out, w.seed(i).name)
		}
	}
	return out
}

func TestUsersBulkMutations(t *testing.T) {
	t.Parallel()
	w := seedUsers(t)
	ts, root := w.ts, w.root
	const update = `mutation($f: UserFilter!, $p: UserPatchInput!) { updateUsers(filter: $f, patch: $p) }`
	const remove = `mutation($f: UserFilter!, $hard: Boolean) { deleteUsers(filter: $f, hard: $hard) }`
	count := func(t *testing.T, r *gqlResponse, field string) int {
		t.Helper()
		return dataField[int](t, r, field)
	}

	t.Run("tags and appMetadata", func(t *testing.T) {
		r := ts.mustGQL(t, root, update, vars{"f": vars{"metadata": []vars{{"path": "org.id", "op": "EQ", "value": 2}}},
			"p": vars{"addTags": []string{"bulk", "bulk"}, "removeTags": []string{"even", "absent"}, "appMetadata": vars{"plan": "gold", "level": nil, "extra": vars{"x": 1}}}})
		hit := w.expect(func(i int) bool { return i%4 == 2 })
		if n := count(t, r, "updateUsers"); n != len(hit) {
			t.Fatalf("updateUsers = %d, want %d", n, len(hit))
		}
		if got := w.names(t, vars{"tags": vars{"any": []string{"bulk"}}}); !slices.Equal(got, hit) {
			t.Fatalf("tagged bulk = %v, want %v", got, hit)
		}
		if got := w.names(t, vars{"appMetadata": []vars{{"path": "plan", "op": "EQ", "value": "gold"}, {"path": "level", "op": "EXISTS", "value": false}, {"path": "extra.x", "op": "EQ", "value": 1}}}); !slices.Equal(got, hit) {
			t.Fatalf("patched appMetadata = %v, want %v", got, hit)
		}
		wantEven := w.expect(func(i int) bool { return i%2 == 0 && i%4 != 2 })
		if got := w.names(t, vars{"tags": vars{"any": []string{"even"}}}); !slices.Equal(got, wantEven) {
			t.Fatalf("still even = %v, want %v", got, wantEven)
		}
		// Users outside the filter are untouched.
		u := getUser(t, ts, root, w.seed(0).id)
		assertJSONEqual(t, "u00 appMetadata", u.AppMetadata, `{"level":0,"plan":"free"}`)
		if tags := slices.Sorted(slices.Values(u.Tags)); !slices.Equal(tags, []string{"even", "seed", "seven", "three"}) {
			t.Errorf("u00 tags = %v", u.Tags)
		}
	})
	t.Run("no match", func(t *testing.T) {
		if n := count(t, ts.mustGQL(t, root, update, vars{"f": vars{"usernames": []string{"nobody"}}, "p": vars{"addTags": []string{"x"}}}), "updateUsers"); n != 0 {
			t.Fatalf("updateUsers = %d, want 0", n)
		}
	})
	t.Run("SUSPENDED ends sessions", func(t *testing.T) {
		a, b, c := ts.login(t, "u03", testPassword), ts.login(t, "u04", testPassword), ts.login(t, "u05", testPassword)
		r := ts.mustGQL(t, root, update, vars{"f": vars{"usernames": []string{"u03", "U04"}}, "p": vars{"status": "SUSPENDED"}})
		if n := count(t, r, "updateUsers"); n != 2 {
			t.Fatalf("updateUsers = %d, want 2", n)
		}
		for _, tok := range []string{a.AccessToken, b.AccessToken} {
			wantCode(t, ts.gql(t, tok, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		}
		ts.meID(t, c.AccessToken)
		if code, st := loginCode(t, ts, "u03", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
			t.Fatalf("login = %s %d, want USER_NOT_ACTIVE 601", code, st)
		}
		if got := w.names(t, vars{"status": []string{"SUSPENDED"}}); !slices.Equal(got, []string{"u03", "u04"}) {
			t.Fatalf("suspended = %v", got)
		}
		ts.mustGQL(t, root, update, vars{"f": vars{"status": []string{"SUSPENDED"}}, "p": vars{"status": "ACTIVE"}})
		ts.login(t, "u03", testPassword)
		// The sessions from before the suspension stay ended.
		for _, tok := range []string{a.AccessToken, b.AccessToken} {
			wantCode(t, ts.gql(t, tok, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		}
	})
	t.Run("empty filter is refused", func(t *testing.T) {
		for _, c := range []struct {
			name, query string
			v           vars
		}{
			{"updateUsers", update, vars{"f": vars{}, "p": vars{"addTags": []string{"oops"}, "status": "SUSPENDED"}}},
			{"deleteUsers", remove, vars{"f": vars{}}},
			{"deleteUsers hard", remove, vars{"f": vars{}, "hard": true}},
		} {
			t.Run(c.name, func(t *testing.T) {
				r := ts.gql(t, root, c.query, c.v)
				wantCode(t, r, "BAD_USER_INPUT", 0)
				if r.field() != "filter" {
					t.Errorf("field = %q, want filter", r.field())
				}
			})
		}
		if got := w.names(t, vars{"tags": vars{"any": []string{"oops"}}}); len(got) != 0 {
			t.Fatalf("a refused update tagged %v", got)
		}
		if got := w.names(t, nil); len(got) != seededCount+1 {
			t.Fatalf("%d users after refused deletes", len(got))
		}
		if got := w.names(t, vars{"status": []string{"ACTIVE"}}); len(got) != seededCount+1 {
			t.Fatalf("%d active users after the refused update", len(got))
		}
	})
	t.Run("a bad filter is refused", func(t *testing.T) {
		r := ts.gql(t, root, update, vars{"f": vars{"metadata": []vars{{"path": "a..b", "op": "EQ", "value": 1}}}, "p": vars{"addTags": []string{"oops"}}})
		wantCode(t, r, "BAD_USER_INPUT", 0)
	})

	three := w.expect(func(i int) bool { return i%3 == 0 })
	t.Run("soft delete", func(t *testing.T) {
		tok := ts.login(t, "u06", testPassword).AccessToken
		r := ts.mustGQL(t, root, remove, vars{"f": vars{"tags": vars{"any": []string{"three"}}}})
		if n := count(t, r, "deleteUsers"); n != len(three) {
			t.Fatalf("deleteUsers = %d, want %d", n, len(three))
		}
		wantCode(t, ts.gql(t, tok, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
		if code, _ := loginCode(t, ts, "u06", testPassword); code != "USER_NOT_ACTIVE" {
			t.Fatalf("login of a deleted user = %q", code)
		}
		if got := w.names(t, vars{"deleted": true}); !slices.Equal(got, three) {
			t.Fatalf("deleted = %v, want %v", got, three)
		}
		if got := w.names(t, nil); len(got) != seededCount+1-len(three) {
			t.Fatalf("%d listed, want %d", len(got), seededCount+1-len(three))
		}
		// Soft-deleted users are not selected again.
		if n := count(t, ts.mustGQL(t, root, remove, vars{"f": vars{"tags": vars{"any": []string{"three"}}}}), "deleteUsers"); n != 0 {
			t.Fatalf("second deleteUsers = %d, want 0", n)
		}
		wantCode(t, ts.gql(t, "", signupMutation, vars{"in": vars{"username": "u06", "password": testPassword}}), "ALREADY_EXISTS", 602)
	})
	t.Run("hard delete", func(t *testing.T) {
		r := ts.mustGQL(t, root, remove, vars{"f": vars{"deleted": true}, "hard": true})
		if n := count(t, r, "deleteUsers"); n != len(three) {
			t.Fatalf("deleteUsers = %d, want %d", n, len(three))
		}
		if got := w.names(t, vars{"deleted": true}); len(got) != 0 {
			t.Fatalf("still there: %v", got)
		}
		if got := w.names(t, nil); len(got) != seededCount+1-len(three) {
			t.Fatalf("%d listed, want %d", len(got), seededCount+1-len(three))
		}
		ts.signup(t, "u06", testPassword)
		r = ts.mustGQL(t, root, remove, vars{"f": vars{"usernames": []string{"u01", "u02"}}, "hard": true})
		if n := count(t, r, "deleteUsers"); n != 2 {
			t.Fatalf("hard deleteUsers = %d, want 2", n)
		}
		if got := w.names(t, vars{"usernames": []string{"u01", "u02"}, "deleted": true}); len(got) != 0 {
			t.Fatalf("hard-deleted users remain: %v", got)
		}
	})
}

// Filters that select everybody in disguise are refused like {}.
func TestUsersBulkRefusesUnrestrictedFilters(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.admin(t)
	ts.signup(t, "keepme", testPassword)
	for _, f := range []string{`{}`, `{and: []}`, `{and: [{}]}`, `{roles: {}}`, `{roles: {all: []}}`, `{createdAt: {}}`, `{tags: {}}`} {
		r := ts.gql(t, a.AccessToken, `mutation { deleteUsers(filter: `+f+`) }`, nil)
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if r.field() != "filter" {
			t.Errorf("%s: field %q, want filter", f, r.field())
		}
	}
	ts.login(t, "keepme", testPassword) // still there
}
