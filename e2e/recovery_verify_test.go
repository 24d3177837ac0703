package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/outbox"
)

// Email verification over HTTP: the modes, the link, pending email
// changes, the states of the verification mail as the SMTP server answers,
// and the sign-up that tells nothing under enforce.

const profileEmailMutation = `mutation($email: String) { updateProfile(input: {email: $email}) { email emailVerified pendingEmail } }`

// unverifiedUsers lists the usernames users(filter: {emailVerified: v}) selects.
func usersVerified(t *testing.T, ts *testServer, adminToken string, v bool) []string {
	t.Helper()
	r := ts.mustGQL(t, adminToken, `query($v: Boolean) { users(filter: {emailVerified: $v}) { nodes { username } } }`, vars{"v": v})
	var out struct {
		Users struct {
			Nodes []struct {
				Username string `json:"username"`
			} `json:"nodes"`
		} `json:"users"`
	}
	r.decode(t, &out)
	var names []string
	for _, n := range out.Users.Nodes {
		names = append(names, n.Username)
	}
	return names
}

// verify follows the link of a verification mail.
func verify(t *testing.T, ts *testServer, m *mailtest.Received) {
	t.Helper()
	ts.mustGQL(t, "", verifyMutation, vars{"token": tokenIn(t, ts, m, "/verify-email")})
}

// Under send: a sign-up gets its tokens and a verification mail; the link
// confirms the address once; an email change waits in pendingEmail, the
// old address is told, and the new one confirms it.
func TestEmailVerificationSend(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("send"))
	admin := ts.admin(t)
	vera := ts.signup(t, "vera", testPassword) // signed in at once under send
	first := waitMail(t, srv, "vera@example.com", 1)
	if v := waitStatus(t, ts, vera.AccessToken, "DELIVERED"); v.EmailVerified {
		t.Fatal("emailVerified before the link was followed")
	}
	if got := usersVerified(t, ts, admin.AccessToken, false); !slices.Contains(got, "vera") {
		t.Errorf("users(filter: {emailVerified: false}) = %v, want vera among them", got)
	}

	verify(t, ts, first)
	if v := waitStatus(t, ts, vera.AccessToken, "CONFIRMED"); !v.EmailVerified {
		t.Error("emailVerified is false after the link was followed")
	}
	if m := waitMail(t, srv, "vera@example.com", 2); !strings.Contains(m.Text, "vera@example.com") {
		t.Errorf("confirmation mail:\n%s\nwant it to name the address", m.Text)
	}
	wantCode(t, ts.gql(t, "", verifyMutation, vars{"token": tokenIn(t, ts, first, "/verify-email")}), "RESET_TOKEN_INVALID", 801)
	if got := usersVerified(t, ts, admin.AccessToken, true); !slices.Contains(got, "vera") {
		t.Errorf("users(filter: {emailVerified: true}) = %v, want vera among them", got)
	}

	// An email change waits for the new address.
	r := ts.mustGQL(t, vera.AccessToken, profileEmailMutation, vars{"email": "vera@example.org"})
	got := dataField[verificationState](t, r, "updateProfile")
	if userStr(got.Email) != "vera@example.com" || userStr(got.PendingEmail) != "vera@example.org" || !got.EmailVerified {
		t.Fatalf("after the change: %+v, want the old address kept (verified) and the new one pending", got)
	}
	notice := waitMail(t, srv, "vera@example.com", 3)
	if !strings.Contains(notice.Text, "vera@example.org") {
		t.Errorf("notice to the old address:\n%s\nwant it to name the new one", notice.Text)
	}
	if v := myVerification(t, ts, vera.AccessToken); v.status() != "SENT" && v.status() != "DELIVERED" {
		t.Errorf("status after a new address's mail: %q, want SENT (or DELIVERED already)", v.status())
	}
	verify(t, ts, waitMail(t, srv, "vera@example.org", 1))
	v := waitStatus(t, ts, vera.AccessToken, "CONFIRMED")
	if userStr(v.Email) != "vera@example.org" || v.PendingEmail != nil || !v.EmailVerified {
		t.Errorf("after confirming the new address: %+v, want it as the verified email, nothing pending", v)
	}

	// Another user sees neither the pending address nor the state.
	other := ts.signup(t, "otto", testPassword)
	r = ts.mustGQL(t, other.AccessToken, `query($id: ID!) { user(id: $id) { pendingEmail emailVerification { status } } }`,
		vars{"id": vera.User.ID})
	if pub := dataField[verificationState](t, r, "user"); pub.PendingEmail != nil || pub.EmailVerification != nil {
		t.Errorf("another user sees %+v, want null", pub)
	}
}

