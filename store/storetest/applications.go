package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var applicationTests = []subTest{
	{"ApplicationCreateGet", testApplicationCreateGet},
	{"ApplicationClientIDUnique", testApplicationClientIDUnique},
	{"ApplicationNotFound", testApplicationNotFound},
	{"ListApplications", testListApplications},
	{"UpdateApplication", testUpdateApplication},
	{"UpdateApplicationKeepsClientIDAndLastUse", testUpdateApplicationKeeps},
	{"DeleteApplication", testDeleteApplication},
	{"AppSessionRoundTrip", testAppSessionRoundTrip},
}

// newApplication returns an application named name, created at created.
func newApplication(name string, created time.Time) *store.Application {
	return &store.Application{ID: store.NewID(), Name: name, ClientID: "client-" + name,
		SecretHash: "hash-of-" + name, SecretSince: created, CreatedAt: created, UpdatedAt: created}
}

func mustCreateApplication(t *testing.T, s store.Store, apps ...*store.Application) {
	t.Helper()
	for _, a := range apps {
		if err := s.CreateApplication(t.Context(), a); err != nil {
			t.Fatalf("CreateApplication(%q): %v", a.Name, err)
		}
	}
}

func mustGetApplication(t *testing.T, s store.Store, id string) *store.Application {
	t.Helper()
	a, err := s.GetApplication(t.Context(), id)
	if err != nil {
		t.Fatalf("GetApplication(%s): %v", id, err)
	}
	return a
}

func checkApplication(t *testing.T, what string, got, want *store.Application) {
	t.Helper()
	strs := []struct{ field, got, want string }{
		{"ID", got.ID, want.ID}, {"Name", got.Name, want.Name}, {"Description", got.Description, want.Description},
		{"ClientID", got.ClientID, want.ClientID}, {"SecretHash", got.SecretHash, want.SecretHash},
	}
	for _, f := range strs {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	if got.Roles == nil || !slices.Equal(got.Roles, orEmpty(want.Roles)) {
		t.Errorf("%s: Roles got %#v, want %#v", what, got.Roles, orEmpty(want.Roles))
	}
	checkTime(t, what+": SecretSince", got.SecretSince, want.SecretSince)
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	checkTime(t, what+": LastUsedAt", got.LastUsedAt, want.LastUsedAt)
}

// An application reads back as written, by id and by client id, with
// times in the store's precision and roles never nil; a new one has
// version 1.
func testApplicationCreateGet(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+2", 2*3600)
	at := time.Date(2024, 3, 4, 5, 6, 7, 891234567, zone)
	want := &store.Application{ID: store.NewID(), Name: "Mobile app", Description: "iOS ünd Android",
		ClientID: "ugc_abc", SecretHash: "5e88489", SecretSince: at, Roles: []string{"reader", "admin"},
		CreatedAt: at, UpdatedAt: at.Add(time.Second), LastUsedAt: at.Add(time.Minute)}
	mustCreateApplication(t, s, want)
	got := mustGetApplication(t, s, want.ID)
	checkApplication(t, "GetApplication", got, want)
	if got.Version != 1 {
		t.Errorf("a new application: Version got %d, want 1", got.Version)
	}
	byClient, err := s.GetApplicationByClientID(t.Context(), "ugc_abc")
	if err != nil {
		t.Fatalf("GetApplicationByClientID: %v", err)
	}
	checkApplication(t, "GetApplicationByClientID", byClient, want)

	bare := newApplication("bare", t0) // nil roles read back empty
	mustCreateApplication(t, s, bare)
	checkApplication(t, "an application without roles", mustGetApplication(t, s, bare.ID), bare)
}

// A client id names one application (compared byte for byte); an id too.
func testApplicationClientIDUnique(t *testing.T, s store.Store) {
	a := newApplication("a", t0)
	mustCreateApplication(t, s, a)
	twin := newApplication("b", t0)
	twin.ClientID = a.ClientID
	wantConflict(t, "CreateApplication with a taken client id", s.CreateApplication(t.Context(), twin), store.FieldClientID)
	sameID := newApplication("c", t0)
	sameID.ID = a.ID
	wantConflict(t, "CreateApplication with a taken id", s.CreateApplication(t.Context(), sameID), store.FieldID)
	upper := newApplication("d", t0)
	upper.ClientID = "CLIENT-A"
	mustCreateApplication(t, s, upper)
	if _, err := s.GetApplicationByClientID(t.Context(), "Client-a"); err == nil {
		t.Errorf("GetApplicationByClientID compares case-insensitively: want ErrNotFound for another case")
	}
	apps, err := s.ListApplications(t.Context())
	if err != nil || len(apps) != 2 {
		t.Fatalf("ListApplications after the refused inserts = %d, %v; want 2", len(apps), err)
	}
}

func testApplicationNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetApplication(ctx, store.NewID())
	wantErrIs(t, "GetApplication(unknown)", err, store.ErrNotFound)
	_, err = s.GetApplicationByClientID(ctx, "nobody")
	wantErrIs(t, "GetApplicationByClientID(unknown)", err, store.ErrNotFound)
	_, err = s.GetApplicationByClientID(ctx, "")
	wantErrIs(t, `GetApplicationByClientID("")`, err, store.ErrNotFound)
	_, err = s.UpdateApplication(ctx, store.NewID(), func(*store.Application) error { return nil })
	wantErrIs(t, "UpdateApplication(unknown)", err, store.ErrNotFound)
	wantErrIs(t, "DeleteApplication(unknown)", s.DeleteApplication(ctx, store.NewID()), store.ErrNotFound)
	if apps, err := s.ListApplications(ctx); err != nil || len(apps) != 0 {
		t.Errorf("ListApplications on an empty store = %d, %v; want none", len(apps), err)
	}
}

