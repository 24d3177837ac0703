package e2e

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/mail/mailtest"
)

// Guests (README, "Guests"): loginAsGuest makes an account with a
// generated username and no password, signed in at once in a GUEST
// session; upgradeGuest makes it a full account with the same id and data,
// and the session goes on as USER; idle guests are deleted by the janitor.

const guestMutation = `mutation($in: GuestInput) { loginAsGuest(input: $in) { ` + authFields + ` user { isGuest createdAt } } }`

// guestAuth is loginAsGuest's answer.
type guestAuth struct {
	auth
	Session struct {
		ID   string `json:"id"`
		Kind string `json:"kind"`
	} `json:"session"`
	User struct {
		ID        string `json:"id"`
		Username  string `json:"username"`
		IsGuest   bool   `json:"isGuest"`
		CreatedAt string `json:"createdAt"`
	} `json:"user"`
}

// loginAsGuest creates a guest with input in (nil: none) and fails the
// test on errors.
func loginAsGuest(t *testing.T, ts *testServer, in vars) guestAuth {
	t.Helper()
	v := vars{}
	if in != nil {
		v["in"] = in
	}
	return dataField[guestAuth](t, ts.mustGQL(t, "", guestMutation, v), "loginAsGuest")
}

const upgradeMutation = `mutation($in: UpgradeGuestInput!) { upgradeGuest(input: $in) { id username email isGuest fullName metadata createdAt } }`

var generatedGuestName = regexp.MustCompile(`^guest_[a-z2-7]{16}$`)

// A guest: generated username, isGuest, a GUEST session; it edits its own
// profile and metadata like anyone and sees itself in full.
func TestLoginAsGuest(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	g := loginAsGuest(t, ts, vars{"fullName": "Visitor", "metadata": vars{"cart": []int{1, 2}}})
	if !generatedGuestName.MatchString(g.User.Username) || !g.User.IsGuest || g.Session.Kind != "GUEST" || g.RefreshToken == "" {
		t.Errorf("loginAsGuest: %+v", g)
	}
	if _, payload, _ := splitJWS(t, g.AccessToken); payload["kind"] != "GUEST" {
		t.Errorf("the guest's token says kind %v, want GUEST", payload["kind"])
	}
	r := updateProfile(t, ts, g.AccessToken, vars{"firstName": "Vee", "metadata": vars{"theme": "dark"}})
	if len(r.Errors) > 0 {
		t.Fatalf("a guest's updateProfile: %+v", r.Errors)
	}
	me := dataField[apiUser](t, ts.mustGQL(t, g.AccessToken, `{ me { `+userFields+` isGuest } }`, nil), "me")
	if userStr(me.FullName) != "Visitor" || userStr(me.FirstName) != "Vee" || me.roleNames()[0] != "user" {
		t.Errorf("the guest's me: %+v", me)
	}
	assertJSONEqual(t, "the guest's metadata", me.Metadata, `{"cart":[1,2],"theme":"dark"}`)
	other := loginAsGuest(t, ts, nil)
	if other.User.ID == g.User.ID || other.User.Username == g.User.Username {
		t.Errorf("two guests share an id or a name")
	}
	// Others see the public view, isGuest included (API.md).
	seen := dataField[*struct {
		Username string          `json:"username"`
		IsGuest  bool            `json:"isGuest"`
		Metadata json.RawMessage `json:"metadata"`
	}](t, ts.mustGQL(t, other.AccessToken, `query($id: ID!) { user(id: $id) { username isGuest metadata } }`, vars{"id": g.User.ID}), "user")
	if seen == nil || seen.Username != g.User.Username || !seen.IsGuest || string(seen.Metadata) != "{}" {
		t.Errorf("another user's view of the guest: %+v", seen)
	}
	r = ts.gql(t, "", guestMutation, vars{"in": vars{"metadata": []int{1}}})
	wantCode(t, r, "BAD_USER_INPUT", 0)
}