// A pending change to an address another account has answers like any
// other change and never completes: the owner is told, no link is sent,
// and the old address gets its notice as usual.
func TestEmailChangeToTakenAddress(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("send"))
	owner := ts.signup(t, "owner", testPassword)
	verify(t, ts, waitMail(t, srv, "owner@example.com", 1))
	mover := ts.signup(t, "mover", testPassword)
	waitMail(t, srv, "mover@example.com", 1)

	free := dataField[verificationState](t, ts.mustGQL(t, mover.AccessToken, profileEmailMutation, vars{"email": "free@example.com"}), "updateProfile")
	taken := dataField[verificationState](t, ts.mustGQL(t, mover.AccessToken, profileEmailMutation, vars{"email": "Owner@Example.com"}), "updateProfile")
	if userStr(free.Email) != userStr(taken.Email) || taken.EmailVerified != free.EmailVerified || userStr(taken.PendingEmail) != "Owner@Example.com" {
		t.Errorf("a change to a free address answered %+v, to a taken one %+v: want the same shape", free, taken)
	}
	inUse := waitMail(t, srv, "owner@example.com", 3) // after the confirmation mail
	if !strings.Contains(inUse.Text, "127.0.0.1") || strings.Contains(inUse.Text, "/verify-email") {
		t.Errorf("notice to the owner:\n%s\nwant the requester's IP and no verification link", inUse.Text)
	}
	waitMail(t, srv, "mover@example.com", 3) // the old address's two notices
	waitMail(t, srv, "free@example.com", 1)
	noMoreMail(t, srv, "owner@example.com", 3)
	if v := myVerification(t, ts, owner.AccessToken); userStr(v.Email) != "owner@example.com" {
		t.Errorf("the owner's address became %q", userStr(v.Email))
	}
	if v := myVerification(t, ts, mover.AccessToken); userStr(v.Email) != "mover@example.com" {
		t.Errorf("the mover's address became %q, want it unchanged", userStr(v.Email))
	}
}

// Under off a change applies at once and clears emailVerified; no mail is
// sent by itself, but the caller and administrators may ask for one.
func TestEmailVerificationOff(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv))
	admin := ts.admin(t)
	user := ts.signup(t, "offuser", testPassword)
	ts.mustGQL(t, admin.AccessToken, `mutation($id: ID!) { updateUser(id: $id, input: {emailVerified: true}) { id } }`, vars{"id": user.User.ID})
	got := dataField[verificationState](t, ts.mustGQL(t, user.AccessToken, profileEmailMutation, vars{"email": "moved@example.com"}), "updateProfile")
	if userStr(got.Email) != "moved@example.com" || got.EmailVerified || got.PendingEmail != nil {
		t.Fatalf("a change under off: %+v, want the new address at once, unverified, nothing pending", got)
	}

	wantCode(t, ts.gql(t, user.AccessToken, `mutation { sendEmailVerification(userId: "x") }`, nil), "FORBIDDEN", 609)
	wantCode(t, ts.gql(t, admin.AccessToken, `mutation { sendEmailVerification(userId: "nobody") }`, nil), "NOT_FOUND", 605)
	ts.mustGQL(t, admin.AccessToken, `mutation($id: ID!) { sendEmailVerification(userId: $id) }`, vars{"id": user.User.ID})
	verify(t, ts, waitMail(t, srv, "moved@example.com", 1))
	if v := waitStatus(t, ts, user.AccessToken, "CONFIRMED"); !v.EmailVerified {
		t.Error("emailVerified false after following the administrator's link")
	}
	ts.mustGQL(t, user.AccessToken, `mutation { requestEmailVerification }`, nil) // nothing left to confirm: nothing sent
	waitMail(t, srv, "moved@example.com", 2)                                      // the confirmation
	noMoreMail(t, srv, "moved@example.com", 2)
}

