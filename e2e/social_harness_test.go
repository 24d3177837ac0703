package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/social/oidctest"
)

// The social sign-in tests' set-up: a server whose providers file names a
// real OpenID Connect provider ("acme", by issuer) and the github preset
// pointed at a GitHub-shaped server, both running in the test
// (social/oidctest); and a browser, an HTTP client with a cookie jar that
// follows redirects one by one, as a browser would, through the provider
// and back.

// appRedirect is the app's redirect URI: the only one the servers allow.
// Nothing listens there; the browser stops when it is sent there and hands
// code and state to the test, as the app's page would.
const appRedirect = "https://app.example/oauth/done"

// socialEnv is a server with two providers.
type socialEnv struct {
	ts   *testServer
	acme *oidctest.Provider
	gh   *oidctest.GitHub
}

// startSocial starts the providers and a server configured for them.
func startSocial(t *testing.T, opts ...option) *socialEnv {
	t.Helper()
	acme := oidctest.NewProvider(t, "acme-web", "acme-secret-value")
	gh := oidctest.NewGitHub(t, "gh-client", "gh-secret-value")
	file := writeProviders(t, map[string]any{"providers": []map[string]any{
		{"name": "acme", "issuer": acme.URL, "clientId": "acme-web", "clientSecret": "acme-secret-value", "audiences": []string{"acme-mobile"}},
		{"name": "github", "clientId": "gh-client", "clientSecret": "gh-secret-value", "endpoints": gh.Endpoints()},
	}})
	opts = append([]option{withConfig(func(c *app.Config) {
		c.Social.ConfigFile = file
		c.Social.RedirectURLs = []string{appRedirect}
		c.Social.ReturnURL = "/welcome"
	})}, opts...)
	return &socialEnv{ts: startServer(t, opts...), acme: acme, gh: gh}
}

// writeProviders writes a providers file and returns its path.
func writeProviders(t *testing.T, v any) string {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "providers.json")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// browser is a user agent with a cookie jar.
type browser struct {
	c *http.Client
}

func newUserAgent(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // follow keeps the hops
	}}}
}

// follow GETs start and each redirect after it until one leads to where
// stop says, or to a page that is no redirect, and returns that URL.
func (b *browser) follow(t *testing.T, start string, stop func(*url.URL) bool) *url.URL {
	t.Helper()
	at, err := url.Parse(start)
	if err != nil {
		t.Fatal(err)
	}
	for range 10 {
		res, err := b.c.Get(at.String())
		if err != nil {
			t.Fatalf("GET %s: %v", at, err)
		}
		res.Body.Close()
		loc := res.Header.Get("Location")
		if res.StatusCode < 300 || res.StatusCode > 399 || loc == "" {
			t.Fatalf("GET %s: status %d, no redirect to follow", at, res.StatusCode)
		}
		next, err := at.Parse(loc)
		if err != nil {
			t.Fatal(err)
		}
		if stop(next) {
			return next
		}
		at = next
	}
	t.Fatalf("more than 10 redirects from %s", start)
	return nil
}

