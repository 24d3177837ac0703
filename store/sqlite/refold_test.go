package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// A database from before the search text held the full name as shown gets
// it at the next Open (the code migration refoldSearchText), for every user
// however many batches that takes, folded as Go folds, and leaves users
// whose text did not change alone.
func TestOpenRefoldsSearchText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "refold.db")
	db, err := Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	const many = 2*refoldBatch + 7 // a last batch that is not full
	var users []*store.User
	for i := range many {
		users = append(users, &store.User{Username: fmt.Sprintf("ada%04d", i), FirstName: "Ada", LastName: fmt.Sprintf("L%04d", i)})
	}
	emile := &store.User{Username: "emile", FirstName: "Émile", LastName: "Zola"}
	kim := &store.User{Username: "kim", FirstName: "Kimberly", LastName: "Lee", FullName: "Kim Lee"}
	users = append(users, emile, kim)
	for _, u := range users {
		u.ID, u.UsernameKey, u.Status, u.CreatedAt = store.NewID(), u.Username, store.StatusActive, store.Now()
	}
	if err := db.CreateUsers(t.Context(), users); err != nil {
		t.Fatal(err)
	}
	// As the previous version stored them: the stored full name only.
	for _, u := range users {
		old := strings.ToLower(strings.Join([]string{u.Username, u.Email, u.FirstName, u.LastName, u.FullName}, "\x00"))
		if _, err := db.exec(t.Context(), `UPDATE users SET search_text = ? WHERE id = ?`, old, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.exec(t.Context(), `DELETE FROM schema_migrations WHERE name = '0005_search_text_display_full_name'`); err != nil {
		t.Fatal(err)
	}
	wantCount(t, db, "before the migration", "ada l", 0)
	db.Close()

	db, err = Open(t.Context(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	wantCount(t, db, "every joined first and last name", "ada l", many)
	wantCount(t, db, "a non-ASCII name, in upper case", "ÉMILE ZOLA", 1)
	wantCount(t, db, "a stored full name", "kim lee", 1)
	wantCount(t, db, "first and last beside a stored full name", "kimberly lee", 0)
}

func wantCount(t *testing.T, db *DB, what, search string, want int) {
	t.Helper()
	n, err := db.CountUsers(t.Context(), &store.UserFilter{Search: search})
	if err != nil {
		t.Fatalf("%s: CountUsers: %v", what, err)
	}
	if n != want {
		t.Errorf("%s: search %q counts %d users, want %d", what, search, n, want)
	}
}
