package mail_test

import (
	"context"
	"errors"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	usermail "github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/store"
)

const ann = "ann@example.com"

// newMailer returns a Mailer sending through smtpURL and trusting the
// test server's certificate.
func newMailer(t *testing.T, smtpURL string, srv *mailtest.Server) *usermail.Mailer {
	t.Helper()
	m, err := usermail.New(usermail.Config{
		SMTPURL: smtpURL, From: "Acme Accounts <no-reply@acme.example>", AppName: "Acme",
		RootCAs: srv.RootCAs(), Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// resetMessage is the outbox message of a reset mail to ann.
func resetMessage(t *testing.T, m *usermail.Mailer) *store.OutboxMessage {
	t.Helper()
	msg, err := m.NewMessage(ann, usermail.ResetPassword, usermail.Data{
		Name: "Ann", Link: "https://acme.example/reset-password?token=tok123",
		ExpiresAt: time.Date(2025, 3, 4, 10, 20, 0, 0, time.UTC), TTL: 20 * time.Minute,
	}, "reset:u1")
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// failure returns err as a *mail.Failure, failing the test if it is not one.
func failure(t *testing.T, what string, err error) *usermail.Failure {
	t.Helper()
	var f *usermail.Failure
	if !errors.As(err, &f) {
		t.Fatalf("%s: got error %v (%T), want a *mail.Failure", what, err, err)
	}
	return f
}

// A mail goes out over STARTTLS with AUTH, with both parts and the headers
// a receiver needs: From with its name, To, Subject, a Date and a
// Message-ID made of the outbox id and the sender's domain.
func TestSMTPDeliversBothPartsAndHeaders(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: "mailer", Password: "p@ss:w/rd"})
	m := newMailer(t, srv.URL(), srv)
	msg := resetMessage(t, m)
	if err := m.Deliver(t.Context(), msg); err != nil {
		t.Fatalf("Deliver: %v", err)
	}
	got := srv.Wait(t, 1, 5*time.Second)[0]

	if !got.TLS || got.User != "mailer" {
		t.Errorf("session: TLS %v, user %q; want STARTTLS and AUTH as mailer", got.TLS, got.User)
	}
	if got.From != "no-reply@acme.example" || len(got.To) != 1 || got.To[0] != ann {
		t.Errorf("envelope: from %q to %v; want no-reply@acme.example to [%s]", got.From, got.To, ann)
	}
	from, err := mail.ParseAddress(got.Header.Get("From"))
	if err != nil || from.Name != "Acme Accounts" || from.Address != "no-reply@acme.example" {
		t.Errorf("From header %q: got %v, %v; want Acme Accounts <no-reply@acme.example>", got.Header.Get("From"), from, err)
	}
	if to := got.Header.Get("To"); !strings.Contains(to, ann) {
		t.Errorf("To header %q, want %s", to, ann)
	}
	if want := "Reset your Acme password"; got.Subject != want {
		t.Errorf("Subject: got %q, want %q", got.Subject, want)
	}
	if want := "<" + msg.ID + "@acme.example>"; got.MessageID() != want {
		t.Errorf("Message-ID: got %q, want %q", got.MessageID(), want)
	}
	date, err := got.Header.Date()
	if err != nil || !date.Equal(msg.CreatedAt.Truncate(time.Second)) {
		t.Errorf("Date: got %v, %v; want the time the mail was queued, %v", date, err, msg.CreatedAt)
	}
	if ct := got.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type: got %q, want multipart/alternative", ct)
	}
	link := "https://acme.example/reset-password?token=tok123"
	if links := got.Links(); len(links) != 1 || links[0] != link {
		t.Errorf("links of the text part: got %v, want [%s]", links, link)
	}
	for _, want := range []string{"Hello Ann,", "20 minutes", "Tuesday, 4 March 2025, 10:20 UTC", "Acme"} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text part does not say %q:\n%s", want, got.Text)
		}
	}
	for _, want := range []string{`href="` + link + `"`, "Choose a new password", "<title>Reset your Acme password</title>"} {
		if !strings.Contains(got.HTML, want) {
			t.Errorf("HTML part does not contain %q:\n%s", want, got.HTML)
		}
	}
}

