package social_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/social"
	"github.com/usergraph/usergraph/social/oidctest"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// Social sign-in's rules against a real SQLite store, with the services
// wired as the server wires them and the providers as real HTTP servers
// (social/oidctest, and a Facebook-shaped one below). The end-to-end
// suite drives the flows over HTTP (e2e/auth_social_*_test.go); these
// tests take what is easier to reach from here: races, the providers
// the e2e servers do not configure, and the userinfo fallback.

// redirectURI is the app's redirect URI, the only one allowed; nothing
// listens there.
const redirectURI = "https://app.example/done"

type env struct {
	ctx    context.Context
	db     *sqlite.DB
	social *social.Service
}

// newEnv wires social sign-in for providers on a fresh database.
func newEnv(t *testing.T, providers ...social.ProviderConfig) *env {
	t.Helper()
	return newEnvOn(t, func(db *sqlite.DB) store.SocialStore { return db }, providers...)
}

// newEnvOn is newEnv with social sign-in's store as wrap makes it of the
// database.
func newEnvOn(t *testing.T, wrap func(*sqlite.DB) store.SocialStore, providers ...social.ProviderConfig) *env {
	t.Helper()
	ctx := session.WithClient(t.Context(), session.Client{IP: "192.0.2.1"})
	c := servicetest.New(t, ctx, servicetest.Options{})
	db, sessions, roles, log := c.DB, c.Sessions, c.Roles, c.Log
	devs := devices.New(devices.Deps{Store: db, Sessions: sessions, Access: roles, Log: log}, devices.Config{})
	cookies, err := lockout.LoadDevices(ctx, db, ratelimit.Rule{Burst: 100, Per: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	accounts := account.New(account.Deps{Store: db, Devices: cookies, Hasher: password.NewHasher(password.Params{Memory: 64, Iterations: 1,
		Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1), Sessions: sessions, Access: roles, DeviceTokens: devs, Log: log},
		account.Config{SignupStatus: store.StatusActive})
	s := social.New(social.Deps{Store: wrap(db), Accounts: accounts, Devices: devs, Log: log},
		social.Config{Providers: providers, RedirectURLs: []string{redirectURI}})
	return &env{ctx: ctx, db: db, social: s}
}

// flow runs a redirect flow: oauthStart, the browser at the provider
// (redirects followed up to the app's redirect URI), oauthComplete.
func (e *env) flow(t *testing.T, provider string, action store.OAuthAction) (*session.Tokens, error) {
	t.Helper()
	started, err := e.social.Start(e.ctx, nil, provider, action, redirectURI, "")
	if err != nil {
		t.Fatalf("Start(%s): %v", provider, err)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	at := started.URL
	for range 5 {
		res, err := browser.Get(at)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		loc, err := res.Request.URL.Parse(res.Header.Get("Location"))
		if err != nil || res.Header.Get("Location") == "" {
			t.Fatalf("GET %s: %d, no redirect", at, res.StatusCode)
		}
		if loc.Host == "app.example" {
			return e.social.Complete(e.ctx, loc.Query().Get("code"), loc.Query().Get("state"), "")
		}
		at = loc.String()
	}
	t.Fatalf("the provider never sent the browser back to %s", redirectURI)
	return nil, nil
}

// user reads the account of a session.
func (e *env) user(t *testing.T, tok *session.Tokens) *store.User {
	t.Helper()
	u, err := e.db.GetUser(e.ctx, tok.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) users(t *testing.T) int {
	t.Helper()
	n, err := e.db.CountUsers(e.ctx, &store.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// linkBarrier is the real store, whose CreateIdentity waits until n
// callers have reached it: every sign-up has made its account before any
// links its identity, the race at its widest, every time.
type linkBarrier struct {
	*sqlite.DB
	arrived chan struct{}
	release chan struct{}
}

func (b *linkBarrier) CreateIdentity(ctx context.Context, id *store.Identity) error {
	b.arrived <- struct{}{}
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	return b.DB.CreateIdentity(ctx, id)
}

// Sign-ups of one identity at once (two tabs, a retried request) end in
// one account, every one of them signed in to it: the losers of the
// identity's uniqueness remove the account they made and sign in.
func TestConcurrentSignUpsOfOneIdentity(t *testing.T) {
	const n = 4
	acme := oidctest.NewProvider(t, "acme-web", "s3cret")
	barrier := &linkBarrier{arrived: make(chan struct{}, n), release: make(chan struct{})}
	e := newEnvOn(t, func(db *sqlite.DB) store.SocialStore { barrier.DB = db; return barrier },
		social.ProviderConfig{Name: "acme", Issuer: acme.URL, ClientID: "acme-web", ClientSecret: "s3cret"})
	who := oidctest.User{Subject: "sam-1", PreferredUsername: "sam"} // no email: nothing but the identity decides
	idToken := acme.IDToken(who, "")
	go func() {
		defer close(barrier.release)
		for range n {
			select {
			case <-barrier.arrived:
			case <-time.After(10 * time.Second): // a sign-up that never links fails below, not by a hang
				return
			}
		}
	}()

	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tok, err := e.social.LoginWithIDToken(e.ctx, nil, "acme", idToken, "", store.OAuthSignUp, "")
			if errs[i] = err; err == nil {
				ids[i] = tok.User.ID
			}
		})
	}
	wg.Wait()
	if got := e.users(t); got != 1 {
		t.Errorf("%d accounts after %d sign-ups of one identity, want 1", got, n)
	}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("sign-up %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Errorf("sign-up %d signed in %s, sign-up 0 %s", i, ids[i], ids[0])
		}
	}
}

// A provider that puts the email in userinfo only: the account gets it
// from there, verified as userinfo says.
func TestEmailFromUserInfo(t *testing.T) {
	acme := oidctest.NewProvider(t, "acme-web", "s3cret")
	acme.Set(oidctest.Knobs{EmailInUserInfoOnly: true})
	acme.SignInAs(oidctest.User{Subject: "ida-1", Email: "ida@acme.example", EmailVerified: true})
	e := newEnv(t, social.ProviderConfig{Name: "acme", Issuer: acme.URL, ClientID: "acme-web", ClientSecret: "s3cret"})

	tok, err := e.flow(t, "acme", store.OAuthSignUp)
	if err != nil {
		t.Fatal(err)
	}
	if u := e.user(t, tok); u.Email != "ida@acme.example" || !u.EmailVerified {
		t.Errorf("account: email %q verified %v; want ida@acme.example, verified (from userinfo)", u.Email, u.EmailVerified)
	}
}

// Microsoft's multi-tenant discovery names the issuer as a template with
// {tenantid}: a token of any tenant is accepted with its tid filled in.
func TestMicrosoftTenantIssuer(t *testing.T) {
	ms := oidctest.NewProvider(t, "ms-app", "s3cret")
	ms.Set(oidctest.Knobs{TenantTemplate: true, Tenant: "9188040d-6c67-4c5b-b112-36a304b66dad"})
	e := newEnv(t, social.ProviderConfig{Name: "microsoft", Issuer: ms.URL, ClientID: "ms-app", ClientSecret: "s3cret"})

	tok, err := e.social.LoginWithIDToken(e.ctx, nil, "microsoft", ms.IDToken(oidctest.User{Subject: "mo-1"}, ""), "", store.OAuthSignUp, "")
	if err != nil {
		t.Fatalf("a token of a tenant: %v", err)
	}
	ms.SignInAs(oidctest.User{Subject: "mo-1"})
	if again, err := e.flow(t, "microsoft", store.OAuthSignIn); err != nil || again.User.ID != tok.User.ID {
		t.Errorf("SIGN_IN by the redirect flow: %v, user %v; want %s", err, again, tok.User.ID)
	}
}

// Facebook: the Graph API call carries appsecret_proof, and the email it
// may give is not taken: Facebook never says it is verified.
func TestFacebook(t *testing.T) {
	fb := newFacebook(t, "fb-app", "fb-secret")
	e := newEnv(t, social.ProviderConfig{Name: "facebook", ClientID: "fb-app", ClientSecret: "fb-secret", Endpoints: &social.Endpoints{
		Authorization: fb.URL + "/dialog/oauth", Token: fb.URL + "/oauth/access_token", UserInfo: fb.URL + "/me"}})

	tok, err := e.flow(t, "facebook", store.OAuthSignUp)
	if err != nil {
		t.Fatal(err)
	}
	u := e.user(t, tok)
	if u.Email != "" || u.EmailVerified || u.FirstName != "Fay" || u.LastName != "Book" {
		t.Errorf("account: email %q verified %v, %q %q; want no email, Fay Book", u.Email, u.EmailVerified, u.FirstName, u.LastName)
	}
	ids, err := e.db.ListIdentities(e.ctx, []string{u.ID})
	if err != nil || len(ids) != 1 || ids[0].Subject != "10155" {
		t.Errorf("identities %+v (%v), want facebook 10155", ids, err)
	}
	_, err = e.social.LoginWithIDToken(e.ctx, nil, "facebook", "a.b.c", "", store.OAuthSignIn, "")
	if apperr.CodeOf(err) != apperr.OAuthFailed {
		t.Errorf("loginWithIdToken with facebook: %v, want OAUTH_FAILED (no ID tokens)", err)
	}
}

// newFacebook is a Facebook-shaped provider: the dialog redirects back
// with a code, the token endpoint redeems it, /me answers only with the
// access token and its appsecret_proof.
func newFacebook(t *testing.T, clientID, secret string) *httptest.Server {
	t.Helper()
	const code, accessToken = "fb-code", "fb-access-token"
	mux := http.NewServeMux()
	mux.HandleFunc("GET /dialog/oauth", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		back, err := url.Parse(q.Get("redirect_uri"))
		if err != nil || q.Get("client_id") != clientID {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		back.RawQuery = url.Values{"code": {code}, "state": {q.Get("state")}}.Encode()
		http.Redirect(w, r, back.String(), http.StatusFound)
	})
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		if r.PostFormValue("code") != code || r.PostFormValue("client_secret") != secret {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": accessToken, "token_type": "bearer", "expires_in": 3600})
	})
	mux.HandleFunc("GET /me", func(w http.ResponseWriter, r *http.Request) {
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(accessToken))
		if r.Header.Get("Authorization") != "Bearer "+accessToken || r.URL.Query().Get("appsecret_proof") != hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "no proof", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"id": "10155", "name": "Fay Book", "first_name": "Fay", "last_name": "Book",
			"email": "fay@example.com"})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}
