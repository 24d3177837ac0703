package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/store"
)

var identityTests = []subTest{
	{"IdentityCreateGetList", testIdentityCreateGetList},
	{"IdentityUniquePerProviderAndSubject", testIdentityUnique},
	{"IdentityRefused", testIdentityRefused},
	{"IdentityKeptByUserWrites", testIdentityKeptByUserWrites},
	{"IdentityDelete", testIdentityDelete},
	{"IdentityDeleteCheck", testIdentityDeleteCheck},
	{"IdentitiesGoWithTheirUser", testIdentitiesGoWithTheirUser},
	{"ConcurrentCreateIdentity", testConcurrentCreateIdentity},
	{"ConcurrentDeleteIdentityCheck", testConcurrentDeleteIdentityCheck},
	{"UserFiltersByProvider", testFiltersByProvider},
}

// newIdentity is userID's account subject at provider, linked at day n.
func newIdentity(userID, provider, subject string, n int) *store.Identity {
	return &store.Identity{UserID: userID, Provider: provider, Subject: subject,
		Email: subject + "@" + provider + ".example", LinkedAt: day(n)}
}

func mustCreateIdentity(t *testing.T, s store.Store, ids ...*store.Identity) {
	t.Helper()
	for _, id := range ids {
		if err := s.CreateIdentity(t.Context(), id); err != nil {
			t.Fatalf("CreateIdentity(%s %s for %s): %v", id.Provider, id.Subject, id.UserID, err)
		}
	}
}

func checkIdentity(t *testing.T, what string, got, want *store.Identity) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: got no identity, want %s %s", what, want.Provider, want.Subject)
	}
	for _, f := range []struct{ field, got, want string }{
		{"UserID", got.UserID, want.UserID}, {"Provider", got.Provider, want.Provider},
		{"Subject", got.Subject, want.Subject}, {"Email", got.Email, want.Email},
	} {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	checkTime(t, what+": LinkedAt", got.LinkedAt, want.LinkedAt)
}

// identityKeys lists identities as "user provider subject", in order.
func identityKeys(ids []*store.Identity) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.UserID + " " + id.Provider + " " + id.Subject
	}
	return out
}

func mustListIdentities(t *testing.T, s store.Store, userIDs ...string) []*store.Identity {
	t.Helper()
	ids, err := s.ListIdentities(t.Context(), userIDs)
	if err != nil {
		t.Fatalf("ListIdentities: %v", err)
	}
	return ids
}

// An identity reads back as stored, by provider account and among its
// user's, which list in their order: by user, then link time, then
// provider.
func testIdentityCreateGetList(t *testing.T, s store.Store) {
	ann, bob := newUser("ann"), newUser("bob")
	mustCreateUsers(t, s, ann, bob)
	gh := newIdentity(ann.ID, "github", "1001", 3)
	gh.LinkedAt = gh.LinkedAt.Add(123456) // below a millisecond: truncated
	google := newIdentity(ann.ID, "google", "ann-sub", 2)
	apple := newIdentity(ann.ID, "apple", "ann-sub", 3) // same time as github: by provider
	bobs := newIdentity(bob.ID, "google", "bob-sub", 1)
	mustCreateIdentity(t, s, gh, google, apple, bobs)

	got, err := s.GetIdentity(t.Context(), "github", "1001")
	if err != nil {
		t.Fatalf("GetIdentity: %v", err)
	}
	checkIdentity(t, "GetIdentity", got, gh)
	_, err = s.GetIdentity(t.Context(), "github", "ann-sub")
	wantErrIs(t, "GetIdentity of a subject another provider has", err, store.ErrNotFound)

	list := mustListIdentities(t, s, bob.ID, ann.ID, "no-such-user")
	want := []*store.Identity{google, apple, gh, bobs}
	if ann.ID > bob.ID {
		want = []*store.Identity{bobs, google, apple, gh}
	}
	if got, want := identityKeys(list), identityKeys(want); !slices.Equal(got, want) {
		t.Fatalf("ListIdentities: got %q, want %q", got, want)
	}
	for i := range list {
		checkIdentity(t, "ListIdentities", list[i], want[i])
	}
	if got := mustListIdentities(t, s); len(got) != 0 {
		t.Errorf("ListIdentities of no users: got %d identities", len(got))
	}
	if got := mustListIdentities(t, s, "no-such-user"); len(got) != 0 {
		t.Errorf("ListIdentities of an unknown user: got %d identities", len(got))
	}
}

