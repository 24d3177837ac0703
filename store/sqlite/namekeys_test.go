package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// A database from before the name keys gets them at the next Open (the
// code migration fillNameKeys), for every user however many batches that
// takes, folded as Go folds.
func TestOpenFillsNameKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "namekeys.db")
	db, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const many = 2*refoldBatch + 7 // a last batch that is not full
	var users []*store.User
	for i := range many {
		users = append(users, &store.User{Username: fmt.Sprintf("ada%04d", i), FirstName: "Ada", LastName: fmt.Sprintf("L%04d", i)})
	}
	users = append(users, &store.User{Username: "emile", FirstName: "Émile", LastName: "Zola"}, &store.User{Username: "nameless"})
	for _, u := range users {
		u.ID, u.UsernameKey, u.Status, u.CreatedAt = store.NewID(), u.Username, store.StatusActive, store.Now()
	}
	if err := db.CreateUsers(t.Context(), users); err != nil {
		t.Fatal(err)
	}
	// As the migration's columns left them: the default.
	if _, err := db.exec(t.Context(), `UPDATE users SET first_name_key = '', last_name_key = '', full_name_key = ''`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.exec(t.Context(), `DELETE FROM schema_migrations WHERE name = '0013_guests_apps_discovery_name_keys'`); err != nil {
		t.Fatal(err)
	}
	ada := &store.UserFilter{FirstNames: []string{"ada"}}
	wantMatches(t, db, "before the migration", ada, 0)
	db.Close()

	db, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wantMatches(t, db, "every first name", ada, many)
	wantMatches(t, db, "a non-ASCII full name in upper case", &store.UserFilter{FullNames: []string{"ÉMILE ZOLA"}}, 1)
	wantMatches(t, db, "a full name prefix across the space", &store.UserFilter{NamePrefix: &store.NamePrefix{Name: "ADA L"}}, many)
}

func wantMatches(t *testing.T, db *DB, what string, f *store.UserFilter, want int) {
	t.Helper()
	n, err := db.CountUsers(t.Context(), f)
	if err != nil {
		t.Fatalf("%s: CountUsers: %v", what, err)
	}
	if n != want {
		t.Errorf("%s: counts %d users, want %d", what, n, want)
	}
}