// Under enforce: sign-up needs an email and answers no tokens; sign-in
// with the right password is refused until the address is confirmed (and
// sends the link again); a wrong password is still just wrong.
func TestEmailVerificationEnforce(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("enforce"))
	r := ts.gql(t, "", signupMutation, vars{"in": vars{"username": "noemail", "password": testPassword}})
	wantCode(t, r, "BAD_USER_INPUT", 0)
	if r.field() != "email" {
		t.Errorf("sign-up without an email: field %q, want email", r.field())
	}

	u := signupUnverified(t, ts, vars{"username": "enf", "email": "enf@example.com", "password": testPassword})
	if u.Status != "ACTIVE" || u.EmailVerified {
		t.Errorf("new account %+v: want ACTIVE and unverified", u)
	}
	waitMail(t, srv, "enf@example.com", 1)
	if code, _ := loginCode(t, ts, "enf", "wrong password!"); code != "INVALID_CREDENTIALS" {
		t.Errorf("a wrong password under enforce: %q, want INVALID_CREDENTIALS", code)
	}
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "enf", "pw": testPassword}), "EMAIL_NOT_VERIFIED", 0)
	again := waitMail(t, srv, "enf@example.com", 2) // the refused sign-in sent the link again
	verify(t, ts, again)
	ts.login(t, "enf", testPassword)
}

// signupUnverified signs up under enforce and returns the user the
// answer shows, failing unless auth is null.
func signupUnverified(t *testing.T, ts *testServer, in vars) apiUser {
	t.Helper()
	r := ts.mustGQL(t, "", `mutation($in: SignupInput!) { signup(input: $in) { user { `+adminUserFields+` } auth { accessToken } } }`, vars{"in": in})
	var out struct {
		Signup struct {
			User apiUser `json:"user"`
			Auth *auth   `json:"auth"`
		} `json:"signup"`
	}
	r.decode(t, &out)
	if out.Signup.Auth != nil {
		t.Fatalf("sign-up of %v under enforce returned tokens", in["username"])
	}
	return out.Signup.User
}

// Under enforce a sign-up with an address that has an account answers
// exactly like a new one, creates nothing, and tells the owner.
func TestSignupWithTakenAddressUnderEnforce(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("enforce"))
	admin := ts.admin(t)
	fresh := signupUnverified(t, ts, vars{"username": "first", "email": "first@example.com", "password": testPassword})
	waitMail(t, srv, "first@example.com", 1)
	fake := signupUnverified(t, ts, vars{"username": "second", "email": "First@Example.com", "password": testPassword})

	if fake.ID == "" || fake.ID == fresh.ID || userStr(fake.Username) != "second" || userStr(fake.Email) != "First@Example.com" ||
		fake.Status != fresh.Status || fake.EmailVerified != fresh.EmailVerified || !slices.Equal(fake.roleNames(), fresh.roleNames()) {
		t.Errorf("answer to a taken address %+v, to a new one %+v: want the same shape", fake, fresh)
	}
	if getUser(t, ts, admin.AccessToken, fake.ID) != nil || usernameTaken(t, ts, "second") {
		t.Error("the sign-up with a taken address created an account")
	}
	notice := waitMail(t, srv, "first@example.com", 2)
	if strings.Contains(notice.Text, "/verify-email") || !strings.Contains(notice.Text, "first@example.com") {
		t.Errorf("notice to the owner:\n%s\nwant the address and no verification link", notice.Text)
	}
}

// EXEMPT_BEFORE lets accounts created before it sign in unconfirmed under
// enforce; later ones are held back.
func TestEmailVerificationExemptBefore(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv))
	ts.signup(t, "veteran", testPassword)
	time.Sleep(2 * time.Millisecond) // the two accounts' creation times must differ (milliseconds)
	newcomer := ts.signup(t, "newcomer", testPassword)
	var out struct {
		Me struct {
			CreatedAt time.Time `json:"createdAt"`
		} `json:"me"`
	}
	ts.mustGQL(t, newcomer.AccessToken, `{ me { createdAt } }`, nil).decode(t, &out)

	ts.cfg.Recovery.EmailVerification = account.VerificationEnforce
	ts.cfg.Recovery.ExemptBefore = out.Me.CreatedAt
	ts = ts.restart()
	ts.login(t, "veteran", testPassword)
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "newcomer", "pw": testPassword}), "EMAIL_NOT_VERIFIED", 0)
}

