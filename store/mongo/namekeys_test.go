package mongo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// Users stored before name keys existed get them, however many batches
// that takes, and discovery's filters then find them; Open does not run
// it again once done. Needs a server (testURI).
func TestFillNameKeys(t *testing.T) {
	uri := testURI(t)
	b := make([]byte, 8)
	rand.Read(b)
	opts := Options{Database: "ugtest_namekeys_" + hex.EncodeToString(b), Timeout: 10 * time.Second}
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
	users = append(users, &store.User{Username: "emile", FirstName: "Émile", LastName: "Zola"},
		&store.User{Username: "nameless"})
	for _, u := range users {
		u.ID, u.UsernameKey, u.Status, u.CreatedAt = store.NewID(), u.Username, store.StatusActive, store.Now()
	}
	if err := db.CreateUsers(t.Context(), users); err != nil {
		t.Fatal(err)
	}
	// As the previous version stored them: without the keys.
	unset := bson.D{{Key: "$unset", Value: bson.D{{Key: "firstNameKey", Value: ""}, {Key: "lastNameKey", Value: ""}, {Key: "fullNameKey", Value: ""}}}}
	if _, err := db.users.UpdateMany(t.Context(), bson.D{}, unset); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSetting(t.Context(), settingNameKeys); err != nil {
		t.Fatal(err)
	}
	ada := &store.UserFilter{FirstNames: []string{"ada"}}
	wantMatches(t, db, "before the keys are filled", ada, 0)

	if err := db.fillNameKeys(t.Context(), batch); err != nil {
		t.Fatalf("fillNameKeys: %v", err)
	}
	wantMatches(t, db, "every first name", ada, many)
	wantMatches(t, db, "a non-ASCII full name in upper case", &store.UserFilter{FullNames: []string{"ÉMILE ZOLA"}}, 1)
	wantMatches(t, db, "a full name prefix across the space", &store.UserFilter{NamePrefix: &store.NamePrefix{Name: "ADA L"}}, many)
	if n, err := db.users.CountDocuments(t.Context(), bson.D{{Key: "firstNameKey", Value: bson.D{{Key: "$exists", Value: false}}}}); err != nil || n != 0 {
		t.Errorf("users still without keys: %d, %v; want 0 (the nameless too: their keys are empty)", n, err)
	}

	// Done once: a user stored the old way now stays as it is at Open.
	if _, err := db.users.UpdateOne(t.Context(), bson.D{{Key: "_id", Value: users[0].ID}}, unset); err != nil {
		t.Fatal(err)
	}
	again, err := Open(t.Context(), uri, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	wantMatches(t, again, "after a second Open", ada, many-1)
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
