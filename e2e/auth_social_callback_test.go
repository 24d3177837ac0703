package e2e

import (
	"net/url"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/social/oidctest"
)

// The flow without a redirectUri, for server-rendered sites: the provider
// sends the browser to usergraph's /oauth/callback, which signs it in with
// the session cookie and sends it on to the return URL, only ever with an
// error in that URL, never a token.

// callbackFlow runs oauthStart from the browser b (which gets the state's
// cookie) and follows the redirects through the provider and
// /oauth/callback to the return URL, which it returns.
func callbackFlow(t *testing.T, e *socialEnv, b *browser, provider, action string) *url.URL {
	t.Helper()
	r := b.gql(t, e.ts, oauthStartMutation, vars{"p": provider, "a": action})
	if len(r.Errors) > 0 {
		t.Fatalf("oauthStart: %+v", r.Errors)
	}
	s := dataField[started](t, r, "oauthStart")
	return b.follow(t, s.URL, func(u *url.URL) bool { return u.Path == "/welcome" })
}

func TestSocialCallbackSignsTheBrowserIn(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	e.acme.SignInAs(olga)
	b := newUserAgent(t)
	back := callbackFlow(t, e, b, "acme", "SIGN_UP")
	if back.RawQuery != "" || back.Host != strings.TrimPrefix(e.ts.url, "http://") {
		t.Errorf("returned to %s, want %s/welcome with no query", back, e.ts.url)
	}
	if b.cookie(e.ts, "/", "usergraph_token") == "" || b.cookie(e.ts, "/", "usergraph_device") == "" {
		t.Fatal("no session or device cookie after the callback")
	}
	if b.cookie(e.ts, "/oauth/callback", "usergraph_oauth") != "" {
		t.Error("the state's cookie outlived the callback")
	}
	r := b.gql(t, e.ts, `{ me { `+socialUserFields+` } }`, nil) // by the cookie alone
	if me := dataField[socialUser](t, r, "me"); me.Username != "olga" || providersOf(me) != "acme:olga-sub-1" {
		t.Errorf("me by the cookie: %+v (errors %+v)", me, r.Errors)
	}

	// LINK by the same route, with the session cookie as the caller.
	e.gh.SignInAs(oidctest.GitHubUser{ID: 99, Login: "olga-gh"})
	if back := callbackFlow(t, e, b, "github", "LINK"); back.RawQuery != "" {
		t.Errorf("LINK through the callback: returned to %s", back)
	}
	r = b.gql(t, e.ts, `{ me { `+socialUserFields+` } }`, nil)
	if got := providersOf(dataField[socialUser](t, r, "me")); got != "acme:olga-sub-1 github:99" {
		t.Errorf("identities after LINK through the callback: %q", got)
	}
}

// Failures come back to the return URL as ?error=CODE, with no cookie.
func TestSocialCallbackFailures(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	e.acme.SignInAs(olga)
	errorOf := func(u *url.URL) string { return u.Query().Get("error") }

	b := newUserAgent(t)
	if back := callbackFlow(t, e, b, "acme", "SIGN_IN"); errorOf(back) != "IDENTITY_NOT_LINKED" {
		t.Errorf("SIGN_IN of an unlinked account: returned to %s", back)
	}
	e.acme.Set(oidctest.Knobs{Deny: true})
	if back := callbackFlow(t, e, b, "acme", "SIGN_UP"); errorOf(back) != "OAUTH_FAILED" {
		t.Errorf("the provider's error page: returned to %s", back)
	}
	e.acme.Set(oidctest.Knobs{})
	if b.cookie(e.ts, "/", "usergraph_token") != "" {
		t.Error("a failed callback set the session cookie")
	}

	// Login CSRF: a flow started in one browser and finished in another
	// (the attacker's state in the victim's browser) signs no one in, and
	// the state is spent.
	attacker, victim := newUserAgent(t), newUserAgent(t)
	s := dataField[started](t, attacker.gql(t, e.ts, oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP"}), "oauthStart")
	back := victim.follow(t, s.URL, func(u *url.URL) bool { return u.Path == "/welcome" })
	if errorOf(back) != "OAUTH_FAILED" || victim.cookie(e.ts, "/", "usergraph_token") != "" {
		t.Errorf("a callback in a browser that did not start the flow: returned to %s", back)
	}
	if back := callbackFlow(t, e, attacker, "acme", "SIGN_IN"); errorOf(back) != "IDENTITY_NOT_LINKED" {
		t.Errorf("after the refused callback: %s; want nothing created", back)
	}

	// The callback with a state of the other flow, or none.
	api := e.start(t, "", "acme", "SIGN_UP")
	code, state := e.authorize(t, api)
	res, err := b.c.Get(e.ts.url + "/oauth/callback?" + url.Values{"code": {code}, "state": {state}}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if loc, _ := url.Parse(res.Header.Get("Location")); res.StatusCode != 303 || errorOf(loc) != "OAUTH_FAILED" {
		t.Errorf("the callback with an app flow's state: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	wantCode(t, e.complete(t, "", code, state, nil), "OAUTH_FAILED", 0) // spent by the callback
}

// With cookies switched off the callback cannot sign a browser in:
// oauthStart asks for a redirectUri, and the callback answers with an
// error, never a token in the URL.
func TestSocialCallbackWithoutCookies(t *testing.T) {
	t.Parallel()
	e := startSocial(t, withConfig(func(c *app.Config) { c.HTTP.CookieName = "" }))
	r := e.ts.gql(t, "", oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP"})
	wantCode(t, r, "BAD_USER_INPUT", 0)
	if r.field() != "redirectUri" {
		t.Errorf("field %q, want redirectUri", r.field())
	}
	res, err := newUserAgent(t).c.Get(e.ts.url + "/oauth/callback?code=c&state=s")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != 303 || !strings.Contains(loc, "error=OAUTH_FAILED") || len(res.Cookies()) != 0 {
		t.Errorf("callback without cookies: %d to %q with %d cookies", res.StatusCode, loc, len(res.Cookies()))
	}
	e.acme.SignInAs(olga)
	e.mustFlow(t, "", "acme", "SIGN_UP") // the app's flow still works
}
