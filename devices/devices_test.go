package devices_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The device rules against a real SQLite store, wired as the server wires
// them: the session manager asks the device service about each session it
// reads from the store (GateDevices), and its cache trusts a checked
// session for an hour, so that "at once" means the cache was told.

type env struct {
	ctx      context.Context
	db       *sqlite.DB
	sessions *session.Manager
	devices  *devices.Service
	roles    *access.Service
}

func newEnv(t *testing.T, cfg devices.Config) *env {
	t.Helper()
	ctx := t.Context()
	c := servicetest.New(t, ctx, servicetest.Options{})
	d := devices.New(devices.Deps{Store: c.DB, Sessions: c.Sessions, Access: c.Roles, Log: c.Log}, cfg)
	c.Sessions.GateDevices(d)
	return &env{ctx: ctx, db: c.DB, sessions: c.Sessions, devices: d, roles: c.Roles}
}

var controlOn = devices.Config{Control: true}

// user stores an active user with roles.
func (e *env) user(t *testing.T, name string, roles ...string) *store.User {
	t.Helper()
	now := store.Now()
	u := &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive,
		Roles: append([]string{}, roles...), CreatedAt: now, UpdatedAt: now}
	if err := e.db.CreateUser(e.ctx, u); err != nil {
		t.Fatal(err)
	}
	return u
}

