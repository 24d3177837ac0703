package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var deviceTests = []subTest{
	{"DeviceCreateGet", testDeviceCreateGet},
	{"DeviceTokenUniquePerUser", testDeviceTokenUnique},
	{"DeviceNotFound", testDeviceNotFound},
	{"ListDevices", testListDevices},
	{"UpdateDevice", testUpdateDevice},
	{"UpdateDeviceKeepsIdentityAndLastUse", testUpdateDeviceKeeps},
	{"DeleteDevice", testDeleteDevice},
	{"TrimDevicesAtTheCap", testTrimDevicesCap},
	{"TrimDevicesOrder", testTrimDevicesOrder},
	{"ConcurrentCreateDeviceSameToken", testConcurrentCreateDevice},
	{"ConcurrentDeviceActivityKeepsRestriction", testConcurrentDeviceActivity},
	{"RecordActivityMovesDeviceLastUse", testActivityDevice},
	{"RevokeSessionsOnDevices", testRevokeSessionsOnDevices},
	{"DeleteUserRemovesDevices", testDeleteUserRemovesDevices},
}

// newDevice returns a device of userID with token, registered at created.
func newDevice(userID, token string, created time.Time) *store.Device {
	return &store.Device{ID: store.NewID(), UserID: userID, Token: token, CreatedAt: created}
}

func mustCreateDevice(t *testing.T, s store.Store, devices ...*store.Device) {
	t.Helper()
	for _, d := range devices {
		if err := s.CreateDevice(t.Context(), d); err != nil {
			t.Fatalf("CreateDevice(%q): %v", d.Token, err)
		}
	}
}

func mustGetDevice(t *testing.T, s store.Store, id string) *store.Device {
	t.Helper()
	d, err := s.GetDevice(t.Context(), id)
	if err != nil {
		t.Fatalf("GetDevice(%s): %v", id, err)
	}
	return d
}

func checkDevice(t *testing.T, what string, got, want *store.Device) {
	t.Helper()
	strs := []struct{ field, got, want string }{
		{"ID", got.ID, want.ID}, {"UserID", got.UserID, want.UserID},
		{"Token", got.Token, want.Token}, {"Name", got.Name, want.Name},
	}
	for _, f := range strs {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	if got.CanAccess != want.CanAccess {
		t.Errorf("%s: CanAccess got %v, want %v", what, got.CanAccess, want.CanAccess)
	}
	checkTime(t, what+": LastUsedAt", got.LastUsedAt, want.LastUsedAt)
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
}

func deviceIDs(devices []*store.Device) []string {
	out := make([]string, len(devices))
	for i, d := range devices {
		out[i] = d.ID
	}
	return out
}

// A device reads back as written, by id and by its user and token, with
// times in the store's precision; a new device has version 1.
func testDeviceCreateGet(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC+5", 5*3600)
	want := &store.Device{
		ID: store.NewID(), UserID: sessionUser(t, s, "owner"), Token: "ünï dev/1 \"quoted\"", Name: "Kitchen tablet",
		CanAccess: true, LastUsedAt: time.Date(2024, 3, 1, 9, 0, 0, 999999999, zone),
		CreatedAt: time.Date(2024, 2, 1, 9, 0, 0, 123456789, zone),
	}
	in := *want
	mustCreateDevice(t, s, &in)
	got := mustGetDevice(t, s, want.ID)
	checkDevice(t, "GetDevice", got, want)
	if got.Version != 1 {
		t.Errorf("Version of a new device: got %d, want 1", got.Version)
	}
	byToken, err := s.GetDeviceByToken(t.Context(), want.UserID, want.Token)
	if err != nil {
		t.Fatalf("GetDeviceByToken: %v", err)
	}
	checkDevice(t, "GetDeviceByToken", byToken, want)
}

// Tokens are unique per user, compared byte for byte: another user may
// hold the same token, the same user may hold tokens differing in case.
func testDeviceTokenUnique(t *testing.T, s store.Store) {
	a, b := sessionUser(t, s, "a"), sessionUser(t, s, "b")
	first := newDevice(a, "phone-1", day(1))
	mustCreateDevice(t, s, first, newDevice(b, "phone-1", day(1)), newDevice(a, "Phone-1", day(1)))
	wantConflict(t, "CreateDevice with a user's token again", s.CreateDevice(t.Context(), newDevice(a, "phone-1", day(2))), store.FieldToken)
	dupID := newDevice(a, "phone-2", day(2))
	dupID.ID = first.ID
	wantConflict(t, "CreateDevice with a taken id", s.CreateDevice(t.Context(), dupID), store.FieldID)
	got, err := s.ListDevices(t.Context(), []string{a}, nil)
	if err != nil || len(got) != 2 {
		t.Fatalf("ListDevices after the refused inserts: got %d devices, %v; want 2", len(got), err)
	}
	checkDevice(t, "the first device after the refused inserts", mustGetDevice(t, s, first.ID), first)
}

func testDeviceNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := sessionUser(t, s, "a"), sessionUser(t, s, "b")
	mustCreateDevice(t, s, newDevice(a, "mine", day(1)))
	_, err := s.GetDevice(ctx, store.NewID())
	wantErrIs(t, "GetDevice of an unknown id", err, store.ErrNotFound)
	_, err = s.GetDeviceByToken(ctx, b, "mine")
	wantErrIs(t, "GetDeviceByToken of another user's token", err, store.ErrNotFound)
	_, err = s.GetDeviceByToken(ctx, a, "MINE")
	wantErrIs(t, "GetDeviceByToken in another case", err, store.ErrNotFound)
	_, err = s.UpdateDevice(ctx, store.NewID(), func(*store.Device) error { return nil })
	wantErrIs(t, "UpdateDevice of an unknown id", err, store.ErrNotFound)
	wantErrIs(t, "DeleteDevice of an unknown id", s.DeleteDevice(ctx, store.NewID()), store.ErrNotFound)
}