// A provider account belongs to one user at most, this one included, and
// a user has one identity per provider; a subject is only unique within
// its provider.
func testIdentityUnique(t *testing.T, s store.Store) {
	ann, bob := newUser("ann"), newUser("bob")
	mustCreateUsers(t, s, ann, bob)
	mustCreateIdentity(t, s, newIdentity(ann.ID, "google", "sub-1", 1))

	err := s.CreateIdentity(t.Context(), newIdentity(bob.ID, "google", "sub-1", 2))
	wantConflict(t, "the account linked to another user", err, store.FieldIdentity)
	err = s.CreateIdentity(t.Context(), newIdentity(ann.ID, "google", "sub-1", 2))
	wantConflict(t, "the account linked to the same user again", err, store.FieldIdentity)
	err = s.CreateIdentity(t.Context(), newIdentity(ann.ID, "google", "sub-2", 2))
	wantConflict(t, "a second account of the provider", err, store.FieldProvider)
	mustCreateIdentity(t, s, newIdentity(bob.ID, "github", "sub-1", 2)) // another provider's sub-1

	got, err := s.GetIdentity(t.Context(), "google", "sub-1")
	if err != nil || got.UserID != ann.ID {
		t.Errorf("GetIdentity after the refusals: got %+v, %v; want ann's", got, err)
	}
	if got := identityKeys(mustListIdentities(t, s, ann.ID)); len(got) != 1 {
		t.Errorf("ann's identities after the refusals: got %q, want google sub-1 only", got)
	}
	if _, err := s.GetIdentity(t.Context(), "google", "sub-2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetIdentity of the refused second account: got %v, want ErrNotFound", err)
	}
}

// Identities without a user or without their parts are refused and leave
// nothing behind.
func testIdentityRefused(t *testing.T, s store.Store) {
	ann := newUser("ann")
	mustCreateUsers(t, s, ann)
	err := s.CreateIdentity(t.Context(), newIdentity("no-such-user", "google", "sub-1", 1))
	wantErrIs(t, "CreateIdentity for an unknown user", err, store.ErrNotFound)
	_, err = s.GetIdentity(t.Context(), "google", "sub-1")
	wantErrIs(t, "GetIdentity after the unknown user", err, store.ErrNotFound)
	mustCreateIdentity(t, s, newIdentity(ann.ID, "google", "sub-1", 1)) // the account is free

	for _, bad := range []*store.Identity{
		{Provider: "google", Subject: "x"}, {UserID: ann.ID, Subject: "x"}, {UserID: ann.ID, Provider: "apple"},
	} {
		err := s.CreateIdentity(t.Context(), bad)
		wantErrIs(t, "CreateIdentity without a part", err, store.ErrInvalid)
	}
	if got := mustListIdentities(t, s, ann.ID); len(got) != 1 {
		t.Errorf("ann's identities after the refusals: got %q", identityKeys(got))
	}
}