// upgradeGuest keeps the id and everything else (metadata, devices,
// sessions, creation time); the same access token goes on in a USER
// session, and the next refresh signs tokens that say USER.
func TestUpgradeGuestKeepsEverything(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	g := loginAsGuest(t, ts, vars{"fullName": "Visitor", "metadata": vars{"level": 3}, "deviceToken": "phone-1"})
	r := ts.mustGQL(t, g.AccessToken, upgradeMutation, vars{"in": vars{"username": "ann", "email": "ann@example.com",
		"password": testPassword, "lastName": "Archer"}})
	u := dataField[struct {
		apiUser
		IsGuest bool `json:"isGuest"`
	}](t, r, "upgradeGuest")
	if u.ID != g.User.ID || u.IsGuest || userStr(u.Username) != "ann" || userStr(u.Email) != "ann@example.com" ||
		userStr(u.FullName) != "Visitor" || u.CreatedAt != g.User.CreatedAt {
		t.Errorf("upgradeGuest: %+v", u)
	}
	assertJSONEqual(t, "metadata after the upgrade", u.Metadata, `{"level":3}`)

	// The same access token: the session is the same one, now USER.
	var me struct {
		Me struct {
			ID       string `json:"id"`
			IsGuest  bool   `json:"isGuest"`
			Sessions []struct {
				ID      string `json:"id"`
				Kind    string `json:"kind"`
				Current bool   `json:"current"`
			} `json:"sessions"`
			Devices []struct {
				Token string `json:"token"`
			} `json:"devices"`
		} `json:"me"`
	}
	ts.mustGQL(t, g.AccessToken, `{ me { id isGuest sessions { id kind current } devices { token } } }`, nil).decode(t, &me)
	if me.Me.ID != g.User.ID || me.Me.IsGuest || len(me.Me.Sessions) != 1 || me.Me.Sessions[0].ID != g.Session.ID ||
		me.Me.Sessions[0].Kind != "USER" || !me.Me.Sessions[0].Current {
		t.Errorf("me after the upgrade, same access token: %+v", me.Me)
	}
	if len(me.Me.Devices) != 1 || me.Me.Devices[0].Token != "phone-1" {
		t.Errorf("devices after the upgrade: %+v", me.Me.Devices)
	}
	// The next refresh: tokens that say USER, in the same session.
	r = ts.mustGQL(t, "", `mutation($r: String!) { refreshSession(refreshToken: $r) { `+authFields+` } }`, vars{"r": g.RefreshToken})
	var refreshed struct {
		RefreshSession struct {
			AccessToken string `json:"accessToken"`
			Session     struct {
				ID   string `json:"id"`
				Kind string `json:"kind"`
			} `json:"session"`
		} `json:"refreshSession"`
	}
	r.decode(t, &refreshed)
	if refreshed.RefreshSession.Session.Kind != "USER" || refreshed.RefreshSession.Session.ID != g.Session.ID {
		t.Errorf("refresh after the upgrade: %+v", refreshed.RefreshSession.Session)
	}
	if _, payload, _ := splitJWS(t, refreshed.RefreshSession.AccessToken); payload["kind"] != "USER" {
		t.Errorf("the refreshed token says kind %v, want USER", payload["kind"])
	}
	// A full account: signs in with its password, and is no guest to upgrade.
	ts.login(t, "ann@example.com", testPassword)
	wantCode(t, ts.gql(t, refreshed.RefreshSession.AccessToken, upgradeMutation,
		vars{"in": vars{"username": "again", "password": testPassword}}), "FORBIDDEN", 609)
}

// A taken username or email is ALREADY_EXISTS and changes nothing; a weak
// password WEAK_PASSWORD; a member is no guest.
func TestUpgradeGuestRefusals(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	member := ts.signup(t, "taken", testPassword)
	g := loginAsGuest(t, ts, nil)
	for _, c := range []struct {
		in     vars
		code   string
		status int
	}{
		{vars{"username": "TAKEN", "password": testPassword}, "ALREADY_EXISTS", 602},
		{vars{"username": "free", "email": "taken@example.com", "password": testPassword}, "ALREADY_EXISTS", 602},
		{vars{"username": "free", "password": "short"}, "WEAK_PASSWORD", 0},
		{vars{"password": testPassword}, "BAD_USER_INPUT", 0},
		{vars{"username": "a b", "password": testPassword}, "INVALID_USERNAME", 900},
		{vars{"email": "not-an-address", "password": testPassword}, "INVALID_EMAIL", 901},
		{vars{"username": "free", "phone": "12", "password": testPassword}, "INVALID_PHONE", 804},
	} {
		wantCode(t, ts.gql(t, g.AccessToken, upgradeMutation, vars{"in": c.in}), c.code, c.status)
	}
	me := dataField[struct {
		Username string `json:"username"`
		Email    *string
		IsGuest  bool `json:"isGuest"`
		Sessions []struct {
			Kind string `json:"kind"`
		} `json:"sessions"`
	}](t, ts.mustGQL(t, g.AccessToken, `{ me { username email isGuest sessions { kind } } }`, nil), "me")
	if me.Username != g.User.Username || me.Email != nil || !me.IsGuest || me.Sessions[0].Kind != "GUEST" {
		t.Errorf("the guest after refused upgrades: %+v", me)
	}
	wantCode(t, ts.gql(t, member.AccessToken, upgradeMutation, vars{"in": vars{"username": "x2", "password": testPassword}}), "FORBIDDEN", 609)
	wantCode(t, ts.gql(t, "", upgradeMutation, vars{"in": vars{"username": "x3", "password": testPassword}}), "UNAUTHENTICATED", 606)
}

