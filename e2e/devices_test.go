package e2e

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// Devices and device control (README, "Devices"): every way in records the
// client's device token; with device control on, only devices an
// administrator permitted sign in, restricting one ends its sessions at
// once, and the first administrator's device is permitted from the start.

// deviceControl turns device control on.
var deviceControl = withConfig(func(c *app.Config) { c.Devices.Control = true })

const deviceFields = `id token name canAccess lastUsedAt createdAt`

// apiDevice is a Device as the tests read it.
type apiDevice struct {
	ID         string     `json:"id"`
	Token      string     `json:"token"`
	Name       *string    `json:"name"`
	CanAccess  bool       `json:"canAccess"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	CreatedAt  time.Time  `json:"createdAt"`
}

const loginDeviceMutation = `mutation($id: String!, $pw: String!, $dev: String) {
	login(input: {identifier: $id, password: $pw, deviceToken: $dev}) { ` + authFields + ` session { device { ` + deviceFields + ` } } } }`

// loginOn signs in from a device (dev nil: no token) and returns the answer.
func loginOn(t *testing.T, ts *testServer, identifier, password string, dev any) *gqlResponse {
	t.Helper()
	return ts.gql(t, "", loginDeviceMutation, vars{"id": identifier, "pw": password, "dev": dev})
}

// deviceAuth is a sign-in's tokens with the session's device.
type deviceAuth struct {
	auth
	Session struct {
		ID     string     `json:"id"`
		Device *apiDevice `json:"device"`
	} `json:"session"`
}

// mustLoginOn signs in from a device and fails the test on errors.
func mustLoginOn(t *testing.T, ts *testServer, identifier, password, dev string) deviceAuth {
	t.Helper()
	r := loginOn(t, ts, identifier, password, dev)
	if len(r.Errors) > 0 {
		t.Fatalf("login of %s on %q: %+v", identifier, dev, r.Errors)
	}
	return dataField[deviceAuth](t, r, "login")
}

const initializeDeviceMutation = `mutation($in: InitializeInput!) { initialize(input: $in) {
	user { id } auth { ` + authFields + ` session { device { ` + deviceFields + ` } } } generatedPassword } }`

// initializedAdmin is what initialize returns, as these tests read it.
type initializedAdmin struct {
	User              struct{ ID string }
	Auth              deviceAuth
	GeneratedPassword *string
}

// adminOn initializes the server with an administrator on the device dev
// and returns them signed in.
func adminOn(t *testing.T, ts *testServer, dev string) initializedAdmin {
	t.Helper()
	r := ts.mustGQL(t, "", initializeDeviceMutation, vars{"in": vars{"bootstrapToken": ts.bootstrapToken(t),
		"username": "root", "password": "root-password-1", "deviceToken": dev}})
	return dataField[initializedAdmin](t, r, "initialize")
}

const signupDeviceMutation = `mutation($in: SignupInput!) { signup(input: $in) {
	user { id lastLoginAt } auth { ` + authFields + ` session { device { ` + deviceFields + ` } } } } }`

// signupOn signs up username (testPassword) from a device (nil: no token).
func signupOn(t *testing.T, ts *testServer, username string, dev any) *gqlResponse {
	t.Helper()
	return ts.gql(t, "", signupDeviceMutation, vars{"in": vars{"username": username, "password": testPassword, "deviceToken": dev}})
}

// signedUp is a sign-up's answer.
type signedUp struct {
	User struct {
		ID          string
		LastLoginAt *string
	}
	Auth *deviceAuth
}

// devicesOf lists userID's devices as token sees them (canAccess nil: all).
func devicesOf(t *testing.T, ts *testServer, token, userID string, canAccess any) []apiDevice {
	t.Helper()
	r := ts.mustGQL(t, token, `query($u: ID!, $c: Boolean) { devices(userId: $u, canAccess: $c) { `+deviceFields+` } }`,
		vars{"u": userID, "c": canAccess})
	return dataField[[]apiDevice](t, r, "devices")
}

// deviceTokens returns the tokens of devices, in order.
func deviceTokens(devices []apiDevice) []string {
	out := make([]string, len(devices))
	for i, d := range devices {
		out[i] = d.Token
	}
	return out
}

// deviceByToken finds a device by its token (nil if none).
func deviceByToken(devices []apiDevice, token string) *apiDevice {
	for i := range devices {
		if devices[i].Token == token {
			return &devices[i]
		}
	}
	return nil
}

const (
	permitMutation   = `mutation($u: ID!, $d: String!) { permitDevice(userId: $u, deviceToken: $d) { ` + deviceFields + ` } }`
	restrictMutation = `mutation($u: ID!, $d: String!) { restrictDevice(userId: $u, deviceToken: $d) { ` + deviceFields + ` } }`
	renameMutation   = `mutation($id: ID!, $n: String!) { renameDevice(id: $id, name: $n) { ` + deviceFields + ` } }`
	forgetMutation   = `mutation($id: ID!) { forgetDevice(id: $id) }`
)

// permit lets userID's device dev in, as the administrator token.
func permit(t *testing.T, ts *testServer, token, userID, dev string) apiDevice {
	t.Helper()
	return dataField[apiDevice](t, ts.mustGQL(t, token, permitMutation, vars{"u": userID, "d": dev}), "permitDevice")
}

// createAccount creates an account with testPassword as an administrator
// (no device of it is known yet) and returns its id.
func createAccount(t *testing.T, ts *testServer, adminToken, username string) string {
	t.Helper()
	return createUser(t, ts, adminToken, vars{"username": username, "password": testPassword}).ID
}

// wantUnauthorized fails unless /authorization refuses token with 401.
func wantUnauthorized(t *testing.T, ts *testServer, what, token string) {
	t.Helper()
	if a := askAuthorization(t, ts, http.MethodGet, "", bearer(token)); a.status != http.StatusUnauthorized {
		t.Fatalf("%s: /authorization answered %d, want 401", what, a.status)
	}
}

// malformedTokens are device tokens INVALID_DEVICE refuses.
var malformedTokens = map[string]string{
	"empty":                   "",
	"257 characters":          strings.Repeat("d", 257),
	"a control character":     "phone\x00",
	"a newline":               "phone\n1",
	"a zero-width space":      "phone\u200b",
	"an unassigned rune":      "phone\U000E0080",
	"a line separator U+2028": "phone\u2028",
}

// With device control on, login is refused without a well-formed token
// (805, before any password check), from an unknown or restricted device
// with the right password (806, and the device is recorded refused), and
// allowed from a permitted one; a wrong password is a wrong password,
// whatever the device.
func TestDeviceControlLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	admin := adminOn(t, ts, "root-laptop")
	userID := createAccount(t, ts, admin.Auth.AccessToken, "dana")

	t.Run("no token", func(t *testing.T) {
		wantCode(t, loginOn(t, ts, "dana", testPassword, nil), "INVALID_DEVICE", 805)
	})
	for name, tok := range malformedTokens {
		t.Run("malformed: "+name, func(t *testing.T) {
			r := loginOn(t, ts, "dana", testPassword, tok)
			wantCode(t, r, "INVALID_DEVICE", 805)
			if r.field() != "deviceToken" {
				t.Errorf("field = %q, want deviceToken", r.field())
			}
		})
	}
	t.Run("no token, wrong password", func(t *testing.T) {
		wantCode(t, loginOn(t, ts, "dana", "not the password", nil), "INVALID_DEVICE", 805)
	})
	t.Run("unknown device, wrong password", func(t *testing.T) {
		wantCode(t, loginOn(t, ts, "dana", "not the password", "danas-phone"), "INVALID_CREDENTIALS", 603)
	})
	t.Run("unknown device", func(t *testing.T) {
		wantCode(t, loginOn(t, ts, "dana", testPassword, "danas-phone"), "DEVICE_DENIED", 806)
		d := deviceByToken(devicesOf(t, ts, admin.Auth.AccessToken, userID, nil), "danas-phone")
		if d == nil || d.CanAccess {
			t.Fatalf("the refused device as recorded: %+v, want it listed with canAccess false", d)
		}
		wantCode(t, loginOn(t, ts, "dana", testPassword, "danas-phone"), "DEVICE_DENIED", 806)
	})
	t.Run("permitted device", func(t *testing.T) {
		permit(t, ts, admin.Auth.AccessToken, userID, "danas-phone")
		a := mustLoginOn(t, ts, "dana", testPassword, "danas-phone")
		if a.Session.Device == nil || a.Session.Device.Token != "danas-phone" || !a.Session.Device.CanAccess {
			t.Fatalf("the session's device = %+v, want danas-phone, permitted", a.Session.Device)
		}
		wantSignedIn(t, ts, "a session on a permitted device", a.auth)
		r := ts.mustGQL(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { session { device { token } } } }`,
			vars{"t": a.RefreshToken})
		if d := dataField[deviceAuth](t, r, "refreshSession").Session.Device; d == nil || d.Token != "danas-phone" {
			t.Errorf("the refreshed session's device = %+v, want danas-phone", d)
		}
	})
	t.Run("the longest token", func(t *testing.T) {
		long := strings.Repeat("é", 256) // 256 characters, 512 bytes
		wantCode(t, loginOn(t, ts, "dana", testPassword, long), "DEVICE_DENIED", 806)
		permit(t, ts, admin.Auth.AccessToken, userID, long)
		mustLoginOn(t, ts, "dana", testPassword, long)
	})
	t.Run("another user's permitted token", func(t *testing.T) {
		wantCode(t, loginOn(t, ts, "dana", testPassword, "root-laptop"), "DEVICE_DENIED", 806)
	})
}

