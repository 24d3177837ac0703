package mail_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	usermail "github.com/usergraph/usergraph/mail"
)

// sample has every variable set to a recognisable value.
func sample() usermail.Data {
	at := time.Date(2025, 6, 7, 8, 9, 0, 0, time.UTC)
	return usermail.Data{AppName: "Acme", Name: "Ann", Username: "ann_k", Email: "ann@example.com",
		NewEmail: "ann@example.org", Link: "https://acme.example/l?token=t1", ExpiresAt: at.Add(5 * 24 * time.Hour),
		TTL: 5 * 24 * time.Hour, ChangedAt: at, RequestedAt: at, IP: "198.51.100.7"}
}

func loadTemplates(t *testing.T, dir string) *usermail.Templates {
	t.Helper()
	tm, err := usermail.LoadTemplates(dir)
	if err != nil {
		t.Fatalf("LoadTemplates(%q): %v", dir, err)
	}
	return tm
}

// Every built-in mail renders a one-line subject naming the app and both
// parts, each saying what the mail is for with its variables.
func TestBuiltinTemplates(t *testing.T) {
	tm := loadTemplates(t, "")
	// What each mail must show in both parts (beyond the app name).
	wants := map[string][]string{
		usermail.ResetPassword:       {"Hello Ann,", "https://acme.example/l?token=t1", "5 days", "Thursday, 12 June 2025, 08:09 UTC"},
		usermail.PasswordChanged:     {"Hello Ann,", "Saturday, 7 June 2025, 08:09 UTC", "198.51.100.7"},
		usermail.VerifyEmail:         {"Hello Ann,", "ann@example.com", "https://acme.example/l?token=t1", "5 days"},
		usermail.EmailConfirmed:      {"Hello Ann,", "ann@example.com", "Saturday, 7 June 2025, 08:09 UTC"},
		usermail.EmailChangeNotice:   {"Hello Ann,", "ann@example.com", "ann@example.org", "198.51.100.7"},
		usermail.ForgotUsername:      {"Hello Ann,", "ann_k"},
		usermail.AddressInUse:        {"Hello Ann,", "ann@example.com", "198.51.100.7", "https://acme.example/l?token=t1"},
		usermail.ResetUnknownAddress: {"ann@example.com", "198.51.100.7", "Saturday, 7 June 2025, 08:09 UTC"},
	}
	for _, name := range usermail.Names {
		t.Run(name, func(t *testing.T) {
			r, err := tm.Render(name, sample())
			if err != nil {
				t.Fatal(err)
			}
			if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") || !strings.Contains(r.Subject+r.Text, "Acme") {
				t.Errorf("subject %q: want one line, and the app name in the mail", r.Subject)
			}
			if !strings.HasPrefix(r.HTML, "<!DOCTYPE html>") || !strings.Contains(r.HTML, "<title>"+r.Subject+"</title>") {
				t.Errorf("HTML part is not a document titled with the subject:\n%s", r.HTML)
			}
			for _, w := range append(wants[name], "Acme") {
				if !strings.Contains(r.Text, w) {
					t.Errorf("text part lacks %q:\n%s", w, r.Text)
				}
				if !strings.Contains(r.HTML, w) {
					t.Errorf("HTML part lacks %q:\n%s", w, r.HTML)
				}
			}
			for _, part := range []string{r.Text, r.HTML} {
				if strings.Contains(part, "<no value>") || strings.Contains(part, "{{") {
					t.Errorf("a variable was not filled in:\n%s", part)
				}
				// No external assets, no tracking: the only URLs are the mail's links.
				if strings.Contains(part, "<img") || strings.Contains(part, "src=") || strings.Contains(part, "<link") {
					t.Errorf("a part loads something from outside:\n%s", part)
				}
			}
		})
	}
}

// The HTML part escapes what it inserts; a link that is not http(s) is
// not made clickable.
func TestTemplatesEscapeHTML(t *testing.T) {
	d := sample()
	d.Name = `<b onmouseover="x()">Ann</b>`
	d.Link = "javascript:alert(1)"
	r, err := loadTemplates(t, "").Render(usermail.ResetPassword, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<b onmouseover") || !strings.Contains(r.HTML, "&lt;b onmouseover=") {
		t.Errorf("the name is not escaped in the HTML part:\n%s", r.HTML)
	}
	if strings.Contains(r.HTML, `href="javascript:`) {
		t.Errorf("a javascript: link is clickable in the HTML part:\n%s", r.HTML)
	}
}