// Writes of the user itself (on MongoDB: whole-document writes of the
// record) neither drop nor duplicate its identities.
func testIdentityKeptByUserWrites(t *testing.T, s store.Store) {
	ann := newUser("ann")
	mustCreateUsers(t, s, ann)
	id := newIdentity(ann.ID, "google", "sub-1", 1)
	mustCreateIdentity(t, s, id)
	if _, err := s.UpdateUser(t.Context(), ann.ID, func(u *store.User) error { u.FirstName = "Ann"; return nil }); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if _, err := s.PatchUsers(t.Context(), &store.UserFilter{IDs: []string{ann.ID}},
		store.UserPatch{AddTags: []string{"x"}, UpdatedAt: day(2)}); err != nil {
		t.Fatalf("PatchUsers: %v", err)
	}
	if err := s.RecordActivity(t.Context(), []store.Activity{{UserID: ann.ID, At: day(3)}}); err != nil {
		t.Fatalf("RecordActivity: %v", err)
	}
	list := mustListIdentities(t, s, ann.ID)
	if len(list) != 1 {
		t.Fatalf("identities after the user's writes: got %q, want google sub-1", identityKeys(list))
	}
	checkIdentity(t, "after the user's writes", list[0], id)
	if n := mustCount(t, s, &store.UserFilter{Providers: &store.SetMatch{Any: []string{"google"}}}); n != 1 {
		t.Errorf("users with google after the user's writes: got %d, want 1", n)
	}
	if u := mustGetUser(t, s, ann.ID); u.FirstName != "Ann" || !slices.Contains(u.Tags, "x") {
		t.Errorf("the user's own writes were lost: %+v", u)
	}
}

// An unlinked identity is gone, its account free for another user, and
// the user's other identities stay.
func testIdentityDelete(t *testing.T, s store.Store) {
	ann, bob := newUser("ann"), newUser("bob")
	mustCreateUsers(t, s, ann, bob)
	mustCreateIdentity(t, s, newIdentity(ann.ID, "google", "sub-1", 1), newIdentity(ann.ID, "github", "7", 2))
	var seenRemaining []string
	err := s.DeleteIdentity(t.Context(), ann.ID, "google", func(u *store.User, remaining []*store.Identity) error {
		if u.ID != ann.ID || u.Username != "ann" {
			t.Errorf("check got user %q %q, want ann", u.ID, u.Username)
		}
		seenRemaining = identityKeys(remaining)
		return nil
	})
	if err != nil {
		t.Fatalf("DeleteIdentity: %v", err)
	}
	if want := []string{ann.ID + " github 7"}; !slices.Equal(seenRemaining, want) {
		t.Errorf("check got remaining %q, want %q", seenRemaining, want)
	}
	if got := identityKeys(mustListIdentities(t, s, ann.ID)); !slices.Equal(got, []string{ann.ID + " github 7"}) {
		t.Errorf("ann's identities after the unlink: got %q", got)
	}
	_, err = s.GetIdentity(t.Context(), "google", "sub-1")
	wantErrIs(t, "GetIdentity after the unlink", err, store.ErrNotFound)
	mustCreateIdentity(t, s, newIdentity(bob.ID, "google", "sub-1", 3))

	none := func(*store.User, []*store.Identity) error { return nil }
	wantErrIs(t, "DeleteIdentity of a provider the user lacks", s.DeleteIdentity(t.Context(), ann.ID, "google", none), store.ErrNotFound)
	wantErrIs(t, "DeleteIdentity of an unknown user", s.DeleteIdentity(t.Context(), "no-such-user", "google", none), store.ErrNotFound)
}

// An error from check aborts the unlink and comes back as is.
func testIdentityDeleteCheck(t *testing.T, s store.Store) {
	ann := newUser("ann")
	mustCreateUsers(t, s, ann)
	mustCreateIdentity(t, s, newIdentity(ann.ID, "google", "sub-1", 1))
	err := s.DeleteIdentity(t.Context(), ann.ID, "google", func(_ *store.User, remaining []*store.Identity) error {
		if len(remaining) != 0 {
			t.Errorf("check got %d remaining, want none", len(remaining))
		}
		return errBoom
	})
	wantErrIs(t, "DeleteIdentity refused by check", err, errBoom)
	if _, err := s.GetIdentity(t.Context(), "google", "sub-1"); err != nil {
		t.Errorf("GetIdentity after the refused unlink: %v", err)
	}
}