// DEVICE_DENIED comes after the password check and is no failed password:
// the owner on a new device is refused as often as they try and is not
// locked out by it, while wrong passwords still count.
func TestDeviceDeniedIsNoFailedPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl, withConfig(func(c *app.Config) { c.Limits.LoginPerAccount = rule("3/1h") }))
	admin := adminOn(t, ts, "root-laptop")
	userID := createAccount(t, ts, admin.Auth.AccessToken, "erin")
	for i := range 6 {
		if r := loginOn(t, ts, "erin", testPassword, "erins-phone"); r.code() != "DEVICE_DENIED" {
			t.Fatalf("denied sign-in %d: code %q, want DEVICE_DENIED (not a lockout)", i+1, r.code())
		}
	}
	permit(t, ts, admin.Auth.AccessToken, userID, "erins-phone")
	mustLoginOn(t, ts, "erin", testPassword, "erins-phone")
	for range 3 {
		wantCode(t, loginOn(t, ts, "erin", "wrong password", "erins-phone"), "INVALID_CREDENTIALS", 603)
	}
	if r := loginOn(t, ts, "erin", testPassword, "erins-other-phone"); r.code() != "RATE_LIMITED" {
		t.Fatalf("after 3 wrong passwords: code %q, want RATE_LIMITED before any device answer", r.code())
	}
}