// ListDevices: the users' devices oldest first, filtered by CanAccess when
// asked; nothing for no users.
func testListDevices(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := sessionUser(t, s, "a"), sessionUser(t, s, "b"), sessionUser(t, s, "c")
	a2, a1, b1 := newDevice(a, "a2", day(2)), newDevice(a, "a1", day(1)), newDevice(b, "b1", day(5))
	a3 := newDevice(a, "a3", day(3))
	a1.CanAccess, b1.CanAccess = true, true
	mustCreateDevice(t, s, a2, a1, b1, a3, newDevice(c, "c1", day(1)))
	yes, no := true, false
	for _, tc := range []struct {
		name      string
		users     []string
		canAccess *bool
		want      []string
	}{
		{"one user", []string{a}, nil, []string{a1.ID, a2.ID, a3.ID}},
		{"two users", []string{a, b}, nil, []string{a1.ID, a2.ID, a3.ID, b1.ID}},
		{"permitted only", []string{a, b}, &yes, []string{a1.ID, b1.ID}},
		{"not permitted only", []string{a, b}, &no, []string{a2.ID, a3.ID}},
		{"no users", []string{}, nil, nil},
		{"unknown user", []string{store.NewID()}, nil, nil},
	} {
		got, err := s.ListDevices(ctx, tc.users, tc.canAccess)
		if err != nil {
			t.Fatalf("%s: ListDevices: %v", tc.name, err)
		}
		if ids := deviceIDs(got); !slices.Equal(ids, tc.want) && len(ids)+len(tc.want) > 0 {
			t.Errorf("%s: ListDevices got %v, want %v", tc.name, ids, tc.want)
		}
	}
}

