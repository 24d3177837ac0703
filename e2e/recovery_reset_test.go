package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/mail/mailtest"
)

// Password reset by a mailed link, over HTTP, with the mails read from a
// real SMTP server.

const newPassword = "a brand new passphrase"

// TestPasswordResetByMail follows a reset from the request to the new
// password: the old password works until the reset completes, the link
// works once, every session ends, the sign-in lockout is lifted, and a
// "password changed" mail follows.
func TestPasswordResetByMail(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withLockout("3/1h"))
	first := ts.signup(t, "resetann", testPassword)
	const addr = "resetann@example.com"

	requestReset(t, ts, "ResetAnn@Example.com") // addresses compare case-insensitively
	m := waitMail(t, srv, addr, 1)
	if !strings.Contains(m.Subject, "Acme") || !m.TLS {
		t.Errorf("reset mail: subject %q, TLS %v; want the app name and STARTTLS", m.Subject, m.TLS)
	}
	token := tokenIn(t, ts, m, "/reset-password")
	second := ts.login(t, "resetann", testPassword) // the old password still works

	strangerFails(t, ts, "resetann", 3)
	if code, _ := loginCode(t, ts, "resetann", testPassword); code != "RATE_LIMITED" {
		t.Fatalf("sign-in during the lockout: %q, want RATE_LIMITED", code)
	}

	ts.mustGQL(t, "", resetMutation, vars{"token": token, "pw": newPassword})
	for _, s := range []auth{first, second} {
		if r := ts.gql(t, s.AccessToken, `{ me { id } }`, nil); r.code() != "UNAUTHENTICATED" {
			t.Errorf("a session from before the reset: %q, want UNAUTHENTICATED", r.code())
		}
	}
	ts.login(t, "resetann", newPassword) // lockout lifted, new password set
	if code, _ := loginCode(t, ts, "resetann", testPassword); code != "INVALID_CREDENTIALS" {
		t.Errorf("the old password after the reset: %q, want INVALID_CREDENTIALS", code)
	}
	wantCode(t, ts.gql(t, "", resetMutation, vars{"token": token, "pw": "yet another passphrase"}), "RESET_TOKEN_INVALID", 801)

	changed := waitMail(t, srv, addr, 2)
	if !strings.Contains(strings.ToLower(changed.Subject), "password") || strings.Contains(changed.Text, token) {
		t.Errorf("second mail: subject %q; want the password-changed notice, without the token", changed.Subject)
	}
}

// A link expires: presented with a weak password it answers WEAK_PASSWORD
// (and stays usable) while valid, then RESET_TOKEN_EXPIRED; the old
// password still works.
func TestPasswordResetLinkExpires(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withConfig(func(c *app.Config) { c.Recovery.ResetTTL = time.Second }))
	ts.signup(t, "expiring", testPassword)
	requestReset(t, ts, "expiring@example.com")
	token := tokenIn(t, ts, waitMail(t, srv, "expiring@example.com", 1), "/reset-password")

	r := ts.gql(t, "", resetMutation, vars{"token": token, "pw": "short"})
	wantCode(t, r, "WEAK_PASSWORD", 0)
	deadline := time.Now().Add(mailWithin)
	for r.code() == "WEAK_PASSWORD" && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		r = ts.gql(t, "", resetMutation, vars{"token": token, "pw": "short"})
	}
	wantCode(t, r, "RESET_TOKEN_EXPIRED", 800)
	wantCode(t, ts.gql(t, "", resetMutation, vars{"token": token, "pw": newPassword}), "RESET_TOKEN_EXPIRED", 800)
	ts.login(t, "expiring", testPassword)
}

// The newest request supersedes the older links; unknown and malformed
// tokens are invalid; an address with no account gets nothing.
func TestPasswordResetSupersededAndUnknown(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv))
	ts.signup(t, "twice", testPassword)
	requestReset(t, ts, "twice@example.com")
	older := tokenIn(t, ts, waitMail(t, srv, "twice@example.com", 1), "/reset-password")
	requestReset(t, ts, "twice@example.com")
	newer := tokenIn(t, ts, waitMail(t, srv, "twice@example.com", 2), "/reset-password")
	if older == newer || len(newer) < 22 { // 22 base64url characters are 128 bits
		t.Fatalf("tokens %q then %q: want two different ones of at least 128 bits", older, newer)
	}
	wantCode(t, ts.gql(t, "", resetMutation, vars{"token": older, "pw": newPassword}), "RESET_TOKEN_INVALID", 801)
	for _, bogus := range []string{"", "not-a-token", strings.Repeat("x", 10_000)} {
		wantCode(t, ts.gql(t, "", resetMutation, vars{"token": bogus, "pw": newPassword}), "RESET_TOKEN_INVALID", 801)
	}
	ts.mustGQL(t, "", resetMutation, vars{"token": newer, "pw": newPassword})
	ts.login(t, "twice", newPassword)

	requestReset(t, ts, "nobody@example.com")
	ts.signup(t, "later", testPassword)
	requestReset(t, ts, "later@example.com")
	waitMail(t, srv, "later@example.com", 1)
	noMoreMail(t, srv, "nobody@example.com", 0)
	wantCode(t, ts.gql(t, "", requestResetMutation, vars{"email": "not an address"}), "INVALID_EMAIL", 901)
}

