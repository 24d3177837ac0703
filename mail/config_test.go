package mail_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	usermail "github.com/usergraph/usergraph/mail"
)

func TestParseSMTPURL(t *testing.T) {
	cases := []struct {
		raw  string
		want usermail.SMTPConfig
	}{
		{"smtp://mail.example.com", usermail.SMTPConfig{Host: "mail.example.com", Port: 587}},
		{"smtps://mail.example.com", usermail.SMTPConfig{Host: "mail.example.com", Port: 465, ImplicitTLS: true}},
		{"smtp://user:pass@127.0.0.1:2525", usermail.SMTPConfig{Host: "127.0.0.1", Port: 2525, Username: "user", Password: "pass"}},
		{"smtps://me%40example.com:p%40ss%3Aw%2Frd@[::1]:465/", usermail.SMTPConfig{Host: "::1", Port: 465, ImplicitTLS: true,
			Username: "me@example.com", Password: "p@ss:w/rd"}},
		{"smtp://apikey@relay.example", usermail.SMTPConfig{Host: "relay.example", Port: 587, Username: "apikey"}},
	}
	for _, c := range cases {
		got, err := usermail.ParseSMTPURL(c.raw)
		if err != nil || got != c.want {
			t.Errorf("ParseSMTPURL(%q) = %+v, %v; want %+v", c.raw, got, err, c.want)
		}
	}
}

// Bad URLs are refused with a message that says what is wrong and never
// repeats the password.
func TestParseSMTPURLErrors(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"http://user:s3cret@host", `scheme "http"`},
		{"mail.example.com:25", "scheme"},
		{"smtp://user:s3cret@:25", "no host"},
		{"smtp://user:s3cret@host:0", "port"},
		{"smtp://user:s3cret@host:99999", "port"},
		{"smtp://user:s3cret@host/path", "no path"},
		{"smtp://user:s3cret@host?tls=off", "no path, query"},
		{"smtp://:s3cret@host", "without a user name"},
		{"smtp://user:s3cr%zzet@host", "percent-encoded"},
		{"smtp://user:s3cret@host:2%5", "not a valid URL"},
	}
	for _, c := range cases {
		_, err := usermail.ParseSMTPURL(c.raw)
		if err == nil {
			t.Errorf("ParseSMTPURL(%q): no error", c.raw)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseSMTPURL(%q) error %q, want it to say %q", c.raw, err, c.want)
		}
		if strings.Contains(err.Error(), "s3cr") {
			t.Errorf("ParseSMTPURL(%q) error %q shows the password", c.raw, err)
		}
	}
	c, err := usermail.ParseSMTPURL("smtps://user:s3cret@host:465")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "smtps://user@host:465"; got != want {
		t.Errorf("String() = %q, want %q (no password)", got, want)
	}
}

func TestParseFrom(t *testing.T) {
	cases := []struct{ from, public, name, addr string }{
		{"", "https://accounts.acme.example:8443/base", "", "no-reply@accounts.acme.example"},
		{"", "http://127.0.0.1:8080", "", "no-reply@127.0.0.1"},
		{"support@acme.example", "", "", "support@acme.example"},
		{"Acme Support <support@acme.example>", "", "Acme Support", "support@acme.example"},
	}
	for _, c := range cases {
		a, err := usermail.ParseFrom(c.from, c.public)
		if err != nil || a.Name != c.name || a.Address != c.addr {
			t.Errorf("ParseFrom(%q, %q) = %v, %v; want %q <%s>", c.from, c.public, a, err, c.name, c.addr)
		}
	}
	for _, from := range []string{"not an address", "a@b, c@d", "Acme <support>"} {
		if _, err := usermail.ParseFrom(from, "https://x.example"); err == nil || !strings.Contains(err.Error(), "mail sender") {
			t.Errorf("ParseFrom(%q): error %v, want one about the mail sender", from, err)
		}
	}
	if _, err := usermail.ParseFrom("", ""); err == nil {
		t.Errorf("ParseFrom with neither a sender nor a public URL: no error")
	}
}

// Without an SMTP URL the mail is written to the log at info, with the
// recipient, the subject and the link in plain sight.
func TestLogTransport(t *testing.T) {
	var buf bytes.Buffer
	m, err := usermail.New(usermail.Config{PublicURL: "http://127.0.0.1:8080", AppName: "Acme",
		Log: slog.New(slog.NewJSONHandler(&buf, nil))})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := m.NewMessage(ann, usermail.VerifyEmail, usermail.Data{Name: "Ann", Email: ann,
		Link: "http://127.0.0.1:8080/verify-email?token=abc&x=1", TTL: 120 * time.Hour}, "verify:u1")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Deliver(t.Context(), msg); err != nil {
		t.Fatalf("Deliver to the log: %v", err)
	}
	var entry struct {
		Level, Msg, To, Subject, Text string
		MessageID                     string `json:"message_id"`
		Links                         []string
	}
	if err := json.Unmarshal(buf.Bytes(), &entry); err != nil {
		t.Fatalf("log line %q: %v", buf.String(), err)
	}
	if entry.Level != "INFO" || entry.To != ann || entry.Subject != "Confirm your email address for Acme" {
		t.Errorf("log entry: level %q, to %q, subject %q; want INFO, %s, the verification subject", entry.Level, entry.To, entry.Subject, ann)
	}
	link := "http://127.0.0.1:8080/verify-email?token=abc&x=1"
	if len(entry.Links) != 1 || entry.Links[0] != link || !strings.Contains(entry.Text, link) {
		t.Errorf("log entry: links %v, text %q; want the link %s in both", entry.Links, entry.Text, link)
	}
	if entry.MessageID != msg.ID+"@127.0.0.1" {
		t.Errorf("log entry: message_id %q, want %s@127.0.0.1", entry.MessageID, msg.ID)
	}
}

// NewMessage refuses what could never be delivered, before it is queued.
func TestNewMessageChecks(t *testing.T) {
	m, err := usermail.New(usermail.Config{From: "no-reply@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.NewMessage("not-an-address", usermail.ResetPassword, usermail.Data{}, ""); err == nil {
		t.Errorf("NewMessage to a bad address: no error")
	}
	if _, err := m.NewMessage(ann, "no_such_mail", usermail.Data{}, ""); err == nil {
		t.Errorf("NewMessage of an unknown template: no error")
	}
	msg, err := m.NewMessage("Ann <"+ann+">", usermail.ForgotUsername, usermail.Data{Username: "ann"}, "forgot:u1")
	if err != nil {
		t.Fatal(err)
	}
	var p usermail.Mail
	if err := json.Unmarshal(msg.Payload, &p); err != nil || p.To != ann || p.Template != usermail.ForgotUsername || p.Data.Username != "ann" {
		t.Errorf("payload %s: %+v, %v; want to %s, forgot_username, username ann", msg.Payload, p, err, ann)
	}
	if msg.Kind != usermail.Kind || msg.Ref != "forgot:u1" || msg.ID == "" || msg.CreatedAt.IsZero() {
		t.Errorf("outbox message: kind %q, ref %q, id %q, created %v", msg.Kind, msg.Ref, msg.ID, msg.CreatedAt)
	}
}

// A setting that cannot work fails New, at start.
func TestNewChecksSettings(t *testing.T) {
	bad := []usermail.Config{
		{SMTPURL: "smtp://", From: "a@b.example"},
		{From: "nobody"},
	}
	for _, c := range bad {
		if _, err := usermail.New(c); err == nil {
			t.Errorf("New(%+v): no error", c)
		}
	}
}