// Oldest first; the same creation time is ordered by id.
func testListApplications(t *testing.T, s store.Store) {
	c, a, b := newApplication("c", day(3)), newApplication("a", day(1)), newApplication("b", day(3))
	if b.ID < c.ID {
		b.ID, c.ID = c.ID, b.ID
	}
	mustCreateApplication(t, s, c, a, b)
	apps, err := s.ListApplications(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range apps {
		got = append(got, x.Name)
	}
	if want := []string{"a", "c", "b"}; !slices.Equal(got, want) {
		t.Errorf("ListApplications order: got %v, want %v", got, want)
	}
}

// An update writes what the callback set and raises the version; an error
// from the callback changes nothing.
func testUpdateApplication(t *testing.T, s store.Store) {
	a := newApplication("app", t0)
	mustCreateApplication(t, s, a)
	got, err := s.UpdateApplication(t.Context(), a.ID, func(x *store.Application) error {
		x.Name, x.Description, x.Roles = "renamed", "now described", []string{"reader"}
		x.SecretHash, x.SecretSince, x.UpdatedAt = "new-hash", day(2), day(2)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := *a
	want.Name, want.Description, want.Roles = "renamed", "now described", []string{"reader"}
	want.SecretHash, want.SecretSince, want.UpdatedAt = "new-hash", day(2), day(2)
	checkApplication(t, "UpdateApplication's result", got, &want)
	stored := mustGetApplication(t, s, a.ID)
	checkApplication(t, "after UpdateApplication", stored, &want)
	if stored.Version != 2 || got.Version != 2 {
		t.Errorf("Version after one update: returned %d, stored %d; want 2", got.Version, stored.Version)
	}
	_, err = s.UpdateApplication(t.Context(), a.ID, func(x *store.Application) error {
		x.Name = "never"
		return errBoom
	})
	wantErrIs(t, "UpdateApplication whose callback fails", err, errBoom)
	checkApplication(t, "after a failed update", mustGetApplication(t, s, a.ID), &want)
}

// The client id is the application's identity and stays; the last use
// never moves back.
func testUpdateApplicationKeeps(t *testing.T, s store.Store) {
	a := newApplication("app", t0)
	a.LastUsedAt = day(5)
	mustCreateApplication(t, s, a)
	got, err := s.UpdateApplication(t.Context(), a.ID, func(x *store.Application) error {
		x.ClientID, x.LastUsedAt = "stolen", day(1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.ClientID != a.ClientID {
		t.Errorf("ClientID after an update that changed it: got %q, want %q", got.ClientID, a.ClientID)
	}
	checkTime(t, "LastUsedAt after an update that moved it back", got.LastUsedAt, day(5))
	stored := mustGetApplication(t, s, a.ID)
	checkApplication(t, "stored", stored, got)
	if _, err := s.UpdateApplication(t.Context(), a.ID, func(x *store.Application) error {
		x.LastUsedAt = day(9)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	checkTime(t, "LastUsedAt moved forward", mustGetApplication(t, s, a.ID).LastUsedAt, day(9))
}

// Deleting an application removes it and no other; the client id is free
// again.
func testDeleteApplication(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newApplication("a", t0), newApplication("b", t0)
	mustCreateApplication(t, s, a, b)
	if err := s.DeleteApplication(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := s.GetApplication(ctx, a.ID)
	wantErrIs(t, "GetApplication after delete", err, store.ErrNotFound)
	_, err = s.GetApplicationByClientID(ctx, a.ClientID)
	wantErrIs(t, "GetApplicationByClientID after delete", err, store.ErrNotFound)
	wantErrIs(t, "second DeleteApplication", s.DeleteApplication(ctx, a.ID), store.ErrNotFound)
	checkApplication(t, "the other application", mustGetApplication(t, s, b.ID), b)
	again := newApplication("a", t0)
	mustCreateApplication(t, s, again)
}

// An APP session names its application and no user; it reads back so, is
// updated so, and is no user's session.
func testAppSessionRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newApplication("app", t0)
	mustCreateApplication(t, s, a)
	want := newSession("", day(1))
	want.Kind, want.ApplicationID, want.IP = store.SessionApp, a.ID, "192.0.2.7"
	mustCreateSession(t, s, want)
	got := mustGetSession(t, s, want.ID)
	checkSession(t, "an APP session", got, want)
	updated, err := s.UpdateSession(ctx, want.ID, func(x *store.Session) error {
		x.LastSeenAt = day(2)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if updated.ApplicationID != a.ID {
		t.Errorf("UpdateSession: ApplicationID got %q, want %q", updated.ApplicationID, a.ID)
	}
	checkSession(t, "after UpdateSession", mustGetSession(t, s, want.ID), updated)
	user := sessionUser(t, s, "someone")
	mine := newSession(user, day(1))
	mustCreateSession(t, s, mine)
	checkSession(t, "a user's session", mustGetSession(t, s, mine.ID), mine)
	listed, err := s.ListSessions(ctx, []string{user}, day(1))
	if err != nil || len(listed) != 1 || listed[0].ID != mine.ID {
		t.Errorf("ListSessions of a user beside an APP session = %v, %v; want only the user's", listed, err)
	}
}