// gql posts an operation as this browser (its cookies go along).
func (b *browser) gql(t *testing.T, ts *testServer, query string, v vars) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	res, err := b.c.Post(ts.url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	out, err := decodeAnswer(res)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// cookie returns the value of the named cookie the browser holds for ts's
// path ("" if none).
func (b *browser) cookie(ts *testServer, path, name string) string {
	u, _ := url.Parse(ts.url + path)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

const oauthStartMutation = `mutation($p: String!, $a: OAuthAction!, $r: String, $d: String) {
	oauthStart(provider: $p, action: $a, redirectUri: $r, deviceToken: $d) { url state } }`

const oauthCompleteMutation = `mutation($code: String!, $state: String!, $d: String) {
	oauthComplete(code: $code, state: $state, deviceToken: $d) { ` + authFields + ` deviceCookie } }`

const idTokenMutation = `mutation($p: String!, $tok: String!, $n: String, $a: OAuthAction, $d: String) {
	loginWithIdToken(provider: $p, idToken: $tok, nonce: $n, action: $a, deviceToken: $d) { ` + authFields + ` } }`

// started is oauthStart's answer.
type started struct {
	URL   string `json:"url"`
	State string `json:"state"`
}

// start begins a flow to appRedirect as token's caller ("" anonymous).
func (e *socialEnv) start(t *testing.T, token, provider, action string) started {
	t.Helper()
	r := e.ts.mustGQL(t, token, oauthStartMutation, vars{"p": provider, "a": action, "r": appRedirect})
	return dataField[started](t, r, "oauthStart")
}

// authorize plays the browser at the provider: it opens the page of s and
// returns the code and state the provider sent back to appRedirect (code
// "" when it sent an error).
func (e *socialEnv) authorize(t *testing.T, s started) (code, state string) {
	t.Helper()
	back := newUserAgent(t).follow(t, s.URL, func(u *url.URL) bool { return u.Host == "app.example" })
	q := back.Query()
	if got := back.Scheme + "://" + back.Host + back.Path; got != appRedirect {
		t.Fatalf("the provider sent the browser to %s, want %s", got, appRedirect)
	}
	if q.Get("state") != s.State {
		t.Fatalf("the provider sent back state %q, want %q", q.Get("state"), s.State)
	}
	return q.Get("code"), q.Get("state")
}

// complete is oauthComplete as token's caller.
func (e *socialEnv) complete(t *testing.T, token, code, state string, device any) *gqlResponse {
	t.Helper()
	return e.ts.gql(t, token, oauthCompleteMutation, vars{"code": code, "state": state, "d": device})
}

// flow runs a whole redirect flow and returns oauthComplete's answer.
func (e *socialEnv) flow(t *testing.T, token, provider, action string) *gqlResponse {
	t.Helper()
	code, state := e.authorize(t, e.start(t, token, provider, action))
	return e.complete(t, token, code, state, nil)
}

// mustFlow is flow that fails the test on errors and returns the tokens.
func (e *socialEnv) mustFlow(t *testing.T, token, provider, action string) auth {
	t.Helper()
	r := e.flow(t, token, provider, action)
	if len(r.Errors) > 0 {
		t.Fatalf("%s with %s: %+v", action, provider, r.Errors)
	}
	return dataField[auth](t, r, "oauthComplete")
}

// apiIdentity is an Identity as the tests read it.
type apiIdentity struct {
	Provider string  `json:"provider"`
	Subject  string  `json:"subject"`
	Email    *string `json:"email"`
	LinkedAt string  `json:"linkedAt"`
}

// socialUser is the caller's account as social sign-in left it.
type socialUser struct {
	ID            string        `json:"id"`
	Username      string        `json:"username"`
	Email         *string       `json:"email"`
	EmailVerified bool          `json:"emailVerified"`
	FullName      *string       `json:"fullName"`
	Identities    []apiIdentity `json:"identities"`
}

const socialUserFields = `id username email emailVerified fullName identities { provider subject email linkedAt }`

func (ts *testServer) me(t *testing.T, token string) socialUser {
	t.Helper()
	return dataField[socialUser](t, ts.mustGQL(t, token, `{ me { `+socialUserFields+` } }`, nil), "me")
}

// providersOf lists an account's identities as "provider:subject".
func providersOf(u socialUser) string {
	var out []string
	for _, i := range u.Identities {
		out = append(out, i.Provider+":"+i.Subject)
	}
	return strings.Join(out, " ")
}

// userCount is how many accounts exist, as an administrator counts them.
func userCount(t *testing.T, ts *testServer, adminToken string) int {
	t.Helper()
	r := ts.mustGQL(t, adminToken, `{ users(filter: {}) { totalCount } }`, nil)
	return dataField[struct {
		TotalCount int `json:"totalCount"`
	}](t, r, "users").TotalCount
}
