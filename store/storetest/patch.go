package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var patchTests = []subTest{
	{"PatchUsersStatusRolesTags", testPatchRolesTags},
	{"PatchUsersRemovalsBeforeAdditions", testPatchRemoveBeforeAdd},
	{"PatchUsersAppMetadataMerge", testPatchAppMetadata},
	{"PatchUsersDeletedAt", testPatchDeletedAt},
	{"PatchUsersCountsMatched", testPatchCountsMatched},
	{"PatchUsersMatchingNobody", testPatchNobody},
	{"DeleteUsersByFilter", testDeleteUsers},
	{"DeleteUsersMatchingNobody", testDeleteUsersNobody},
}

func mustPatch(t *testing.T, s store.Store, f *store.UserFilter, p store.UserPatch) int {
	t.Helper()
	n, err := s.PatchUsers(t.Context(), f, p)
	if err != nil {
		t.Fatalf("PatchUsers: %v", err)
	}
	return n
}

// checkPatched compares a patched user with before plus the patch's effect:
// roles and tags as sets, status and UpdatedAt as given, a higher Version,
// and every other field unchanged.
func checkPatched(t *testing.T, what string, got, before *store.User, status store.Status, roles, tags []string, updated time.Time) {
	t.Helper()
	if !slices.Equal(set(got.Roles), set(roles)) {
		t.Errorf("%s: Roles got %v, want %v", what, got.Roles, set(roles))
	}
	if !slices.Equal(set(got.Tags), set(tags)) {
		t.Errorf("%s: Tags got %v, want %v (no duplicates)", what, got.Tags, set(tags))
	}
	if got.Version <= before.Version {
		t.Errorf("%s: Version got %d, want > %d", what, got.Version, before.Version)
	}
	want := before.Clone()
	want.Status, want.Roles, want.Tags, want.UpdatedAt = status, got.Roles, got.Tags, updated
	checkUser(t, what, got, want)
}

// checkUntouched fails unless u is exactly as before, Version included.
func checkUntouched(t *testing.T, s store.Store, what string, before *store.User) {
	t.Helper()
	got := mustGetUser(t, s, before.ID)
	checkUser(t, what, got, before)
	if got.Version != before.Version {
		t.Errorf("%s: Version got %d, want %d (untouched)", what, got.Version, before.Version)
	}
}

func testPatchRolesTags(t *testing.T, s store.Store) {
	p1, p2, p3 := newUser("p1"), newUser("p2"), newUser("p3")
	p1.Roles, p1.Tags = []string{"old", "keep"}, []string{"a"}
	p2.Roles, p2.Tags = []string{"old"}, []string{"a", "b"}
	p3.Roles, p3.Tags = []string{"keep"}, []string{"a"}
	mustCreateUsers(t, s, p1, p2, p3)
	b1, b2, b3 := mustGetUser(t, s, p1.ID), mustGetUser(t, s, p2.ID), mustGetUser(t, s, p3.ID)

	// Renaming role old to new: the filter is on the field being patched.
	updated := day(9).Add(987654321 * time.Nanosecond)
	n := mustPatch(t, s, &store.UserFilter{Roles: &store.SetMatch{Any: []string{"old"}}}, store.UserPatch{
		Status:      new(store.StatusSuspended),
		RemoveRoles: []string{"old"},
		AddRoles:    []string{"new"},
		RemoveTags:  []string{"a"},
		AddTags:     []string{"b", "c", "b"},
		UpdatedAt:   updated,
	})
	if n != 2 {
		t.Errorf("PatchUsers: got %d matched, want 2", n)
	}
	checkPatched(t, "p1", mustGetUser(t, s, p1.ID), b1, store.StatusSuspended, []string{"keep", "new"}, []string{"b", "c"}, updated)
	checkPatched(t, "p2", mustGetUser(t, s, p2.ID), b2, store.StatusSuspended, []string{"new"}, []string{"b", "c"}, updated)
	checkUntouched(t, s, "p3 (not matched)", b3)
	if n := mustCount(t, s, &store.UserFilter{Roles: &store.SetMatch{Any: []string{"old"}}}); n != 0 {
		t.Errorf("CountUsers with role old after the rename: got %d, want 0", n)
	}
}

// Removals apply before additions: removing and adding one name keeps it.
func testPatchRemoveBeforeAdd(t *testing.T, s store.Store) {
	u := newUser("u")
	u.Roles, u.Tags = []string{"x", "y"}, []string{"t"}
	mustCreateUsers(t, s, u)
	mustPatch(t, s, &store.UserFilter{IDs: []string{u.ID}}, store.UserPatch{
		RemoveRoles: []string{"x"}, AddRoles: []string{"x"},
		RemoveTags: []string{"t"}, AddTags: []string{"t"},
		UpdatedAt: day(3),
	})
	got := mustGetUser(t, s, u.ID)
	if !slices.Equal(set(got.Roles), []string{"x", "y"}) || !slices.Equal(got.Tags, []string{"t"}) {
		t.Errorf("remove and add of one name: got roles %v tags %v, want [x y] and [t]", got.Roles, got.Tags)
	}
}

