package storetest

import (
	"slices"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// The filter parts user discovery and the phone look-up use
// (docs/FILTERS.md, "Discovery"): exact names in any case, name and
// username prefixes, phone numbers. Discovery itself adds "active and not
// a guest", the existing parts, around them.

var discoveryTests = []subTest{
	{"UserFiltersDiscovery", testDiscoveryFilters},
	{"NameKeysFollowNames", testNameKeysFollowNames},
}

// discoveryPopulation is the fixed set of users the discovery cases run
// on, labelled by username; comments say what each one is there for.
func discoveryPopulation() []*store.User {
	users := []*store.User{
		// No stored full name: "Ann Archer" is the one shown.
		{Username: "ann", FirstName: "Ann", LastName: "Archer", Phone: "+14155550100"},
		// A username that starts like ann's, no names at all.
		{Username: "annex", Phone: "+14155550101"},
		// The stored full name wins over first + last; non-ASCII last name.
		{Username: "bob", FirstName: "Bob", LastName: "Ünal", FullName: "Robert Ünal", Phone: "+447700900123"},
		// A guest, an account waiting for activation, a soft-deleted and a
		// suspended one, all named like ann.
		{Username: "cat", FirstName: "Ann", IsGuest: true},
		{Username: "dan", LastName: "Annan", Status: store.StatusPending},
		{Username: "eve", FirstName: "Anne", DeletedAt: day(9)},
		{Username: "fay", FullName: "Ann Fay", Status: store.StatusSuspended},
		// A character beyond the Basic Multilingual Plane right after "ann":
		// a prefix range ending at U+FFFF would miss it.
		{Username: "gus", FirstName: "Ann😀x"},
		// Starts with a letter outside ASCII, whose fold is not ASCII's.
		{Username: "hal", FirstName: "Änna", LastName: "Zed"},
		// An upper-case first name.
		{Username: "ivy", FirstName: "ANNABEL"},
	}
	for i, u := range users {
		u.CreatedAt = day(i + 1)
		prepUser(u)
	}
	return users
}

func discoveryCases() []filterCase {
	discoverable := func(f store.UserFilter) store.UserFilter {
		return store.UserFilter{Active: new(true), IsGuest: new(false), And: []store.UserFilter{f}}
	}
	prefix := func(username, name string) store.UserFilter {
		return store.UserFilter{NamePrefix: &store.NamePrefix{Username: username, Name: name}}
	}
	all := []string{"ann", "annex", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy"}
	return []filterCase{
		{"first names in any case", store.UserFilter{FirstNames: []string{"ANN"}}, []string{"ann", "cat"}},
		{"first names list", store.UserFilter{FirstNames: []string{"ann", "Bob"}}, []string{"ann", "bob", "cat"}},
		// Users without a first name have the key "", which no value finds.
		{"first names empty string", store.UserFilter{FirstNames: []string{""}}, nil},
		{"first names empty list", store.UserFilter{FirstNames: []string{}}, nil},
		{"last names non-ASCII any case", store.UserFilter{LastNames: []string{"ÜNAL"}}, []string{"bob"}},
		{"full name as shown from first and last", store.UserFilter{FullNames: []string{"ann archer"}}, []string{"ann"}},
		{"full name from the first name alone", store.UserFilter{FullNames: []string{"Ann"}}, []string{"cat"}},
		{"stored full name wins", store.UserFilter{FullNames: []string{"bob ünal"}}, nil},
		{"stored full name", store.UserFilter{FullNames: []string{"Robert Ünal", "ANN FAY"}}, []string{"bob", "fay"}},
		{"full names empty string", store.UserFilter{FullNames: []string{""}}, nil},
		{"phones", store.UserFilter{Phones: []string{"+14155550100", "+447700900123", "+10000000000"}}, []string{"ann", "bob"}},
		{"phones empty string", store.UserFilter{Phones: []string{""}}, nil},
		{"phones empty list", store.UserFilter{Phones: []string{}}, nil},
		// Names: first, last and full name as shown. annex has none; hal's
		// starts with Ä.
		{"name prefix", prefix("", "an"), []string{"ann", "cat", "dan", "eve", "fay", "gus", "ivy"}},
		{"name prefix folded", prefix("", "AN"), []string{"ann", "cat", "dan", "eve", "fay", "gus", "ivy"}},
		{"name prefix is a whole name", prefix("", "annabel"), []string{"ivy"}},
		// gus's first name goes on with a character beyond the BMP.
		{"name prefix followed by a character beyond the BMP", prefix("", "ann"), []string{"ann", "cat", "dan", "eve", "fay", "gus", "ivy"}},
		{"name prefix beyond the BMP", prefix("", "ann😀"), []string{"gus"}},
		{"name prefix non-ASCII", prefix("", "Än"), []string{"hal"}},
		{"name prefix across a space", prefix("", "ROBERT Ü"), []string{"bob"}},
		{"name prefix of a last name", prefix("", "arch"), []string{"ann"}},
		{"name prefix of a full name as shown", prefix("", "ann a"), []string{"ann"}},
		{"name prefix matches no username", prefix("", "annex"), nil},
		// Usernames: compared with the key as given.
		{"username prefix", prefix("ann", ""), []string{"ann", "annex"}},
		{"username prefix is not a name prefix", prefix("zed", ""), nil},
		{"username or name prefix", prefix("ann", "zed"), []string{"ann", "annex", "hal"}},
		{"empty prefix is nobody", prefix("", ""), nil},
		{"blank name prefix is nobody", prefix("", "  "), nil},
		{"not name prefix", not(prefix("ann", "")), except2(all, "ann", "annex")},
		// What discovery sends: only active accounts that are no guests.
		{"discoverable name prefix", discoverable(prefix("", "an")), []string{"ann", "gus", "ivy"}},
		{"discoverable first name", discoverable(store.UserFilter{FirstNames: []string{"ann"}}), []string{"ann"}},
		{"discoverable everyone", discoverable(store.UserFilter{}), []string{"ann", "annex", "bob", "gus", "hal", "ivy"}},
		{"discoverable usernames or names", discoverable(prefix("a", "a")), []string{"ann", "annex", "gus", "ivy"}},
	}
}

// except2 returns the labels of all but the given ones.
func except2(all []string, labels ...string) []string {
	return slices.DeleteFunc(slices.Clone(all), func(l string) bool { return slices.Contains(labels, l) })
}

func testDiscoveryFilters(t *testing.T, s store.Store) {
	users := discoveryPopulation()
	if err := s.CreateUsers(t.Context(), users); err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	names := labeler{}
	for _, u := range users {
		names[u.ID] = u.UsernameKey
	}
	for _, tc := range discoveryCases() {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			if err := store.ValidateFilter(&f); err != nil {
				t.Fatalf("the case's filter does not validate: %v", err)
			}
			want := set(tc.want)
			if got := set(names.labels(listAll(t, s, &f))); !slices.Equal(got, want) {
				t.Errorf("ListUsers: got %s, want %s", show(got), show(want))
			}
			if n := mustCount(t, s, &f); n != len(want) {
				t.Errorf("CountUsers: got %d, want %d %s", n, len(want), show(want))
			}
		})
	}
}

