package storetest

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var keyTests = []subTest{
	{"SigningKeysNewestFirst", testSigningKeys},
	{"SigningKeyBytes", testSigningKeyBytes},
	{"SigningKeyDuplicate", testSigningKeyDuplicate},
	{"RetireSigningKey", testRetireSigningKey},
	{"DeleteSigningKey", testDeleteSigningKey},
}

// newKey returns a key whose bytes include NUL, 0xff and invalid UTF-8, so a
// backend storing them as text would mangle them.
func newKey(created time.Time) *store.SigningKey {
	priv := make([]byte, 32)
	pub := make([]byte, 32)
	for i := range priv {
		priv[i] = byte(i * 37)
		pub[i] = byte(255 - i*11)
	}
	priv[0], pub[0] = 0, 0xff
	return &store.SigningKey{ID: store.NewID(), Algorithm: "EdDSA", Private: priv, Public: pub, CreatedAt: created}
}

func mustCreateKeys(t *testing.T, s store.Store, keys ...*store.SigningKey) {
	t.Helper()
	for _, k := range keys {
		if err := s.CreateSigningKey(t.Context(), k); err != nil {
			t.Fatalf("CreateSigningKey: %v", err)
		}
	}
}

func mustListKeys(t *testing.T, s store.Store) []*store.SigningKey {
	t.Helper()
	keys, err := s.ListSigningKeys(t.Context())
	if err != nil {
		t.Fatalf("ListSigningKeys: %v", err)
	}
	return keys
}

func keyIDs(keys []*store.SigningKey) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

func findKey(keys []*store.SigningKey, id string) *store.SigningKey {
	for _, k := range keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

func testSigningKeys(t *testing.T, s store.Store) {
	if keys := mustListKeys(t, s); len(keys) != 0 {
		t.Errorf("ListSigningKeys on an empty store: got %d keys, want none", len(keys))
	}
	// Ids ascending are newest, oldest, middle; inserted middle, oldest,
	// newest: neither id nor insertion order passes for newest first.
	newest, oldest, middle := newKey(day(3)), newKey(day(1)), newKey(day(2))
	mustCreateKeys(t, s, middle, oldest, newest)
	got := keyIDs(mustListKeys(t, s))
	if want := []string{newest.ID, middle.ID, oldest.ID}; !slices.Equal(got, want) {
		t.Errorf("ListSigningKeys: got %v, want %v (newest first)", got, want)
	}
}

func testSigningKeyBytes(t *testing.T, s store.Store) {
	want := newKey(time.Date(2024, 1, 1, 1, 1, 1, 987654321, time.FixedZone("UTC-5", -5*3600)))
	mustCreateKeys(t, s, want)
	got := findKey(mustListKeys(t, s), want.ID)
	if got == nil {
		t.Fatalf("ListSigningKeys: key %s missing", want.ID)
	}
	if !bytes.Equal(got.Private, want.Private) || !bytes.Equal(got.Public, want.Public) {
		t.Errorf("key bytes: got private %x public %x, want %x %x", got.Private, got.Public, want.Private, want.Public)
	}
	if got.Algorithm != "EdDSA" {
		t.Errorf("Algorithm: got %q, want EdDSA", got.Algorithm)
	}
	checkTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, "RetiredAt", got.RetiredAt, time.Time{})
}

func testSigningKeyDuplicate(t *testing.T, s store.Store) {
	k := newKey(day(1))
	mustCreateKeys(t, s, k)
	dupe := newKey(day(2))
	dupe.ID = k.ID
	wantErrIs(t, "CreateSigningKey with a taken id", s.CreateSigningKey(t.Context(), dupe), store.ErrAlreadyExists)
	if keys := mustListKeys(t, s); len(keys) != 1 || !keys[0].CreatedAt.Equal(day(1)) {
		t.Errorf("keys after the duplicate: got %d keys, want the first one only", len(keys))
	}
}

func testRetireSigningKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1, k2 := newKey(day(1)), newKey(day(2))
	mustCreateKeys(t, s, k1, k2)
	at := day(3).Add(123456789 * time.Nanosecond)
	if err := s.RetireSigningKey(ctx, k1.ID, at); err != nil {
		t.Fatalf("RetireSigningKey: %v", err)
	}
	keys := mustListKeys(t, s)
	checkTime(t, "RetiredAt of the retired key", findKey(keys, k1.ID).RetiredAt, at)
	checkTime(t, "RetiredAt of the other key", findKey(keys, k2.ID).RetiredAt, time.Time{})
	wantErrIs(t, "RetireSigningKey of an unknown id", s.RetireSigningKey(ctx, store.NewID(), at), store.ErrNotFound)
}

func testDeleteSigningKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1, k2 := newKey(day(1)), newKey(day(2))
	mustCreateKeys(t, s, k1, k2)
	if err := s.DeleteSigningKey(ctx, k1.ID); err != nil {
		t.Fatalf("DeleteSigningKey: %v", err)
	}
	if got := keyIDs(mustListKeys(t, s)); !slices.Equal(got, []string{k2.ID}) {
		t.Errorf("keys after delete: got %v, want [%s]", got, k2.ID)
	}
	wantErrIs(t, "second DeleteSigningKey", s.DeleteSigningKey(ctx, k1.ID), store.ErrNotFound)
	wantErrIs(t, "RetireSigningKey of a deleted key", s.RetireSigningKey(ctx, k1.ID, day(3)), store.ErrNotFound)
}