// Deleting a user, alone, in bulk or as an idle guest, deletes its
// identities and frees their accounts at once; other users' stay.
func testIdentitiesGoWithTheirUser(t *testing.T, s store.Store) {
	ann, bob, cat, dan, eve := newUser("ann"), newUser("bob"), newUser("cat"), newUser("dan"), newUser("eve")
	mustCreateUsers(t, s, ann, bob, cat, dan, eve)
	mustCreateIdentity(t, s, newIdentity(ann.ID, "google", "a", 1), newIdentity(bob.ID, "google", "b", 1),
		newIdentity(cat.ID, "google", "c", 1))
	if err := s.DeleteUser(t.Context(), ann.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if _, err := s.DeleteUsers(t.Context(), &store.UserFilter{IDs: []string{bob.ID}}); err != nil {
		t.Fatalf("DeleteUsers: %v", err)
	}
	for _, sub := range []string{"a", "b"} {
		_, err := s.GetIdentity(t.Context(), "google", sub)
		wantErrIs(t, "GetIdentity of a deleted user's identity", err, store.ErrNotFound)
	}
	if got := mustListIdentities(t, s, ann.ID, bob.ID); len(got) != 0 {
		t.Errorf("identities of the deleted users: got %q", identityKeys(got))
	}
	mustCreateIdentity(t, s, newIdentity(dan.ID, "google", "a", 2), newIdentity(dan.ID, "github", "b", 2))
	err := s.CreateIdentity(t.Context(), newIdentity(eve.ID, "google", "c", 2))
	wantConflict(t, "cat's identity, still linked", err, store.FieldIdentity)
	err = s.CreateIdentity(t.Context(), newIdentity(ann.ID, "apple", "z", 2))
	wantErrIs(t, "CreateIdentity for the deleted user", err, store.ErrNotFound)

	// A purged guest's identity goes with it too (the services link none
	// to guests, but the store keeps no such policy).
	idle := guest("idleguest", day(1), day(2))
	mustCreateUsers(t, s, idle)
	mustCreateIdentity(t, s, newIdentity(idle.ID, "google", "g", 3))
	if n, err := s.PurgeGuests(t.Context(), day(10), 10); err != nil || n != 1 {
		t.Fatalf("PurgeGuests = %d, %v; want the idle guest", n, err)
	}
	mustCreateIdentity(t, s, newIdentity(eve.ID, "google", "g", 4)) // free at once, not after a claim's hold
}

// Ten users link one provider account at once: exactly one gets it.
func testConcurrentCreateIdentity(t *testing.T, s store.Store) {
	const callers = 10
	users := make([]*store.User, callers)
	for i := range users {
		users[i] = newUser("user" + string(rune('a'+i)))
	}
	mustCreateUsers(t, s, users...)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { errs[i] = s.CreateIdentity(t.Context(), newIdentity(users[i].ID, "google", "contested", 1)) })
	}
	wg.Wait()
	winner := ""
	for i, err := range errs {
		switch {
		case err == nil:
			if winner != "" {
				t.Errorf("callers for %s and %s both linked the account", winner, users[i].ID)
			}
			winner = users[i].ID
		case store.ConflictField(err) != store.FieldIdentity:
			t.Errorf("caller %d: got %v, want nil or ErrAlreadyExists (identity)", i, err)
		}
	}
	if winner == "" {
		t.Fatal("no caller linked the account")
	}
	got, err := s.GetIdentity(t.Context(), "google", "contested")
	if err != nil || got.UserID != winner {
		t.Errorf("GetIdentity: got %+v, %v; want the winner %s", got, err, winner)
	}
	if all := mustListIdentities(t, s, ids(users)...); len(all) != 1 {
		t.Errorf("identities of the ten users: got %q, want the winner's only", identityKeys(all))
	}
}

