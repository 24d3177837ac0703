package e2e

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/mail/mailtest"
)

// The hosted reset and verification pages over HTTP, as a browser without
// JavaScript uses them: the mailed link's GET shows a form without using
// the token, the form's POST applies it. The browser test
// (recovery_browser_test.go) drives the same pages in Chromium.

// getPage fetches a hosted page.
func getPage(t *testing.T, ts *testServer, pathAndQuery string) (*http.Response, string) {
	t.Helper()
	return getPath(t, ts, pathAndQuery)
}

// postPage posts form to a hosted page as a urlencoded form, with
// headers given as name, value pairs.
func postPage(t *testing.T, ts *testServer, path string, form url.Values, headers ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return roundTrip(t, req)
}

// resetForm is the reset form as a browser posts it.
func resetForm(token, password, confirm string) url.Values {
	return url.Values{"token": {token}, "password": {password}, "confirm": {confirm}}
}

// wantPage fails unless the page answered status and shows every one of
// texts.
func wantPage(t *testing.T, what string, res *http.Response, body string, status int, texts ...string) {
	t.Helper()
	if res.StatusCode != status {
		t.Errorf("%s: status %d, want %d\n%s", what, res.StatusCode, status, body)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Errorf("%s: the page lacks %q\n%s", what, s, body)
		}
	}
}

var hiddenToken = regexp.MustCompile(`<input type="hidden" name="token" value="([^"]*)">`)

// formToken returns the token of the page's form, "" if it has none.
func formToken(body string) string {
	if m := hiddenToken.FindStringSubmatch(body); m != nil {
		return m[1]
	}
	return ""
}

// wantForm fails unless the page shows its form carrying token.
func wantForm(t *testing.T, what, body, token string) {
	t.Helper()
	if got := formToken(body); got != token {
		t.Errorf("%s: the form carries token %q, want %q\n%s", what, got, token, body)
	}
}

// wantNoForm fails if the page shows a form.
func wantNoForm(t *testing.T, what, body string) {
	t.Helper()
	if strings.Contains(body, "<form") {
		t.Errorf("%s: the page shows a form, want none\n%s", what, body)
	}
}

// wantPageHeaders checks what every hosted page answers with: a policy
// that allows nothing but the page's own style block and posting to this
// origin, no framing, no referrer (the token is in the URL), no caching.
func wantPageHeaders(t *testing.T, what string, res *http.Response, body string) {
	t.Helper()
	csp := policy(res.Header.Get("Content-Security-Policy"))
	nonce := attr(t, body, "nonce")
	want := map[string]string{"default-src": "'none'", "style-src": "'nonce-" + nonce + "'", "form-action": "'self'",
		"frame-ancestors": "'none'", "base-uri": "'none'"}
	for d, sources := range csp {
		if got := strings.Join(sources, " "); got != want[d] {
			t.Errorf("%s: Content-Security-Policy %s %q, want %q", what, d, got, want[d])
		}
	}
	if len(csp) != len(want) {
		t.Errorf("%s: Content-Security-Policy %q, want exactly %v", what, res.Header.Get("Content-Security-Policy"), want)
	}
	for h, v := range map[string]string{"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff", "Content-Type": "text/html; charset=utf-8"} {
		if got := res.Header.Get(h); got != v {
			t.Errorf("%s: %s %q, want %q", what, h, got, v)
		}
	}
	if regexp.MustCompile(`(?i)<script|\sstyle=|\son[a-z]+=|https?://`).MatchString(body) {
		t.Errorf("%s: the page has a script, an inline style attribute, an event handler or a link elsewhere:\n%s", what, body)
	}
}

// requestResetToken signs up username (unless the account exists), asks
// for a reset link and returns its token.
func requestResetToken(t *testing.T, ts *testServer, srv *mailtest.Server, username string, n int) string {
	t.Helper()
	addr := username + "@example.com"
	requestReset(t, ts, addr)
	return tokenIn(t, ts, waitMail(t, srv, addr, n), "/reset-password")
}