// With device control on, sign-up needs a well-formed token (805, nothing
// created); the account is created with its device recorded refused, and
// no session, until an administrator permits the device.
func TestDeviceControlSignup(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	admin := adminOn(t, ts, "root-laptop")
	for i, c := range []struct {
		name  string
		token any
	}{{"no token", nil}, {"an empty token", ""}, {"257 characters", strings.Repeat("x", 257)}, {"a tab", "a\tb"}} {
		t.Run(c.name, func(t *testing.T) {
			username := fmt.Sprintf("nobody%d", i)
			wantCode(t, signupOn(t, ts, username, c.token), "INVALID_DEVICE", 805)
			if usernameTaken(t, ts, username) {
				t.Fatal("a refused sign-up created the account")
			}
		})
	}
	r := signupOn(t, ts, "frank", "franks-phone")
	if len(r.Errors) > 0 {
		t.Fatalf("signup: %+v", r.Errors)
	}
	p := dataField[signedUp](t, r, "signup")
	if p.Auth != nil {
		t.Fatalf("signup under device control returned tokens %+v, want auth null", p.Auth)
	}
	if p.User.LastLoginAt != nil {
		t.Errorf("lastLoginAt = %s, want null: the account was not signed in", *p.User.LastLoginAt)
	}
	devices := devicesOf(t, ts, admin.Auth.AccessToken, p.User.ID, nil)
	if len(devices) != 1 || devices[0].Token != "franks-phone" || devices[0].CanAccess {
		t.Fatalf("frank's devices = %+v, want franks-phone, not permitted", devices)
	}
	wantCode(t, loginOn(t, ts, "frank", testPassword, "franks-phone"), "DEVICE_DENIED", 806)
	permit(t, ts, admin.Auth.AccessToken, p.User.ID, "franks-phone")
	mustLoginOn(t, ts, "frank", testPassword, "franks-phone")
}

