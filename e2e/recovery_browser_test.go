package e2e

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/usergraph/usergraph/mail/mailtest"
)

// The hosted pages in a real browser: headless Chromium (newBrowser,
// graphiql_browser_test.go) opens the link a mail carried, types into the
// form and submits it, as a user would; the outcome is then checked over
// GraphQL. The pages must work without asking anything of another origin,
// and their Content-Security-Policy must refuse nothing they use.
//
// With -screenshots=DIR the test also writes the pages it passes through
// as PNG files into DIR (relative to the repository's root), for docs/:
//
//	go test ./e2e -run Browser -screenshots=docs/img

var screenshots = flag.String("screenshots", "", "write the hosted pages' screenshots into this `directory` (relative to the repository root); empty: none")

// pageBrowser is a Chromium tab that records what the page asks for and
// what its policy refuses.
type pageBrowser struct {
	ctx      context.Context
	mu       sync.Mutex
	requests []string
}

func newPageBrowser(t *testing.T) *pageBrowser {
	t.Helper()
	b := &pageBrowser{ctx: newBrowser(t)}
	err := chromedp.Listen(b.ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			b.mu.Lock()
			b.requests = append(b.requests, e.Request.URL)
			b.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = [];
			document.addEventListener('securitypolicyviolation', e =>
				window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));`,
	}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(b.ctx, chromedp.EmulateViewport(720, 640)); err != nil {
		t.Fatal(err)
	}
	return b
}

// open navigates to url and waits for the page's heading.
func (b *pageBrowser) open(t *testing.T, url string) {
	t.Helper()
	if err := chromedp.Do(b.ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("h1"))); err != nil {
		t.Fatalf("open %s in Chromium: %v", url, err)
	}
}

// submit types each value into the field with that id, presses the
// form's button, waits for the page the POST answers, and returns its
// HTTP status and text. That page must show heading.
func (b *pageBrowser) submit(t *testing.T, heading string, fields ...[2]string) (int64, string) {
	t.Helper()
	var actions []chromedp.Action[chromedp.Void]
	for _, f := range fields {
		sel := chromedp.CSS("#" + f[0])
		actions = append(actions, chromedp.Clear(sel), chromedp.SendKeys(sel, f[1]))
	}
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	res, err := chromedp.RunResponse(b.ctx, chromedp.Click(chromedp.CSS(`button[type=submit]`)))
	if err != nil {
		t.Fatalf("submit the form: %v", err)
	}
	text := b.text(t)
	if !strings.Contains(text, heading) {
		t.Fatalf("after submitting, the page (%d) shows %q, want %q", res.Status, text, heading)
	}
	return res.Status, text
}

// text is what the page shows.
func (b *pageBrowser) text(t *testing.T) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// screenshot writes the page's card to name.png under -screenshots, if set.
func (b *pageBrowser) screenshot(t *testing.T, name string) {
	t.Helper()
	if *screenshots == "" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.Screenshot(chromedp.CSS("main")))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := *screenshots
	if !filepath.IsAbs(dir) {
		dir = filepath.Join("..", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkClean fails if the pages met a policy violation or asked for
// anything but this server.
func (b *pageBrowser) checkClean(t *testing.T, ts *testServer) {
	t.Helper()
	violations, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) > 0 {
		t.Errorf("the Content-Security-Policy refused what the page uses:\n%s", strings.Join(violations, "\n"))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, u := range b.requests {
		if !strings.HasPrefix(u, ts.url+"/") {
			t.Errorf("the page requested %s, which is not this server", u)
		}
	}
	if len(b.requests) == 0 {
		t.Error("saw no requests: the listener is not working")
	}
}

// The mailed reset link in Chromium: the form, a password too weak (the
// page says why and keeps the link), the new password typed twice, the
// success page; then the new password signs in over GraphQL. The
// verification link likewise: the button, then CONFIRMED.
func TestRecoveryPagesInChromium(t *testing.T) {
	t.Parallel()
	b := newPageBrowser(t)
	srv := mailtest.Start(t, mailtest.Options{})
	ts := startServer(t, withMail(srv), withVerification("send"))
	const addr = "chromia@example.com"
	ts.signup(t, "chromia", testPassword) // mails the verification link

	requestReset(t, ts, addr)
	b.open(t, linkAmong(t, srv, addr, 2, ts.url+"/reset-password?"))
	if got := b.text(t); !strings.Contains(got, "Choose a new password") || !strings.Contains(got, "Acme") {
		t.Fatalf("the reset page shows %q", got)
	}
	b.screenshot(t, "reset-password-form")
	status, got := b.submit(t, "cannot be used", [2]string{"password", "short"}, [2]string{"confirm", "short"})
	if status != http.StatusUnprocessableEntity || !strings.Contains(got, "at least 8 characters") {
		t.Errorf("after a weak password the page (%d) shows %q, want 422 and the policy's reason", status, got)
	}
	b.screenshot(t, "reset-password-weak")
	if status, _ := b.submit(t, "Your password is changed", [2]string{"password", newPassword}, [2]string{"confirm", newPassword}); status != http.StatusOK {
		t.Errorf("the reset's page: %d, want 200", status)
	}
	b.screenshot(t, "reset-password-done")
	ts.login(t, "chromia", newPassword)
	if code, _ := loginCode(t, ts, "chromia", testPassword); code != "INVALID_CREDENTIALS" {
		t.Errorf("the old password after the reset in Chromium: %q, want INVALID_CREDENTIALS", code)
	}

	b.open(t, linkAmong(t, srv, addr, 2, ts.url+"/verify-email?"))
	b.screenshot(t, "verify-email-form")
	if status, _ := b.submit(t, "Your address is confirmed"); status != http.StatusOK {
		t.Errorf("the confirmation's page: %d, want 200", status)
	}
	b.screenshot(t, "verify-email-done")
	if v := myVerification(t, ts, ts.login(t, "chromia", newPassword).AccessToken); v.status() != "CONFIRMED" || !v.EmailVerified {
		t.Errorf("after confirming in Chromium: %+v, want CONFIRMED", v)
	}
	b.checkClean(t, ts)
}

// linkAmong waits for n mails to rcpt and returns the link starting with
// prefix that one of them carries: mails queued together may arrive in
// either order.
func linkAmong(t *testing.T, srv *mailtest.Server, rcpt string, n int, prefix string) string {
	t.Helper()
	waitMail(t, srv, rcpt, n)
	for _, m := range srv.To(rcpt) {
		for _, l := range m.Links() {
			if strings.HasPrefix(l, prefix) {
				return l
			}
		}
	}
	t.Fatalf("none of the %d mails to %s has a link starting with %s", n, rcpt, prefix)
	return ""
}
