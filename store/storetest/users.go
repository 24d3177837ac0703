package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var userTests = []subTest{
	{"Ping", testPing},
	{"UserCreateGet", testUserCreateGet},
	{"UserTimesTruncatedToUTCMillis", testUserTimes},
	{"UserEmptyFields", testUserEmptyFields},
	{"UserMetadataRoundTrip", testUserMetadata},
	{"UserDeletedAt", testUserDeletedAt},
	{"UserNotFound", testUserNotFound},
	{"GetUsers", testGetUsers},
	{"GetUserByKey", testGetUserByKey},
	{"UserConflicts", testUserConflicts},
	{"UserEmptyKeysNotUnique", testUserEmptyKeys},
	{"UpdateUser", testUpdateUser},
	{"UpdateUserReturnsStoredForm", testUpdateUserStoredForm},
	{"UpdateUserChangesKeys", testUpdateUserKeys},
	{"UpdateUserKeyConflict", testUpdateUserKeyConflict},
	{"UpdateUserCallbackError", testUpdateUserCallbackError},
	{"DeleteUser", testDeleteUser},
	{"CreateUsersBulk", testCreateUsersBulk},
	{"CreateUsersConflict", testCreateUsersConflict},
}

func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// fullUser sets every field of a user to a non-zero value.
func fullUser() *store.User {
	return prepUser(&store.User{
		Username:       "Alice",
		Email:          "Alice@Example.com",
		Phone:          "+15550100",
		EmailVerified:  true,
		FirstName:      "Alice",
		LastName:       "Liddell",
		FullName:       "Alice Liddell",
		Website:        "https://alice.example",
		AvatarURL:      "https://alice.example/a.png",
		Address:        "1 Rabbit Hole\nWonderland",
		AdditionalInfo: "likes tea",
		Tags:           []string{"b", "a", "c"}, // not sorted: order is kept as given
		Metadata:       raw(`{"color":"blue","n":1}`),
		AppMetadata:    raw(`{"plan":"pro"}`),
		Status:         store.StatusPending,
		IsGuest:        true,
		Roles:          []string{"editor", "admin"},
		PasswordHash:   "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA",
		CreatedAt:      day(1),
		UpdatedAt:      day(2),
		LastLoginAt:    day(3),
		LastRequestAt:  day(4),
		Lockout:        store.Lockout{Failures: 7, LastFailure: day(5), LockedUntil: day(6)},
		PendingEmail:   "alice@example.org",
		EmailVerification: store.EmailVerification{Status: store.VerificationDeferred, At: day(7),
			MessageID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"},
	})
}

func testUserCreateGet(t *testing.T, s store.Store) {
	want := fullUser()
	mustCreateUsers(t, s, want.Clone())
	checkUser(t, "GetUser", mustGetUser(t, s, want.ID), want)
}

// Times are written with nanoseconds and a non-UTC zone; the store must give
// back exactly store.Trunc(t): the same instant, whole milliseconds, in UTC.
// UpdatedAt's 999999999 ns catches rounding instead of truncation.
func testUserTimes(t *testing.T, s store.Store) {
	east := time.FixedZone("UTC+5:30", 5*3600+1800)
	west := time.FixedZone("UTC-7", -7*3600)
	u := newUser("timely")
	u.CreatedAt = time.Date(2024, 3, 10, 23, 59, 59, 123456789, east)
	u.UpdatedAt = time.Date(2024, 3, 10, 23, 59, 59, 999999999, east)
	u.LastLoginAt = time.Date(2024, 12, 31, 20, 0, 0, 1, west)
	u.LastRequestAt = time.Date(2099, 1, 2, 3, 4, 5, 6000000, west)
	u.DeletedAt = time.Date(2030, 6, 1, 0, 0, 0, 500000, east)
	mustCreateUsers(t, s, u.Clone())
	got := mustGetUser(t, s, u.ID)
	checkTime(t, "CreatedAt", got.CreatedAt, u.CreatedAt)
	checkTime(t, "UpdatedAt", got.UpdatedAt, u.UpdatedAt)
	checkTime(t, "LastLoginAt", got.LastLoginAt, u.LastLoginAt)
	checkTime(t, "LastRequestAt", got.LastRequestAt, u.LastRequestAt)
	checkTime(t, "DeletedAt", got.DeletedAt, u.DeletedAt)
}

// A user with nothing optional set: zero times stay zero, Tags and Roles come
// back as empty non-nil slices, nil metadata as {}.
func testUserEmptyFields(t *testing.T, s store.Store) {
	u := &store.User{ID: store.NewID(), Status: store.StatusActive, CreatedAt: day(1), UpdatedAt: day(1)}
	mustCreateUsers(t, s, u.Clone())
	got := mustGetUser(t, s, u.ID)
	checkUser(t, "GetUser", got, u)
	for name, tm := range map[string]time.Time{"DeletedAt": got.DeletedAt, "LastLoginAt": got.LastLoginAt, "LastRequestAt": got.LastRequestAt} {
		if !tm.IsZero() {
			t.Errorf("%s: got %v, want the zero time", name, tm)
		}
	}
	if got.Tags == nil || got.Roles == nil {
		t.Errorf("Tags/Roles: got %#v/%#v, want non-nil empty slices", got.Tags, got.Roles)
	}
}

func testUserMetadata(t *testing.T, s store.Store) {
	u := newUser("meta")
	u.Metadata = raw(`{
		"s": "quote \" backslash \\ ünïcode ✓ <tag> & amp",
		"n": {"int": 42, "neg": -7, "float": 2.5, "big": 1e21, "zero": 0},
		"b": [true, false],
		"nul": null,
		"arr": [1, "two", null, {"three": 3}, [4]],
		"deep": {"a": {"b": {"c": {"d": "e"}}}},
		"empty": {}, "emptyArr": []
	}`)
	u.AppMetadata = raw(`{"plan":"pro","limits":{"seats":10,"ratio":0.25},"flags":[true],"none":null}`)
	mustCreateUsers(t, s, u.Clone())
	got := mustGetUser(t, s, u.ID)
	checkJSON(t, "Metadata", got.Metadata, u.Metadata)
	checkJSON(t, "AppMetadata", got.AppMetadata, u.AppMetadata)
}

func testUserDeletedAt(t *testing.T, s store.Store) {
	u := newUser("gone")
	u.Status = store.StatusSuspended
	u.DeletedAt = day(9)
	mustCreateUsers(t, s, u.Clone())
	got := mustGetUser(t, s, u.ID)
	checkTime(t, "DeletedAt", got.DeletedAt, day(9))
	if !got.Deleted() || got.Active() {
		t.Errorf("Deleted()/Active(): got %v/%v, want true/false", got.Deleted(), got.Active())
	}
	// Clearing DeletedAt (an undelete) must write the zero time back.
	if _, err := s.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
		u.DeletedAt = time.Time{}
		return nil
	}); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	if got := mustGetUser(t, s, u.ID); !got.DeletedAt.IsZero() {
		t.Errorf("DeletedAt after clearing: got %v, want zero", got.DeletedAt)
	}
}