// With device control on, initialize needs the administrator's device
// token (805, nothing created), and that device is permitted from the
// start: the first administrator cannot lock themselves out.
func TestDeviceControlInitialize(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	boot := ts.bootstrapToken(t)
	for name, tok := range map[string]any{"no token": nil, "an empty token": "", "257 characters": strings.Repeat("x", 257)} {
		t.Run(name, func(t *testing.T) {
			r := ts.gql(t, "", initializeDeviceMutation, vars{"in": vars{"bootstrapToken": boot, "username": "root",
				"password": "root-password-1", "deviceToken": tok}})
			wantCode(t, r, "INVALID_DEVICE", 805)
		})
	}
	if usernameTaken(t, ts, "root") {
		t.Fatal("a refused initialize created the administrator")
	}
	admin := adminOn(t, ts, "root-laptop")
	if d := admin.Auth.Session.Device; d == nil || d.Token != "root-laptop" || !d.CanAccess {
		t.Fatalf("initialize's session device = %+v, want root-laptop, permitted", d)
	}
	devices := devicesOf(t, ts, admin.Auth.AccessToken, admin.User.ID, true)
	if got := deviceTokens(devices); !slices.Equal(got, []string{"root-laptop"}) {
		t.Fatalf("the administrator's permitted devices = %v, want [root-laptop]", got)
	}
	mustLoginOn(t, ts, "root", "root-password-1", "root-laptop")
	wantCode(t, loginOn(t, ts, "root", "root-password-1", "root-phone"), "DEVICE_DENIED", 806)
}

// restrictDevice ends the device's sessions at once — the next request,
// GraphQL or /authorization, is refused, from the cache too — refuses its
// sign-ins and refreshes, and leaves the user's other devices alone;
// permitting it again lets it sign in anew, not the old sessions back.
func TestRestrictDeviceEndsItsSessionsAtOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	admin := adminOn(t, ts, "root-laptop")
	userID := createAccount(t, ts, admin.Auth.AccessToken, "gina")
	permit(t, ts, admin.Auth.AccessToken, userID, "ginas-phone")
	permit(t, ts, admin.Auth.AccessToken, userID, "ginas-laptop")
	phone1 := mustLoginOn(t, ts, "gina", testPassword, "ginas-phone")
	phone2 := mustLoginOn(t, ts, "gina", testPassword, "ginas-phone")
	laptop := mustLoginOn(t, ts, "gina", testPassword, "ginas-laptop")
	warmSessionCache(t, ts, phone1.auth, phone2.auth, laptop.auth)
	if a := askAuthorization(t, ts, http.MethodGet, "", bearer(phone2.AccessToken)); a.status != http.StatusOK {
		t.Fatalf("/authorization before the restriction: %d, want 200", a.status)
	}

	r := ts.mustGQL(t, admin.Auth.AccessToken, restrictMutation, vars{"u": userID, "d": "ginas-phone"})
	if d := dataField[apiDevice](t, r, "restrictDevice"); d.Token != "ginas-phone" || d.CanAccess {
		t.Fatalf("restrictDevice = %+v, want ginas-phone, not permitted", d)
	}
	wantUnauthorized(t, ts, "the restricted device's session at /authorization", phone2.AccessToken)
	wantSessionEnded(t, ts, "a session on the restricted device", phone1.auth)
	wantSessionEnded(t, ts, "another session on the restricted device", phone2.auth)
	wantSignedIn(t, ts, "the session on the other device", laptop.auth)
	wantCode(t, loginOn(t, ts, "gina", testPassword, "ginas-phone"), "DEVICE_DENIED", 806)

	permit(t, ts, admin.Auth.AccessToken, userID, "ginas-phone")
	again := mustLoginOn(t, ts, "gina", testPassword, "ginas-phone")
	wantSignedIn(t, ts, "a new session on the permitted device", again.auth)
	wantCode(t, ts.gql(t, phone1.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 607)
}