// signIn opens a session of u on d and returns its principal, checked
// once so that the cache holds it.
func (e *env) signIn(t *testing.T, u *store.User, d *store.Device) (*session.Tokens, *session.Principal) {
	t.Helper()
	tok, err := e.sessions.OpenOn(e.ctx, u, store.SessionUser, d)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.sessions.Authenticate(e.ctx, tok.Access)
	if err != nil {
		t.Fatalf("authenticate a new session: %v", err)
	}
	return tok, p
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); err == nil || got != code {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// wantEnded fails unless the access token no longer authenticates.
func (e *env) wantEnded(t *testing.T, what, access string) {
	t.Helper()
	_, err := e.sessions.Authenticate(e.ctx, access)
	if e, ok := apperr.As(err); !ok || e.Code != apperr.Unauthenticated || e.Status != apperr.StatusInvalidToken {
		t.Fatalf("%s: Authenticate got %v, want UNAUTHENTICATED 607", what, err)
	}
}

func (e *env) wantLive(t *testing.T, what, access string) {
	t.Helper()
	if _, err := e.sessions.Authenticate(e.ctx, access); err != nil {
		t.Fatalf("%s: Authenticate: %v, want the session live", what, err)
	}
}

func TestCheckToken(t *testing.T) {
	on, off := newEnv(t, controlOn).devices, newEnv(t, devices.Config{}).devices
	for _, c := range []struct {
		name, token string
		ok          bool
	}{
		{"one character", "x", true},
		{"256 characters", strings.Repeat("x", 256), true},
		{"256 two-byte characters", strings.Repeat("é", 256), true},
		{"256 four-byte characters", strings.Repeat("🙂", 256), true},
		{"spaces and punctuation", "Pixel 8 (work) — #2", true},
		{"257 characters", strings.Repeat("x", 257), false},
		{"257 two-byte characters", strings.Repeat("é", 257), false},
		{"NUL", "a\x00b", false},
		{"a tab", "a\tb", false},
		{"DEL", "a\x7fb", false},
		{"invalid UTF-8", "a\xffb", false},
		{"a zero-width space", "a\u200bb", false},
		{"a private-use character", "a\ue000b", false},
	} {
		for _, s := range []struct {
			name string
			svc  *devices.Service
		}{{"control on", on}, {"control off", off}} {
			err := s.svc.CheckToken(c.token)
			if c.ok && err != nil {
				t.Errorf("%s, %s: CheckToken = %v, want nil", c.name, s.name, err)
			}
			if !c.ok {
				wantCode(t, c.name+", "+s.name, err, apperr.InvalidDevice)
			}
		}
	}
	wantCode(t, "no token, control on", on.CheckToken(""), apperr.InvalidDevice)
	if err := off.CheckToken(""); err != nil {
		t.Errorf("no token, control off: %v, want nil", err)
	}
}

// Under control, Admit records an unknown device refused and answers 806
// until it is permitted; a permitted device is returned for the session.
func TestAdmitUnderControl(t *testing.T) {
	e := newEnv(t, controlOn)
	u := e.user(t, "alice")
	_, err := e.devices.Admit(e.ctx, u.ID, "")
	wantCode(t, "Admit without a token", err, apperr.InvalidDevice)
	_, err = e.devices.Admit(e.ctx, u.ID, "phone")
	wantCode(t, "Admit of a new device", err, apperr.DeviceDenied)
	d, err := e.db.GetDeviceByToken(e.ctx, u.ID, "phone")
	if err != nil || d.CanAccess {
		t.Fatalf("the refused device as stored: %+v, %v; want it recorded, not permitted", d, err)
	}
	_, err = e.devices.Admit(e.ctx, u.ID, "phone")
	wantCode(t, "Admit of a known refused device", err, apperr.DeviceDenied)
	if _, err := e.devices.Permit(e.ctx, u.ID, "phone"); err != nil {
		t.Fatal(err)
	}
	got, err := e.devices.Admit(e.ctx, u.ID, "phone")
	if err != nil || got == nil || got.ID != d.ID || !got.CanAccess {
		t.Fatalf("Admit of the permitted device: %+v, %v; want device %s", got, err, d.ID)
	}
}

// Without control a token is optional, and devices are recorded permitted
// (turning control on later admits them).
func TestAdmitWithoutControl(t *testing.T) {
	e := newEnv(t, devices.Config{})
	u := e.user(t, "alice")
	d, err := e.devices.Admit(e.ctx, u.ID, "")
	if d != nil || err != nil {
		t.Fatalf("Admit without a token: %+v, %v; want nil, nil", d, err)
	}
	d, err = e.devices.Admit(e.ctx, u.ID, "phone")
	if err != nil || d == nil || !d.CanAccess || d.Token != "phone" {
		t.Fatalf("Admit: %+v, %v; want phone, permitted", d, err)
	}
	again, err := e.devices.Admit(e.ctx, u.ID, "phone")
	if err != nil || again.ID != d.ID {
		t.Fatalf("second Admit: %+v, %v; want the same device %s", again, err, d.ID)
	}
	_, err = e.devices.Admit(e.ctx, u.ID, "bad\x00token")
	wantCode(t, "a malformed token, control off", err, apperr.InvalidDevice)
	for _, change := range []func(context.Context, string, string) (*store.Device, error){e.devices.Permit, e.devices.Restrict} {
		_, err := change(e.ctx, u.ID, "phone")
		wantCode(t, "a change of access, control off", err, apperr.DeviceControlOff)
	}
	if e.devices.AdmitsNewAccount() != true || newEnv(t, controlOn).devices.AdmitsNewAccount() {
		t.Error("AdmitsNewAccount: want true with control off only")
	}
}

// A way in that creates the account (loginAsGuest) is refused before it
// creates anything under control: the device of an account that does not
// exist cannot be permitted.
func TestAdmitNewAccount(t *testing.T) {
	on, off := newEnv(t, controlOn).devices, newEnv(t, devices.Config{}).devices
	wantCode(t, "a permitted-looking token under control", on.AdmitNewAccount("phone"), apperr.DeviceDenied)
	wantCode(t, "no token under control", on.AdmitNewAccount(""), apperr.InvalidDevice)
	wantCode(t, "a malformed token, control off", off.AdmitNewAccount("a\x00"), apperr.InvalidDevice)
	for _, tok := range []string{"", "phone"} {
		if err := off.AdmitNewAccount(tok); err != nil {
			t.Errorf("token %q, control off: %v, want nil", tok, err)
		}
	}
}

// Sign-ins registering one new device at once all get the same record.
func TestAdmitConcurrentRegistration(t *testing.T) {
	e := newEnv(t, devices.Config{})
	u := e.user(t, "alice")
	const n = 20
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			d, err := e.devices.Admit(e.ctx, u.ID, "new-phone")
			if d != nil {
				ids[i] = d.ID
			}
			errs[i] = err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if distinct := slices.Compact(slices.Sorted(slices.Values(ids))); len(distinct) != 1 {
		t.Fatalf("%d concurrent registrations got devices %v, want one device", n, distinct)
	}
	all, err := e.db.ListDevices(e.ctx, []string{u.ID}, nil)
	if err != nil || len(all) != 1 {
		t.Fatalf("devices stored: %d, %v; want 1", len(all), err)
	}
}

// A user holds at most Max devices: registering one more forgets the one
// unused longest and ends its sessions; the others' sessions live on.
func TestDeviceCap(t *testing.T) {
	e := newEnv(t, devices.Config{Max: 3})
	u := e.user(t, "alice")
	var access []string
	for i := range 3 {
		d, err := e.devices.Admit(e.ctx, u.ID, fmt.Sprintf("device-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := e.signIn(t, u, d)
		access = append(access, tok.Access)
	}
	e.sessions.Flush(e.ctx) // device-0 was used first, so longest ago
	if _, err := e.devices.Admit(e.ctx, u.ID, "device-3"); err != nil {
		t.Fatal(err)
	}
	all, err := e.devices.ByUsers(e.ctx, []string{u.ID})
	if err != nil {
		t.Fatal(err)
	}
	var tokens []string
	for _, d := range all[u.ID] {
		tokens = append(tokens, d.Token)
	}
	if want := []string{"device-1", "device-2", "device-3"}; !slices.Equal(tokens, want) {
		t.Fatalf("devices after the 4th: %v, want %v", tokens, want)
	}
	e.wantEnded(t, "the session on the forgotten device", access[0])
	e.wantLive(t, "a session on a kept device", access[1])
}

// Under control, sign-ins from ever new devices (a password guessed or
// leaked) fill the cap with refused devices, which go first: the devices
// an administrator permitted stay.
func TestRefusedDevicesCannotPushOutPermittedOnes(t *testing.T) {
	e := newEnv(t, devices.Config{Control: true, Max: 3})
	u := e.user(t, "alice")
	for _, tok := range []string{"phone", "laptop"} {
		if _, err := e.devices.Permit(e.ctx, u.ID, tok); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		_, err := e.devices.Admit(e.ctx, u.ID, fmt.Sprintf("stranger-%d", i))
		wantCode(t, "a new device under control", err, apperr.DeviceDenied)
	}
	permitted, err := e.db.ListDevices(e.ctx, []string{u.ID}, new(true))
	if err != nil || len(permitted) != 2 {
		t.Fatalf("permitted devices after 5 refused ones: %d, %v; want the 2", len(permitted), err)
	}
	if all, _ := e.db.ListDevices(e.ctx, []string{u.ID}, nil); len(all) != 3 {
		t.Errorf("%d devices, want the cap of 3", len(all))
	}
}

// Restrict ends the device's sessions at once (the cache was told), and
// only those; a later sign-in on it is refused; permitting it again does
// not bring the old sessions back.
func TestRestrictEndsSessions(t *testing.T) {
	e := newEnv(t, controlOn)
	u := e.user(t, "alice")
	var phone, laptop *store.Device
	for _, p := range []struct {
		token string
		d     **store.Device
	}{{"phone", &phone}, {"laptop", &laptop}} {
		d, err := e.devices.Permit(e.ctx, u.ID, p.token)
		if err != nil {
			t.Fatal(err)
		}
		*p.d = d
	}
	onPhone, _ := e.signIn(t, u, phone)
	onLaptop, _ := e.signIn(t, u, laptop)
	d, err := e.devices.Restrict(e.ctx, u.ID, "phone")
	if err != nil || d.CanAccess || d.ID != phone.ID {
		t.Fatalf("Restrict: %+v, %v; want the phone, refused", d, err)
	}
	e.wantEnded(t, "the phone's session", onPhone.Access)
	if _, err := e.sessions.Refresh(e.ctx, onPhone.Refresh); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("refresh on the restricted device: %v, want UNAUTHENTICATED", err)
	}
	e.wantLive(t, "the laptop's session", onLaptop.Access)
	_, err = e.devices.Admit(e.ctx, u.ID, "phone")
	wantCode(t, "Admit of the restricted device", err, apperr.DeviceDenied)
	if _, err := e.devices.Permit(e.ctx, u.ID, "phone"); err != nil {
		t.Fatal(err)
	}
	e.wantEnded(t, "the phone's old session after the device is permitted again", onPhone.Access)
}

// A sign-in that read its device permitted just before a restriction, and
// opens its session just after, gets a session the check refuses: the
// restriction's revocation came too early for it, the gate does not.
func TestGateCatchesSignInRacingRestriction(t *testing.T) {
	e := newEnv(t, controlOn)
	u := e.user(t, "alice")
	if _, err := e.devices.Permit(e.ctx, u.ID, "phone"); err != nil {
		t.Fatal(err)
	}
	admitted, err := e.devices.Admit(e.ctx, u.ID, "phone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.devices.Restrict(e.ctx, u.ID, "phone"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.sessions.OpenOn(e.ctx, u, store.SessionUser, admitted)
	if err != nil {
		t.Fatal(err)
	}
	e.wantEnded(t, "a session opened on the device after its restriction", tok.Access)
}

// The gate's answers: every session while control is off (without a
// read), sessions without a device, and under control only a session on
// a permitted device of its own user.
func TestAdmitsSession(t *testing.T) {
	on, off := newEnv(t, controlOn), newEnv(t, devices.Config{})
	u, v := on.user(t, "alice"), on.user(t, "bob")
	permitted, err := on.devices.Permit(on.ctx, u.ID, "phone")
	if err != nil {
		t.Fatal(err)
	}
	refused, err := on.devices.Restrict(on.ctx, u.ID, "tablet")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		svc  *devices.Service
		s    *store.Session
		want bool
	}{
		{"control off, unknown device", off.devices, &store.Session{UserID: u.ID, DeviceID: store.NewID()}, true},
		{"no device", on.devices, &store.Session{UserID: u.ID}, true},
		{"a permitted device", on.devices, &store.Session{UserID: u.ID, DeviceID: permitted.ID}, true},
		{"a refused device", on.devices, &store.Session{UserID: u.ID, DeviceID: refused.ID}, false},
		{"a device forgotten", on.devices, &store.Session{UserID: u.ID, DeviceID: store.NewID()}, false},
		{"another user's permitted device", on.devices, &store.Session{UserID: v.ID, DeviceID: permitted.ID}, false},
	} {
		got, err := c.svc.AdmitsSession(on.ctx, c.s)
		if err != nil || got != c.want {
			t.Errorf("%s: AdmitsSession = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// Enroll permits the first administrator's device whatever control says,
// even one recorded refused before.
func TestEnroll(t *testing.T) {
	for _, cfg := range []devices.Config{controlOn, {}} {
		e := newEnv(t, cfg)
		u := e.user(t, "root", access.AdminRole)
		if cfg.Control {
			_, err := e.devices.Enroll(e.ctx, u.ID, "")
			wantCode(t, "Enroll without a token under control", err, apperr.InvalidDevice)
			if _, err := e.devices.Restrict(e.ctx, u.ID, "laptop"); err != nil {
				t.Fatal(err)
			}
		}
		d, err := e.devices.Enroll(e.ctx, u.ID, "laptop")
		if err != nil || d == nil || !d.CanAccess {
			t.Fatalf("control %v: Enroll = %+v, %v; want laptop, permitted", cfg.Control, d, err)
		}
	}
}

func TestPermitAndRestrictNeedAUser(t *testing.T) {
	e := newEnv(t, controlOn)
	for _, id := range []string{store.NewID(), strings.Repeat("x", 100)} {
		_, err := e.devices.Permit(e.ctx, id, "phone")
		wantCode(t, "Permit for an unknown user", err, apperr.NotFound)
		_, err = e.devices.Restrict(e.ctx, id, "phone")
		wantCode(t, "Restrict for an unknown user", err, apperr.NotFound)
	}
	u := e.user(t, "alice")
	_, err := e.devices.Permit(e.ctx, u.ID, strings.Repeat("x", 257))
	wantCode(t, "Permit with a malformed token", err, apperr.InvalidDevice)
}

// Owners and administrators manage devices; to anyone else another user's
// device does not exist.
func TestManagementAccess(t *testing.T) {
	e := newEnv(t, devices.Config{})
	alice, bob, root := e.user(t, "alice", "user"), e.user(t, "bob", "user"), e.user(t, "root", access.AdminRole)
	d, err := e.devices.Admit(e.ctx, alice.ID, "phone")
	if err != nil {
		t.Fatal(err)
	}
	onPhone, pAlice := e.signIn(t, alice, d)
	_, pBob := e.signIn(t, bob, nil)
	_, pRoot := e.signIn(t, root, nil)

	_, err = e.devices.List(e.ctx, pBob, alice.ID, nil)
	wantCode(t, "List of another user's devices", err, apperr.Forbidden)
	for _, p := range []*session.Principal{pAlice, pRoot} {
		got, err := e.devices.List(e.ctx, p, alice.ID, nil)
		if err != nil || len(got) != 1 {
			t.Errorf("List by %s: %d devices, %v; want 1", p.User.Username, len(got), err)
		}
	}
	if got, err := e.devices.Get(e.ctx, pBob, d.ID); got != nil || err != nil {
		t.Errorf("Get by bob = %+v, %v; want nil, nil", got, err)
	}
	_, err = e.devices.Rename(e.ctx, pBob, d.ID, "mine")
	wantCode(t, "Rename by another user", err, apperr.NotFound)
	wantCode(t, "Forget by another user", e.devices.Forget(e.ctx, pBob, d.ID), apperr.NotFound)
	_, err = e.devices.Rename(e.ctx, pAlice, d.ID, strings.Repeat("n", devices.MaxNameChars+1))
	wantCode(t, "a name too long", err, apperr.BadUserInput)
	_, err = e.devices.Rename(e.ctx, pAlice, d.ID, "a\nb")
	wantCode(t, "a name with a newline", err, apperr.BadUserInput)
	got, err := e.devices.Rename(e.ctx, pRoot, d.ID, "  Alice's phone  ")
	if err != nil || got.Name != "Alice's phone" {
		t.Fatalf("Rename by an administrator: %+v, %v; want the trimmed name", got, err)
	}
	if err := e.devices.Forget(e.ctx, pAlice, d.ID); err != nil {
		t.Fatal(err)
	}
	e.wantEnded(t, "alice's session on the forgotten device", onPhone.Access)
	if _, err := e.db.GetDevice(e.ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the forgotten device: GetDevice = %v, want ErrNotFound", err)
	}
	wantCode(t, "Forget again", e.devices.Forget(e.ctx, pAlice, d.ID), apperr.NotFound)
}
