package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/store"
)

var usernameKeyTests = []subTest{
	{"ListUsernameKeys", testListUsernameKeys},
	{"SetUsernameKey", testSetUsernameKey},
	{"SetUsernameKeyRefused", testSetUsernameKeyRefused},
	{"ConcurrentSetUsernameKey", testConcurrentSetUsernameKey},
}

// withKey returns a user named name whose stored key is key, as a store
// written under some other normalization holds it.
func withKey(name, key string) *store.User {
	u := prepUser(&store.User{Username: name})
	u.UsernameKey = key
	return u
}

// Every user with a username, in id order, in pages that resume after
// the last id; users without a username are left out.
func testListUsernameKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	named := []*store.User{withKey("Ｂｏｂ", "ｂｏｂ"), withKey("ann", "ann"), withKey("Ｃａｔ", "ｃａｔ"),
		withKey("dan", "dan"), withKey("eve", "eve")}
	guest := prepUser(&store.User{IsGuest: true})
	mailOnly := prepUser(&store.User{Email: "zed@example.com"})
	mustCreateUsers(t, s, append(slices.Clone(named), guest, mailOnly)...)
	slices.SortFunc(named, func(a, b *store.User) int { return strings.Compare(a.ID, b.ID) })
	var want []store.UsernameKey
	for _, u := range named {
		want = append(want, store.UsernameKey{ID: u.ID, Username: u.Username, Key: u.UsernameKey})
	}

	var got []store.UsernameKey
	after := ""
	for range len(named) + 1 {
		page, err := s.ListUsernameKeys(ctx, after, 2)
		if err != nil {
			t.Fatalf("ListUsernameKeys(after %q): %v", after, err)
		}
		if len(page) > 2 {
			t.Fatalf("ListUsernameKeys with limit 2 returned %d", len(page))
		}
		got = append(got, page...)
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("ListUsernameKeys pages:\n got %+v\nwant %+v", got, want)
	}

	last := want[len(want)-1].ID
	if page, err := s.ListUsernameKeys(ctx, last, 10); err != nil || len(page) != 0 {
		t.Errorf("ListUsernameKeys after the last id: got %+v, %v; want none", page, err)
	}
	if page, err := s.ListUsernameKeys(ctx, "", 0); err != nil || len(page) != 0 {
		t.Errorf("ListUsernameKeys with limit 0: got %+v, %v; want none", page, err)
	}
}

// A key moves: the new one finds the user, the old one nobody (and is free
// again); the version rises, nothing else changes, and a later update
// keeps the new key.
func testSetUsernameKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := fullUser()
	u.Username, u.UsernameKey = "Ａｌｉｃｅ", "ａｌｉｃｅ"
	other := newUser("other")
	mustCreateUsers(t, s, u.Clone(), other)
	before := mustGetUser(t, s, u.ID)

	if err := s.SetUsernameKey(ctx, u.ID, "ａｌｉｃｅ", "alice"); err != nil {
		t.Fatalf("SetUsernameKey: %v", err)
	}
	got := mustGetUser(t, s, u.ID)
	want := before.Clone()
	want.UsernameKey = "alice"
	checkUser(t, "after SetUsernameKey", got, want)
	if got.Version != before.Version+1 {
		t.Errorf("Version after SetUsernameKey: got %d, want %d", got.Version, before.Version+1)
	}
	if byKey, err := s.GetUserByKey(ctx, store.KeyUsername, "alice"); err != nil || byKey.ID != u.ID {
		t.Errorf("GetUserByKey(new key): got %v, %v; want user %s", byKey, err, u.ID)
	}
	_, err := s.GetUserByKey(ctx, store.KeyUsername, "ａｌｉｃｅ")
	wantErrIs(t, "GetUserByKey(old key)", err, store.ErrNotFound)
	if err := s.CreateUser(ctx, withKey("ａｌｉｃｅ", "ａｌｉｃｅ")); err != nil {
		t.Errorf("CreateUser with the freed old key: %v", err)
	}
	// The other user is untouched.
	checkUser(t, "the other user", mustGetUser(t, s, other.ID), other)

	updated, err := s.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.FirstName = "Changed"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser after SetUsernameKey: %v", err)
	}
	if updated.UsernameKey != "alice" || updated.Version != before.Version+2 {
		t.Errorf("UpdateUser after SetUsernameKey: key %q version %d, want %q and %d",
			updated.UsernameKey, updated.Version, "alice", before.Version+2)
	}
}

// Each refusal writes nothing.
func testSetUsernameKeyRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := withKey("Ｂｏｂ", "ｂｏｂ")
	holder := withKey("bob", "bob")
	mustCreateUsers(t, s, u.Clone(), holder.Clone())
	before := mustGetUser(t, s, u.ID)

	wantConflict(t, "SetUsernameKey to a key another user holds", s.SetUsernameKey(ctx, u.ID, "ｂｏｂ", "bob"), store.FieldUsername)
	wantErrIs(t, "SetUsernameKey from a key the user no longer has", s.SetUsernameKey(ctx, u.ID, "bob-old", "bob2"), store.ErrConflict)
	wantErrIs(t, "SetUsernameKey of an unknown id", s.SetUsernameKey(ctx, store.NewID(), "ｂｏｂ", "bob3"), store.ErrNotFound)
	wantErrIs(t, "SetUsernameKey to an empty key", s.SetUsernameKey(ctx, u.ID, "ｂｏｂ", ""), store.ErrInvalid)

	got := mustGetUser(t, s, u.ID)
	checkUser(t, "after refused SetUsernameKey", got, before)
	if got.Version != before.Version {
		t.Errorf("Version after refused SetUsernameKey: got %d, want %d", got.Version, before.Version)
	}
	checkUser(t, "the holder", mustGetUser(t, s, holder.ID), holder)
	for _, k := range []string{"bob2", "bob3"} {
		_, err := s.GetUserByKey(ctx, store.KeyUsername, k)
		wantErrIs(t, "GetUserByKey("+k+")", err, store.ErrNotFound)
	}
}

// Two starts migrating at once: of two moves from one old key, one wins
// and the other finds the key moved.
func testConcurrentSetUsernameKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := withKey("Ｄａｎ", "ｄａｎ")
	mustCreateUsers(t, s, u)
	errs := race(8, func(int) error { return s.SetUsernameKey(ctx, u.ID, "ｄａｎ", "dan") })
	oneWinner(t, "concurrent SetUsernameKey", errs, func(err error) bool { return errors.Is(err, store.ErrConflict) })
	if got := mustGetUser(t, s, u.ID); got.UsernameKey != "dan" || got.Version != 2 {
		t.Errorf("after concurrent SetUsernameKey: key %q version %d, want %q and 2", got.UsernameKey, got.Version, "dan")
	}
}