// Only administrators permit and restrict; a device token is checked as
// at sign-in; an unknown user is NOT_FOUND; a token never seen is
// registered with the access given.
func TestPermitAndRestrictRules(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	admin := adminOn(t, ts, "root-laptop")
	userID := createAccount(t, ts, admin.Auth.AccessToken, "hank")
	permit(t, ts, admin.Auth.AccessToken, userID, "hanks-phone")
	hank := mustLoginOn(t, ts, "hank", testPassword, "hanks-phone")
	for _, m := range []struct{ name, query string }{{"permitDevice", permitMutation}, {"restrictDevice", restrictMutation}} {
		t.Run(m.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, hank.AccessToken, m.query, vars{"u": userID, "d": "hanks-laptop"}), "FORBIDDEN", 609)
			wantCode(t, ts.gql(t, admin.Auth.AccessToken, m.query, vars{"u": userID, "d": strings.Repeat("x", 257)}), "INVALID_DEVICE", 805)
			wantCode(t, ts.gql(t, admin.Auth.AccessToken, m.query, vars{"u": userID, "d": ""}), "INVALID_DEVICE", 805)
			wantCode(t, ts.gql(t, admin.Auth.AccessToken, m.query, vars{"u": "01nosuchuser0000000000000000000", "d": "x"}), "NOT_FOUND", 605)
		})
	}
	r := ts.mustGQL(t, admin.Auth.AccessToken, restrictMutation, vars{"u": userID, "d": "hanks-tablet"})
	if d := dataField[apiDevice](t, r, "restrictDevice"); d.CanAccess {
		t.Errorf("a token restricted before its first sign-in: canAccess true, want false")
	}
	devices := devicesOf(t, ts, admin.Auth.AccessToken, userID, nil)
	if got := deviceTokens(devices); !slices.Equal(got, []string{"hanks-phone", "hanks-tablet"}) {
		t.Errorf("hank's devices = %v, want [hanks-phone hanks-tablet] (nothing for the refused calls)", got)
	}
}

// With device control off a token is optional, every device given is
// recorded (permitted) and listed, a malformed one is still refused, and
// permitDevice and restrictDevice answer DEVICE_CONTROL_OFF.
func TestDeviceControlOff(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	adminTok := ts.admin(t).AccessToken
	iris := ts.signup(t, "iris", testPassword)
	noDevice := ts.login(t, "iris", testPassword)
	onPhone := mustLoginOn(t, ts, "iris", testPassword, "iris-phone")
	if d := onPhone.Session.Device; d == nil || d.Token != "iris-phone" || !d.CanAccess {
		t.Fatalf("session device = %+v, want iris-phone, recorded permitted", d)
	}
	for name, tok := range malformedTokens {
		if tok == "" {
			continue // with control off, "" is no token
		}
		t.Run("malformed: "+name, func(t *testing.T) {
			wantCode(t, loginOn(t, ts, "iris", testPassword, tok), "INVALID_DEVICE", 805)
		})
	}
	r := signupOn(t, ts, "jack", "jacks-phone")
	if p := dataField[signedUp](t, r, "signup"); p.Auth == nil || p.Auth.Session.Device == nil || p.Auth.Session.Device.Token != "jacks-phone" {
		t.Fatalf("signup with a device, control off: %s, want tokens on jacks-phone", r.Data)
	}
	wantCode(t, ts.gql(t, adminTok, permitMutation, vars{"u": iris.User.ID, "d": "iris-phone"}), "DEVICE_CONTROL_OFF", 807)
	wantCode(t, ts.gql(t, adminTok, restrictMutation, vars{"u": iris.User.ID, "d": "iris-phone"}), "DEVICE_CONTROL_OFF", 807)
	wantSignedIn(t, ts, "the session without a device", noDevice)
	wantSignedIn(t, ts, "the session on the device after the refused restriction", onPhone.auth)
	if got := deviceTokens(devicesOf(t, ts, iris.AccessToken, iris.User.ID, nil)); !slices.Equal(got, []string{"iris-phone"}) {
		t.Fatalf("iris's devices = %v, want [iris-phone]", got)
	}
}

// A device's lastUsedAt follows its sessions' requests, written with the
// batched activity (here: the flush at shutdown), not per request.
func TestDeviceLastUsedFollowsUse(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.HTTP.Listen = freeAddr(t) // the restarted server keeps the token issuer
		c.Sessions.ActivityFlush = time.Hour
	}))
	ts.signup(t, "kate", testPassword)
	a := mustLoginOn(t, ts, "kate", testPassword, "kates-phone")
	if a.Session.Device.LastUsedAt != nil {
		t.Fatalf("lastUsedAt right after the sign-in = %v, want null until the activity is written", a.Session.Device.LastUsedAt)
	}
	before := time.Now().Add(-time.Second)
	wantSignedIn(t, ts, "a request on the device", a.auth)
	ts = ts.restart() // Close writes the pending activity
	devices := devicesOf(t, ts, a.AccessToken, a.User.ID, nil)
	if len(devices) != 1 || devices[0].LastUsedAt == nil || devices[0].LastUsedAt.Before(before) {
		t.Fatalf("kate's devices after the flush = %+v, want kates-phone used after %v", devices, before)
	}
}

