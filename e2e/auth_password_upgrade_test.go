package e2e

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// TestImportedBcryptPasswordUpgradesOnLogin: a user imported with a bcrypt
// hash (written straight into the store, as an import would) signs in with
// the password, and the stored hash is replaced by argon2id; a wrong
// password neither signs in nor changes the hash.
func TestImportedBcryptPasswordUpgradesOnLogin(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "imports the user into the SQLite file")
	ts := startServer(t)
	path := strings.TrimPrefix(ts.cfg.Store.URL, "sqlite:")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash, _ := bcrypt.GenerateFromPassword([]byte("imported secret 42"), bcrypt.MinCost)
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: "legacy", UsernameKey: "legacy", Status: store.StatusActive,
		PasswordHash: string(hash), Roles: []string{"user"}, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}

	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "legacy", "pw": "imported secret 43"}), "INVALID_CREDENTIALS", 603)
	if got, _ := db.GetUser(t.Context(), u.ID); got.PasswordHash != string(hash) {
		t.Fatalf("a wrong password changed the stored hash to %q", got.PasswordHash)
	}
	ts.login(t, "legacy", "imported secret 42")
	got, err := db.GetUser(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$") {
		t.Fatalf("stored hash after login = %q, want argon2id", got.PasswordHash)
	}
	ts.login(t, "legacy", "imported secret 42") // the new hash verifies too
}