// The reset page from the mailed link to the new password: GET shows the
// form and uses nothing (twice); a weak password and two fields that
// differ show the form again with the reason and the token, never the
// password typed; the right form resets, and the new password signs in.
// The used link then says so, on GET and POST.
func TestResetPage(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv))
	ts.signup(t, "paige", testPassword)
	token := requestResetToken(t, ts, srv, "paige", 1)
	link := "/reset-password?token=" + url.QueryEscape(token)

	for i := range 2 {
		res, body := getPage(t, ts, link)
		wantPage(t, "GET of the mailed link", res, body, http.StatusOK, "Choose a new password", "Acme", `name="password"`, `name="confirm"`)
		wantForm(t, "GET of the mailed link", body, token)
		if i == 0 {
			wantPageHeaders(t, "the reset form", res, body)
		}
	}

	const weak, typo = "short", "a brand new passphrasf"
	res, body := postPage(t, ts, "/reset-password", resetForm(token, weak, weak))
	wantPage(t, "a weak password", res, body, http.StatusUnprocessableEntity, "cannot be used", "at least 8 characters", `name="password"`)
	wantForm(t, "a weak password", body, token)
	wantPageHeaders(t, "the form after a weak password", res, body)
	res, body = postPage(t, ts, "/reset-password", resetForm(token, newPassword, typo))
	wantPage(t, "two passwords that differ", res, body, http.StatusUnprocessableEntity, "differ")
	wantForm(t, "two passwords that differ", body, token)
	if strings.Contains(body, newPassword) || strings.Contains(body, typo) {
		t.Errorf("the form shown again holds a password typed:\n%s", body)
	}
	ts.login(t, "paige", testPassword) // nothing changed yet

	res, body = postPage(t, ts, "/reset-password", resetForm(token, newPassword, newPassword))
	wantPage(t, "the reset", res, body, http.StatusOK, "Your password is changed", "Acme")
	wantNoForm(t, "the reset", body)
	ts.login(t, "paige", newPassword)
	if code, _ := loginCode(t, ts, "paige", testPassword); code != "INVALID_CREDENTIALS" {
		t.Errorf("the old password after the reset: %q, want INVALID_CREDENTIALS", code)
	}

	res, body = postPage(t, ts, "/reset-password", resetForm(token, "yet another passphrase", "yet another passphrase"))
	wantPage(t, "the used link posted again", res, body, http.StatusNotFound, "no longer works")
	wantNoForm(t, "the used link posted again", body)
	res, body = getPage(t, ts, link)
	wantPage(t, "the used link opened again", res, body, http.StatusNotFound, "no longer works")
	wantNoForm(t, "the used link opened again", body)
	ts.login(t, "paige", newPassword)
}

