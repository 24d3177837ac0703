// Package oidctest runs OAuth 2.0 providers for tests, as real HTTP
// servers on 127.0.0.1 speaking the real protocols: Provider is an OpenID
// Connect provider (discovery, authorization with a code, a token endpoint
// that checks the client secret and the PKCE verifier, userinfo, a JWKS
// with an RSA key, ID tokens signed with it), GitHub a GitHub-shaped plain
// OAuth 2.0 provider (/user and /user/emails). Each has knobs for the
// failures a client must survive.
//
// A test plays the browser: it GETs the authorization URL the client made;
// the provider "signs in" the user set with SignInAs and redirects to the
// redirect URI with a code and the state, as a provider does after its
// login page.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// User is an account at a test provider.
type User struct {
	Subject           string
	Email             string
	EmailVerified     bool
	Name              string
	GivenName         string
	FamilyName        string
	PreferredUsername string
}

// Provider is an OpenID Connect provider. Its fields are knobs a test may
// change at any time (they are read under the provider's lock).
type Provider struct {
	URL          string // the issuer
	ClientID     string
	ClientSecret string

	srv    *httptest.Server
	key    *rsa.PrivateKey
	keyID  string
	mu     sync.Mutex
	user   User
	knobs  Knobs
	codes  map[string]*grant // issued and not redeemed yet
	used   map[string]bool   // redeemed codes
	access map[string]User   // access tokens
	seen   []url.Values      // authorization requests, for assertions
}

// Knobs are the provider's failure modes; the zero value is a provider
// that works.
type Knobs struct {
	// Down makes discovery (and everything else) answer 503.
	Down bool
	// Deny makes the authorization endpoint redirect back with
	// error=access_denied, as when the user declines.
	Deny bool
	// WrongNonce puts another nonce in the ID tokens the token endpoint
	// issues.
	WrongNonce bool
	// Audience, when set, is the aud of issued ID tokens instead of the
	// client id.
	Audience string
	// UnknownKey signs ID tokens with a key the JWKS does not publish.
	UnknownKey bool
	// Expired issues ID tokens that expired an hour ago.
	Expired bool
	// EmailInUserInfoOnly leaves email out of ID tokens; userinfo has it.
	EmailInUserInfoOnly bool
	// TenantTemplate publishes issuer URL/{tenantid}/v2.0 in discovery
	// and signs tokens as URL/<tid>/v2.0 with a tid claim, as Microsoft's
	// multi-tenant endpoints do.
	TenantTemplate bool
	// Tenant is the tid of tokens under TenantTemplate.
	Tenant string
}

// grant is an authorization waiting for its code to be redeemed.
type grant struct {
	user        User
	ghUser      GitHubUser
	clientID    string
	redirectURI string
	challenge   string
	nonce       string
}

// NewProvider starts a provider for one client; the test's cleanup stops
// it.
func NewProvider(t testing.TB, clientID, clientSecret string) *Provider {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, key: key, keyID: "test-key-1",
		codes: map[string]*grant{}, used: map[string]bool{}, access: map[string]User{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	mux.HandleFunc("GET /jwks", p.jwks)
	p.srv = httptest.NewServer(p.unlessDown(mux))
	p.URL = p.srv.URL
	t.Cleanup(p.srv.Close)
	return p
}

// SignInAs makes u the user the authorization endpoint signs in.
func (p *Provider) SignInAs(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Set replaces the knobs.
func (p *Provider) Set(k Knobs) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.knobs = k
}

// Authorizations returns the query of every authorization request so far.
func (p *Provider) Authorizations() []url.Values {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]url.Values(nil), p.seen...)
}

func (p *Provider) unlessDown(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		down := p.knobs.Down
		p.mu.Unlock()
		if down {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func (p *Provider) issuer(tenant string) string {
	if p.knobs.TenantTemplate {
		return p.URL + "/" + tenant + "/v2.0"
	}
	return p.URL
}

func (p *Provider) discovery(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	iss := p.issuer("{tenantid}")
	p.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                p.URL + "/authorize",
		"token_endpoint":                        p.URL + "/token",
		"userinfo_endpoint":                     p.URL + "/userinfo",
		"jwks_uri":                              p.URL + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	})
}