// UpdateDevice changes what the callback changes, bumps the version and
// returns the stored form; an error from the callback aborts it.
func testUpdateDevice(t *testing.T, s store.Store) {
	ctx := t.Context()
	d := newDevice(sessionUser(t, s, "owner"), "phone", day(1))
	mustCreateDevice(t, s, d)
	got, err := s.UpdateDevice(ctx, d.ID, func(d *store.Device) error {
		d.Name, d.CanAccess = "My phone", true
		d.CreatedAt = day(1).Add(1500 * time.Microsecond) // truncated as stored
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateDevice: %v", err)
	}
	want := *d
	want.Name, want.CanAccess, want.CreatedAt = "My phone", true, day(1).Add(time.Millisecond)
	checkDevice(t, "UpdateDevice's result", got, &want)
	stored := mustGetDevice(t, s, d.ID)
	checkDevice(t, "the device after UpdateDevice", stored, &want)
	if got.Version != 2 || stored.Version != 2 {
		t.Errorf("Version after one update: returned %d, stored %d; want 2", got.Version, stored.Version)
	}
	_, err = s.UpdateDevice(ctx, d.ID, func(d *store.Device) error {
		d.CanAccess = false
		return errBoom
	})
	wantErrIs(t, "UpdateDevice with a failing callback", err, errBoom)
	checkDevice(t, "the device after an aborted update", mustGetDevice(t, s, d.ID), &want)
}

// A device's user and token are its identity: an update cannot change
// them. Its last use only moves forward, like RecordActivity's.
func testUpdateDeviceKeeps(t *testing.T, s store.Store) {
	owner, other := sessionUser(t, s, "owner"), sessionUser(t, s, "other")
	d := newDevice(owner, "phone", day(1))
	d.LastUsedAt = day(5)
	mustCreateDevice(t, s, d)
	got, err := s.UpdateDevice(t.Context(), d.ID, func(d *store.Device) error {
		d.UserID, d.Token, d.LastUsedAt, d.Name = other, "stolen", day(2), "renamed"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateDevice: %v", err)
	}
	want := *d
	want.Name = "renamed"
	checkDevice(t, "UpdateDevice's result", got, &want)
	checkDevice(t, "the stored device", mustGetDevice(t, s, d.ID), &want)
	if _, err := s.GetDeviceByToken(t.Context(), other, "stolen"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDeviceByToken(other, stolen): got %v, want ErrNotFound", err)
	}
}

// DeleteDevice removes one device and touches neither the user's other
// devices nor the sessions opened on it.
func testDeleteDevice(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := sessionUser(t, s, "owner")
	gone, kept := newDevice(u, "gone", day(1)), newDevice(u, "kept", day(1))
	mustCreateDevice(t, s, gone, kept)
	ss := newSession(u, day(1))
	ss.DeviceID = gone.ID
	mustCreateSession(t, s, ss)
	if err := s.DeleteDevice(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteDevice: %v", err)
	}
	_, err := s.GetDevice(ctx, gone.ID)
	wantErrIs(t, "GetDevice after DeleteDevice", err, store.ErrNotFound)
	wantErrIs(t, "DeleteDevice again", s.DeleteDevice(ctx, gone.ID), store.ErrNotFound)
	mustGetDevice(t, s, kept.ID)
	if got := mustGetSession(t, s, ss.ID); got.Revoked() || got.DeviceID != gone.ID {
		t.Errorf("the session on the deleted device: revoked %v, device %q; want untouched", got.Revoked(), got.DeviceID)
	}
	// The token is free again.
	mustCreateDevice(t, s, newDevice(u, "gone", day(2)))
}

// The cap: a user holding 100 devices registers a 101st; trimming to 100
// deletes exactly the one unused longest, never the new one, and no other
// user's device.
func testTrimDevicesCap(t *testing.T, s store.Store) {
	ctx := t.Context()
	const limit = 100
	u, other := sessionUser(t, s, "collector"), sessionUser(t, s, "other")
	var all []*store.Device
	for i := range limit {
		d := newDevice(u, fmt.Sprintf("device-%03d", i), day(1))
		d.LastUsedAt = day(10).Add(time.Duration(limit-i) * time.Minute) // device-099 used longest ago
		all = append(all, d)
	}
	mustCreateDevice(t, s, all...)
	othersOld := newDevice(other, "ancient", day(0))
	mustCreateDevice(t, s, othersOld)
	if trimmed, err := s.TrimDevices(ctx, u, limit, ""); err != nil || len(trimmed) != 0 {
		t.Fatalf("TrimDevices at exactly the cap: got %v, %v; want nothing trimmed", trimmed, err)
	}
	fresh := newDevice(u, "device-new", day(20)) // never used: the oldest by last use, yet kept
	mustCreateDevice(t, s, fresh)
	trimmed, err := s.TrimDevices(ctx, u, limit, fresh.ID)
	if err != nil {
		t.Fatalf("TrimDevices: %v", err)
	}
	if want := []string{all[limit-1].ID}; !slices.Equal(trimmed, want) {
		t.Errorf("TrimDevices trimmed %v, want %v (device-099, unused longest)", trimmed, want)
	}
	left, err := s.ListDevices(ctx, []string{u}, nil)
	if err != nil || len(left) != limit {
		t.Fatalf("ListDevices after the trim: got %d devices, %v; want %d", len(left), err, limit)
	}
	if ids := deviceIDs(left); !slices.Contains(ids, fresh.ID) || slices.Contains(ids, all[limit-1].ID) {
		t.Errorf("after the trim: new device kept %v, device-099 kept %v; want true, false",
			slices.Contains(ids, fresh.ID), slices.Contains(ids, all[limit-1].ID))
	}
	mustGetDevice(t, s, othersOld.ID)
}

// The order of the trim (store.DevicesToTrim): refused devices before
// permitted ones; within each, last use, or registration for a device
// never used, oldest first, ties by id; except stays even when it is the
// oldest.
func testTrimDevicesOrder(t *testing.T, s store.Store) {
	u := sessionUser(t, s, "owner")
	permitted := func(d *store.Device) *store.Device { d.CanAccess = true; return d }
	neverOld := permitted(newDevice(u, "never-used-old", day(1))) // touched day 1
	usedOld := permitted(newDevice(u, "used-old", day(0)))
	usedOld.LastUsedAt = day(2) // touched day 2
	neverNew := permitted(newDevice(u, "never-used-new", day(4)))
	usedNew := permitted(newDevice(u, "used-new", day(0)))
	usedNew.LastUsedAt = day(5)
	refusedNew := newDevice(u, "refused-new", day(6)) // the newest, but refused: first out
	except := newDevice(u, "except", day(0))          // the oldest of all, refused, kept
	mustCreateDevice(t, s, neverOld, usedOld, neverNew, usedNew, refusedNew, except)
	trimmed, err := s.TrimDevices(t.Context(), u, 4, except.ID)
	if err != nil {
		t.Fatalf("TrimDevices: %v", err)
	}
	if want := []string{refusedNew.ID, neverOld.ID}; !sameSet(trimmed, want) {
		t.Errorf("TrimDevices(keep 4) trimmed %v, want %v (refused-new, then never-used-old)", trimmed, want)
	}
	if trimmed, err = s.TrimDevices(t.Context(), u, 3, except.ID); err != nil || !sameSet(trimmed, []string{usedOld.ID}) {
		t.Errorf("TrimDevices(keep 3) trimmed %v, %v; want [used-old]", trimmed, err)
	}
	left, err := s.ListDevices(t.Context(), []string{u}, nil)
	if want := []string{usedNew.ID, except.ID, neverNew.ID}; err != nil || !sameSet(deviceIDs(left), want) {
		t.Errorf("devices left: got %v, %v; want %v", deviceIDs(left), err, want)
	}
	if trimmed, err := s.TrimDevices(t.Context(), u, 0, except.ID); err != nil || !sameSet(trimmed, []string{usedNew.ID, neverNew.ID}) {
		t.Errorf("TrimDevices(keep 0) trimmed %v, %v; want every device but except", trimmed, err)
	}
	mustGetDevice(t, s, except.ID)
}

// 20 sign-ins registering one new device at once: one record, the others
// told the token is taken.
func testConcurrentCreateDevice(t *testing.T, s store.Store) {
	const n = 20
	u := sessionUser(t, s, "racer")
	devices := make([]*store.Device, n)
	for i := range devices {
		devices[i] = newDevice(u, "same-token", day(1))
	}
	errs := race(n, func(i int) error { return s.CreateDevice(t.Context(), devices[i]) })
	winner := oneWinner(t, "CreateDevice with one token", errs, func(err error) bool {
		return errors.Is(err, store.ErrAlreadyExists) && store.ConflictField(err) == store.FieldToken
	})
	got, err := s.ListDevices(t.Context(), []string{u}, nil)
	if err != nil || len(got) != 1 {
		t.Fatalf("ListDevices after the race: got %d devices, %v; want 1", len(got), err)
	}
	if winner >= 0 && got[0].ID != devices[winner].ID {
		t.Errorf("the device stored is %s, want the winner's %s", got[0].ID, devices[winner].ID)
	}
}

// A restriction made while the device's use is recorded stays: no
// activity write lets the device in again, and the restriction moves no
// last use back.
func testConcurrentDeviceActivity(t *testing.T, s store.Store) {
	const n = 20
	d := newDevice(sessionUser(t, s, "owner"), "phone", day(1))
	d.CanAccess = true
	mustCreateDevice(t, s, d)
	errs := race(n+1, func(i int) error {
		if i == n {
			_, err := s.UpdateDevice(t.Context(), d.ID, func(d *store.Device) error {
				d.CanAccess = false
				return nil
			})
			return err
		}
		return s.RecordActivity(t.Context(), []store.Activity{{DeviceID: d.ID, At: day(2).Add(time.Duration(i) * time.Minute)}})
	})
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("goroutine %d: %w", i, err))
		}
	}
	if len(failed) > 0 {
		t.Errorf("concurrent writes failed:%s", fmtErrs(failed))
	}
	got := mustGetDevice(t, s, d.ID)
	if got.CanAccess {
		t.Error("CanAccess after activity beside the restriction: true, want false")
	}
	checkTime(t, "LastUsedAt: the latest activity", got.LastUsedAt, day(2).Add((n-1)*time.Minute))
}

