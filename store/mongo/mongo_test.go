package mongo_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
	"github.com/usergraph/usergraph/store/storetest"
)

// TestConformance runs the shared suite on a MongoDB-compatible server
// (mongo.ServerURI). Each subtest gets its own database, dropped
// afterwards. The cases the server cannot pass (serverSkips) are skipped
// with the reason.
func TestConformance(t *testing.T) {
	uri := mongo.ServerURI(t)
	storetest.RunWith(t, func(t *testing.T) store.Store {
		return openTestDB(t, uri)
	}, storetest.Options{Skip: serverSkips(t)})
}

// ferretDBSkips are the cases FerretDB 1.x cannot pass: features it lacks,
// not faults of the backend (docs/MONGODB.md, "FerretDB differences").
var ferretDBSkips = map[string]string{
	"UserMetadataRoundTrip": "FerretDB refuses nested arrays (an array inside an array, " +
		"here [4] in metadata.arr: \"nested arrays are not supported\"); MongoDB stores them",
}

// serverSkips returns ferretDBSkips when the server is FerretDB, none
// otherwise: every case runs on MongoDB.
func serverSkips(t *testing.T) map[string]string {
	t.Helper()
	ferret, err := mongo.IsFerretDB()
	if err != nil {
		t.Fatalf("ask the server who it is (buildInfo): %v", err)
	}
	if ferret {
		t.Log("the server is FerretDB: skipping what it cannot do")
		return ferretDBSkips
	}
	return nil
}

func openTestDB(t testing.TB, uri string) *mongo.DB {
	t.Helper()
	db, err := mongo.Open(t.Context(), uri, mongo.Options{
		Database: testDatabase(),
		Timeout:  10 * time.Second,
		// Indexed paths the suite filters on, so their creation is tested.
		IndexedPaths: []store.IndexedPath{{Path: "org.id"}, {AppMetadata: true, Path: "plan"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := db.Drop(ctx); err != nil {
			t.Errorf("drop the test database: %v", err)
		}
		db.Close()
	})
	return db
}

// testDatabase is a fresh database name.
func testDatabase() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "ugtest_" + hex.EncodeToString(b)
}

// Open fails fast, naming the host and the limit but never the password.
func TestOpenUnreachable(t *testing.T) {
	start := time.Now()
	_, err := mongo.Open(t.Context(), "mongodb://admin:s3cret@127.0.0.1:1/app?authSource=admin",
		mongo.Options{Timeout: 300 * time.Millisecond})
	if err == nil {
		t.Fatal("Open of a closed port: got no error")
	}
	want := "mongodb: cannot reach the server at 127.0.0.1:1 within 300ms"
	if err.Error() != want {
		t.Errorf("Open error: got %q, want %q", err, want)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "admin") {
		t.Errorf("Open error %q shows credentials", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Open took %v with a 300ms timeout", d)
	}
}

// An update that interleaves with another write of the same record finds
// the version moved, reads again and applies its change once more, so
// neither write is lost. The interleaving is forced (the first callback
// writes the record itself), so this checks the retry loop on any server,
// also one whose conditional writes are not atomic under real concurrency.
func TestUpdateRetriesAfterInterleavedWrite(t *testing.T) {
	ctx := t.Context()
	db := openTestDB(t, mongo.ServerURI(t))
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: "hot", UsernameKey: "hot", Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	calls := 0
	got, err := db.UpdateUser(ctx, u.ID, func(outer *store.User) error {
		calls++
		if calls == 1 {
			if _, err := db.UpdateUser(ctx, u.ID, func(inner *store.User) error {
				inner.Tags = append(inner.Tags, "inner")
				return nil
			}); err != nil {
				return err
			}
		}
		outer.Tags = append(outer.Tags, "outer")
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if calls != 2 {
		t.Errorf("update callback ran %d times, want 2 (once more after the interleaved write)", calls)
	}
	stored, err := db.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"inner", "outer"}; !slices.Equal(stored.Tags, want) || !slices.Equal(got.Tags, want) {
		t.Errorf("tags: stored %v, returned %v; want %v", stored.Tags, got.Tags, want)
	}
	if stored.Version != 3 || got.Version != 3 {
		t.Errorf("version: stored %d, returned %d; want 3 (created 1, two updates)", stored.Version, got.Version)
	}

	// The same for roles, whose retry reads by name again.
	r := &store.Role{ID: store.NewID(), Name: "editor", CreatedAt: now, UpdatedAt: now}
	if err := db.CreateRole(ctx, r); err != nil {
		t.Fatal(err)
	}
	calls = 0
	if _, err := db.UpdateRole(ctx, "editor", func(outer *store.Role) error {
		calls++
		if calls == 1 {
			if _, err := db.UpdateRole(ctx, "editor", func(inner *store.Role) error {
				inner.Description += "inner "
				return nil
			}); err != nil {
				return err
			}
		}
		outer.Description += "outer"
		return nil
	}); err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	if role, err := db.GetRole(ctx, "editor"); err != nil || role.Description != "inner outer" || calls != 2 {
		t.Errorf("role after interleaved updates: %+v, %v (callback ran %d times); want description %q", role, err, calls, "inner outer")
	}
}