// A user with two identities unlinks both at once, each only if another
// way to sign in remains: one unlink wins, the other is refused by check.
func testConcurrentDeleteIdentityCheck(t *testing.T, s store.Store) {
	ann := newUser("ann")
	mustCreateUsers(t, s, ann)
	mustCreateIdentity(t, s, newIdentity(ann.ID, "google", "g", 1), newIdentity(ann.ID, "github", "h", 1))
	errLast := errors.New("the last way to sign in")
	keepOne := func(_ *store.User, remaining []*store.Identity) error {
		if len(remaining) == 0 {
			return errLast
		}
		return nil
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, p := range []string{"google", "github"} {
		wg.Go(func() { errs[i] = s.DeleteIdentity(t.Context(), ann.ID, p, keepOne) })
	}
	wg.Wait()
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, errLast):
			t.Errorf("unlink %d: got %v, want nil or the check's error", i, err)
		}
	}
	if left := mustListIdentities(t, s, ann.ID); ok != 1 || len(left) != 1 {
		t.Errorf("%d unlinks succeeded, %q left; want 1 and one identity", ok, identityKeys(left))
	}
}

// providers: {any, all} over the identities' providers, with the
// combinators, on filterPopulation (docs/FILTERS.md).
func testFiltersByProvider(t *testing.T, s store.Store) {
	names, byLabel := seedFilterPopulation(t, s)
	links := map[string][]string{"ann": {"google", "github"}, "bob": {"google"}, "dan": {"github"}, "fay": {"google"}}
	for label, providers := range links {
		for _, p := range providers {
			mustCreateIdentity(t, s, newIdentity(byLabel[label], p, label+"-"+p, 1))
		}
	}
	prov := func(any, all []string) store.UserFilter {
		return store.UserFilter{Providers: &store.SetMatch{Any: any, All: all}}
	}
	cases := []filterCase{
		{"providers any", prov([]string{"google"}, nil), []string{"ann", "bob", "fay"}},
		{"providers any of two", prov([]string{"github", "apple"}, nil), []string{"ann", "dan"}},
		{"providers all", prov(nil, []string{"google", "github"}), []string{"ann"}},
		{"providers all repeated", prov(nil, []string{"github", "github"}), []string{"ann", "dan"}},
		{"providers any and all", prov([]string{"google"}, []string{"github"}), []string{"ann"}},
		{"providers any empty", prov([]string{}, nil), nil},
		{"providers all empty", prov(nil, []string{}), everyone},
		{"providers is case-sensitive", prov([]string{"Google"}, nil), nil},
		{"not providers any", not(prov([]string{"google", "github"}, nil)), except("ann", "bob", "dan", "fay")},
		{"providers or roles", or(prov([]string{"github"}, nil), store.UserFilter{Roles: &store.SetMatch{Any: []string{"viewer"}}}), []string{"ann", "dan", "gus"}},
		{"providers and status", and(prov([]string{"google"}, nil), store.UserFilter{Deleted: new(false)}), []string{"ann", "bob"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := store.ValidateFilter(&tc.f); err != nil {
				t.Fatalf("the case's filter does not validate: %v", err)
			}
			want := set(tc.want)
			if got := set(names.labels(listAll(t, s, &tc.f))); !slices.Equal(got, want) {
				t.Errorf("ListUsers: got %s, want %s", show(got), show(want))
			}
			if n := mustCount(t, s, &tc.f); n != len(want) {
				t.Errorf("CountUsers: got %d, want %d", n, len(want))
			}
		})
	}
	// A bulk change by provider reaches exactly those users.
	n, err := s.PatchUsers(t.Context(), &store.UserFilter{Providers: &store.SetMatch{Any: []string{"github"}}},
		store.UserPatch{AddTags: []string{"gh"}, UpdatedAt: day(50)})
	if err != nil || n != 2 {
		t.Errorf("PatchUsers by provider: got %d, %v; want 2", n, err)
	}
	tagged := set(names.labels(listAll(t, s, &store.UserFilter{Tags: &store.SetMatch{Any: []string{"gh"}}})))
	if !slices.Equal(tagged, []string{"ann", "dan"}) {
		t.Errorf("users patched by provider: got %s, want [ann dan]", show(tagged))
	}
}