// A 4xx refusal is temporary; the retry of the same outbox message, once
// the server accepts, carries the same Message-ID and Date, and so does a
// duplicate delivery (at-least-once), byte for byte.
func TestSMTPRetryKeepsMessageID(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	m := newMailer(t, srv.URL(), srv)
	msg := resetMessage(t, m)

	srv.Refuse(ann, 451)
	f := failure(t, "Deliver while the server answers 451", m.Deliver(t.Context(), msg))
	if !f.Temporary || f.Permanent() || f.Code != 451 || !f.Recipient {
		t.Errorf("451 failure: temporary %v, permanent %v, code %d, recipient %v; want temporary, 451, recipient",
			f.Temporary, f.Permanent(), f.Code, f.Recipient)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("mails received after a refusal: %d, want 0", n)
	}
	srv.Accept(ann)
	for range 2 {
		if err := m.Deliver(t.Context(), msg); err != nil {
			t.Fatalf("Deliver after the server recovered: %v", err)
		}
	}
	got := srv.Wait(t, 2, 5*time.Second)
	if a, b := got[0].MessageID(), got[1].MessageID(); a != b || a != "<"+msg.ID+"@acme.example>" {
		t.Errorf("Message-IDs of two deliveries of one message: %q and %q, want both <%s@acme.example>", a, b, msg.ID)
	}
	if a, b := got[0].Header.Get("Date"), got[1].Header.Get("Date"); a != b {
		t.Errorf("Date of two deliveries of one message: %q and %q, want the same", a, b)
	}
	if got[0].Text != got[1].Text || got[0].HTML != got[1].HTML {
		t.Errorf("two deliveries of one message differ in their bodies")
	}
	if n := srv.Attempts(ann); n != 3 {
		t.Errorf("RCPT TO attempts for %s: %d, want 3 (refused, then two accepted)", ann, n)
	}
}

// A 5xx refusal of the recipient is permanent (a bounce); a server that
// cannot be reached is temporary.
func TestSMTPClassifiesFailures(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	m := newMailer(t, srv.URL(), srv)
	srv.Refuse(ann, 550)
	f := failure(t, "Deliver to a refused recipient", m.Deliver(t.Context(), resetMessage(t, m)))
	if f.Temporary || !f.Permanent() || f.Code != 550 || !f.Recipient {
		t.Errorf("550 failure: temporary %v, permanent %v, code %d, recipient %v; want permanent, 550, recipient",
			f.Temporary, f.Permanent(), f.Code, f.Recipient)
	}
	if !strings.Contains(f.Error(), "550") {
		t.Errorf("550 failure's text %q does not carry the reply", f.Error())
	}

	closed := closedPort(t)
	down := newMailer(t, "smtp://"+closed, srv)
	f = failure(t, "Deliver to a closed port", down.Deliver(t.Context(), resetMessage(t, down)))
	if !f.Temporary || f.Code != 0 || f.Recipient {
		t.Errorf("connection refused: temporary %v, code %d, recipient %v; want temporary, no code", f.Temporary, f.Code, f.Recipient)
	}
}

// closedPort returns a 127.0.0.1 address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// smtps:// speaks TLS from the first byte.
func TestSMTPImplicitTLS(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: "mailer", Password: "secret", NoSTARTTLS: true})
	m := newMailer(t, srv.TLSURL(), srv)
	if err := m.Deliver(t.Context(), resetMessage(t, m)); err != nil {
		t.Fatalf("Deliver over smtps: %v", err)
	}
	if got := srv.Wait(t, 1, 5*time.Second)[0]; !got.TLS || got.User != "mailer" {
		t.Errorf("smtps session: TLS %v, user %q; want TLS and AUTH", got.TLS, got.User)
	}
}