// RecordActivity moves a device's last use forward, never back, and
// leaves its version.
func testActivityDevice(t *testing.T, s store.Store) {
	u := sessionUser(t, s, "owner")
	d, idle := newDevice(u, "phone", day(1)), newDevice(u, "idle", day(1))
	mustCreateDevice(t, s, d, idle)
	act := func(at time.Time) store.Activity { return store.Activity{UserID: u, DeviceID: d.ID, At: at} }
	record(t, s, act(day(5)))
	checkTime(t, "LastUsedAt after a request", mustGetDevice(t, s, d.ID).LastUsedAt, day(5))
	record(t, s, act(day(3)), store.Activity{DeviceID: store.NewID(), At: day(9)})
	checkTime(t, "LastUsedAt after an older request", mustGetDevice(t, s, d.ID).LastUsedAt, day(5))
	record(t, s, act(day(7)), act(day(6)))
	got := mustGetDevice(t, s, d.ID)
	checkTime(t, "LastUsedAt after newer then older in one batch", got.LastUsedAt, day(7))
	if got.Version != 1 {
		t.Errorf("Version after RecordActivity: got %d, want 1 (unchanged)", got.Version)
	}
	checkTime(t, "LastUsedAt of a device without requests", mustGetDevice(t, s, idle.ID).LastUsedAt, time.Time{})
}

