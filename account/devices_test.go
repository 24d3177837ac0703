package account_test

import (
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/store"
)

// Each way in applies the device rules (package devices) at its place:
// login checks the token before any hash and the device after the
// password; sign-up checks the token before it creates anything and,
// under device control, creates the account without a session;
// initialization requires the token before anything and permits the
// device.

func withDeviceControl(o *options) { o.devices = devices.Config{Control: true} }

// signupOn signs a user up under device control, from a device of theirs.
func (e *env) signupOn(t *testing.T, username string) *store.User {
	t.Helper()
	u, _, err := e.accounts.Signup(e.ctx, account.NewUser{Username: username, Password: goodPassword, DeviceToken: username + "-signup"})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestLoginDeviceTokenBeforeTheHash(t *testing.T) {
	e := newEnv(t, withDeviceControl)
	u := e.signupOn(t, "alice")
	for _, tok := range []string{"", strings.Repeat("x", 257), "a\x00b"} {
		hashes, err := e.login(t, account.Credentials{Identifier: "alice", Password: goodPassword, DeviceToken: tok})
		wantCode(t, "login with token "+tok, err, apperr.InvalidDevice, "deviceToken")
		if hashes != 0 {
			t.Errorf("login with token %q hashed %d times, want 0: the token is checked first", tok, hashes)
		}
	}
	if e.stored(t, u.ID).Lockout != (store.Lockout{}) {
		t.Error("refused tokens counted as failed passwords")
	}
}

// DEVICE_DENIED only with the right password, and never as a failure:
// the lockout's count stays, the account's last sign-in too.
func TestLoginDeviceDeniedAfterThePassword(t *testing.T) {
	e := newEnv(t, withDeviceControl, withLockout(lockout.Policy{Threshold: 2, Base: time.Hour, Max: 24 * time.Hour}))
	u := e.signupOn(t, "alice")
	_, err := e.login(t, account.Credentials{Identifier: "alice", Password: "wrong password", DeviceToken: "phone"})
	wantCode(t, "a wrong password on an unknown device", err, apperr.InvalidCredentials, "")
	if _, err := e.db.GetDeviceByToken(e.ctx, u.ID, "phone"); err == nil {
		t.Error("a sign-in with a wrong password recorded its device")
	}
	for range 3 {
		_, err := e.login(t, account.Credentials{Identifier: "alice", Password: goodPassword, DeviceToken: "phone"})
		wantCode(t, "the right password on an unknown device", err, apperr.DeviceDenied, "")
	}
	if got := e.stored(t, u.ID); got.Lockout.Failures != 1 || !got.LastLoginAt.IsZero() {
		t.Errorf("after the denials: %d failures, last sign-in %v; want the 1 wrong password, never signed in", got.Lockout.Failures, got.LastLoginAt)
	}
	if _, err := e.devices.Permit(e.ctx, u.ID, "phone"); err != nil {
		t.Fatal(err)
	}
	tok, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "alice", Password: goodPassword, DeviceToken: "phone"})
	if err != nil {
		t.Fatalf("login on the permitted device: %v", err)
	}
	d, _ := e.db.GetDeviceByToken(e.ctx, u.ID, "phone")
	if tok.Session.DeviceID != d.ID {
		t.Errorf("the session's device = %q, want %s", tok.Session.DeviceID, d.ID)
	}
}

func TestSignupUnderDeviceControl(t *testing.T) {
	e := newEnv(t, withDeviceControl)
	for _, tok := range []string{"", strings.Repeat("x", 257)} {
		_, _, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "nobody", Password: goodPassword, DeviceToken: tok})
		wantCode(t, "sign-up with token "+tok, err, apperr.InvalidDevice, "deviceToken")
	}
	if n := e.count(t, nil); n != 0 {
		t.Fatalf("%d accounts after refused sign-ups, want 0", n)
	}
	u, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "alice", Password: goodPassword, DeviceToken: "phone"})
	if err != nil || tok != nil {
		t.Fatalf("sign-up: tokens %v, %v; want the account without a session", tok, err)
	}
	if got := e.stored(t, u.ID); !got.LastLoginAt.IsZero() {
		t.Errorf("LastLoginAt = %v, want zero: not signed in", got.LastLoginAt)
	}
	if d, err := e.db.GetDeviceByToken(e.ctx, u.ID, "phone"); err != nil || d.CanAccess {
		t.Errorf("the sign-up's device: %+v, %v; want it recorded, not permitted", d, err)
	}
}

func TestSignupRecordsItsDevice(t *testing.T) {
	e := newEnv(t)
	u, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "alice", Password: goodPassword, DeviceToken: "phone"})
	if err != nil || tok == nil {
		t.Fatalf("sign-up: %v, %v; want a session", tok, err)
	}
	d, err := e.db.GetDeviceByToken(e.ctx, u.ID, "phone")
	if err != nil || tok.Session.DeviceID != d.ID {
		t.Errorf("the session's device %q, stored %+v, %v; want the recorded device", tok.Session.DeviceID, d, err)
	}
}

// Under device control initialization requires a token before it creates
// anything, and permits the administrator's device; without a password it
// generates one that signs in.
func TestInitializeUnderDeviceControl(t *testing.T) {
	e := newEnv(t, withDeviceControl, func(o *options) { o.cfg.BootstrapToken = "secret" })
	_, _, err := e.accounts.Initialize(e.ctx, "secret", account.Admin{Username: "root"})
	wantCode(t, "initialize without a device token", err, apperr.InvalidDevice, "deviceToken")
	if n := e.count(t, nil); n != 0 {
		t.Fatalf("%d accounts after a refused initialize, want 0", n)
	}
	tok, generated, err := e.accounts.Initialize(e.ctx, "secret", account.Admin{Username: "root", DeviceToken: "laptop"})
	if err != nil {
		t.Fatal(err)
	}
	if len(generated) < 22 {
		t.Fatalf("generated password %q: want at least 128 bits", generated)
	}
	d, err := e.db.GetDeviceByToken(e.ctx, tok.User.ID, "laptop")
	if err != nil || !d.CanAccess || tok.Session.DeviceID != d.ID {
		t.Fatalf("the administrator's device: %+v, %v, session device %q; want laptop, permitted, the session's", d, err, tok.Session.DeviceID)
	}
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "root", Password: generated, DeviceToken: "laptop"}); err != nil {
		t.Errorf("login with the generated password: %v", err)
	}
}

func TestInitializeTrustedGeneratesPassword(t *testing.T) {
	e := newEnv(t)
	u, generated, err := e.accounts.InitializeTrusted(e.ctx, account.Admin{Username: "root"})
	if err != nil || generated == "" {
		t.Fatalf("InitializeTrusted without a password: %v, generated %q", err, generated)
	}
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "root", Password: generated}); err != nil {
		t.Errorf("login with the generated password: %v", err)
	}
	other := newEnv(t)
	_, generated, err = other.accounts.InitializeTrusted(other.ctx, account.Admin{Username: "root", Password: goodPassword})
	if err != nil || generated != "" {
		t.Errorf("InitializeTrusted with a password: %v, generated %q; want none generated", err, generated)
	}
	if u.ID == "" {
		t.Error("no administrator")
	}
}
