package oidctest

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// GitHub is a GitHub-shaped OAuth 2.0 provider: /login/oauth/authorize and
// /login/oauth/access_token (client secret and PKCE checked, codes work
// once), then /user and /user/emails for the access token.
type GitHub struct {
	URL          string
	ClientID     string
	ClientSecret string

	srv    *httptest.Server
	mu     sync.Mutex
	user   GitHubUser
	deny   bool
	codes  map[string]*grant
	access map[string]GitHubUser
}

// GitHubUser is an account at the GitHub-shaped provider.
type GitHubUser struct {
	ID     int64
	Login  string
	Name   string
	Emails []GitHubEmail // what /user/emails lists
	// NoEmailScope makes /user/emails answer 404, as GitHub does without
	// the user:email scope.
	NoEmailScope bool
}

// GitHubEmail is an item of /user/emails.
type GitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// NewGitHub starts a GitHub-shaped provider for one client.
func NewGitHub(t testing.TB, clientID, clientSecret string) *GitHub {
	t.Helper()
	g := &GitHub{ClientID: clientID, ClientSecret: clientSecret, codes: map[string]*grant{}, access: map[string]GitHubUser{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /login/oauth/authorize", g.authorize)
	mux.HandleFunc("POST /login/oauth/access_token", g.token)
	mux.HandleFunc("GET /user", g.userEndpoint)
	mux.HandleFunc("GET /user/emails", g.emails)
	g.srv = httptest.NewServer(mux)
	g.URL = g.srv.URL
	t.Cleanup(g.srv.Close)
	return g
}

// Endpoints are the provider's URLs, as the providers file's endpoints
// name them.
func (g *GitHub) Endpoints() map[string]string {
	return map[string]string{"authorization": g.URL + "/login/oauth/authorize", "token": g.URL + "/login/oauth/access_token",
		"userinfo": g.URL + "/user", "emails": g.URL + "/user/emails"}
}

// SignInAs makes u the user the authorization endpoint signs in.
func (g *GitHub) SignInAs(u GitHubUser) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.user = u
}

// Deny makes the authorization endpoint redirect back with
// error=access_denied (deny false: it signs in again).
func (g *GitHub) Deny(deny bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deny = deny
}

func (g *GitHub) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	g.mu.Lock()
	defer g.mu.Unlock()
	back, err := url.Parse(q.Get("redirect_uri"))
	if q.Get("client_id") != g.ClientID || err != nil || q.Get("redirect_uri") == "" {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	ret := back.Query()
	ret.Set("state", q.Get("state"))
	if g.deny {
		ret.Set("error", "access_denied")
	} else {
		code := secret()
		g.codes[code] = &grant{ghUser: g.user, clientID: g.ClientID, redirectURI: q.Get("redirect_uri"), challenge: q.Get("code_challenge")}
		ret.Set("code", code)
	}
	back.RawQuery = ret.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token is GitHub's access_token endpoint: client id and secret in the
// form, the code once, and the PKCE verifier when a challenge was sent.
func (g *GitHub) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	f := r.PostForm
	if f.Get("client_id") != g.ClientID || f.Get("client_secret") != g.ClientSecret {
		tokenError(w, "incorrect_client_credentials")
		return
	}
	code := f.Get("code")
	gr, ok := g.codes[code]
	delete(g.codes, code) // a code works once
	if !ok || gr.redirectURI != f.Get("redirect_uri") || (gr.challenge != "" && s256(f.Get("code_verifier")) != gr.challenge) {
		tokenError(w, "bad_verification_code")
		return
	}
	access := "gho_" + secret()
	g.access[access] = gr.ghUser
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "bearer", "scope": "read:user,user:email"})
}

func (g *GitHub) caller(r *http.Request) (GitHubUser, bool) {
	access, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	g.mu.Lock()
	defer g.mu.Unlock()
	u, ok := g.access[access]
	return u, ok
}

func (g *GitHub) userEndpoint(w http.ResponseWriter, r *http.Request) {
	u, ok := g.caller(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	// The public profile email is whatever the user typed: never verified.
	writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "login": u.Login, "name": u.Name,
		"email": "public-" + u.Login + "@example.com", "avatar_url": "https://avatars.example/" + u.Login})
}

func (g *GitHub) emails(w http.ResponseWriter, r *http.Request) {
	u, ok := g.caller(r)
	switch {
	case !ok:
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
	case u.NoEmailScope:
		writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
	default:
		emails := u.Emails
		if emails == nil {
			emails = []GitHubEmail{}
		}
		writeJSON(w, http.StatusOK, emails)
	}
}
