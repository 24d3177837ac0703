package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/social/oidctest"
)

// What a security reviewer tries (docs/SOCIAL.md, "Safety"): a tampered,
// replayed, expired or foreign state, a code used twice, a nonce that does
// not match, an ID token for another client or signed by an unknown key,
// the provider's error page. Each answers OAUTH_FAILED and creates
// nothing.

// wantNothingCreated fails unless the server still has want accounts and
// the provider account signs in to none.
func wantNothingCreated(t *testing.T, e *socialEnv, adminToken string, want int) {
	t.Helper()
	if n := userCount(t, e.ts, adminToken); n != want {
		t.Errorf("%d accounts, want %d: a refused sign-in created one", n, want)
	}
}

// wantNoSecretLogged fails if the server's log holds any of secrets:
// what the refusals logged says what went wrong, never with what.
func wantNoSecretLogged(t *testing.T, e *socialEnv, secrets ...string) {
	t.Helper()
	logs := e.ts.logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("the log holds a secret (%.8s…)", s)
		}
	}
}

func TestSocialStateAndCodeRefused(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	e.acme.SignInAs(olga)

	// Tampered: one character of the state changed.
	code, state := e.authorize(t, e.start(t, "", "acme", "SIGN_UP"))
	last := "A"
	if state[len(state)-1] == 'A' {
		last = "B"
	}
	tampered := state[:len(state)-1] + last
	wantCode(t, e.complete(t, "", code, tampered, nil), "OAUTH_FAILED", 0)
	wantCode(t, e.complete(t, "", code, "", nil), "OAUTH_FAILED", 0)
	wantNothingCreated(t, e, admin.AccessToken, 1)

	// Replayed: a state works once, whatever the first use did.
	code, state = e.authorize(t, e.start(t, "", "acme", "SIGN_IN"))
	wantCode(t, e.complete(t, "", code, state, nil), "IDENTITY_NOT_LINKED", 0)
	wantCode(t, e.complete(t, "", code, state, nil), "OAUTH_FAILED", 0)

	// A code used twice: the provider refuses it the second time (with
	// another flow's state, whose verifier is not the code's either way).
	code, state = e.authorize(t, e.start(t, "", "acme", "SIGN_UP"))
	e.ts.mustGQL(t, "", oauthCompleteMutation, vars{"code": code, "state": state})
	_, other := e.authorize(t, e.start(t, "", "acme", "SIGN_IN"))
	wantCode(t, e.complete(t, "", code, other, nil), "OAUTH_FAILED", 0)
	wantNothingCreated(t, e, admin.AccessToken, 2) // the one sign-up

	// A state made for /oauth/callback does not complete through the API.
	r := e.ts.mustGQL(t, "", oauthStartMutation, vars{"p": "acme", "a": "SIGN_IN"})
	s := dataField[started](t, r, "oauthStart")
	wantCode(t, e.complete(t, "", "any-code", s.State, nil), "OAUTH_FAILED", 0)

	// Bad arguments.
	wantCode(t, e.ts.gql(t, "", oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP", "r": appRedirect + "/more"}), "BAD_USER_INPUT", 0)
	wantCode(t, e.ts.gql(t, "", oauthStartMutation, vars{"p": "nope", "a": "SIGN_UP", "r": appRedirect}), "BAD_USER_INPUT", 0)
}

// A state expires (StateTTL, here a second).
func TestSocialStateExpires(t *testing.T) {
	t.Parallel()
	e := startSocial(t, withConfig(func(c *app.Config) { c.Social.StateTTL = time.Second }))
	admin := e.ts.admin(t)
	e.acme.SignInAs(olga)
	code, state := e.authorize(t, e.start(t, "", "acme", "SIGN_UP"))
	time.Sleep(1100 * time.Millisecond) // past the TTL whatever the flow took
	wantCode(t, e.complete(t, "", code, state, nil), "OAUTH_FAILED", 0)
	wantNothingCreated(t, e, admin.AccessToken, 1)
}

// The provider's answers that must not be believed: an ID token with
// another nonce, for another client, signed by a key the JWKS does not
// publish, expired; and its error page.
func TestSocialProviderAnswersRefused(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	e.acme.SignInAs(olga)
	var secrets []string
	for name, k := range map[string]oidctest.Knobs{
		"nonce mismatch":   {WrongNonce: true},
		"another audience": {Audience: "someone-else"},
		"unknown key":      {UnknownKey: true},
		"expired":          {Expired: true},
		"error page":       {Deny: true},
	} {
		e.acme.Set(k)
		s := e.start(t, "", "acme", "SIGN_UP")
		code, state := e.authorize(t, s)
		if k.Deny && code != "" {
			t.Fatalf("%s: the provider sent a code", name)
		}
		secrets = append(secrets, code, state)
		r := e.complete(t, "", code, state, nil)
		if r.code() != "OAUTH_FAILED" {
			t.Errorf("%s: got %q, want OAUTH_FAILED (%+v)", name, r.code(), r.Errors)
		}
	}
	e.acme.Set(oidctest.Knobs{})
	wantNothingCreated(t, e, admin.AccessToken, 1)
	wantNoSecretLogged(t, e, append(secrets, "acme-secret-value")...)
	e.mustFlow(t, "", "acme", "SIGN_UP") // the provider fixed, all works
}

// Tokens from the provider's SDK: the audience may be the web client or
// one of the file's audiences, never another; the nonce is checked when
// given; a null action is SIGN_IN; plain OAuth 2.0 providers have none.
func TestSocialLoginWithIDToken(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	login := func(provider, tok string, nonce, action any) *gqlResponse {
		return e.ts.gql(t, "", idTokenMutation, vars{"p": provider, "tok": tok, "n": nonce, "a": action})
	}
	wantCode(t, login("acme", e.acme.IDToken(olga, ""), nil, nil), "IDENTITY_NOT_LINKED", 0)
	up := dataField[auth](t, e.ts.mustGQL(t, "", idTokenMutation, vars{"p": "acme", "tok": e.acme.IDToken(olga, "n-1"), "n": "n-1", "a": "SIGN_UP"}), "loginWithIdToken")
	if me := e.ts.me(t, up.AccessToken); providersOf(me) != "acme:olga-sub-1" || !me.EmailVerified {
		t.Errorf("account from an ID token: %+v", me)
	}

	e.acme.Set(oidctest.Knobs{Audience: "acme-mobile"}) // the mobile app's own client id
	mobile := e.acme.IDToken(olga, "")
	if r := login("acme", mobile, nil, nil); r.code() != "" || dataField[auth](t, r, "loginWithIdToken").User.ID != up.User.ID {
		t.Errorf("SIGN_IN with a token for acme-mobile: %+v", r.Errors)
	}

	var refused []string // ID tokens
	for name, c := range map[string]struct {
		knobs        oidctest.Knobs
		nonce, given any
	}{
		"another audience": {knobs: oidctest.Knobs{Audience: "evil-app"}},
		"unknown key":      {knobs: oidctest.Knobs{UnknownKey: true}},
		"expired":          {knobs: oidctest.Knobs{Expired: true}},
		"nonce mismatch":   {nonce: "n-2", given: "n-3"},
		"nonce missing":    {given: "n-4"},
	} {
		e.acme.Set(c.knobs)
		nonce, _ := c.nonce.(string)
		tok := e.acme.IDToken(olga, nonce)
		refused = append(refused, tok)
		if r := login("acme", tok, c.given, "SIGN_UP"); r.code() != "OAUTH_FAILED" {
			t.Errorf("%s: got %q, want OAUTH_FAILED", name, r.code())
		}
	}
	e.acme.Set(oidctest.Knobs{})
	wantNoSecretLogged(t, e, append(refused, up.AccessToken, mobile)...)
	wantCode(t, login("acme", "not.a.token", nil, nil), "OAUTH_FAILED", 0)
	wantCode(t, login("github", e.acme.IDToken(olga, ""), nil, nil), "OAUTH_FAILED", 0)
	wantCode(t, login("nope", e.acme.IDToken(olga, ""), nil, nil), "BAD_USER_INPUT", 0)
	wantNothingCreated(t, e, admin.AccessToken, 2)
}

// One provider's outage fails its sign-ins only, and heals: the
// discovery document is read again once it answers.
func TestSocialDiscoveryOutage(t *testing.T) {
	t.Parallel()
	acme := oidctest.NewProvider(t, "acme-web", "acme-secret-value")
	acme.Set(oidctest.Knobs{Down: true})
	gh := oidctest.NewGitHub(t, "gh-client", "gh-secret-value")
	file := writeProviders(t, map[string]any{"providers": []map[string]any{
		{"name": "acme", "issuer": acme.URL, "clientId": "acme-web", "clientSecret": "acme-secret-value"},
		{"name": "github", "clientId": "gh-client", "clientSecret": "gh-secret-value", "endpoints": gh.Endpoints()},
	}})
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.Social.ConfigFile, c.Social.RedirectURLs, c.Social.DiscoveryRetry = file, []string{appRedirect}, 50*time.Millisecond
	}))
	e := &socialEnv{ts: ts, acme: acme, gh: gh}
	wantCode(t, ts.gql(t, "", oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP", "r": appRedirect}), "OAUTH_FAILED", 0)
	e.gh.SignInAs(oidctest.GitHubUser{ID: 5, Login: "gus"})
	e.mustFlow(t, "", "github", "SIGN_UP")

	acme.Set(oidctest.Knobs{})
	acme.SignInAs(olga)
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := ts.gql(t, "", oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP", "r": appRedirect})
		if r.code() == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("acme still refused after it came back: %+v", r.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.mustFlow(t, "", "acme", "SIGN_UP")
}

// A malformed providers file stops the start with a message naming the
// setting and what is wrong: an unknown field, or a provider's field.
func TestSocialBadProvidersFile(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		provider map[string]any
		want     []string
	}{
		{map[string]any{"name": "acme", "issuer": "https://idp.example", "client_id": "typo"}, []string{"oauth-config", "client_id"}},
		{map[string]any{"name": "acme", "issuer": "https://idp.example"}, []string{"oauth-config", `"acme"`, "clientId"}},
		{map[string]any{"name": "acme", "issuer": "http://idp.example", "clientId": "x"}, []string{"oauth-config", `"acme"`, "issuer", "https"}},
		{map[string]any{"name": "github", "clientId": "x"}, []string{"oauth-config", `"github"`, "clientSecret"}},
	} {
		cfg := testConfig(t, t.TempDir()+"/usergraph.db")
		cfg.Social.ConfigFile = writeProviders(t, map[string]any{"providers": []map[string]any{c.provider}})
		_, err := launch(t, cfg)
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("start with provider %v: %v; want it refused, naming %q", c.provider, err, c.want)
				break
			}
		}
	}
}

// Social sign-ins are limited per client IP.
func TestSocialRateLimit(t *testing.T) {
	t.Parallel()
	e := startSocial(t, withConfig(func(c *app.Config) { c.Limits.OAuthPerIP = rule("2/1h") }))
	e.start(t, "", "acme", "SIGN_UP")
	wantCode(t, e.ts.gql(t, "", idTokenMutation, vars{"p": "github", "tok": "x"}), "OAUTH_FAILED", 0) // counts too
	wantCode(t, e.ts.gql(t, "", oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP", "r": appRedirect}), "RATE_LIMITED", 0)
}