// AppMetadata is an RFC 7396 merge patch: null deletes a key, objects merge
// recursively, anything else replaces; a nil document is {}.
func testPatchAppMetadata(t *testing.T, s store.Store) {
	q1, q2, q3 := newUser("q1"), newUser("q2"), newUser("q3")
	q1.Metadata = raw(`{"own":1}`)
	q1.AppMetadata = raw(`{"a":1,"keep":"k","nested":{"x":1,"y":2},"arr":[1,2]}`)
	q3.AppMetadata = raw(`{"a":1}`)
	mustCreateUsers(t, s, q1, q2, q3)
	b1, b2, b3 := mustGetUser(t, s, q1.ID), mustGetUser(t, s, q2.ID), mustGetUser(t, s, q3.ID)
	n := mustPatch(t, s, &store.UserFilter{IDs: []string{q1.ID, q2.ID}}, store.UserPatch{
		AppMetadata: raw(`{"a":null,"nested":{"y":3,"z":{"deep":true}},"arr":[3],"new":"n","missing":null}`),
		UpdatedAt:   day(4),
	})
	if n != 2 {
		t.Errorf("PatchUsers: got %d matched, want 2", n)
	}
	g1, g2 := mustGetUser(t, s, q1.ID), mustGetUser(t, s, q2.ID)
	checkJSON(t, "q1 AppMetadata", g1.AppMetadata, raw(`{"keep":"k","nested":{"x":1,"y":3,"z":{"deep":true}},"arr":[3],"new":"n"}`))
	checkJSON(t, "q2 AppMetadata (was nil)", g2.AppMetadata, raw(`{"nested":{"y":3,"z":{"deep":true}},"arr":[3],"new":"n"}`))
	checkJSON(t, "q1 Metadata (not patched)", g1.Metadata, raw(`{"own":1}`))
	for _, c := range []struct {
		name      string
		got, from *store.User
	}{{"q1", g1, b1}, {"q2", g2, b2}} {
		checkTime(t, c.name+" UpdatedAt", c.got.UpdatedAt, day(4))
		if c.got.Version <= c.from.Version {
			t.Errorf("%s: Version got %d, want > %d", c.name, c.got.Version, c.from.Version)
		}
	}
	checkUntouched(t, s, "q3 (not matched)", b3)
	// Filters see the merged document.
	f := &store.UserFilter{AppMetadata: []store.JSONPredicate{{Path: "nested.y", Op: store.JSONEq, Value: raw(`3`)}}}
	if n := mustCount(t, s, f); n != 2 {
		t.Errorf("CountUsers(appMetadata nested.y = 3) after the patch: got %d, want 2", n)
	}
	f = &store.UserFilter{AppMetadata: []store.JSONPredicate{{Path: "a", Op: store.JSONExists, Value: raw(`true`)}}}
	if n := mustCount(t, s, f); n != 1 {
		t.Errorf("CountUsers(appMetadata a exists) after the patch: got %d, want 1 (q3)", n)
	}
}

func testPatchDeletedAt(t *testing.T, s store.Store) {
	r1, r2 := newUser("r1"), newUser("r2")
	mustCreateUsers(t, s, r1, r2)
	b2 := mustGetUser(t, s, r2.ID)
	at := day(5).Add(time.Microsecond * 1500)
	if n := mustPatch(t, s, &store.UserFilter{IDs: []string{r1.ID}}, store.UserPatch{DeletedAt: at, UpdatedAt: day(6)}); n != 1 {
		t.Errorf("PatchUsers: got %d matched, want 1", n)
	}
	got := mustGetUser(t, s, r1.ID)
	checkTime(t, "DeletedAt", got.DeletedAt, at)
	checkTime(t, "UpdatedAt", got.UpdatedAt, day(6))
	deleted := &store.UserFilter{Deleted: new(true)}
	if got := listAll(t, s, deleted); !slices.Equal(ids(got), []string{r1.ID}) {
		t.Errorf("ListUsers(deleted) after the patch: got %v, want [%s]", ids(got), r1.ID)
	}
	// A soft delete keeps its first time (store.ApplyPatch sets DeletedAt
	// only on users not deleted yet).
	mustPatch(t, s, &store.UserFilter{IDs: []string{r1.ID}}, store.UserPatch{DeletedAt: day(8), UpdatedAt: day(8)})
	checkTime(t, "DeletedAt after a second soft delete", mustGetUser(t, s, r1.ID).DeletedAt, at)
	checkUntouched(t, s, "r2 (not matched)", b2)
}

