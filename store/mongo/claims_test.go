package mongo_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
)

// The claims a versioned write and a token's consumption take first
// (store/mongo/claims.go): what a claim left behind by a writer that died,
// one still held, and one whose write the server refused do to the next
// writer. The concurrent cases are in the conformance suite.

// A writer that died between its claim and its write left the claim of the
// user's next version. Once that claim's hold has ended, the next writer
// steps over it, writing the version after, so the user is not stuck; the
// same for a token whose consumer died.
func TestRunOutWriteClaimIsSteppedOver(t *testing.T) {
	ctx := t.Context()
	db := openTestDB(t, mongo.ServerURI(t))
	u := createTestUser(t, db, "stuck")
	ranOut := time.Now().Add(-time.Second)
	if err := db.PlantWriteClaim(ctx, "users", u.ID, u.Version+1, ranOut); err != nil {
		t.Fatal(err)
	}
	got, err := db.UpdateUser(ctx, u.ID, addTag("after"))
	if err != nil {
		t.Fatalf("UpdateUser past a run-out claim: %v", err)
	}
	stored, err := db.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := u.Version + 2; got.Version != want || stored.Version != want {
		t.Errorf("version: returned %d, stored %d; want %d (the run-out claim's version skipped)", got.Version, stored.Version, want)
	}
	if want := []string{"after"}; !slices.Equal(stored.Tags, want) {
		t.Errorf("tags: got %v, want %v", stored.Tags, want)
	}

	tok := createTestToken(t, db, u)
	if err := db.PlantWriteClaim(ctx, "refresh_tokens", tok.Hash, 1, ranOut); err != nil {
		t.Fatal(err)
	}
	next, err := db.RotateRefreshToken(ctx, tok.Hash, "successor", time.Now())
	if err != nil {
		t.Fatalf("RotateRefreshToken past a run-out claim: %v", err)
	}
	if next.Hash != "successor" {
		t.Errorf("successor: got %q, want %q", next.Hash, "successor")
	}
}

// A claim still held keeps every other writer off: an update of the user
// ends in ErrConflict and changes nothing. A rotation of a token that is
// not consumed yet ends in a fault, not ErrConflict: the session service
// reads ErrConflict as "consumed" and would look for a successor there is
// none of. Once the holder's consumption shows, ErrConflict it is.
func TestHeldWriteClaimKeepsOthersOff(t *testing.T) {
	ctx := t.Context()
	db := openTestDB(t, mongo.ServerURI(t))
	u := createTestUser(t, db, "held")
	held := time.Now().Add(time.Minute)
	if err := db.PlantWriteClaim(ctx, "users", u.ID, u.Version+1, held); err != nil {
		t.Fatal(err)
	}
	_, err := db.UpdateUser(ctx, u.ID, addTag("never"))
	if !errors.Is(err, store.ErrConflict) {
		t.Errorf("UpdateUser while the next version is claimed: got %v, want ErrConflict", err)
	}
	if _, err := db.RecordLoginFailure(ctx, u.ID, func(l store.Lockout) store.Lockout { l.Failures++; return l }); !errors.Is(err, store.ErrConflict) {
		t.Errorf("RecordLoginFailure while the next version is claimed: got %v, want ErrConflict", err)
	}
	stored, err := db.GetUser(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Version != u.Version || len(stored.Tags) != 0 || stored.Lockout.Failures != 0 {
		t.Errorf("user after refused writes: version %d, tags %v, failures %d; want version %d, no tags, no failures",
			stored.Version, stored.Tags, stored.Lockout.Failures, u.Version)
	}

	tok := createTestToken(t, db, u)
	if err := db.PlantWriteClaim(ctx, "refresh_tokens", tok.Hash, 1, held); err != nil {
		t.Fatal(err)
	}
	_, err = db.RotateRefreshToken(ctx, tok.Hash, "successor", time.Now())
	if err == nil || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		t.Errorf("RotateRefreshToken of a token claimed, not consumed: got %v, want a fault", err)
	}
	if got, err := db.GetRefreshToken(ctx, tok.Hash); err != nil || got.Consumed() {
		t.Errorf("token after the refused rotation: %+v, %v; want it unconsumed", got, err)
	}
	if _, err := db.GetRefreshToken(ctx, "successor"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("successor of the refused rotation: got %v, want ErrNotFound", err)
	}

	consumed := createTestToken(t, db, u)
	if _, err := db.RotateRefreshToken(ctx, consumed.Hash, "first", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RotateRefreshToken(ctx, consumed.Hash, "second", time.Now()); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second rotation of a token (its claim held, the token consumed): got %v, want ErrConflict", err)
	}
}

// A write the server refuses (here a taken username) gives its claim back,
// so the next write takes that same version at once.
func TestRefusedWriteGivesClaimBack(t *testing.T) {
	ctx := t.Context()
	db := openTestDB(t, mongo.ServerURI(t))
	createTestUser(t, db, "taken")
	u := createTestUser(t, db, "other")
	_, err := db.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.Username, u.UsernameKey = "taken", "taken"
		return nil
	})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Fatalf("UpdateUser to a taken username: got %v, want ErrAlreadyExists", err)
	}
	if held, err := db.WriteClaimExists(ctx, "users", u.ID, u.Version+1); err != nil || held {
		t.Errorf("claim of the refused write: stored = %v (%v), want given back", held, err)
	}
	got, err := db.UpdateUser(ctx, u.ID, addTag("next"))
	if err != nil {
		t.Fatalf("UpdateUser after the refused one: %v", err)
	}
	if got.Version != u.Version+1 {
		t.Errorf("version after the refused write and one more: got %d, want %d", got.Version, u.Version+1)
	}
}

// Write claims whose hold ended over an hour ago are purged with expired
// sessions, as a TTL index deletes them where the server has one (FerretDB
// has not); fresher ones stay.
func TestPurgeDeletesOldWriteClaims(t *testing.T) {
	ctx := t.Context()
	db := openTestDB(t, mongo.ServerURI(t))
	now := time.Now()
	if err := db.PlantWriteClaim(ctx, "users", "old", 2, now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := db.PlantWriteClaim(ctx, "users", "fresh", 2, now.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PurgeSessions(ctx, now); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id   string
		want bool
	}{{"old", false}, {"fresh", true}} {
		if got, err := db.WriteClaimExists(ctx, "users", c.id, 2); err != nil || got != c.want {
			t.Errorf("claim %q after the purge: stored = %v (%v), want %v", c.id, got, err, c.want)
		}
	}
}

func createTestUser(t testing.TB, db *mongo.DB, name string) *store.User {
	t.Helper()
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive, CreatedAt: now, UpdatedAt: now}
	if err := db.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

func createTestToken(t testing.TB, db *mongo.DB, u *store.User) *store.RefreshToken {
	t.Helper()
	now := store.Now()
	s := &store.Session{ID: store.NewID(), UserID: u.ID, Kind: store.SessionUser, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	tok := &store.RefreshToken{Hash: store.NewID() + store.NewID(), SessionID: s.ID, UserID: u.ID, CreatedAt: now, ExpiresAt: s.ExpiresAt}
	if err := db.CreateSession(t.Context(), s, tok); err != nil {
		t.Fatal(err)
	}
	return tok
}

func addTag(tag string) func(*store.User) error {
	return func(u *store.User) error {
		u.Tags = append(u.Tags, tag)
		return nil
	}
}
