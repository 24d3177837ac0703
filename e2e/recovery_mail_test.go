package e2e

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/outbox"
)

// The recovery tests' mail: a real SMTP server in the test (mailtest),
// which the server under test sends to over STARTTLS; the tests read what
// it received and follow the links.

// mailWithin bounds every wait for a mail or a delivery state.
const mailWithin = 20 * time.Second

// fastRetries is the outbox policy of the recovery tests: a refused mail
// is retried within a fraction of a second, and for long enough that a
// test can change its mind (DEFERRED until the server accepts).
var fastRetries = outbox.Policy{Timeout: 10 * time.Second, BaseDelay: 20 * time.Millisecond,
	MaxDelay: 100 * time.Millisecond, MaxAttempts: 1000}

// fastPoll is the outbox worker's poll interval in the recovery tests.
const fastPoll = 50 * time.Millisecond

// withMail sends the server's mail to srv, retries fast, and lets an
// address get a mail every millisecond (the throttle's own test sets it
// back to a minute).
func withMail(srv *mailtest.Server) option {
	return withConfig(func(c *app.Config) {
		c.Mail.SMTPURL, c.Mail.RootCAs, c.Mail.AppName = srv.URL(), srv.RootCAs(), "Acme"
		c.Outbox.Policy, c.Outbox.PollInterval = fastRetries, fastPoll
		c.Recovery.MailInterval = time.Millisecond
	})
}

// withVerification sets USERGRAPH_EMAIL_VERIFICATION.
func withVerification(mode string) option {
	return withConfig(func(c *app.Config) { c.Recovery.EmailVerification = account.VerificationMode(mode) })
}

// waitMail waits for the n-th mail (1-based) to rcpt and returns it.
func waitMail(t *testing.T, srv *mailtest.Server, rcpt string, n int) *mailtest.Received {
	t.Helper()
	deadline := time.Now().Add(mailWithin)
	for {
		if got := srv.To(rcpt); len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mails to %s within %v, want %d", len(srv.To(rcpt)), rcpt, mailWithin, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// noMoreMail fails if rcpt received more than n mails. It is checked after
// a later mail to another address (or to rcpt) arrived, so the worker has
// had its chance to send what it would have sent.
func noMoreMail(t *testing.T, srv *mailtest.Server, rcpt string, n int) {
	t.Helper()
	if got := srv.To(rcpt); len(got) != n {
		subjects := make([]string, len(got))
		for i, m := range got {
			subjects[i] = m.Subject
		}
		t.Fatalf("%s received %d mails %q, want %d", rcpt, len(got), subjects, n)
	}
}

// linkIn returns the first link of m's text that starts with prefix.
func linkIn(t *testing.T, m *mailtest.Received, prefix string) string {
	t.Helper()
	for _, l := range m.Links() {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	t.Fatalf("mail %q has no link starting with %s; links: %v\n%s", m.Subject, prefix, m.Links(), m.Text)
	return ""
}

// tokenIn returns the token of the link in m that leads to path on the
// server (a hosted page).
func tokenIn(t *testing.T, ts *testServer, m *mailtest.Received, path string) string {
	t.Helper()
	return tokenOf(t, linkIn(t, m, ts.url+path+"?"))
}

// tokenOf returns the token query parameter of link.
func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil || u.Query().Get("token") == "" {
		t.Fatalf("link %q carries no token", link)
	}
	return u.Query().Get("token")
}

const (
	requestResetMutation = `mutation($email: String!) { requestPasswordReset(email: $email) }`
	resetMutation        = `mutation($token: String!, $pw: String!) { resetPassword(token: $token, newPassword: $pw) }`
	verifyMutation       = `mutation($token: String!) { verifyEmail(token: $token) }`
	forgotMutation       = `mutation($email: String!) { forgotUsername(email: $email) }`
	verificationQuery    = `{ me { email emailVerified pendingEmail emailVerification { status lastStateChangeAt } } }`
)

// requestReset asks for a reset link for email and wants true.
func requestReset(t *testing.T, ts *testServer, email string) {
	t.Helper()
	if !dataField[bool](t, ts.mustGQL(t, "", requestResetMutation, vars{"email": email}), "requestPasswordReset") {
		t.Fatalf("requestPasswordReset(%s) answered false", email)
	}
}

// verificationState is what me says of the caller's address.
type verificationState struct {
	Email             *string `json:"email"`
	EmailVerified     bool    `json:"emailVerified"`
	PendingEmail      *string `json:"pendingEmail"`
	EmailVerification *struct {
		Status            string `json:"status"`
		LastStateChangeAt string `json:"lastStateChangeAt"`
	} `json:"emailVerification"`
}

func (v verificationState) status() string {
	if v.EmailVerification == nil {
		return ""
	}
	return v.EmailVerification.Status
}

// myVerification reads the caller's verification state.
func myVerification(t *testing.T, ts *testServer, token string) verificationState {
	t.Helper()
	return dataField[verificationState](t, ts.mustGQL(t, token, verificationQuery, nil), "me")
}

// waitStatus waits until the caller's emailVerification.status is want.
func waitStatus(t *testing.T, ts *testServer, token, want string) verificationState {
	t.Helper()
	deadline := time.Now().Add(mailWithin)
	for {
		v := myVerification(t, ts, token)
		if v.status() == want {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("emailVerification.status is %q after %v, want %q", v.status(), mailWithin, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