// A user holds at most 100 devices: the 101st forgets the one unused
// longest, and ends its sessions.
func TestDeviceCap(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "lena", testPassword)
	first := mustLoginOn(t, ts, "lena", testPassword, "device-000")
	for i := 1; i < 100; i++ {
		mustLoginOn(t, ts, "lena", testPassword, fmt.Sprintf("device-%03d", i))
	}
	if n := len(devicesOf(t, ts, first.AccessToken, first.User.ID, nil)); n != 100 {
		t.Fatalf("%d devices after 100 sign-ins, want 100", n)
	}
	wantSignedIn(t, ts, "the first device's session, at the cap", first.auth)
	last := mustLoginOn(t, ts, "lena", testPassword, "device-100")
	devices := devicesOf(t, ts, last.AccessToken, last.User.ID, nil)
	tokens := deviceTokens(devices)
	if len(devices) != 100 || slices.Contains(tokens, "device-000") || !slices.Contains(tokens, "device-100") {
		t.Fatalf("after the 101st device: %d devices, device-000 kept %v, device-100 kept %v; want 100, false, true",
			len(devices), slices.Contains(tokens, "device-000"), slices.Contains(tokens, "device-100"))
	}
	wantSessionEnded(t, ts, "the forgotten device's session", first.auth)
}