// authorize checks the request as a provider does and redirects back
// with a code for the signed-in user, or with error=access_denied.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, q)
	switch {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code" || q.Get("redirect_uri") == "":
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "":
		http.Error(w, "PKCE with S256 is required", http.StatusBadRequest)
		return
	}
	back, err := url.Parse(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	ret := back.Query()
	ret.Set("state", q.Get("state"))
	if p.knobs.Deny {
		ret.Set("error", "access_denied")
	} else {
		code := secret()
		p.codes[code] = &grant{user: p.user, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"),
			challenge: q.Get("code_challenge"), nonce: q.Get("nonce")}
		ret.Set("code", code)
	}
	back.RawQuery = ret.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

// token redeems a code once, for the client that got it, with its secret,
// its redirect URI and the verifier of its PKCE challenge.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request")
		return
	}
	id, sec, ok := r.BasicAuth()
	if !ok {
		id, sec = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if id != p.ClientID || sec != p.ClientSecret {
		tokenError(w, "invalid_client")
		return
	}
	code := r.PostForm.Get("code")
	g, ok := p.codes[code]
	delete(p.codes, code) // a code works once
	switch {
	case r.PostForm.Get("grant_type") != "authorization_code" || !ok || p.used[code]:
		tokenError(w, "invalid_grant")
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri") || g.clientID != id:
		tokenError(w, "invalid_grant")
		return
	case s256(r.PostForm.Get("code_verifier")) != g.challenge:
		tokenError(w, "invalid_grant") // PKCE: the verifier does not match the challenge
		return
	}
	p.used[code] = true
	access := secret()
	p.access[access] = g.user
	nonce := g.nonce
	if p.knobs.WrongNonce {
		nonce = "not-" + nonce
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600,
		"id_token": p.idToken(g.user, nonce, !p.knobs.EmailInUserInfoOnly)})
}

func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	access, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	p.mu.Lock()
	u, ok := p.access[access]
	p.mu.Unlock()
	if !ok {
		http.Error(w, "bad token", http.StatusUnauthorized)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"sub": u.Subject, "email": u.Email, "email_verified": u.EmailVerified, "name": u.Name})
}

func (p *Provider) jwks(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: p.keyID, Algorithm: "RS256", Use: "sig"}}}
	writeJSON(w, http.StatusOK, set)
}

// IDToken is an ID token for u with the provider's knobs (audience,
// expiry, key, tenant), as an app gets it from the provider's SDK; nonce
// "" leaves the claim out.
func (p *Provider) IDToken(u User, nonce string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.idToken(u, nonce, true)
}

// idToken signs u's ID token; the caller holds the lock.
func (p *Provider) idToken(u User, nonce string, withEmail bool) string {
	now := time.Now()
	aud := p.ClientID
	if p.knobs.Audience != "" {
		aud = p.knobs.Audience
	}
	exp := now.Add(time.Hour)
	if p.knobs.Expired {
		exp = now.Add(-time.Hour)
	}
	claims := jwt.MapClaims{"iss": p.issuer(p.knobs.Tenant), "sub": u.Subject, "aud": aud,
		"iat": now.Unix(), "exp": exp.Unix(), "name": u.Name, "given_name": u.GivenName, "family_name": u.FamilyName}
	if u.PreferredUsername != "" {
		claims["preferred_username"] = u.PreferredUsername
	}
	if withEmail && u.Email != "" {
		claims["email"], claims["email_verified"] = u.Email, u.EmailVerified
	}
	if nonce != "" {
		claims["nonce"] = nonce
	}
	if p.knobs.TenantTemplate {
		claims["tid"] = p.knobs.Tenant
	}
	key, kid := p.key, p.keyID
	if p.knobs.UnknownKey {
		other, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		key, kid = other, "test-key-unknown"
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = kid
	signed, err := tok.SignedString(key)
	if err != nil {
		panic(err)
	}
	return signed
}

// s256 is PKCE's S256 challenge of a verifier.
func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func secret() string {
	b := make([]byte, 24)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenError(w http.ResponseWriter, code string) {
	status := http.StatusBadRequest
	if code == "invalid_client" {
		status = http.StatusUnauthorized
	}
	writeJSON(w, status, map[string]string{"error": code, "error_description": "refused by the test provider"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