// PatchUsers returns how many users matched, also those the patch leaves as
// they were; UpdatedAt is stamped only on users that changed.
func testPatchCountsMatched(t *testing.T, s store.Store) {
	a, b, c := newUser("a"), newUser("b"), newUser("c")
	a.Tags, b.Tags = []string{"t"}, []string{"u"}
	for _, u := range []*store.User{a, b, c} {
		u.Status = store.StatusPending
		u.CreatedAt, u.UpdatedAt = day(1), day(1)
	}
	mustCreateUsers(t, s, a, b, c)
	n := mustPatch(t, s, &store.UserFilter{Status: []store.Status{store.StatusPending}}, store.UserPatch{AddTags: []string{"t"}, UpdatedAt: day(2)})
	if n != 3 {
		t.Errorf("PatchUsers: got %d matched, want 3", n)
	}
	checkTime(t, "UpdatedAt of the user already tagged", mustGetUser(t, s, a.ID).UpdatedAt, day(1))
	for _, u := range []*store.User{b, c} {
		got := mustGetUser(t, s, u.ID)
		checkTime(t, u.Username+" UpdatedAt", got.UpdatedAt, day(2))
		if !slices.Contains(got.Tags, "t") {
			t.Errorf("%s: Tags got %v, want t added", u.Username, got.Tags)
		}
	}
}

// A filter that matches nobody, including one built from an empty id list,
// patches nobody: it never widens into "everyone".
func testPatchNobody(t *testing.T, s store.Store) {
	u := newUser("u")
	mustCreateUsers(t, s, u)
	before := mustGetUser(t, s, u.ID)
	p := store.UserPatch{Status: new(store.StatusSuspended), UpdatedAt: day(2)}
	for _, c := range []struct {
		name string
		f    *store.UserFilter
	}{
		{"unknown username", &store.UserFilter{Usernames: []string{"nobody"}}},
		{"empty id list", &store.UserFilter{IDs: []string{}}},
		{"empty or", &store.UserFilter{Or: []store.UserFilter{}}},
	} {
		if n := mustPatch(t, s, c.f, p); n != 0 {
			t.Errorf("PatchUsers %s: got %d matched, want 0", c.name, n)
		}
	}
	checkUntouched(t, s, "the one user", before)
}

func testDeleteUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	w1, w2, w3, w4 := newUser("w1"), newUser("w2"), newUser("w3"), newUser("w4")
	w2.Status, w3.Status, w4.Status = store.StatusSuspended, store.StatusSuspended, store.StatusPending
	users := []*store.User{w1, w2, w3, w4}
	mustCreateUsers(t, s, users...)
	sessions := map[string]*store.Session{}
	tokens := map[string]*store.RefreshToken{}
	for _, u := range users {
		ss := newSession(u.ID, day(1))
		mustCreateSession(t, s, ss)
		tok := newToken(ss)
		mustCreateToken(t, s, tok)
		sessions[u.ID], tokens[u.ID] = ss, tok
	}

	n, err := s.DeleteUsers(ctx, &store.UserFilter{Status: []store.Status{store.StatusSuspended}})
	if err != nil || n != 2 {
		t.Fatalf("DeleteUsers(suspended): got %d, %v; want 2, nil", n, err)
	}
	for _, u := range []*store.User{w2, w3} {
		_, err := s.GetUser(ctx, u.ID)
		wantErrIs(t, "GetUser of a deleted user", err, store.ErrNotFound)
		_, err = s.GetSession(ctx, sessions[u.ID].ID)
		wantErrIs(t, "GetSession of a deleted user", err, store.ErrNotFound)
		_, err = s.GetRefreshToken(ctx, tokens[u.ID].Hash)
		wantErrIs(t, "GetRefreshToken of a deleted user", err, store.ErrNotFound)
	}
	for _, u := range []*store.User{w1, w4} {
		mustGetUser(t, s, u.ID)
		mustGetSession(t, s, sessions[u.ID].ID)
		mustGetToken(t, s, tokens[u.ID].Hash)
	}
	// Hard delete frees the keys.
	if err := s.CreateUser(ctx, newUser("w2")); err != nil {
		t.Errorf("CreateUser with a deleted user's username: %v", err)
	}
}

func testDeleteUsersNobody(t *testing.T, s store.Store) {
	mustCreateUsers(t, s, newUser("a"), newUser("b"))
	for _, c := range []struct {
		name string
		f    *store.UserFilter
	}{
		{"unknown id", &store.UserFilter{IDs: []string{store.NewID()}}},
		{"empty id list", &store.UserFilter{IDs: []string{}}},
		{"empty emails", &store.UserFilter{Emails: []string{}}},
		{"empty or", &store.UserFilter{Or: []store.UserFilter{}}},
	} {
		n, err := s.DeleteUsers(t.Context(), c.f)
		if err != nil || n != 0 {
			t.Errorf("DeleteUsers %s: got %d, %v; want 0, nil", c.name, n, err)
		}
	}
	if n := mustCount(t, s, nil); n != 2 {
		t.Errorf("CountUsers after deleting nobody: got %d, want 2", n)
	}
}
