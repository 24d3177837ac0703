package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// The sign-in lockout (API.md "Sign-in lockout"): strangers' failures lock
// an account for strangers only; a client that signed in before carries
// the usergraph_device cookie (or AuthPayload.deviceCookie) and keeps its
// own budget.

// loginAttempt is one sign-in attempt: the identifier, the password, and the
// device cookie sent as a Cookie header and/or as LoginInput.deviceCookie.
type loginAttempt struct {
	id, pw       string
	cookieHeader string
	inputCookie  string
}

const loginAttemptMutation = `mutation($in: LoginInput!) { login(input: $in) { accessToken deviceCookie user { id } } }`

// try posts the attempt.
func (l loginAttempt) try(t *testing.T, ts *testServer) *gqlResponse {
	t.Helper()
	in := vars{"identifier": l.id, "password": l.pw}
	if l.inputCookie != "" {
		in["deviceCookie"] = l.inputCookie
	}
	body, _ := json.Marshal(map[string]any{"query": loginAttemptMutation, "variables": vars{"in": in}})
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if l.cookieHeader != "" {
		req.AddCookie(&http.Cookie{Name: "usergraph_device", Value: l.cookieHeader})
	}
	return ts.do(t, req)
}

// signInResult is what a successful sign-in gave the client.
type signInResult struct {
	userID       string
	deviceCookie string       // AuthPayload.deviceCookie
	setCookie    *http.Cookie // the usergraph_device cookie of the response
}