// The name keys follow every write: after a rename the old names find the
// user no more, the new ones do.
func testNameKeysFollowNames(t *testing.T, s store.Store) {
	u := prepUser(&store.User{Username: "jsmith", FirstName: "John", LastName: "Smith"})
	mustCreateUsers(t, s, u)
	finds := func(what string, f store.UserFilter, want bool) {
		t.Helper()
		got := len(listAll(t, s, &f)) == 1
		if got != want {
			t.Errorf("%s: found %v, want %v", what, got, want)
		}
	}
	finds("first name", store.UserFilter{FirstNames: []string{"john"}}, true)
	finds("full name from first and last", store.UserFilter{FullNames: []string{"john smith"}}, true)
	if _, err := s.UpdateUser(t.Context(), u.ID, func(x *store.User) error {
		x.FirstName, x.FullName = "Jon", "Jonathan Smythe"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	finds("old first name", store.UserFilter{FirstNames: []string{"john"}}, false)
	finds("new first name", store.UserFilter{FirstNames: []string{"JON"}}, true)
	finds("old full name", store.UserFilter{FullNames: []string{"john smith"}}, false)
	finds("new stored full name", store.UserFilter{FullNames: []string{"jonathan smythe"}}, true)
	finds("prefix of the new full name", store.UserFilter{NamePrefix: &store.NamePrefix{Name: "jonathan s"}}, true)
	finds("last name kept", store.UserFilter{LastNames: []string{"smith"}}, true)
}
