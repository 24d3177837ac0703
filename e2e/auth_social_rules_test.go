package e2e

import (
	"testing"

	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/social/oidctest"
)

// Sign-ins by identity follow the account rules of password sign-ins:
// device control, suspension, email verification (README, "Devices";
// "Security").

// Under device control a social sign-up creates nothing (its device
// cannot have been permitted), and a sign-in needs a permitted device
// token: INVALID_DEVICE without one, DEVICE_DENIED for another.
func TestSocialDeviceControl(t *testing.T) {
	t.Parallel()
	e := startSocial(t, deviceControl)
	admin := adminOn(t, e.ts, "admin-phone")
	adminToken := admin.Auth.AccessToken
	e.acme.SignInAs(olga)

	code, state := e.authorize(t, e.start(t, "", "acme", "SIGN_UP"))
	wantCode(t, e.complete(t, "", code, state, "olga-phone"), "DEVICE_DENIED", 806)
	if n := userCount(t, e.ts, adminToken); n != 1 {
		t.Fatalf("a refused social sign-up left %d accounts, want 1", n)
	}

	// An account with a password links acme from a permitted device.
	e.ts.mustGQL(t, "", signupMutation, vars{"in": vars{"username": "olga-pw", "email": "olga-pw@example.com",
		"password": testPassword, "deviceToken": "olga-phone"}}) // no tokens yet: the device waits for permission
	id := createdID(t, e.ts, adminToken, "olga-pw")
	e.ts.mustGQL(t, adminToken, `mutation($u: ID!, $d: String!) { permitDevice(userId: $u, deviceToken: $d) { id } }`,
		vars{"u": id, "d": "olga-phone"})
	pw := mustLoginOn(t, e.ts, "olga-pw", testPassword, "olga-phone")
	code, state = e.authorize(t, e.start(t, pw.AccessToken, "acme", "LINK"))
	if r := e.complete(t, pw.AccessToken, code, state, "olga-phone"); len(r.Errors) > 0 {
		t.Fatalf("LINK from the permitted device: %+v", r.Errors)
	}

	for _, c := range []struct {
		device any
		code   string
		status int
	}{{nil, "INVALID_DEVICE", 805}, {"stranger-laptop", "DEVICE_DENIED", 806}} {
		code, state := e.authorize(t, e.start(t, "", "acme", "SIGN_IN"))
		wantCode(t, e.complete(t, "", code, state, c.device), c.code, c.status)
	}
	code, state = e.authorize(t, e.start(t, "", "acme", "SIGN_IN"))
	r := e.ts.mustGQL(t, "", `mutation($code: String!, $state: String!, $d: String) {
		oauthComplete(code: $code, state: $state, deviceToken: $d) { user { id } session { device { token canAccess } } } }`,
		vars{"code": code, "state": state, "d": "olga-phone"})
	var in struct {
		User    struct{ ID string }
		Session struct{ Device *apiDevice }
	}
	in = dataField[struct {
		User    struct{ ID string }
		Session struct{ Device *apiDevice }
	}](t, r, "oauthComplete")
	if in.User.ID != id || in.Session.Device == nil || in.Session.Device.Token != "olga-phone" {
		t.Errorf("SIGN_IN from the permitted device: %+v", in)
	}
	idTok := e.acme.IDToken(olga, "")
	wantCode(t, e.ts.gql(t, "", idTokenMutation, vars{"p": "acme", "tok": idTok, "d": "stranger-laptop"}), "DEVICE_DENIED", 806)
}

// createdID is the id of the user with username, as an administrator sees it.
func createdID(t *testing.T, ts *testServer, adminToken, username string) string {
	t.Helper()
	r := ts.mustGQL(t, adminToken, `query($u: String!) { userByUsername(username: $u) { id } }`, vars{"u": username})
	return dataField[struct{ ID string }](t, r, "userByUsername").ID
}

