package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
)

// Frontends on another origin: CORS for the trusted origins
// (USERGRAPH_CORS_ORIGINS), consistent with the cross-origin check that
// trusts the same list, and the cookies' SameSite (USERGRAPH_COOKIE_SAMESITE).

const (
	trustedOrigin   = "https://app.example.com"
	untrustedOrigin = "https://evil.example"
)

// preflight sends the OPTIONS request a browser sends before a credentialed
// JSON POST from origin.
func preflight(t *testing.T, ts *testServer, origin string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodOptions, ts.url+"/graphql", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Access-Control-Request-Method", "POST")
	// As browsers send it (Fetch standard): lower case, sorted, no spaces.
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type,x-request-id")
	res, _ := roundTrip(t, req)
	return res
}

// crossSitePOST posts an operation as a browser app on origin does with
// credentials: Origin, Sec-Fetch-Site: cross-site, and the cookie if any.
func crossSitePOST(t *testing.T, ts *testServer, origin, query string, v vars, cookie *http.Cookie) *gqlResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(mustJSON(t, map[string]any{"query": query, "variables": v})))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if cookie != nil {
		req.AddCookie(cookie)
	}
	r := ts.do(t, req)
	checkClientErrors(t, r, false)
	return r
}

// wantVaryOrigin fails unless h says the response varies with Origin.
func wantVaryOrigin(t *testing.T, h http.Header) {
	t.Helper()
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(f), "Origin") {
				return
			}
		}
	}
	t.Errorf("Vary = %q, want Origin among them", h.Values("Vary"))
}

// wantNoCORS fails if h grants anything to a cross-origin reader.
func wantNoCORS(t *testing.T, h http.Header) {
	t.Helper()
	for name := range h {
		if strings.HasPrefix(http.CanonicalHeaderKey(name), "Access-Control-") {
			t.Errorf("%s: %q, want no CORS headers", name, h.Values(name))
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.CORSOrigins = []string{trustedOrigin} }))

	t.Run("preflight from a trusted origin", func(t *testing.T) {
		res := preflight(t, ts, trustedOrigin)
		h := res.Header
		if res.StatusCode != http.StatusNoContent {
			t.Errorf("status = %d, want 204", res.StatusCode)
		}
		for name, want := range map[string]string{
			"Access-Control-Allow-Origin":      trustedOrigin, // the origin itself, never *
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Max-Age":           "7200",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if got := h.Get("Access-Control-Allow-Methods"); !strings.Contains(got, "POST") {
			t.Errorf("Access-Control-Allow-Methods = %q, want POST among them", got)
		}
		allowed := strings.Split(strings.ToLower(strings.ReplaceAll(h.Get("Access-Control-Allow-Headers"), " ", "")), ",")
		for _, want := range []string{"content-type", "authorization", "x-request-id"} {
			if !slices.Contains(allowed, want) {
				t.Errorf("Access-Control-Allow-Headers = %q, want %s among them", h.Get("Access-Control-Allow-Headers"), want)
			}
		}
		wantVaryOrigin(t, h)
	})
	t.Run("preflight from an untrusted origin", func(t *testing.T) {
		res := preflight(t, ts, untrustedOrigin)
		wantNoCORS(t, res.Header)
		wantVaryOrigin(t, res.Header)
	})
	t.Run("a preflight asking for a header no client needs gets no grant", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, ts.url+"/graphql", nil)
		req.Header.Set("Origin", trustedOrigin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-not-a-graphql-header")
		res, _ := roundTrip(t, req)
		if got := res.Header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin = %q, want none", got)
		}
	})

	t.Run("credentialed cross-site requests from a trusted origin", func(t *testing.T) {
		r := crossSitePOST(t, ts, trustedOrigin, signupMutation, vars{"in": vars{"username": "spauser", "password": testPassword}}, nil)
		if r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("cross-site sign-up from a trusted origin: %d %+v", r.Status, r.Errors)
		}
		for name, want := range map[string]string{
			"Access-Control-Allow-Origin":      trustedOrigin,
			"Access-Control-Allow-Credentials": "true",
		} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
		if got := strings.ToLower(r.Header.Get("Access-Control-Expose-Headers")); !strings.Contains(got, "x-request-id") {
			t.Errorf("Access-Control-Expose-Headers = %q, want X-Request-Id readable", got)
		}
		wantVaryOrigin(t, r.Header)
		// The cookie the sign-up set carries the app's next request.
		cookie := cookieNamed(t, r.Header, ts.cfg.HTTP.CookieName)
		me := crossSitePOST(t, ts, trustedOrigin, `{ me { username } }`, nil, cookie)
		if len(me.Errors) > 0 || string(me.Data) != `{"me":{"username":"spauser"}}` {
			t.Errorf("me with the cookie from a trusted origin: data %s, errors %+v", me.Data, me.Errors)
		}
	})
	t.Run("cross-site requests from an untrusted origin", func(t *testing.T) {
		r := crossSitePOST(t, ts, untrustedOrigin, signupMutation, vars{"in": vars{"username": "evilspa", "password": testPassword}}, nil)
		if r.Status != http.StatusForbidden {
			t.Errorf("status = %d, want 403", r.Status)
		}
		wantCode(t, r, "FORBIDDEN", 609)
		wantNoCORS(t, r.Header)
		wantVaryOrigin(t, r.Header)
		wantNotStored(t, ts, "evilspa")
	})
	t.Run("same-origin and non-browser responses vary with Origin too", func(t *testing.T) {
		res, _ := getPath(t, ts, "/healthz")
		wantNoCORS(t, res.Header)
		wantVaryOrigin(t, res.Header)
	})
}