// Users see, rename and forget their own devices; administrators anyone's;
// anyone else is refused without learning whether a device exists.
func TestDeviceManagement(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	admin := adminOn(t, ts, "root-laptop")
	monaID := createAccount(t, ts, admin.Auth.AccessToken, "mona")
	nedID := createAccount(t, ts, admin.Auth.AccessToken, "ned")
	for _, dev := range []string{"monas-phone", "monas-laptop"} {
		permit(t, ts, admin.Auth.AccessToken, monaID, dev)
	}
	permit(t, ts, admin.Auth.AccessToken, nedID, "neds-phone")
	wantCode(t, loginOn(t, ts, "mona", testPassword, "monas-tablet"), "DEVICE_DENIED", 806) // recorded, refused
	mona := mustLoginOn(t, ts, "mona", testPassword, "monas-phone")
	monaLaptop := mustLoginOn(t, ts, "mona", testPassword, "monas-laptop")
	ned := mustLoginOn(t, ts, "ned", testPassword, "neds-phone")
	devices := devicesOf(t, ts, mona.AccessToken, monaID, nil)
	phone, laptop, tablet := deviceByToken(devices, "monas-phone"), deviceByToken(devices, "monas-laptop"), deviceByToken(devices, "monas-tablet")
	if phone == nil || laptop == nil || tablet == nil {
		t.Fatalf("mona's devices = %v, want phone, laptop and tablet", deviceTokens(devices))
	}

	t.Run("devices(userId, canAccess)", func(t *testing.T) {
		for _, c := range []struct {
			name      string
			canAccess any
			want      []string
		}{
			{"all", nil, []string{"monas-phone", "monas-laptop", "monas-tablet"}},
			{"permitted", true, []string{"monas-phone", "monas-laptop"}},
			{"refused", false, []string{"monas-tablet"}},
		} {
			if got := deviceTokens(devicesOf(t, ts, admin.Auth.AccessToken, monaID, c.canAccess)); !slices.Equal(got, c.want) {
				t.Errorf("%s, as an administrator: %v, want %v", c.name, got, c.want)
			}
			if got := deviceTokens(devicesOf(t, ts, mona.AccessToken, monaID, c.canAccess)); !slices.Equal(got, c.want) {
				t.Errorf("%s, as mona: %v, want %v", c.name, got, c.want)
			}
		}
		wantCode(t, ts.gql(t, ned.AccessToken, `query($u: ID!) { devices(userId: $u) { id } }`, vars{"u": monaID}), "FORBIDDEN", 609)
	})

	t.Run("User.devices and Session.device", func(t *testing.T) {
		q := `query($id: ID!) { user(id: $id) { devices { token } sessions { id device { token } } } }`
		type view struct {
			Devices  []struct{ Token string }
			Sessions []struct {
				ID     string
				Device *struct{ Token string }
			}
		}
		for _, who := range []struct {
			name, token string
			full        bool
		}{{"mona", mona.AccessToken, true}, {"an administrator", admin.Auth.AccessToken, true}, {"ned", ned.AccessToken, false}} {
			v := dataField[*view](t, ts.mustGQL(t, who.token, q, vars{"id": monaID}), "user")
			if v == nil {
				t.Fatalf("%s: user(mona) = null", who.name)
			}
			if !who.full {
				if len(v.Devices) != 0 || len(v.Sessions) != 0 {
					t.Errorf("%s sees mona's devices %v and sessions %v, want none", who.name, v.Devices, v.Sessions)
				}
				continue
			}
			if len(v.Devices) != 3 {
				t.Errorf("%s: User.devices has %d, want 3", who.name, len(v.Devices))
			}
			got := map[string]string{}
			for _, s := range v.Sessions {
				if s.Device != nil {
					got[s.ID] = s.Device.Token
				}
			}
			if got[mona.Session.ID] != "monas-phone" || got[monaLaptop.Session.ID] != "monas-laptop" {
				t.Errorf("%s: Session.device by session = %v, want monas-phone and monas-laptop", who.name, got)
			}
		}
	})

	t.Run("node", func(t *testing.T) {
		q := `query($id: ID!) { node(id: $id) { __typename ... on Device { token } } }`
		type node struct {
			Typename string `json:"__typename"`
			Token    string
		}
		for _, who := range []struct {
			name, token string
			sees        bool
		}{{"mona", mona.AccessToken, true}, {"an administrator", admin.Auth.AccessToken, true}, {"ned", ned.AccessToken, false}} {
			got := dataField[*node](t, ts.mustGQL(t, who.token, q, vars{"id": phone.ID}), "node")
			if sees := got != nil && got.Typename == "Device" && got.Token == "monas-phone"; sees != who.sees || (!who.sees && got != nil) {
				t.Errorf("node(mona's phone) as %s = %+v, want the device: %v", who.name, got, who.sees)
			}
		}
	})

	t.Run("rename", func(t *testing.T) {
		r := ts.mustGQL(t, mona.AccessToken, renameMutation, vars{"id": phone.ID, "n": "  Mona's phone "})
		if d := dataField[apiDevice](t, r, "renameDevice"); d.Name == nil || *d.Name != "Mona's phone" {
			t.Errorf("renamed by mona: name %v, want \"Mona's phone\"", d.Name)
		}
		r = ts.mustGQL(t, admin.Auth.AccessToken, renameMutation, vars{"id": laptop.ID, "n": "Office laptop"})
		if d := dataField[apiDevice](t, r, "renameDevice"); d.Name == nil || *d.Name != "Office laptop" {
			t.Errorf("renamed by an administrator: name %v, want \"Office laptop\"", d.Name)
		}
		wantCode(t, ts.gql(t, ned.AccessToken, renameMutation, vars{"id": phone.ID, "n": "mine now"}), "NOT_FOUND", 605)
		wantCode(t, ts.gql(t, mona.AccessToken, renameMutation, vars{"id": "01nosuchdevice00000000000000000", "n": "x"}), "NOT_FOUND", 605)
		r = ts.gql(t, mona.AccessToken, renameMutation, vars{"id": phone.ID, "n": strings.Repeat("n", 101)})
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if r.field() != "name" {
			t.Errorf("a long name: field %q, want name", r.field())
		}
		r = ts.mustGQL(t, mona.AccessToken, renameMutation, vars{"id": tablet.ID, "n": ""})
		if d := dataField[apiDevice](t, r, "renameDevice"); d.Name != nil {
			t.Errorf("an empty name: %q, want null", *d.Name)
		}
		if d := deviceByToken(devicesOf(t, ts, mona.AccessToken, monaID, nil), "monas-phone"); d.Name == nil || *d.Name != "Mona's phone" {
			t.Errorf("ned's refused rename changed the name to %v", d.Name)
		}
	})

	t.Run("forget", func(t *testing.T) {
		wantCode(t, ts.gql(t, ned.AccessToken, forgetMutation, vars{"id": phone.ID}), "NOT_FOUND", 605)
		wantSignedIn(t, ts, "mona's phone after ned's refused forget", mona.auth)
		if !dataField[bool](t, ts.mustGQL(t, mona.AccessToken, forgetMutation, vars{"id": phone.ID}), "forgetDevice") {
			t.Fatal("forgetDevice by mona = false")
		}
		wantSessionEnded(t, ts, "the session on the forgotten device", mona.auth)
		if !dataField[bool](t, ts.mustGQL(t, admin.Auth.AccessToken, forgetMutation, vars{"id": laptop.ID}), "forgetDevice") {
			t.Fatal("forgetDevice by an administrator = false")
		}
		wantSessionEnded(t, ts, "the session on the device an administrator forgot", monaLaptop.auth)
		wantCode(t, ts.gql(t, admin.Auth.AccessToken, forgetMutation, vars{"id": laptop.ID}), "NOT_FOUND", 605)
		if got := deviceTokens(devicesOf(t, ts, admin.Auth.AccessToken, monaID, nil)); !slices.Equal(got, []string{"monas-tablet"}) {
			t.Errorf("mona's devices after forgetting two = %v, want [monas-tablet]", got)
		}
		// Forgotten, the device is a stranger again under device control.
		wantCode(t, loginOn(t, ts, "mona", testPassword, "monas-phone"), "DEVICE_DENIED", 806)
		wantSignedIn(t, ts, "ned, untouched", ned.auth)
	})
}