// A suspended account does not sign in by identity either.
func TestSocialSuspended(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	e.acme.SignInAs(olga)
	up := e.mustFlow(t, "", "acme", "SIGN_UP")
	e.ts.mustGQL(t, admin.AccessToken, `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": up.User.ID})
	wantCode(t, e.flow(t, "", "acme", "SIGN_IN"), "USER_NOT_ACTIVE", 601)
	wantCode(t, e.ts.gql(t, "", idTokenMutation, vars{"p": "acme", "tok": e.acme.IDToken(olga, "")}), "USER_NOT_ACTIVE", 601)
	wantCode(t, e.ts.gql(t, up.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
}

// Under enforced verification an address the provider vouches for is
// verified and signs in; one it does not vouch for gets usergraph's link
// and EMAIL_NOT_VERIFIED until it is confirmed; without an address nothing
// is created.
func TestSocialEnforcedVerification(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	e := startSocial(t, withMail(srv), withVerification("enforce"))
	admin := e.ts.admin(t)

	e.acme.SignInAs(olga) // email_verified: true
	if me := e.ts.me(t, e.mustFlow(t, "", "acme", "SIGN_UP").AccessToken); !me.EmailVerified {
		t.Errorf("a provider-verified address: emailVerified false")
	}

	e.acme.SignInAs(oidctest.User{Subject: "uma", Email: "uma@acme.example", EmailVerified: false, PreferredUsername: "uma"})
	wantCode(t, e.flow(t, "", "acme", "SIGN_UP"), "EMAIL_NOT_VERIFIED", 0)
	// The sign-up sends one link (not one for the account and another for
	// its refused sign-in), and the refused SIGN_IN a new one, which
	// replaces it: the second link is the one that works.
	first := waitMail(t, srv, "uma@acme.example", 1)
	wantCode(t, e.flow(t, "", "acme", "SIGN_IN"), "EMAIL_NOT_VERIFIED", 0)
	second := waitMail(t, srv, "uma@acme.example", 2)
	wantCode(t, e.ts.gql(t, "", verifyMutation, vars{"token": tokenIn(t, e.ts, first, "/verify-email")}), "RESET_TOKEN_INVALID", 801)
	verify(t, e.ts, second)
	if me := e.ts.me(t, e.mustFlow(t, "", "acme", "SIGN_IN").AccessToken); me.Username != "uma" || !me.EmailVerified {
		t.Errorf("after the link: %+v", me)
	}

	before := userCount(t, e.ts, admin.AccessToken)
	e.gh.SignInAs(oidctest.GitHubUser{ID: 3, Login: "nomail"})
	wantCode(t, e.flow(t, "", "github", "SIGN_UP"), "EMAIL_NOT_VERIFIED", 0)
	if n := userCount(t, e.ts, admin.AccessToken); n != before {
		t.Errorf("a sign-up without an address under enforce left %d accounts, want %d", n, before)
	}
}

// An application's session relays its users' social sign-ins, as
// ConnectyCube's application session signs users in with a provider's
// keys: the answer is the user's session. LINK needs a user's session, so
// an application starting one is FORBIDDEN.
func TestSocialFromAppSession(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	app := openAppSession(t, e.ts, createApp(t, e.ts, e.ts.admin(t).AccessToken, "mobile")).AccessToken
	e.acme.SignInAs(olga)

	r := e.ts.mustGQL(t, app, idTokenMutation, vars{"p": "acme", "tok": e.acme.IDToken(olga, ""), "a": "SIGN_UP"})
	up := dataField[auth](t, r, "loginWithIdToken")
	if me := e.ts.me(t, up.AccessToken); me.Username != "olga" || providersOf(me) != "acme:olga-sub-1" {
		t.Errorf("the account an APP session signed up: %+v", me)
	}
	code, state := e.authorize(t, e.start(t, app, "acme", "SIGN_IN"))
	if in := dataField[auth](t, e.ts.mustGQL(t, app, oauthCompleteMutation, vars{"code": code, "state": state}), "oauthComplete"); in.User.ID != up.User.ID {
		t.Errorf("SIGN_IN through an APP session signed in %s, want %s", in.User.ID, up.User.ID)
	}
	wantCode(t, e.ts.gql(t, app, oauthStartMutation, vars{"p": "acme", "a": "LINK", "r": appRedirect}), "FORBIDDEN", 609)
	wantCode(t, e.ts.gql(t, app, idTokenMutation, vars{"p": "acme", "tok": e.acme.IDToken(olga, ""), "a": "LINK"}), "FORBIDDEN", 609)
	if r := e.ts.mustGQL(t, app, `{ me { id } }`, nil); string(r.Data) != `{"me":null}` {
		t.Errorf("me of the APP session after the sign-ins = %s", r.Data)
	}
}