// A guest deletes itself with any password (it has none).
func TestGuestDeletesItself(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	g := loginAsGuest(t, ts, nil)
	if !dataField[bool](t, ts.mustGQL(t, g.AccessToken, `mutation { deleteAccount(password: "") }`, nil), "deleteAccount") {
		t.Fatal("deleteAccount answered false")
	}
	wantCode(t, ts.gql(t, g.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 607)
	root := ts.admin(t).AccessToken
	if u := getUser(t, ts, root, g.User.ID); u != nil {
		t.Errorf("the guest is still there: %+v", u)
	}
}

// Under device control no guest is created; guests are limited per IP.
func TestLoginAsGuestRefusals(t *testing.T) {
	t.Parallel()
	controlled := startServer(t, deviceControl)
	wantCode(t, controlled.gql(t, "", guestMutation, vars{"in": vars{"deviceToken": "phone"}}), "DEVICE_DENIED", 806)
	wantCode(t, controlled.gql(t, "", guestMutation, nil), "INVALID_DEVICE", 805)
	root := adminOn(t, controlled, "admin-laptop").Auth.AccessToken
	if n := dataField[struct{ TotalCount int }](t, controlled.mustGQL(t, root, `{ users { totalCount } }`, nil), "users"); n.TotalCount != 1 {
		t.Errorf("users after refused guests: %d, want the administrator only", n.TotalCount)
	}

	limited := startServer(t, withConfig(func(c *app.Config) { c.Limits.GuestPerIP = rule("2/1h") }))
	loginAsGuest(t, limited, nil)
	loginAsGuest(t, limited, nil)
	r := limited.gql(t, "", guestMutation, nil)
	wantCode(t, r, "RATE_LIMITED", 0)
}

// The janitor deletes guests idle longer than USERGRAPH_GUEST_TTL (it runs
// at the start, then hourly): here, at the restart. A guest active since,
// and members, stay.
func TestJanitorDeletesIdleGuests(t *testing.T) {
	t.Parallel()
	ttl := 4 * time.Second
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.GuestTTL = ttl }))
	ts.admin(t)
	idle := loginAsGuest(t, ts, vars{"deviceToken": "old-phone"})
	member := ts.signup(t, "member", testPassword)
	time.Sleep(ttl + 500*time.Millisecond)
	active := loginAsGuest(t, ts, nil)
	ts.mustGQL(t, active.AccessToken, `{ me { id } }`, nil)
	ts = ts.restart() // a new address: a new token issuer, so sign in anew
	root := ts.login(t, "root", "root-password-1").AccessToken
	// The janitor runs in the background from the start; on MongoDB, which
	// has no transaction, a guest's data goes just after the guest. So the
	// purge's result is awaited, for at most 10 s, before it is checked.
	var u *apiUser
	var devs *gqlResponse
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		u = getUser(t, ts, root, idle.User.ID)
		devs = ts.mustGQL(t, root, `query($id: ID!) { devices(userId: $id) { id } }`, vars{"id": idle.User.ID})
		if (u == nil && string(devs.Data) == `{"devices":[]}`) || time.Now().After(deadline) {
			break
		}
	}
	if u != nil {
		t.Errorf("the idle guest is still there: %+v", u)
	}
	if string(devs.Data) != `{"devices":[]}` {
		t.Errorf("the idle guest's devices after the purge: %s", devs.Data)
	}
	for _, id := range []string{active.User.ID, member.User.ID} {
		if getUser(t, ts, root, id) == nil {
			t.Errorf("user %s was deleted", id)
		}
	}
	var sessions struct {
		User struct {
			Sessions []struct{ ID string } `json:"sessions"`
			Devices  []struct{ ID string } `json:"devices"`
		} `json:"user"`
	}
	ts.mustGQL(t, root, `query($id: ID!) { user(id: $id) { sessions { id } devices { id } } }`, vars{"id": active.User.ID}).decode(t, &sessions)
	if len(sessions.User.Sessions) != 1 {
		t.Errorf("the active guest's sessions after the purge: %+v", sessions.User.Sessions)
	}
}

// An upgrade that gives an email follows sign-up's rule under verification:
// the address is unconfirmed and gets its link; following it confirms it.
func TestUpgradeGuestVerifiesEmail(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("send"))
	g := loginAsGuest(t, ts, nil)
	ts.mustGQL(t, g.AccessToken, upgradeMutation, vars{"in": vars{"username": "gwen", "email": "gwen@example.com", "password": testPassword}})
	m := waitMail(t, srv, "gwen@example.com", 1)
	if v := myVerification(t, ts, g.AccessToken); v.EmailVerified {
		t.Fatal("the upgrade's email is verified before its link was followed")
	}
	verify(t, ts, m)
	if v := waitStatus(t, ts, g.AccessToken, "CONFIRMED"); !v.EmailVerified {
		t.Error("emailVerified is false after the upgrade's link was followed")
	}
}