// STARTTLS is opportunistic: a server that does not offer it gets the mail
// in clear, but never a password, and a certificate nobody vouches for is
// refused, not ignored.
func TestSMTPTLSRules(t *testing.T) {
	plain := mailtest.Start(t, mailtest.Options{NoSTARTTLS: true})
	m := newMailer(t, plain.URL(), plain)
	if err := m.Deliver(t.Context(), resetMessage(t, m)); err != nil {
		t.Fatalf("Deliver to a server without STARTTLS: %v", err)
	}
	if got := plain.Wait(t, 1, 5*time.Second)[0]; got.TLS {
		t.Errorf("session to a server without STARTTLS: TLS true")
	}

	authPlain := mailtest.Start(t, mailtest.Options{Username: "mailer", Password: "secret", NoSTARTTLS: true})
	m = newMailer(t, authPlain.URL(), authPlain)
	f := failure(t, "Deliver with a password to a server without TLS", m.Deliver(t.Context(), resetMessage(t, m)))
	if !f.Temporary {
		t.Errorf("login refused for lack of TLS: temporary %v, want temporary (a settings problem, not the mail's)", f.Temporary)
	}
	if n := len(authPlain.Messages()); n != 0 {
		t.Errorf("mails accepted without AUTH: %d", n)
	}

	srv := mailtest.Start(t, mailtest.Options{})
	untrusting, err := usermail.New(usermail.Config{SMTPURL: srv.URL(), From: "no-reply@acme.example", Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f = failure(t, "Deliver to a server whose certificate is not trusted", untrusting.Deliver(t.Context(), resetMessage(t, untrusting)))
	if !f.Temporary || !strings.Contains(f.Error(), "certificate") {
		t.Errorf("untrusted certificate: temporary %v, error %q; want a temporary certificate error", f.Temporary, f.Error())
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("mails accepted over an untrusted connection: %d", n)
	}
}

// A wrong password is a temporary failure whose text does not show it.
func TestSMTPWrongPassword(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{Username: "mailer", Password: "right"})
	m := newMailer(t, "smtp://mailer:wr0ng-s3cret@"+srv.Addr(), srv)
	f := failure(t, "Deliver with a wrong password", m.Deliver(t.Context(), resetMessage(t, m)))
	if !f.Temporary {
		t.Errorf("wrong password: temporary %v, want temporary", f.Temporary)
	}
	if strings.Contains(f.Error(), "wr0ng-s3cret") {
		t.Errorf("failure text %q shows the password", f.Error())
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("mails accepted with a wrong password: %d", n)
	}
}

// A server that accepts the connection and never answers costs one
// timeout, then a temporary failure: a hung server cannot hold a delivery
// (or its lease) forever.
func TestSMTPTimeout(t *testing.T) {
	addr := silentServer(t)
	m, err := usermail.New(usermail.Config{SMTPURL: "smtp://" + addr, From: "no-reply@acme.example",
		Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Deliver(t.Context(), resetMessage(t, m)) }()
	select {
	case err := <-done:
		if f := failure(t, "Deliver to a silent server", err); !f.Temporary {
			t.Errorf("silent server: temporary %v, want temporary", f.Temporary)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Deliver to a silent server did not return; the timeout does not bound it")
	}
}

// The caller's deadline bounds a delivery too, when it is the shorter:
// the outbox's lease is computed from it.
func TestSMTPFollowsContextDeadline(t *testing.T) {
	addr := silentServer(t)
	m, err := usermail.New(usermail.Config{SMTPURL: "smtp://" + addr, From: "no-reply@acme.example",
		Timeout: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Deliver(ctx, resetMessage(t, m)) }()
	select {
	case err := <-done:
		if f := failure(t, "Deliver to a silent server under a deadline", err); !f.Temporary {
			t.Errorf("silent server: temporary %v, want temporary", f.Temporary)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Deliver under a 200ms deadline did not return; only the hour-long timeout bounds it")
	}
}

// silentServer accepts connections on 127.0.0.1 and never says a word.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 16) // open and silent until the test ends
	t.Cleanup(func() {
		l.Close()
		for {
			select {
			case c := <-held:
				c.Close()
			default:
				return
			}
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held <- c
		}
	}()
	return l.Addr().String()
}