// Dead links say why at once: expired (410), unknown or missing (404),
// reset by mail turned off (404); two fields that differ on an expired
// link say it expired. A link replaced by a newer one is dead too.
func TestResetPageDeadLinks(t *testing.T) {
	t.Parallel()
	t.Run("expired", func(t *testing.T) {
		t.Parallel()
		srv := mailtest.Start(t, mailtest.Options{})
		ts := startServer(t, withMail(srv), withConfig(func(c *app.Config) { c.Recovery.ResetTTL = time.Second }))
		ts.signup(t, "late", testPassword)
		token := requestResetToken(t, ts, srv, "late", 1)
		deadline := time.Now().Add(mailWithin)
		res, body := getPage(t, ts, "/reset-password?token="+url.QueryEscape(token))
		for res.StatusCode == http.StatusOK && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			res, body = getPage(t, ts, "/reset-password?token="+url.QueryEscape(token))
		}
		wantPage(t, "GET of an expired link", res, body, http.StatusGone, "expired")
		wantNoForm(t, "GET of an expired link", body)
		res, body = postPage(t, ts, "/reset-password", resetForm(token, newPassword, newPassword))
		wantPage(t, "POST of an expired link", res, body, http.StatusGone, "expired")
		res, body = postPage(t, ts, "/reset-password", resetForm(token, newPassword, "something else"))
		wantPage(t, "two fields that differ on an expired link", res, body, http.StatusGone, "expired")
		wantNoForm(t, "two fields that differ on an expired link", body)
		ts.login(t, "late", testPassword)
	})
	t.Run("unknown, missing, replaced", func(t *testing.T) {
		t.Parallel()
		srv := mailtest.Start(t, mailtest.Options{})
		ts := startServer(t, withMail(srv))
		ts.signup(t, "twice", testPassword)
		older := requestResetToken(t, ts, srv, "twice", 1)
		requestResetToken(t, ts, srv, "twice", 2)
		for what, query := range map[string]string{"unknown": "?token=not-a-token", "missing": "", "replaced": "?token=" + url.QueryEscape(older)} {
			res, body := getPage(t, ts, "/reset-password"+query)
			wantPage(t, "GET of an "+what+" token", res, body, http.StatusNotFound, "no longer works")
			wantNoForm(t, "GET of an "+what+" token", body)
		}
		res, body := postPage(t, ts, "/reset-password", resetForm(strings.Repeat("x", 10_000), newPassword, newPassword))
		wantPage(t, "POST of an unknown token", res, body, http.StatusNotFound, "no longer works")
		if strings.Contains(body, "xxxxxxxx") {
			t.Errorf("the page echoes an unknown token:\n%s", body)
		}
	})
	t.Run("reset by mail off", func(t *testing.T) {
		t.Parallel()
		ts := startServer(t, withConfig(func(c *app.Config) { c.Recovery.ResetByEmail = false }))
		res, body := getPage(t, ts, "/reset-password?token=anything")
		wantPage(t, "GET with reset by mail off", res, body, http.StatusNotFound, "cannot be reset by mail")
	})
}

// The pages answer the recovery limits like the API, with Retry-After.
func TestResetPageRateLimited(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.RecoveryPerIP = rule("2/1h") }))
	for range 2 {
		getPage(t, ts, "/reset-password?token=guess")
	}
	res, body := getPage(t, ts, "/reset-password?token=guess")
	wantPage(t, "the third check from one IP", res, body, http.StatusTooManyRequests, "Too many attempts")
	if res.Header.Get("Retry-After") == "" {
		t.Error("a limited page has no Retry-After")
	}
}

// The verification page: GET (a mail scanner, or the user) shows a button
// and confirms nothing, however often; its POST confirms, and the state
// is CONFIRMED. The used link then says so.
func TestVerifyPage(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("send"))
	vera := ts.signup(t, "veracity", testPassword)
	token := tokenIn(t, ts, waitMail(t, srv, "veracity@example.com", 1), "/verify-email")
	link := "/verify-email?token=" + url.QueryEscape(token)

	for i := range 3 {
		res, body := getPage(t, ts, link)
		wantPage(t, "GET of the verification link", res, body, http.StatusOK, "Confirm my address", "Acme")
		wantForm(t, "GET of the verification link", body, token)
		if i == 0 {
			wantPageHeaders(t, "the verification page", res, body)
		}
	}
	if v := myVerification(t, ts, vera.AccessToken); v.EmailVerified || v.status() == "CONFIRMED" {
		t.Fatalf("after the GETs: %+v, want the address unconfirmed", v)
	}

	res, body := postPage(t, ts, "/verify-email", url.Values{"token": {token}})
	wantPage(t, "the confirmation", res, body, http.StatusOK, "Your address is confirmed")
	if v := myVerification(t, ts, vera.AccessToken); !v.EmailVerified || v.status() != "CONFIRMED" {
		t.Errorf("after the POST: %+v, want CONFIRMED", v)
	}
	res, body = postPage(t, ts, "/verify-email", url.Values{"token": {token}})
	wantPage(t, "the used link posted again", res, body, http.StatusNotFound, "no longer works")
	res, body = getPage(t, ts, link)
	wantPage(t, "the used link opened again", res, body, http.StatusNotFound, "no longer works")
	wantNoForm(t, "the used link opened again", body)
}