func writeOverride(t *testing.T, dir, file, body string) {
	t.Helper()
	mailDir := filepath.Join(dir, usermail.MailTemplatesDir)
	if err := os.MkdirAll(mailDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mailDir, file), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A file in <dir>/mail replaces the built-in file of the same name and
// nothing else: the other parts and mails stay built-in, and the override
// can use the layout's pieces.
func TestTemplateOverrideFileByFile(t *testing.T) {
	dir := t.TempDir()
	writeOverride(t, dir, "reset_password.subject.tmpl", "{{.AppName}}: new password for {{.Name}}\n")
	writeOverride(t, dir, "reset_password.text.tmpl", "{{template \"greeting\" .}} follow {{.Link}} within {{.ExpiresIn}}.\n")
	tm := loadTemplates(t, dir)
	builtin := loadTemplates(t, "")

	r, err := tm.Render(usermail.ResetPassword, sample())
	if err != nil {
		t.Fatal(err)
	}
	if want := "Acme: new password for Ann"; r.Subject != want {
		t.Errorf("overridden subject: got %q, want %q", r.Subject, want)
	}
	if want := "Hello Ann, follow https://acme.example/l?token=t1 within 5 days.\n"; r.Text != want {
		t.Errorf("overridden text part: got %q, want %q", r.Text, want)
	}
	b, _ := builtin.Render(usermail.ResetPassword, sample())
	if r.HTML != strings.ReplaceAll(b.HTML, b.Subject, r.Subject) {
		t.Errorf("the HTML part changed although only the subject and text were overridden")
	}
	other, _ := tm.Render(usermail.VerifyEmail, sample())
	builtinOther, _ := builtin.Render(usermail.VerifyEmail, sample())
	if *other != *builtinOther {
		t.Errorf("another mail changed with an override of reset_password")
	}

	// The layout is a file like the others.
	writeOverride(t, dir, "layout.text.tmpl", `{{define "greeting"}}Hi {{.Name}}!{{end}}{{define "footer"}}-- {{.AppName}} team{{end}}`)
	r, err = loadTemplates(t, dir).Render(usermail.VerifyEmail, sample())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(r.Text, "Hi Ann!") || !strings.Contains(r.Text, "-- Acme team") {
		t.Errorf("text part with an overridden layout:\n%s", r.Text)
	}
}

// A broken override stops the start with a message naming the file: one
// that does not parse, one that names a variable that does not exist, and
// one whose name replaces nothing.
func TestTemplateOverrideErrors(t *testing.T) {
	cases := []struct {
		file, body string
		want       []string
	}{
		{"verify_email.html.tmpl", "<p>{{.Link</p>", []string{":1: bad character"}},
		{"forgot_username.text.tmpl", "Hello {{.Nmae}}", []string{"can't evaluate field Nmae"}},
		{"reset_password.subject.tmpl", "{{template \"nothing\" .}}", []string{`template "nothing" not defined`}},
		{"reset_pasword.text.tmpl", "typo", []string{"replaces no built-in template"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			dir := t.TempDir()
			writeOverride(t, dir, c.file, c.body)
			_, err := usermail.LoadTemplates(dir)
			if err == nil {
				t.Fatalf("LoadTemplates with a broken %s: no error", c.file)
			}
			for _, w := range append(c.want, filepath.Join(dir, "mail", c.file)) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
	// A directory without a mail/ subdirectory overrides nothing.
	if _, err := usermail.LoadTemplates(t.TempDir()); err != nil {
		t.Errorf("LoadTemplates of a directory without mail/: %v", err)
	}
}

func TestHumanDuration(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{20 * time.Minute, "20 minutes"},
		{10 * time.Minute, "10 minutes"},
		{time.Minute, "1 minute"},
		{90 * time.Second, "1 minute"},
		{30 * time.Second, "less than a minute"},
		{time.Hour, "60 minutes"},
		{2 * time.Hour, "2 hours"},
		{150 * time.Minute, "150 minutes"},
		{24 * time.Hour, "24 hours"},
		{36 * time.Hour, "36 hours"},
		{48 * time.Hour, "2 days"},
		{5 * 24 * time.Hour, "5 days"},
		{0, ""},
	}
	for _, c := range cases {
		if got := usermail.HumanDuration(c.d); got != c.want {
			t.Errorf("HumanDuration(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}