// With USERGRAPH_RESET_NOTICE_UNKNOWN an address without an account gets
// a notice naming the requester's IP, and no link.
func TestPasswordResetNoticeToUnknownAddress(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withConfig(func(c *app.Config) { c.Recovery.ResetNoticeUnknown = true }))
	requestReset(t, ts, "stranger@example.com")
	m := waitMail(t, srv, "stranger@example.com", 1)
	if !strings.Contains(m.Text, "127.0.0.1") || strings.Contains(m.Text, "token=") {
		t.Errorf("notice to an unknown address:\n%s\nwant the requester's IP and no link", m.Text)
	}
}

// With USERGRAPH_RESET_BY_EMAIL=false both mutations answer
// RESET_UNSUPPORTED 802.
func TestPasswordResetByMailOff(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Recovery.ResetByEmail = false }))
	wantCode(t, ts.gql(t, "", requestResetMutation, vars{"email": "ann@example.com"}), "RESET_UNSUPPORTED", 802)
	wantCode(t, ts.gql(t, "", resetMutation, vars{"token": "x", "pw": newPassword}), "RESET_UNSUPPORTED", 802)
}

// USERGRAPH_RESET_PAGE_URL points the link at the app's own page, keeping
// its query; the app then calls resetPassword with the token.
func TestPasswordResetAppPage(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withConfig(func(c *app.Config) {
		c.Recovery.ResetPageURL = "https://app.example/account/reset?lang=en"
	}))
	ts.signup(t, "apppage", testPassword)
	requestReset(t, ts, "apppage@example.com")
	link := linkIn(t, waitMail(t, srv, "apppage@example.com", 1), "https://app.example/account/reset?")
	if !strings.Contains(link, "lang=en") {
		t.Errorf("link %q lost the page's own query", link)
	}
	ts.mustGQL(t, "", resetMutation, vars{"token": tokenOf(t, link), "pw": newPassword})
	ts.login(t, "apppage", newPassword)
}

// An address gets at most one reset mail a minute: the second request
// answers true and sends nothing.
func TestPasswordResetOneMailAMinute(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withConfig(func(c *app.Config) { c.Recovery.MailInterval = time.Minute }))
	ts.signup(t, "throttled", testPassword)
	requestReset(t, ts, "throttled@example.com")
	token := tokenIn(t, ts, waitMail(t, srv, "throttled@example.com", 1), "/reset-password")
	requestReset(t, ts, "throttled@example.com")
	ts.mustGQL(t, "", forgotMutation, vars{"email": "throttled@example.com"}) // another kind of mail: not held back
	waitMail(t, srv, "throttled@example.com", 2)
	noMoreMail(t, srv, "throttled@example.com", 2)
	ts.mustGQL(t, "", resetMutation, vars{"token": token, "pw": newPassword}) // the held-back request replaced nothing
}

// Limits count per attempt: aliases in one request count one each, per
// address as typed (whether or not it has an account), and per client IP.
func TestRecoveryLimits(t *testing.T) {
	t.Parallel()
	t.Run("per address", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.RecoveryPerAccount = rule("3/1h") }))
		ts.signup(t, "limited", testPassword)
		for _, addr := range []string{"Limited@example.com", "nobody@example.com"} {
			r := ts.gql(t, "", aliasedFields(4, `requestPasswordReset(email: "`+addr+`")`), nil)
			if n, _ := countLimited(t, r); n != 1 {
				t.Errorf("4 aliased requests for %s: %d RATE_LIMITED, want 1 (errors %+v)", addr, n, r.Errors)
			}
			wantLimited(t, "a fifth request for "+addr, ts.gql(t, "", requestResetMutation, vars{"email": strings.ToLower(addr)}), 1, 3600)
		}
		ts.mustGQL(t, "", requestResetMutation, vars{"email": "other@example.com"}) // another address has its own budget
	})
	t.Run("per IP", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.RecoveryPerIP = rule("3/1h") }))
		r := ts.gql(t, "", aliasedFields(4, `forgotUsername(email: "user%d@example.com")`), nil)
		if n, _ := countLimited(t, r); n != 1 {
			t.Errorf("4 aliased requests from one IP: %d RATE_LIMITED, want 1 (errors %+v)", n, r.Errors)
		}
		// Tokens presented have their own budget, counted the same way.
		r = ts.gql(t, "", aliasedFields(4, `verifyEmail(token: "not-a-token-%d")`), nil)
		if n, _ := countLimited(t, r); n != 1 {
			t.Errorf("4 aliased token checks from one IP: %d RATE_LIMITED, want 1 (errors %+v)", n, r.Errors)
		}
		wantLimited(t, "a reset with a token from the same IP", ts.gql(t, "", resetMutation, vars{"token": "x", "pw": newPassword}), 1, 3600)
	})
}