// initialize without a password generates a strong one, returns it once
// and never logs it; the administrator signs in with it.
func TestInitializeGeneratesPassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t, deviceControl)
	r := ts.mustGQL(t, "", initializeDeviceMutation, vars{"in": vars{"bootstrapToken": ts.bootstrapToken(t),
		"username": "root", "deviceToken": "root-laptop"}})
	p := dataField[initializedAdmin](t, r, "initialize")
	if p.GeneratedPassword == nil || len(*p.GeneratedPassword) < 22 { // 22 base64 characters: 128 bits
		t.Fatalf("generatedPassword = %v, want at least 128 bits' worth", p.GeneratedPassword)
	}
	pw := *p.GeneratedPassword
	if strings.Contains(ts.logs.String(), pw) {
		t.Fatal("the generated password is in the log")
	}
	mustLoginOn(t, ts, "root", pw, "root-laptop")
	wantCode(t, loginOn(t, ts, "root", pw+"x", "root-laptop"), "INVALID_CREDENTIALS", 603)
	// Once: initialize answers only the first time, and nothing else shows it.
	wantCode(t, ts.gql(t, "", initializeDeviceMutation, vars{"in": vars{"bootstrapToken": ts.bootstrapToken(t),
		"username": "root2", "deviceToken": "root-laptop"}}), "FORBIDDEN", 609)

	given := startServer(t)
	r = given.mustGQL(t, "", initializeDeviceMutation, vars{"in": vars{"bootstrapToken": given.bootstrapToken(t),
		"username": "root", "password": "root-password-1"}})
	if p := dataField[initializedAdmin](t, r, "initialize"); p.GeneratedPassword != nil {
		t.Errorf("initialize with a password: generatedPassword = %q, want null", *p.GeneratedPassword)
	}
}

// `usergraph init -device-token` through the built binary: under device
// control the token is required, the device is permitted, and without a
// password one is generated and printed once.
func TestInitCommandLineDeviceToken(t *testing.T) {
	t.Parallel()
	bin := usergraphBinary(t)
	db := t.TempDir() + "/cli.db"
	args := []string{"init", "-database-url", "sqlite:" + db, "-argon2-memory-kib", "64", "-argon2-iterations", "1",
		"-device-control", "-username", "boss"}

	t.Run("no device token", func(t *testing.T) {
		_, stderr, err := runBinary(t, bin, []string{"USERGRAPH_ADMIN_PASSWORD=a good admin password"}, args...)
		if err == nil {
			t.Fatal("init under device control without a device token succeeded")
		}
		if !strings.Contains(stderr, "device token") {
			t.Errorf("stderr = %q, want it to ask for the device token", stderr)
		}
	})
	stdout, stderr, err := runBinary(t, bin, nil, append(args, "-device-token", "boss-laptop")...)
	if err != nil {
		t.Fatalf("init: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
	}
	_, pw, ok := strings.Cut(stdout, "generated password (shown this once, keep it safe): ")
	pw = strings.TrimSpace(pw)
	if !ok || len(pw) < 22 {
		t.Fatalf("stdout = %q, want the generated password printed", stdout)
	}
	if strings.Contains(stderr, pw) {
		t.Error("init wrote the generated password to the log")
	}

	cfg := testConfig(t, db)
	cfg.Devices.Control = true
	ts := startWith(t, cfg)
	a := mustLoginOn(t, ts, "boss", pw, "boss-laptop")
	if d := a.Session.Device; d == nil || !d.CanAccess {
		t.Fatalf("boss's session device = %+v, want boss-laptop, permitted", d)
	}
	wantCode(t, loginOn(t, ts, "boss", pw, "boss-phone"), "DEVICE_DENIED", 806)
}
