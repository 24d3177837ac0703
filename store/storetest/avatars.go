package storetest

import (
	"bytes"
	"testing"

	"github.com/usergraph/usergraph/store"
)

var avatarTests = []subTest{
	{"AvatarPutGet", testAvatarPutGet},
	{"AvatarLargerThanAChunk", testAvatarLarge},
	{"AvatarPutSameIDKeepsIt", testAvatarPutAgain},
	{"AvatarNotFound", testAvatarNotFound},
	{"DeleteAvatarOnlyTheOwners", testDeleteAvatarOwner},
	{"DeleteUserRemovesAvatars", testDeleteUserRemovesAvatars},
	{"PurgeGuestsRemovesAvatars", testPurgeGuestsRemovesAvatars},
}

// newAvatar returns an avatar of userID whose bytes are data.
func newAvatar(userID, id string, data []byte) *store.Avatar {
	return &store.Avatar{ID: id, UserID: userID, ContentType: "image/png", Data: data, CreatedAt: day(1)}
}

func mustPutAvatar(t *testing.T, s store.Store, avatars ...*store.Avatar) {
	t.Helper()
	for _, a := range avatars {
		if err := s.PutAvatar(t.Context(), a); err != nil {
			t.Fatalf("PutAvatar(%s): %v", a.ID, err)
		}
	}
}

func checkAvatar(t *testing.T, what string, got, want *store.Avatar) {
	t.Helper()
	for _, f := range []struct{ field, got, want string }{
		{"ID", got.ID, want.ID}, {"UserID", got.UserID, want.UserID}, {"ContentType", got.ContentType, want.ContentType},
	} {
		if f.got != f.want {
			t.Errorf("%s: %s = %q, want %q", what, f.field, f.got, f.want)
		}
	}
	if !bytes.Equal(got.Data, want.Data) {
		t.Errorf("%s: Data is %d bytes that differ from the %d stored", what, len(got.Data), len(want.Data))
	}
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
}

// wantNoAvatar fails t unless GetAvatar finds no avatar with the id.
func wantNoAvatar(t *testing.T, s store.Store, what, id string) {
	t.Helper()
	_, err := s.GetAvatar(t.Context(), id)
	wantErrIs(t, what, err, store.ErrNotFound)
}

func testAvatarPutGet(t *testing.T, s store.Store) {
	u := newUser("ann")
	mustCreateUsers(t, s, u)
	a := newAvatar(u.ID, "a1", []byte("\x89PNG\r\n\x1a\n and the rest"))
	mustPutAvatar(t, s, a)
	got, err := s.GetAvatar(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("GetAvatar: %v", err)
	}
	checkAvatar(t, "GetAvatar", got, a)
}

// Several megabytes, with bytes of every value: a backend that stores in
// pieces (GridFS chunks) must put them back in order, whole.
func testAvatarLarge(t *testing.T, s store.Store) {
	u := newUser("ann")
	mustCreateUsers(t, s, u)
	data := make([]byte, 3<<20+17)
	for i := range data {
		data[i] = byte(i*7 + i/251)
	}
	a := newAvatar(u.ID, "big", data)
	mustPutAvatar(t, s, a)
	got, err := s.GetAvatar(t.Context(), a.ID)
	if err != nil {
		t.Fatalf("GetAvatar: %v", err)
	}
	checkAvatar(t, "GetAvatar of a large avatar", got, a)
}

// An id names one image: storing it again keeps the first record.
func testAvatarPutAgain(t *testing.T, s store.Store) {
	u := newUser("ann")
	mustCreateUsers(t, s, u)
	first := newAvatar(u.ID, "same", []byte("first"))
	mustPutAvatar(t, s, first)
	again := newAvatar(u.ID, "same", []byte("again"))
	again.CreatedAt = day(2)
	mustPutAvatar(t, s, again)
	got, err := s.GetAvatar(t.Context(), "same")
	if err != nil {
		t.Fatalf("GetAvatar: %v", err)
	}
	checkAvatar(t, "GetAvatar after a second PutAvatar of the id", got, first)
	if err := s.DeleteAvatar(t.Context(), u.ID, "same"); err != nil {
		t.Fatalf("DeleteAvatar: %v", err)
	}
	wantNoAvatar(t, s, "GetAvatar after deleting an id stored twice", "same")
}

