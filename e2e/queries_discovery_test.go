package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
)

// User discovery (README, "Discovery"): any signed-in caller, an
// application's session included, finds users by their public fields and
// sees their public view; guests, accounts that are not ACTIVE and deleted
// accounts are never found. Administrators find users by phone.

const discoverQuery = `query($f: DiscoveryFilter, $first: Int, $after: String, $offset: Int) {
	discoverUsers(filter: $f, first: $first, after: $after, offset: $offset) {
		edges { cursor node { id username email fullName metadata isGuest status } }
		pageInfo { hasNextPage hasPreviousPage endCursor } totalCount } }`

// discoveryPage is a page of discoverUsers.
type discoveryPage struct {
	Edges []struct {
		Cursor string  `json:"cursor"`
		Node   apiUser `json:"node"`
	} `json:"edges"`
	PageInfo struct {
		HasNextPage     bool    `json:"hasNextPage"`
		HasPreviousPage bool    `json:"hasPreviousPage"`
		EndCursor       *string `json:"endCursor"`
	} `json:"pageInfo"`
	TotalCount int `json:"totalCount"`
}

func (p discoveryPage) usernames() []string {
	var out []string
	for _, e := range p.Edges {
		out = append(out, userStr(e.Node.Username))
	}
	return out
}

func discover(t *testing.T, ts *testServer, token string, v vars) discoveryPage {
	t.Helper()
	return dataField[discoveryPage](t, ts.mustGQL(t, token, discoverQuery, v), "discoverUsers")
}