// Every method documenting ErrNotFound, on a store holding one other user
// (so "not found" cannot come from an empty table by accident).
func testUserNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateUsers(t, s, fullUser())
	missing := store.NewID()
	_, err := s.GetUser(ctx, missing)
	wantErrIs(t, "GetUser", err, store.ErrNotFound)
	for _, f := range []store.KeyField{store.KeyUsername, store.KeyEmail, store.KeyPhone} {
		_, err := s.GetUserByKey(ctx, f, "nobody")
		wantErrIs(t, "GetUserByKey "+string(f), err, store.ErrNotFound)
	}
	_, err = s.UpdateUser(ctx, missing, func(u *store.User) error { u.FirstName = "x"; return nil })
	wantErrIs(t, "UpdateUser", err, store.ErrNotFound)
	wantErrIs(t, "DeleteUser", s.DeleteUser(ctx, missing), store.ErrNotFound)
	if n := mustCount(t, s, nil); n != 1 {
		t.Errorf("CountUsers after not-found calls: got %d, want 1", n)
	}
}

func testGetUsers(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := newUser("a"), newUser("b"), newUser("c")
	mustCreateUsers(t, s, a, b, c)
	got, err := s.GetUsers(ctx, []string{c.ID, store.NewID(), a.ID})
	if err != nil {
		t.Fatalf("GetUsers: %v", err)
	}
	if want := []string{a.ID, c.ID}; !sameSet(ids(got), want) {
		t.Errorf("GetUsers(c, unknown, a): got %v, want %v", ids(got), want)
	}
	for _, u := range got {
		if u.ID == a.ID {
			checkUser(t, "GetUsers a", u, a)
		}
	}
	got, err = s.GetUsers(ctx, []string{})
	if err != nil || len(got) != 0 {
		t.Errorf("GetUsers(empty): got %d users, %v; want none, nil", len(got), err)
	}
}

func testGetUserByKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := fullUser()
	other := newUser("other")
	mustCreateUsers(t, s, u, other)
	cases := []struct {
		name  string
		field store.KeyField
		key   string
		want  string // id, or "" for ErrNotFound
	}{
		{"username", store.KeyUsername, store.FoldKey("ALICE"), u.ID},
		{"email", store.KeyEmail, store.FoldKey("alice@EXAMPLE.com"), u.ID},
		{"phone", store.KeyPhone, store.FoldKey("+15550100"), u.ID},
		{"other username", store.KeyUsername, "other", other.ID},
		// Keys compare byte for byte (no collation, user.go FoldKey): an
		// unfolded key is a different key.
		{"unfolded username", store.KeyUsername, "Alice", ""},
		// The field decides which key is looked at.
		{"email key as username", store.KeyUsername, u.EmailKey, ""},
		{"username key as email", store.KeyEmail, u.UsernameKey, ""},
	}
	for _, tc := range cases {
		got, err := s.GetUserByKey(ctx, tc.field, tc.key)
		if tc.want == "" {
			wantErrIs(t, "GetUserByKey "+tc.name, err, store.ErrNotFound)
			continue
		}
		if err != nil {
			t.Errorf("GetUserByKey %s: %v", tc.name, err)
			continue
		}
		if got.ID != tc.want {
			t.Errorf("GetUserByKey %s: got user %s, want %s", tc.name, got.ID, tc.want)
		}
	}
	got, err := s.GetUserByKey(ctx, store.KeyEmail, u.EmailKey)
	if err == nil {
		checkUser(t, "GetUserByKey email", got, u)
	}
}

// Each unique field collides alone, the keys built with FoldKey from
// differently cased input as the services build them.
func testUserConflicts(t *testing.T, s store.Store) {
	ctx := t.Context()
	base := prepUser(&store.User{Username: "Alice", Email: "Bob@Example.com", Phone: "+15550100"})
	mustCreateUsers(t, s, base.Clone())
	cases := []struct {
		name  string
		edit  func(u *store.User)
		field string
	}{
		{"duplicate id", func(u *store.User) { u.ID = base.ID }, store.FieldID},
		{"same username", func(u *store.User) { u.Username = "Alice" }, store.FieldUsername},
		{"username Alice vs ALICE", func(u *store.User) { u.Username = "ALICE" }, store.FieldUsername},
		{"email Bob@Example.com vs bob@example.COM", func(u *store.User) { u.Email = "bob@example.COM" }, store.FieldEmail},
		{"phone", func(u *store.User) { u.Phone = "+15550100" }, store.FieldPhone},
	}
	for i, tc := range cases {
		u := &store.User{Username: fmt.Sprintf("fresh%d", i), Email: fmt.Sprintf("fresh%d@example.com", i), Phone: fmt.Sprintf("+1555020%d", i)}
		tc.edit(u)
		prepUser(u)
		wantConflict(t, tc.name, s.CreateUser(ctx, u), tc.field)
	}
	if n := mustCount(t, s, nil); n != 1 {
		t.Errorf("CountUsers after conflicts: got %d, want 1", n)
	}
	checkUser(t, "base user after conflicts", mustGetUser(t, s, base.ID), base)
}

// Empty keys are not unique: users without email or phone coexist.
func testUserEmptyKeys(t *testing.T, s store.Store) {
	a := prepUser(&store.User{Username: "a"})
	b := prepUser(&store.User{Username: "b"})
	c := prepUser(&store.User{}) // no username either (a guest)
	d := prepUser(&store.User{IsGuest: true})
	mustCreateUsers(t, s, a, b, c, d)
	if n := mustCount(t, s, nil); n != 4 {
		t.Errorf("CountUsers: got %d, want 4", n)
	}
}

func testUpdateUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := fullUser()
	mustCreateUsers(t, s, u.Clone())
	before := mustGetUser(t, s, u.ID)

	want := before.Clone()
	want.FirstName = "Changed"
	want.Tags = append(want.Tags, "new")
	want.Metadata = raw(`{"k":[1,2]}`)
	want.Status = store.StatusActive
	want.EmailVerified = false
	want.Roles = []string{"viewer"}
	want.UpdatedAt = day(5)
	want.PendingEmail = ""
	want.EmailVerification = store.EmailVerification{Status: store.VerificationConfirmed, At: day(8), MessageID: "m2"}
	got, err := s.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.PendingEmail = ""
		u.EmailVerification = store.EmailVerification{Status: store.VerificationConfirmed, At: day(8), MessageID: "m2"}
		u.FirstName = "Changed"
		u.Tags = append(u.Tags, "new")
		u.Roles = []string{"viewer"}
		u.Metadata = raw(`{"k":[1,2]}`)
		u.Status = store.StatusActive
		u.EmailVerified = false
		u.UpdatedAt = day(5)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	checkUser(t, "UpdateUser result", got, want)
	stored := mustGetUser(t, s, u.ID)
	checkUser(t, "GetUser after UpdateUser", stored, want)
	if stored.Version <= before.Version {
		t.Errorf("Version after update: got %d, want > %d", stored.Version, before.Version)
	}
	if got.Version != stored.Version {
		t.Errorf("Version: UpdateUser returned %d, GetUser %d", got.Version, stored.Version)
	}

	// The callback sees the stored record, and a second update bumps again.
	_, err = s.UpdateUser(ctx, u.ID, func(u *store.User) error {
		if u.FirstName != "Changed" {
			return fmt.Errorf("callback got FirstName %q, want the stored %q", u.FirstName, "Changed")
		}
		u.LastName = "Again"
		return nil
	})
	if err != nil {
		t.Fatalf("second UpdateUser: %v", err)
	}
	again := mustGetUser(t, s, u.ID)
	if again.LastName != "Again" || again.Version <= stored.Version {
		t.Errorf("second update: got LastName %q Version %d, want %q and > %d", again.LastName, again.Version, "Again", stored.Version)
	}
}

// The record UpdateUser returns is the stored one, as GetUser reads it:
// times Trunc'ed to UTC milliseconds, nil Tags/Roles as empty slices, nil
// metadata as {} (store.go: times are stored at millisecond precision; User:
// Tags and Roles are never nil when read back, nil metadata is stored as {}).
// A caller computing a cursor or comparing times from it would otherwise
// see a record no backend holds.
func testUpdateUserStoredForm(t *testing.T, s store.Store) {
	u := fullUser()
	mustCreateUsers(t, s, u)
	login := time.Date(2024, 1, 6, 1, 2, 3, 456789012, time.FixedZone("UTC+3", 3*3600))
	got, err := s.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
		u.Roles, u.Tags, u.Metadata = nil, nil, nil
		u.LastLoginAt = login
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	stored := mustGetUser(t, s, u.ID)
	want := u.Clone()
	want.Roles, want.Tags, want.Metadata, want.LastLoginAt = nil, nil, nil, login
	checkUser(t, "GetUser after UpdateUser", stored, want)
	checkUser(t, "UpdateUser result", got, want)
	if got.Version != stored.Version {
		t.Errorf("Version: UpdateUser returned %d, GetUser %d", got.Version, stored.Version)
	}
}

// Changing a key moves the user in the key index: the old key is free, the
// new one finds the user, and a change of case only (same key) is no conflict.
func testUpdateUserKeys(t *testing.T, s store.Store) {
	ctx := t.Context()
	b := newUser("bob")
	mustCreateUsers(t, s, b)
	_, err := s.UpdateUser(ctx, b.ID, func(u *store.User) error {
		u.Username = "Bob" // same key "bob"
		u.Email, u.EmailKey = "Robert@Example.com", store.FoldKey("Robert@Example.com")
		u.Phone, u.PhoneKey = "+15550123", "+15550123"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	_, err = s.GetUserByKey(ctx, store.KeyEmail, "bob@example.com")
	wantErrIs(t, "GetUserByKey old email", err, store.ErrNotFound)
	for _, k := range []struct {
		f   store.KeyField
		key string
	}{{store.KeyEmail, "robert@example.com"}, {store.KeyPhone, "+15550123"}, {store.KeyUsername, "bob"}} {
		got, err := s.GetUserByKey(ctx, k.f, k.key)
		if err != nil || got.ID != b.ID {
			t.Errorf("GetUserByKey(%s, %q): got %v, %v; want user %s", k.f, k.key, got, err, b.ID)
		}
	}
	if got := mustGetUser(t, s, b.ID); got.Username != "Bob" {
		t.Errorf("Username: got %q, want %q", got.Username, "Bob")
	}
	// The freed email can be taken by someone else.
	c := prepUser(&store.User{Username: "carol", Email: "bob@example.com"})
	if err := s.CreateUser(ctx, c); err != nil {
		t.Errorf("CreateUser with the freed email: %v", err)
	}
}

func testUpdateUserKeyConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newUser("Alice"), newUser("bob")
	mustCreateUsers(t, s, a, b)
	before := mustGetUser(t, s, b.ID)
	cases := []struct {
		name  string
		edit  func(u *store.User)
		field string
	}{
		{"username onto Alice's", func(u *store.User) { u.Username, u.UsernameKey = "ALICE", store.FoldKey("ALICE") }, store.FieldUsername},
		{"email onto Alice's", func(u *store.User) { u.Email, u.EmailKey = "alice@EXAMPLE.com", store.FoldKey("alice@EXAMPLE.com") }, store.FieldEmail},
	}
	for _, tc := range cases {
		_, err := s.UpdateUser(ctx, b.ID, func(u *store.User) error {
			tc.edit(u)
			u.FirstName = "written?" // must not be written either
			return nil
		})
		wantConflict(t, "UpdateUser "+tc.name, err, tc.field)
		after := mustGetUser(t, s, b.ID)
		checkUser(t, "bob after "+tc.name, after, before)
		if after.Version != before.Version {
			t.Errorf("bob after %s: Version got %d, want %d", tc.name, after.Version, before.Version)
		}
	}
	got, err := s.GetUserByKey(ctx, store.KeyUsername, "alice")
	if err != nil || got.ID != a.ID {
		t.Errorf("GetUserByKey(alice) after conflicts: got %v, %v; want Alice", got, err)
	}
}

func testUpdateUserCallbackError(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := fullUser()
	mustCreateUsers(t, s, u)
	before := mustGetUser(t, s, u.ID)
	_, err := s.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.FirstName = "Nope"
		u.Tags = append(u.Tags, "nope")
		return errBoom
	})
	wantErrIs(t, "UpdateUser with failing callback", err, errBoom)
	after := mustGetUser(t, s, u.ID)
	checkUser(t, "user after aborted update", after, before)
	if after.Version != before.Version {
		t.Errorf("Version after aborted update: got %d, want %d", after.Version, before.Version)
	}
}

func testDeleteUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, keep := fullUser(), newUser("keep")
	mustCreateUsers(t, s, u.Clone(), keep)
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	_, err := s.GetUser(ctx, u.ID)
	wantErrIs(t, "GetUser after delete", err, store.ErrNotFound)
	_, err = s.GetUserByKey(ctx, store.KeyUsername, u.UsernameKey)
	wantErrIs(t, "GetUserByKey after delete", err, store.ErrNotFound)
	wantErrIs(t, "second DeleteUser", s.DeleteUser(ctx, u.ID), store.ErrNotFound)
	mustGetUser(t, s, keep.ID)
	// A hard delete frees the id and every key.
	if err := s.CreateUser(ctx, u.Clone()); err != nil {
		t.Errorf("CreateUser again after delete: %v", err)
	}
}

func testCreateUsersBulk(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := make([]*store.User, 500)
	for i := range users {
		users[i] = newUser(fmt.Sprintf("bulk%03d", i))
		users[i].CreatedAt = t0.Add(time.Duration(i) * time.Second)
	}
	want := users[250].Clone()
	if err := s.CreateUsers(ctx, users); err != nil {
		t.Fatalf("CreateUsers(500): %v", err)
	}
	if n := mustCount(t, s, nil); n != 500 {
		t.Errorf("CountUsers: got %d, want 500", n)
	}
	if got := listAll(t, s, nil); !sameSet(ids(got), ids(users)) {
		t.Errorf("ListUsers after CreateUsers: got %d users, want the 500 created", len(got))
	}
	checkUser(t, "user 250", mustGetUser(t, s, want.ID), want)
}

func testCreateUsersConflict(t *testing.T, s store.Store) {
	ctx := t.Context()
	taken := newUser("taken")
	mustCreateUsers(t, s, taken)
	dupe := prepUser(&store.User{Username: "TAKEN", Email: "other@example.com"})
	err := s.CreateUsers(ctx, []*store.User{newUser("first"), dupe, newUser("last")})
	wantConflict(t, "CreateUsers with a taken username", err, store.FieldUsername)
	_, err = s.GetUser(ctx, dupe.ID)
	wantErrIs(t, "GetUser of the conflicting user", err, store.ErrNotFound)

	// Two users of one batch colliding with each other.
	x := newUser("x")
	y := prepUser(&store.User{Username: "y", Email: "X@example.com"})
	err = s.CreateUsers(ctx, []*store.User{x, y})
	wantConflict(t, "CreateUsers with a duplicate email inside the batch", err, store.FieldEmail)
	_, err = s.GetUser(ctx, y.ID)
	wantErrIs(t, "GetUser of the second of two colliding users", err, store.ErrNotFound)
}