// RevokeSessions with devices ends only the sessions opened on them.
func testRevokeSessionsOnDevices(t *testing.T, s store.Store) {
	a, b := sessionUser(t, s, "a"), sessionUser(t, s, "b")
	onX, onX2, onY, none := newSession(a, day(1)), newSession(a, day(2)), newSession(a, day(1)), newSession(a, day(1))
	onX.DeviceID, onX2.DeviceID, onY.DeviceID = "x", "x", "y"
	bOnX := newSession(b, day(1))
	bOnX.DeviceID = "x"
	mustCreateSession(t, s, onX, onX2, onY, none, bOnX)
	got, err := s.RevokeSessions(t.Context(), store.SessionRevocation{UserIDs: []string{a}, DeviceIDs: []string{"x"}, ExceptID: onX2.ID, At: day(3)})
	if err != nil {
		t.Fatalf("RevokeSessions: %v", err)
	}
	if want := []string{onX.ID}; !sameSet(got, want) {
		t.Errorf("RevokeSessions on device x returned %v, want %v", got, want)
	}
	checkTime(t, "RevokedAt of the session on x", mustGetSession(t, s, onX.ID).RevokedAt, day(3))
	for _, id := range []string{onX2.ID, onY.ID, none.ID, bOnX.ID} {
		if mustGetSession(t, s, id).Revoked() {
			t.Errorf("session %s (excepted, on another device, on none, or another user's): revoked, want live", id)
		}
	}
}

// Deleting users deletes their devices, one at a time or by filter.
func testDeleteUserRemovesDevices(t *testing.T, s store.Store) {
	ctx := t.Context()
	one, many, keeper := newUser("one"), newUser("many"), newUser("keeper")
	many.Tags = []string{"doomed"}
	mustCreateUsers(t, s, one, many, keeper)
	d1, d2, kept := newDevice(one.ID, "d", day(1)), newDevice(many.ID, "d", day(1)), newDevice(keeper.ID, "d", day(1))
	mustCreateDevice(t, s, d1, d2, kept)
	if err := s.DeleteUser(ctx, one.ID); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	if n, err := s.DeleteUsers(ctx, &store.UserFilter{Tags: &store.SetMatch{Any: []string{"doomed"}}}); err != nil || n != 1 {
		t.Fatalf("DeleteUsers: got %d, %v; want 1", n, err)
	}
	for _, d := range []*store.Device{d1, d2} {
		_, err := s.GetDevice(ctx, d.ID)
		wantErrIs(t, "GetDevice of a deleted user's device", err, store.ErrNotFound)
	}
	mustGetDevice(t, s, kept.ID)
	if got, err := s.ListDevices(ctx, []string{one.ID, many.ID}, nil); err != nil || len(got) != 0 {
		t.Errorf("ListDevices of the deleted users: got %d, %v; want none", len(got), err)
	}
}