// seedDiscovery makes the users the discovery tests find, or must not:
// ann and anna (found), a suspended, a pending-by-admin and a deleted
// account named like them, and a guest.
func seedDiscovery(t *testing.T, ts *testServer, root string) {
	t.Helper()
	mustSignup(t, ts, vars{"username": "ann", "email": "ann@example.com", "firstName": "Ann", "lastName": "Archer",
		"tags": []string{"vip"}, "metadata": vars{"secret": 1}})
	mustSignup(t, ts, vars{"username": "anna", "email": "anna@example.com", "lastName": "Zed", "fullName": "Anna Zed"})
	susp := createUser(t, ts, root, vars{"username": "annsusp", "firstName": "Ann", "password": testPassword})
	ts.mustGQL(t, root, `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": susp.ID})
	createUser(t, ts, root, vars{"username": "annpend", "firstName": "Ann", "status": "PENDING"})
	gone := createUser(t, ts, root, vars{"username": "anngone", "firstName": "Ann"})
	ts.mustGQL(t, root, `mutation($id: ID!) { deleteUser(id: $id) }`, vars{"id": gone.ID})
	loginAsGuest(t, ts, vars{"fullName": "Ann"})
}

func TestDiscoverUsers(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	seedDiscovery(t, ts, root)
	viewer := ts.signup(t, "viewer", testPassword).AccessToken
	guest := loginAsGuest(t, ts, nil).AccessToken

	for _, c := range []struct {
		what string
		f    vars
		want []string
	}{
		{"first name, any case", vars{"firstName": "aNN"}, []string{"ann"}},
		{"last name", vars{"lastName": "ARCHER"}, []string{"ann"}},
		{"full name as shown", vars{"fullName": "ann archer"}, []string{"ann"}},
		{"stored full name", vars{"fullName": "Anna Zed"}, []string{"anna"}},
		{"prefix of names and usernames", vars{"search": "An"}, []string{"ann", "anna"}},
		{"prefix of a last name", vars{"search": "ze"}, []string{"anna"}},
		{"usernames", vars{"usernames": []string{"ANN", "annsusp", "annpend", "anngone"}}, []string{"ann"}},
		{"tags", vars{"tags": vars{"any": []string{"vip"}}}, []string{"ann"}},
		// Requests are written in batches: "never" counts as the epoch.
		{"last request", vars{"lastRequestAt": vars{"lt": "2100-01-01T00:00:00Z"}}, []string{"root", "ann", "anna", "viewer"}},
		{"parts are ANDed", vars{"search": "an", "tags": vars{"any": []string{"vip"}}}, []string{"ann"}},
		{"no filter: every discoverable user", nil, []string{"root", "ann", "anna", "viewer"}},
	} {
		v := vars{}
		if c.f != nil {
			v["f"] = c.f
		}
		p := discover(t, ts, viewer, v)
		if got := p.usernames(); !slices.Equal(got, c.want) {
			t.Errorf("%s: found %v, want %v", c.what, got, c.want)
		}
		if p.TotalCount != len(c.want) {
			t.Errorf("%s: totalCount %d, want %d", c.what, p.TotalCount, len(c.want))
		}
	}
	// Only the public view: no email, no metadata; never a guest.
	p := discover(t, ts, guest, vars{"f": vars{"firstName": "ann"}})
	if len(p.Edges) != 1 {
		t.Fatalf("a guest's discovery: %v", p.usernames())
	}
	n := p.Edges[0].Node
	if n.Email != nil || string(n.Metadata) != "{}" || n.Status != "ACTIVE" {
		t.Errorf("a discovered user shows more than the public view: %+v", n)
	}
	wantCode(t, ts.gql(t, "", discoverQuery, nil), "UNAUTHENTICATED", 606)
	wantCode(t, ts.gql(t, viewer, discoverQuery, vars{"f": vars{"email": "ann@example.com"}}), "BAD_USER_INPUT", 0)
	wantCode(t, ts.gql(t, viewer, discoverQuery, vars{"first": 501}), "BAD_USER_INPUT", 0)
	wantCode(t, ts.gql(t, viewer, discoverQuery, vars{"after": "not-a-cursor"}), "BAD_USER_INPUT", 0)
	wantCode(t, ts.gql(t, viewer, discoverQuery, vars{"f": vars{"search": strings.Repeat("a", 2000)}}), "BAD_USER_INPUT", 0)

	// An application's session discovers too.
	app := openAppSession(t, ts, createApp(t, ts, root, "directory")).AccessToken
	if got := discover(t, ts, app, vars{"f": vars{"search": "ann"}}).usernames(); !slices.Equal(got, []string{"ann", "anna"}) {
		t.Errorf("an APP session's discovery: %v", got)
	}
}

// Pages like users: first, after a cursor, offset, and the flags.
func TestDiscoverUsersPaging(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	for _, name := range []string{"pa", "pb", "pc", "pd", "pe"} {
		ts.signup(t, name, testPassword)
	}
	f := vars{"search": "p"}
	first := discover(t, ts, root, vars{"f": f, "first": 2})
	if got := first.usernames(); !slices.Equal(got, []string{"pa", "pb"}) || !first.PageInfo.HasNextPage || first.PageInfo.HasPreviousPage || first.TotalCount != 5 {
		t.Errorf("first page: %v %+v total %d", got, first.PageInfo, first.TotalCount)
	}
	second := discover(t, ts, root, vars{"f": f, "first": 2, "after": *first.PageInfo.EndCursor})
	if got := second.usernames(); !slices.Equal(got, []string{"pc", "pd"}) || !second.PageInfo.HasPreviousPage {
		t.Errorf("after the cursor: %v %+v", got, second.PageInfo)
	}
	last := discover(t, ts, root, vars{"f": f, "first": 2, "offset": 4})
	if got := last.usernames(); !slices.Equal(got, []string{"pe"}) || last.PageInfo.HasNextPage {
		t.Errorf("offset 4: %v %+v", got, last.PageInfo)
	}
}

// With USERGRAPH_DISCOVERY_BY_EMAIL on, an exact email finds its account.
func TestDiscoverUsersByEmail(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.DiscoveryByEmail = true }))
	root := ts.admin(t).AccessToken
	seedDiscovery(t, ts, root)
	viewer := ts.signup(t, "viewer", testPassword).AccessToken
	if got := discover(t, ts, viewer, vars{"f": vars{"email": "ANN@example.com"}}).usernames(); !slices.Equal(got, []string{"ann"}) {
		t.Errorf("by email: %v, want [ann]", got)
	}
	if got := discover(t, ts, viewer, vars{"f": vars{"email": "ann@"}}).usernames(); len(got) != 0 {
		t.Errorf("by part of an email: %v, want nobody", got)
	}
}

// Administrators find users by phone, normalised as at sign-in.
func TestUsersByPhone(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.PhoneRegion = "GB" }))
	root := ts.admin(t).AccessToken
	mustSignup(t, ts, vars{"username": "ann", "phone": "+44 7911 123456"})
	mustSignup(t, ts, vars{"username": "bob", "phone": "+1 415 555 0100"})
	const q = `query($p: [String!]) { users(filter: {phones: $p}) { nodes { username phone } totalCount } }`
	for _, c := range []struct {
		phones []string
		want   []string
	}{
		{[]string{"07911 123456"}, []string{"ann"}},
		{[]string{"+447911123456", "+1 (415) 555-0100"}, []string{"ann", "bob"}},
		{[]string{"not a number"}, nil},
	} {
		r := ts.mustGQL(t, root, q, vars{"p": c.phones})
		var out struct {
			Users struct {
				Nodes      []apiUser `json:"nodes"`
				TotalCount int       `json:"totalCount"`
			} `json:"users"`
		}
		r.decode(t, &out)
		var got []string
		for _, n := range out.Users.Nodes {
			got = append(got, userStr(n.Username))
		}
		if !slices.Equal(got, c.want) || out.Users.TotalCount != len(c.want) {
			t.Errorf("phones %q: %v (total %d), want %v", c.phones, got, out.Users.TotalCount, c.want)
		}
	}
	plain := ts.signup(t, "plain", testPassword).AccessToken
	wantCode(t, ts.gql(t, plain, q, vars{"p": []string{"+447911123456"}}), "FORBIDDEN", 609)
}