// The states of the verification mail follow what the SMTP server
// answers: BOUNCED for a 5xx, DEFERRED for a 4xx and then DELIVERED once
// it accepts, DROPPED when the retries run out; and outcomes of an older
// mail never overwrite the latest one's.
func TestVerificationMailStates(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	srv.Refuse("bounce@example.com", 550)
	srv.Refuse("busy@example.com", 451)
	srv.Refuse("stuck@example.com", 451)
	ts := startServer(t, withMail(srv), withVerification("send"))

	bounce := ts.signup(t, "bounce", testPassword)
	waitStatus(t, ts, bounce.AccessToken, "BOUNCED")

	busy := ts.signup(t, "busy", testPassword)
	deferred := waitStatus(t, ts, busy.AccessToken, "DEFERRED")
	srv.Accept("busy@example.com")
	delivered := waitStatus(t, ts, busy.AccessToken, "DELIVERED")
	if delivered.EmailVerification.LastStateChangeAt <= deferred.EmailVerification.LastStateChangeAt {
		t.Errorf("lastStateChangeAt %s after DEFERRED at %s: want it to move on", delivered.EmailVerification.LastStateChangeAt, deferred.EmailVerification.LastStateChangeAt)
	}
	waitMail(t, srv, "busy@example.com", 1)

	// stuck's first mail keeps being deferred; a newer one, to a new
	// address, is delivered and stays so while the old one's attempts go on.
	stuck := ts.signup(t, "stuck", testPassword)
	waitStatus(t, ts, stuck.AccessToken, "DEFERRED")
	ts.mustGQL(t, stuck.AccessToken, profileEmailMutation, vars{"email": "unstuck@example.com"})
	waitStatus(t, ts, stuck.AccessToken, "DELIVERED")
	attempts := srv.Attempts("stuck@example.com")
	for srv.Attempts("stuck@example.com") < attempts+3 {
		time.Sleep(10 * time.Millisecond)
	}
	if v := myVerification(t, ts, stuck.AccessToken); v.status() != "DELIVERED" {
		t.Errorf("status after more attempts of the older mail: %q, want the newer mail's DELIVERED", v.status())
	}

	// With two attempts allowed, a mail still refused is DROPPED.
	dropSrv := mailtest.Start(t, mailtest.Options{})
	dropSrv.Refuse("dropped@example.com", 421)
	drop := startServer(t, withMail(dropSrv), withVerification("send"), withConfig(func(c *app.Config) {
		c.Outbox.Policy = outbox.Policy{Timeout: 10 * time.Second, BaseDelay: 10 * time.Millisecond, MaxAttempts: 2}
	}))
	dropped := drop.signup(t, "dropped", testPassword)
	waitStatus(t, drop, dropped.AccessToken, "DROPPED")
	if n := dropSrv.Attempts("dropped@example.com"); n != 2 {
		t.Errorf("attempts before DROPPED: %d, want 2", n)
	}
}

// A new verification request supersedes the older link and is RESENT.
func TestVerificationResent(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("send"))
	user := ts.signup(t, "resent", testPassword)
	older := waitMail(t, srv, "resent@example.com", 1)
	waitStatus(t, ts, user.AccessToken, "DELIVERED")
	ts.mustGQL(t, user.AccessToken, `mutation { requestEmailVerification }`, nil)
	if v := myVerification(t, ts, user.AccessToken); v.status() != "RESENT" && v.status() != "DELIVERED" {
		t.Errorf("status after a resend: %q, want RESENT (or DELIVERED already)", v.status())
	}
	newer := waitMail(t, srv, "resent@example.com", 2)
	wantCode(t, ts.gql(t, "", verifyMutation, vars{"token": tokenIn(t, ts, older, "/verify-email")}), "RESET_TOKEN_INVALID", 801)
	verify(t, ts, newer)
	waitStatus(t, ts, user.AccessToken, "CONFIRMED")
}

// forgotUsername mails the username to the address's account; an address
// without one gets nothing, after the same answer.
func TestForgotUsername(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv))
	ts.signup(t, "forgetful", testPassword)
	for _, addr := range []string{"nobody@example.com", "Forgetful@Example.com"} {
		if !dataField[bool](t, ts.mustGQL(t, "", forgotMutation, vars{"email": addr}), "forgotUsername") {
			t.Fatalf("forgotUsername(%s) answered false", addr)
		}
	}
	if m := waitMail(t, srv, "forgetful@example.com", 1); !strings.Contains(m.Text, "forgetful") {
		t.Errorf("mail:\n%s\nwant the username", m.Text)
	}
	noMoreMail(t, srv, "nobody@example.com", 0)
}