// Without trusted origins there is no CORS: a preflight is answered (no
// more "transport not supported") but grants nothing.
func TestCORSOffWithoutOrigins(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	res := preflight(t, ts, trustedOrigin)
	if res.StatusCode >= 400 {
		t.Errorf("preflight status = %d, want a 2xx without grants", res.StatusCode)
	}
	wantNoCORS(t, res.Header)
	r := crossSitePOST(t, ts, trustedOrigin, signupMutation, vars{"in": vars{"username": "nocors", "password": testPassword}}, nil)
	if r.Status != http.StatusForbidden {
		t.Errorf("cross-site sign-up: status %d, want 403", r.Status)
	}
	wantNoCORS(t, r.Header)
}

// USERGRAPH_COOKIE_SAMESITE sets SameSite on both cookies a sign-in sets.
func TestCookieSameSite(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		mode   http.SameSite
		secure app.CookieSecure
		attr   string
	}{
		{"default", 0, app.CookieSecureAuto, "SameSite=Lax"},
		{"Strict", http.SameSiteStrictMode, app.CookieSecureAuto, "SameSite=Strict"},
		{"None with Secure", http.SameSiteNoneMode, app.CookieSecureAlways, "SameSite=None"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts := startServer(t, withConfig(func(c *app.Config) {
				if tc.mode != 0 {
					c.HTTP.CookieSameSite = tc.mode
				}
				c.HTTP.CookieSecure = tc.secure
			}))
			r := ts.post(t, signupMutation, vars{"in": vars{"username": "cookiesite", "password": testPassword}})
			if len(r.Errors) > 0 {
				t.Fatalf("sign-up: %+v", r.Errors)
			}
			set := r.Header.Values("Set-Cookie")
			if len(set) != 2 {
				t.Fatalf("Set-Cookie = %q, want the access-token and device cookies", set)
			}
			for _, line := range set {
				if !strings.Contains(line, "; "+tc.attr) {
					t.Errorf("Set-Cookie %q lacks %s", line, tc.attr)
				}
				if secure := strings.Contains(line, "; Secure"); secure != (tc.secure == app.CookieSecureAlways) {
					t.Errorf("Set-Cookie %q: Secure = %v, want %v", line, secure, tc.secure == app.CookieSecureAlways)
				}
			}
		})
	}
}