// The cross-origin check refuses another site's post to a page (a
// forged form) and lets the page's own through; the token survives the
// refused one.
func TestPagesRefuseCrossSitePosts(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv))
	ts.signup(t, "forged", testPassword)
	token := requestResetToken(t, ts, srv, "forged", 1)
	form := resetForm(token, "the attacker's choice", "the attacker's choice")
	for _, path := range []string{"/reset-password", "/verify-email"} {
		res, body := postPage(t, ts, path, form, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("a cross-site POST to %s: %d, want 403\n%s", path, res.StatusCode, body)
		}
	}
	res, body := postPage(t, ts, "/reset-password", resetForm(token, newPassword, newPassword),
		"Origin", ts.url, "Sec-Fetch-Site", "same-origin")
	wantPage(t, "the page's own POST", res, body, http.StatusOK, "Your password is changed")
	ts.login(t, "forged", newPassword)
}

// USERGRAPH_TEMPLATES_DIR/pages/ replaces the pages' templates file by
// file; an override that is broken, or replaces nothing, stops the
// server at start, naming the file.
func TestPageTemplateOverrides(t *testing.T) {
	t.Parallel()
	override := func(t *testing.T, file, body string) string {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "pages"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "pages", file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	t.Run("a page replaced", func(t *testing.T) {
		t.Parallel()
		dir := override(t, "reset-password.html.tmpl",
			`{{define "title"}}Nouveau mot de passe{{end}}{{template "header" .}}<h1>Nouveau mot de passe pour {{.AppName}}</h1>`+
				`{{with .Problem}}{{template "problem" .}}{{end}}{{template "footer" .}}`)
		ts := startServer(t, withConfig(func(c *app.Config) { c.Mail.TemplatesDir, c.Mail.AppName = dir, "Acme" }))
		res, body := getPage(t, ts, "/reset-password?token=unknown")
		wantPage(t, "the replaced page", res, body, http.StatusNotFound, "<h1>Nouveau mot de passe pour Acme</h1>", "<title>Nouveau mot de passe · Acme</title>")
		res, body = getPage(t, ts, "/verify-email?token=unknown")
		wantPage(t, "the page not replaced", res, body, http.StatusNotFound, "Confirm your email address", "Acme")
	})
	for name, c := range map[string]struct{ file, body, want string }{
		"does not parse":    {"layout.html.tmpl", `{{define "header"}}<p>{{.AppName}</p>{{end}}`, "bad character"},
		"misspells a field": {"verify-email.html.tmpl", `{{define "title"}}x{{end}}{{template "header" .}}{{.Tokn}}{{template "footer" .}}`, "Tokn"},
		"replaces nothing":  {"reset_password.html.tmpl", `hello`, "replaces no built-in template"},
	} {
		t.Run("an override that "+name, func(t *testing.T) {
			t.Parallel()
			dir := override(t, c.file, c.body)
			cfg := testConfig(t, filepath.Join(t.TempDir(), "usergraph.db"))
			cfg.Mail.TemplatesDir = dir
			ts, err := launch(t, cfg)
			if err == nil {
				ts.stop()
				t.Fatalf("the server started with the page template %s that %s", c.file, name)
			}
			if file := filepath.Join(dir, "pages", c.file); !strings.Contains(err.Error(), file) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("start with a page template that %s: %v; want it to name %s and say %q", name, err, file, c.want)
			}
		})
	}
}

// With the app's own pages configured, mail links lead there, and the
// hosted pages still work for whoever opens them.
func TestHostedPagesBesideTheAppsOwn(t *testing.T) {
	t.Parallel()
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withConfig(func(c *app.Config) {
		c.Recovery.ResetPageURL = "https://app.example/reset"
	}))
	ts.signup(t, "ownpage", testPassword)
	requestReset(t, ts, "ownpage@example.com")
	token := tokenOf(t, linkIn(t, waitMail(t, srv, "ownpage@example.com", 1), "https://app.example/reset?"))
	res, body := getPage(t, ts, "/reset-password?token="+url.QueryEscape(token))
	wantPage(t, "the hosted page with the app's token", res, body, http.StatusOK, "Choose a new password")
	res, body = postPage(t, ts, "/reset-password", resetForm(formToken(body), newPassword, newPassword))
	wantPage(t, "the hosted reset", res, body, http.StatusOK, "Your password is changed")
	ts.login(t, "ownpage", newPassword)
}
