package e2e

import (
	"slices"
	"testing"
)

// users(filter: {search}) finds a user by the full name User.fullName
// shows, also when that name is built from the first and last names.
func TestUsersSearchByShownFullName(t *testing.T) {
	t.Parallel()
	w := &seededUsers{ts: startServer(t)}
	w.root = w.ts.admin(t).AccessToken
	create := func(username string, names vars) {
		t.Helper()
		in := vars{"username": username, "email": username + "@example.com", "password": testPassword}
		for k, v := range names {
			in[k] = v
		}
		w.ts.mustGQL(t, w.root, `mutation($in: CreateUserInput!) { createUser(input: $in) { id } }`, vars{"in": in})
	}
	create("jsmith", vars{"firstName": "John", "lastName": "Smith"})
	create("jsmithers", vars{"firstName": "John", "lastName": "Smithers", "fullName": "Johnny Smithers"})
	create("sjohn", vars{"firstName": "Smith", "lastName": "John"})

	var shown struct{ Nodes []apiUser }
	w.ts.mustGQL(t, w.root, `{ users(filter: {usernames: ["jsmith"]}) { nodes { id fullName } } }`, nil).decode(t, &struct{ Users any }{&shown})
	if len(shown.Nodes) != 1 || userStr(shown.Nodes[0].FullName) != "John Smith" {
		t.Fatalf("jsmith's fullName: %+v, want one user showing \"John Smith\"", shown.Nodes)
	}
	for _, c := range []struct {
		search string
		want   []string
	}{
		{"John Smith", []string{"jsmith"}},
		{"john smith", []string{"jsmith"}},
		{"n S", []string{"jsmith"}},
		// A stored full name is what shows: first + last is not searched
		// as one name beside it.
		{"John Smithers", nil},
		{"Johnny Smithers", []string{"jsmithers"}},
		{"Smith John", []string{"sjohn"}},
	} {
		if got := w.names(t, vars{"search": c.search}); !slices.Equal(got, c.want) {
			t.Errorf("search %q: got %v, want %v", c.search, got, c.want)
		}
	}
}