func testAvatarNotFound(t *testing.T, s store.Store) {
	wantNoAvatar(t, s, "GetAvatar of an unknown id", "nope")
	err := s.DeleteAvatar(t.Context(), "someone", "nope")
	wantErrIs(t, "DeleteAvatar of an unknown id", err, store.ErrNotFound)
}

// DeleteAvatar removes only an avatar the named user owns.
func testDeleteAvatarOwner(t *testing.T, s store.Store) {
	ann, bob := newUser("ann"), newUser("bob")
	mustCreateUsers(t, s, ann, bob)
	a, b := newAvatar(ann.ID, "a", []byte("ann's")), newAvatar(bob.ID, "b", []byte("bob's"))
	mustPutAvatar(t, s, a, b)
	err := s.DeleteAvatar(t.Context(), ann.ID, b.ID)
	wantErrIs(t, "DeleteAvatar of another user's avatar", err, store.ErrNotFound)
	if _, err := s.GetAvatar(t.Context(), b.ID); err != nil {
		t.Errorf("GetAvatar of bob's avatar after ann tried to delete it: %v", err)
	}
	if err := s.DeleteAvatar(t.Context(), ann.ID, a.ID); err != nil {
		t.Fatalf("DeleteAvatar of ann's own: %v", err)
	}
	wantNoAvatar(t, s, "GetAvatar of a deleted avatar", a.ID)
}

// Deleting users deletes their avatars, one at a time or by filter.
func testDeleteUserRemovesAvatars(t *testing.T, s store.Store) {
	ctx := t.Context()
	one, many, keeper := newUser("one"), newUser("many"), newUser("keeper")
	many.Tags = []string{"doomed"}
	mustCreateUsers(t, s, one, many, keeper)
	mustPutAvatar(t, s, newAvatar(one.ID, "one1", []byte("1")), newAvatar(one.ID, "one2", []byte("2")),
		newAvatar(many.ID, "many", []byte("3")), newAvatar(keeper.ID, "kept", []byte("4")))
	if err := s.DeleteUser(ctx, one.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if n, err := s.DeleteUsers(ctx, &store.UserFilter{Tags: &store.SetMatch{Any: []string{"doomed"}}}); err != nil || n != 1 {
		t.Fatalf("DeleteUsers: got %d, %v; want 1", n, err)
	}
	for _, id := range []string{"one1", "one2", "many"} {
		wantNoAvatar(t, s, "GetAvatar of a deleted user's avatar "+id, id)
	}
	if _, err := s.GetAvatar(ctx, "kept"); err != nil {
		t.Errorf("GetAvatar of a remaining user's avatar: %v", err)
	}
}

func testPurgeGuestsRemovesAvatars(t *testing.T, s store.Store) {
	idle, member := guest("idle", day(1), day(2)), newUser("member")
	mustCreateUsers(t, s, idle, member)
	mustPutAvatar(t, s, newAvatar(idle.ID, "guest", []byte("g")), newAvatar(member.ID, "member", []byte("m")))
	if n, err := s.PurgeGuests(t.Context(), day(50), 10); err != nil || n != 1 {
		t.Fatalf("PurgeGuests: got %d, %v; want 1", n, err)
	}
	wantNoAvatar(t, s, "GetAvatar of a purged guest's avatar", "guest")
	if _, err := s.GetAvatar(t.Context(), "member"); err != nil {
		t.Errorf("GetAvatar of a member's avatar after the purge: %v", err)
	}
}
