package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/usergraph/usergraph/store"
)

// A database from before the search text held the full name as shown gets
// it rewritten, for every user however many batches that takes (small ones
// here: FerretDB updates slowly), and users whose text did not change keep
// it; then Open does not run it again. Needs a server (testURI).
func TestRefoldSearchText(t *testing.T) {
	uri := testURI(t)
	b := make([]byte, 8)
	rand.Read(b)
	opts := Options{Database: "ugtest_refold_" + hex.EncodeToString(b), Timeout: 10 * time.Second}
	db, err := Open(t.Context(), uri, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		db.Drop(ctx)
		db.Close()
	})
	const batch, many = 3, 2*3 + 1 // a last batch that is not full
	var users []*store.User
	for i := range many {
		users = append(users, &store.User{Username: fmt.Sprintf("ada%04d", i), FirstName: "Ada", LastName: fmt.Sprintf("L%04d", i)})
	}
	users = append(users,
		&store.User{Username: "emile", FirstName: "Émile", LastName: "Zola"},
		&store.User{Username: "kim", FirstName: "Kimberly", LastName: "Lee", FullName: "Kim Lee"})
	var models []mongo.WriteModel
	for _, u := range users {
		u.ID, u.UsernameKey, u.Status, u.CreatedAt = store.NewID(), u.Username, store.StatusActive, store.Now()
		// As the previous version stored them: the stored full name only.
		old := strings.ToLower(strings.Join([]string{u.Username, u.Email, u.FirstName, u.LastName, u.FullName}, "\x00"))
		models = append(models, mongo.NewUpdateOneModel().SetFilter(bson.D{{Key: "_id", Value: u.ID}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "searchText", Value: old}}}}))
	}
	if err := db.CreateUsers(t.Context(), users); err != nil {
		t.Fatal(err)
	}
	if _, err := db.users.BulkWrite(t.Context(), models); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSetting(t.Context(), settingSearchText); err != nil {
		t.Fatal(err)
	}
	wantCount(t, db, "before the rewrite", "ada l", 0)

	if err := db.refoldSearchText(t.Context(), batch); err != nil {
		t.Fatalf("refoldSearchText: %v", err)
	}
	wantCount(t, db, "every joined first and last name", "ada l", many)
	wantCount(t, db, "a non-ASCII name, in upper case", "ÉMILE ZOLA", 1)
	wantCount(t, db, "a stored full name", "kim lee", 1)
	wantCount(t, db, "first and last beside a stored full name", "kimberly lee", 0)

	// Done once: a user stored the old way now stays as it is at Open.
	if _, err := db.users.BulkWrite(t.Context(), models[:1]); err != nil {
		t.Fatal(err)
	}
	again, err := Open(t.Context(), uri, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	wantCount(t, again, "after a second Open", "ada l", many-1)
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
