package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

// TestDiscoveryQueryPlan proves every discovery filter (account's
// discovery, docs/FILTERS.md "Discovery") is answered from an index: a
// first page and its count never read the users table whole. Each filter
// has the shape account sends: the client's parts beside "active and not
// a guest", at the top level. Without a filter, the page is read in order
// from the partial index of the users discovery may show, stopping when
// it is full.
func TestDiscoveryQueryPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedDiscoveryUsers(t, db, 2000)

	discoverable := func(f store.UserFilter) *store.UserFilter {
		f.Active, f.IsGuest = new(true), new(false)
		return &f
	}
	cases := []struct {
		name    string
		f       *store.UserFilter
		indexes []string // every one must be used
		inOrder bool     // rows come in the page's order from the index: no sort
		counts  []string // the count's indexes, where they differ
	}{
		{"no filter", discoverable(store.UserFilter{}), []string{"users_discoverable"}, true, nil},
		{"first name", discoverable(store.UserFilter{FirstNames: []string{"ann"}}), []string{"users_first_name_key"}, false, nil},
		{"last name", discoverable(store.UserFilter{LastNames: []string{"archer"}}), []string{"users_last_name_key"}, false, nil},
		{"full name", discoverable(store.UserFilter{FullNames: []string{"ann archer"}}), []string{"users_full_name_key"}, false, nil},
		{"prefix", discoverable(store.UserFilter{NamePrefix: &store.NamePrefix{Username: "an", Name: "an"}}),
			[]string{"users_username_key", "users_first_name_key", "users_last_name_key", "users_full_name_key"}, false, nil},
		{"prefix and tags", discoverable(store.UserFilter{NamePrefix: &store.NamePrefix{Username: "an", Name: "an"},
			Tags: &store.SetMatch{Any: []string{"vip"}}}),
			[]string{"users_username_key", "users_first_name_key", "users_last_name_key", "users_full_name_key"}, false, nil},
		{"ids", discoverable(store.UserFilter{IDs: []string{"a", "b"}}), []string{"sqlite_autoindex_users_1"}, false, nil},
		{"usernames", discoverable(store.UserFilter{Usernames: []string{"u1", "u2"}}), []string{"users_username_key"}, false, nil},
		{"email", discoverable(store.UserFilter{Emails: []string{"u1@example.com"}}), []string{"users_email_key"}, false, nil},
		// Parts no index answers better (tags, a time range), alone, are
		// checked on the discoverable users read in order until the page
		// is full: the same walk as no filter.
		{"last request", discoverable(store.UserFilter{LastRequestAt: &store.TimeRange{Gte: store.Now().Add(-time.Hour)}}),
			[]string{"users_discoverable"}, true, []string{"users_last_request"}},
		{"tags", discoverable(store.UserFilter{Tags: &store.SetMatch{Any: []string{"vip"}}}), []string{"users_discoverable"}, true, nil},
		// The administrators' look-up by phone number.
		{"phones", &store.UserFilter{Deleted: new(false), And: []store.UserFilter{{Phones: []string{"+14155550100"}}}}, []string{"users_phone_key"}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			plan := explainPage(t, db, c.f)
			t.Logf("plan:\n%s", plan)
			checkIndexPlan(t, plan, c.indexes)
			if c.inOrder && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("plan sorts the matches instead of reading them in order:\n%s", plan)
			}
			count := explain(t, db, `SELECT count(*) FROM users WHERE `, c.f, "")
			if c.counts == nil {
				c.counts = c.indexes
			}
			checkIndexPlan(t, count, c.counts)
		})
	}
}

// checkIndexPlan fails unless plan uses every index and reads no table
// whole: no step is a bare "SCAN users".
func checkIndexPlan(t *testing.T, plan string, indexes []string) {
	t.Helper()
	for _, index := range indexes {
		if !strings.Contains(plan, "INDEX "+index+" ") && !strings.HasSuffix(plan, "INDEX "+index) &&
			!strings.Contains(plan, "INDEX "+index+"\n") {
			t.Errorf("plan does not use %s:\n%s", index, plan)
		}
	}
	for _, line := range strings.Split(plan, "\n") {
		if line == "SCAN users" {
			t.Errorf("plan scans the users table:\n%s", plan)
		}
	}
}

// TestGuestPurgeQueryPlan: the janitor finds idle guests in the partial
// index of guests, never by reading every user.
func TestGuestPurgeQueryPlan(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "plan.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seedDiscoveryUsers(t, db, 2000)
	plan := planOf(t, db, idleGuests, 1, 1, 10)
	t.Logf("plan:\n%s", plan)
	if !strings.Contains(plan, "USING INDEX users_guests_idle") || strings.Contains(plan, "TEMP B-TREE") {
		t.Errorf("plan does not read the guests' index in order:\n%s", plan)
	}
	checkIndexPlan(t, plan, []string{"users_guests_idle"})
}

// seedDiscoveryUsers stores n users with names, tags and phones, a tenth
// of them guests and a tenth suspended.
func seedDiscoveryUsers(t *testing.T, db *DB, n int) {
	t.Helper()
	users := make([]*store.User, n)
	now := store.Now()
	for i := range users {
		u := &store.User{
			ID: store.NewID(), Username: fmt.Sprintf("u%d", i), UsernameKey: fmt.Sprintf("u%d", i),
			Email: fmt.Sprintf("u%d@example.com", i), EmailKey: fmt.Sprintf("u%d@example.com", i),
			Phone: fmt.Sprintf("+1415555%04d", i), PhoneKey: fmt.Sprintf("+1415555%04d", i),
			FirstName: fmt.Sprintf("First%d", i%300), LastName: fmt.Sprintf("Last%d", i%500),
			Tags: []string{[]string{"vip", "beta", "new"}[i%3]}, Status: store.StatusActive,
			IsGuest: i%10 == 0, CreatedAt: now.Add(time.Duration(i) * time.Second), LastRequestAt: now,
		}
		if i%10 == 1 {
			u.Status = store.StatusSuspended
		}
		users[i] = u
	}
	if err := db.CreateUsers(t.Context(), users); err != nil {
		t.Fatal(err)
	}
}