// mustSignIn fails unless the attempt signs in, and returns what it gave.
func (l loginAttempt) mustSignIn(t *testing.T, ts *testServer) signInResult {
	t.Helper()
	r := l.try(t, ts)
	if len(r.Errors) > 0 {
		t.Fatalf("login %s (cookie header %t, input cookie %t): %+v", l.id, l.cookieHeader != "", l.inputCookie != "", r.Errors)
	}
	var out struct {
		Login struct {
			DeviceCookie *string `json:"deviceCookie"`
			User         struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"login"`
	}
	r.decode(t, &out)
	if out.Login.DeviceCookie == nil || *out.Login.DeviceCookie == "" {
		t.Fatalf("login %s: no AuthPayload.deviceCookie", l.id)
	}
	got := signInResult{userID: out.Login.User.ID, deviceCookie: *out.Login.DeviceCookie}
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "usergraph_device" {
			got.setCookie = c
		}
	}
	return got
}

// wantLimited fails unless r is RATE_LIMITED with retryAfter in [lo, hi]
// seconds, and returns retryAfter.
func wantLimited(t *testing.T, what string, r *gqlResponse, lo, hi float64) float64 {
	t.Helper()
	if r.code() != "RATE_LIMITED" {
		t.Fatalf("%s: error code %q, want RATE_LIMITED (errors %+v)", what, r.code(), r.Errors)
	}
	ra, _ := r.Errors[0].Extensions["retryAfter"].(float64)
	if ra < lo || ra > hi {
		t.Fatalf("%s: retryAfter = %v, want %v..%v", what, ra, lo, hi)
	}
	return ra
}

// wantBadCredentials fails unless r is INVALID_CREDENTIALS (603).
func wantBadCredentials(t *testing.T, what string, r *gqlResponse) {
	t.Helper()
	if r.code() != "INVALID_CREDENTIALS" || r.status() != 603 {
		t.Fatalf("%s: error %q/%d, want INVALID_CREDENTIALS/603 (errors %+v)", what, r.code(), r.status(), r.Errors)
	}
}

// withLockout configures a lockout after n failures for period.
func withLockout(spec string) option {
	return withConfig(func(c *app.Config) { c.Limits.LoginPerAccount = rule(spec) })
}

// strangerFails sends n wrong passwords for id without a device cookie,
// each answered INVALID_CREDENTIALS.
func strangerFails(t *testing.T, ts *testServer, id string, n int) {
	t.Helper()
	for i := range n {
		wantBadCredentials(t, "stranger's wrong password "+string(rune('1'+i)), loginAttempt{id: id, pw: "wrong password"}.try(t, ts))
	}
}

func TestLockoutSparesTheOwnersDevice(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withLockout("3/1h"))
	ts.signup(t, "owner", testPassword)
	ts.signup(t, "other", testPassword)
	owner := loginAttempt{id: "owner", pw: testPassword}.mustSignIn(t, ts)
	other := loginAttempt{id: "other", pw: testPassword}.mustSignIn(t, ts)

	t.Run("the sign-in sets the cookie", func(t *testing.T) {
		c := owner.setCookie
		if c == nil {
			t.Fatal("no usergraph_device cookie in the login response")
		}
		if c.Value != owner.deviceCookie {
			t.Errorf("cookie value %q, AuthPayload.deviceCookie %q: want the same", c.Value, owner.deviceCookie)
		}
		if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
			t.Errorf("cookie attributes %+v, want HttpOnly, SameSite=Lax, Path=/, not Secure on http", c)
		}
		if c.MaxAge < 30*24*3600 {
			t.Errorf("cookie Max-Age %d s, want long-lived", c.MaxAge)
		}
	})

	strangerFails(t, ts, "owner", 3)
	wantLimited(t, "stranger, wrong password, locked", loginAttempt{id: "owner", pw: "wrong password"}.try(t, ts), 3500, 3600)
	wantLimited(t, "stranger, right password, locked", loginAttempt{id: "owner", pw: testPassword}.try(t, ts), 3500, 3600)

	t.Run("owner by cookie header", func(t *testing.T) {
		got := loginAttempt{id: "owner", pw: testPassword, cookieHeader: owner.deviceCookie}.mustSignIn(t, ts)
		if got.userID != owner.userID {
			t.Errorf("signed in as %s, want %s", got.userID, owner.userID)
		}
	})
	t.Run("owner by LoginInput.deviceCookie", func(t *testing.T) {
		loginAttempt{id: "owner", pw: testPassword, inputCookie: owner.deviceCookie}.mustSignIn(t, ts)
	})
	t.Run("the lockout still holds for strangers", func(t *testing.T) {
		wantLimited(t, "stranger after the owner signed in", loginAttempt{id: "owner", pw: testPassword}.try(t, ts), 3500, 3600)
	})
	t.Run("a forged cookie is a stranger's", func(t *testing.T) {
		parts := strings.Split(owner.deviceCookie, ".") // USERID.NONCE.EXPIRES.MAC
		if len(parts) != 4 {
			t.Fatalf("device cookie %q: want four dot-separated parts", owner.deviceCookie)
		}
		flip := map[bool]string{true: "A", false: "B"}[parts[1][0] != 'A']
		parts[1] = flip + parts[1][1:] // another nonce under the same MAC
		forged := strings.Join(parts, ".")
		wantLimited(t, "forged cookie header", loginAttempt{id: "owner", pw: testPassword, cookieHeader: forged}.try(t, ts), 1, 3600)
		wantLimited(t, "forged input cookie", loginAttempt{id: "owner", pw: testPassword, inputCookie: forged}.try(t, ts), 1, 3600)
	})
	t.Run("another account's cookie is a stranger's", func(t *testing.T) {
		wantLimited(t, "other's cookie header", loginAttempt{id: "owner", pw: testPassword, cookieHeader: other.deviceCookie}.try(t, ts), 1, 3600)
		wantLimited(t, "other's input cookie", loginAttempt{id: "owner", pw: testPassword, inputCookie: other.deviceCookie}.try(t, ts), 1, 3600)
	})
	t.Run("the owner's failures spend the cookie's own budget", func(t *testing.T) {
		known := loginAttempt{id: "owner", pw: "wrong password", cookieHeader: owner.deviceCookie}
		for i := range 3 {
			wantBadCredentials(t, "owner's wrong password "+string(rune('1'+i)), known.try(t, ts))
		}
		// Spent: the cookie is a stranger's now, and strangers are locked out.
		known.pw = testPassword
		wantLimited(t, "owner with a spent cookie", known.try(t, ts), 1, 3600)
	})
	t.Run("other accounts are not affected", func(t *testing.T) {
		loginAttempt{id: "other", pw: testPassword}.mustSignIn(t, ts)
	})
}

// A second lockout lasts twice as long as the first. The first (2 s) is
// waited out for real: the periods are what is under test.
func TestLockoutPeriodGrows(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withLockout("2/2s"))
	ts.signup(t, "grower", testPassword)
	strangerFails(t, ts, "grower", 2)
	first := wantLimited(t, "first lockout", loginAttempt{id: "grower", pw: testPassword}.try(t, ts), 1, 2)
	time.Sleep(time.Duration(first)*time.Second + 200*time.Millisecond)

	strangerFails(t, ts, "grower", 2)
	wantLimited(t, "second lockout", loginAttempt{id: "grower", pw: testPassword}.try(t, ts), 3, 4)
}

// An identifier that matches no account answers exactly as an account
// does under the same attempts, so the lockout reveals nothing; spellings
// that would find one account (case) count as one for both.
func TestLockoutUnknownIdentifierAnswersTheSame(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withLockout("3/1h"))
	ts.signup(t, "real", testPassword)
	capital := func(s string) string { return strings.ToUpper(s[:1]) + s[1:] }
	spell := []func(string) string{strings.ToLower, strings.ToUpper, capital, strings.ToLower, strings.ToUpper}
	for i := range 5 {
		pw := "wrong password"
		if i == 4 {
			pw = testPassword
		}
		real := loginAttempt{id: spell[i]("real"), pw: pw}.try(t, ts)
		ghost := loginAttempt{id: spell[i]("ghost"), pw: pw}.try(t, ts)
		if real.code() != ghost.code() || real.status() != ghost.status() {
			t.Fatalf("attempt %d: existing account %q/%d, unknown identifier %q/%d", i+1, real.code(), real.status(), ghost.code(), ghost.status())
		}
		if i < 3 {
			wantBadCredentials(t, "attempt before the lockout", real)
			continue
		}
		r := wantLimited(t, "existing account, locked", real, 3500, 3600)
		g := wantLimited(t, "unknown identifier, locked", ghost, 3500, 3600)
		if r-g > 1 || g-r > 1 {
			t.Errorf("attempt %d: retryAfter %v for the account, %v for the unknown identifier", i+1, r, g)
		}
	}
}

func TestLockoutAdministration(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withLockout("3/1h"))
	adm := ts.admin(t)
	victim := ts.signup(t, "victim", testPassword)
	plain := ts.signup(t, "plain", testPassword)
	lockedUntil := func(token, id string) *string {
		t.Helper()
		var out struct {
			User *struct {
				LockedUntil *string `json:"lockedUntil"`
			} `json:"user"`
		}
		ts.mustGQL(t, token, `query($id: ID!) { user(id: $id) { lockedUntil } }`, vars{"id": id}).decode(t, &out)
		if out.User == nil {
			t.Fatalf("user(%s) is null", id)
		}
		return out.User.LockedUntil
	}
	if got := lockedUntil(adm.AccessToken, victim.User.ID); got != nil {
		t.Fatalf("lockedUntil before any failure = %q, want null", *got)
	}
	strangerFails(t, ts, "victim", 3)

	got := lockedUntil(adm.AccessToken, victim.User.ID)
	if got == nil {
		t.Fatal("administrator: lockedUntil is null for a locked account")
	}
	until, err := time.Parse(time.RFC3339, *got)
	if d := time.Until(until); err != nil || d < 50*time.Minute || d > time.Hour {
		t.Errorf("lockedUntil = %q (%v), want about an hour from now", *got, err)
	}
	if got := lockedUntil(plain.AccessToken, victim.User.ID); got != nil {
		t.Errorf("another user sees lockedUntil %q, want null", *got)
	}
	if got := lockedUntil(victim.AccessToken, victim.User.ID); got != nil {
		t.Errorf("the user themself sees lockedUntil %q, want null (administrators only)", *got)
	}

	const unlock = `mutation($id: ID!) { unlockAccount(userId: $id) }`
	wantCode(t, ts.gql(t, plain.AccessToken, unlock, vars{"id": victim.User.ID}), "FORBIDDEN", 609)
	wantCode(t, ts.gql(t, adm.AccessToken, unlock, vars{"id": "no-such-user"}), "NOT_FOUND", 605)
	if r := ts.mustGQL(t, adm.AccessToken, unlock, vars{"id": victim.User.ID}); !strings.Contains(string(r.Data), "true") {
		t.Fatalf("unlockAccount answered %s, want true", r.Data)
	}
	if got := lockedUntil(adm.AccessToken, victim.User.ID); got != nil {
		t.Errorf("lockedUntil after unlockAccount = %q, want null", *got)
	}
	loginAttempt{id: "victim", pw: testPassword}.mustSignIn(t, ts)
}

// The lockout lives in the database, and so does the key of the device
// cookies: a restarted server (or another instance) keeps both.
func TestLockoutSurvivesRestart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withLockout("3/1h"))
	ts.signup(t, "sleeper", testPassword)
	owner := loginAttempt{id: "sleeper", pw: testPassword}.mustSignIn(t, ts)
	strangerFails(t, ts, "sleeper", 3)

	ts2 := ts.restart()
	wantLimited(t, "stranger after the restart", loginAttempt{id: "sleeper", pw: testPassword}.try(t, ts2), 3500, 3600)
	loginAttempt{id: "sleeper", pw: testPassword, cookieHeader: owner.deviceCookie}.mustSignIn(t, ts2)
}

// Sign-ups and email changes tell whether an identifier is taken, so they
// share a limit per client IP; each attempt counts, aliases included.
func TestSignupLimitPerIP(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.Limits.SignupPerIP = rule("3/1h")
		c.HTTP.MaxHashes = 3 // three aliased sign-ups in one request
	}))
	first := ts.signup(t, "first", testPassword) // 1
	const two = `mutation {
		a: signup(input: {username: "first", password: "correct horse battery"}) { user { id } }
		b: signup(input: {username: "second", password: "correct horse battery"}) { user { id } }
		c: signup(input: {username: "third", password: "correct horse battery"}) { user { id } } }`
	r := ts.gql(t, "", two, nil) // 2 (taken), 3, and one over
	codes := map[string]string{}
	for _, e := range r.Errors {
		if len(e.Path) > 0 {
			p, _ := e.Path[0].(string)
			codes[p], _ = e.Extensions["code"].(string)
		}
	}
	if codes["a"] != "ALREADY_EXISTS" || codes["b"] != "" || codes["c"] != "RATE_LIMITED" {
		t.Fatalf("aliases a, b, c: codes %v, want ALREADY_EXISTS, none, RATE_LIMITED", codes)
	}
	wantLimited(t, "fifth sign-up", ts.gql(t, "", signupMutation, vars{"in": vars{"username": "fifth", "password": testPassword}}), 1, 3600)

	const update = `mutation($in: ProfileInput!) { updateProfile(input: $in) { id } }`
	wantLimited(t, "email change over the limit", ts.gql(t, first.AccessToken, update, vars{"in": vars{"email": "new@example.com"}}), 1, 3600)
	ts.mustGQL(t, first.AccessToken, update, vars{"in": vars{"firstName": "Still"}}) // no email: not limited
}

// Email changes count toward the same limit as sign-ups.
func TestSignupLimitCountsEmailChanges(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.SignupPerIP = rule("2/1h") }))
	a := ts.signup(t, "changer", testPassword) // 1
	const update = `mutation($in: ProfileInput!) { updateProfile(input: $in) { id } }`
	ts.mustGQL(t, a.AccessToken, update, vars{"in": vars{"email": "changer2@example.com"}}) // 2
	wantLimited(t, "second email change", ts.gql(t, a.AccessToken, update, vars{"in": vars{"email": "changer3@example.com"}}), 1, 3600)
	wantLimited(t, "sign-up after it", ts.gql(t, "", signupMutation, vars{"in": vars{"username": "late", "password": testPassword}}), 1, 3600)
}

// A username change tells whether the name is taken too: it counts toward
// the same limit.
func TestSignupLimitCountsUsernameChanges(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.SignupPerIP = rule("2/1h") }))
	a := ts.signup(t, "renamer", testPassword) // 1
	const rename = `mutation($u: String!) { changeUsername(username: $u) { username } }`
	ts.mustGQL(t, a.AccessToken, rename, vars{"u": "renamed"}) // 2
	wantLimited(t, "second username change", ts.gql(t, a.AccessToken, rename, vars{"u": "renamed2"}), 1, 3600)
}
