package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/social/oidctest"
)

// Social sign-in over HTTP (README, "Social sign-in"; docs/SOCIAL.md): the
// actions with a real OpenID Connect provider and a GitHub-shaped one, the
// identities they leave, unlinking, and the users filter by provider.

var olga = oidctest.User{Subject: "olga-sub-1", Email: "olga@acme.example", EmailVerified: true, Name: "Olga Ost",
	GivenName: "Olga", FamilyName: "Ost", PreferredUsername: "olga"}

// SIGN_IN needs a linked identity; SIGN_UP creates the account from the
// provider's claims (username, verified email, name) and links it; a
// second SIGN_UP and a SIGN_IN sign in to the same account. The flow sent
// a PKCE S256 challenge, a nonce and the state to the provider.
func TestSocialSignUpAndSignIn(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	e.acme.SignInAs(olga)

	wantCode(t, e.flow(t, "", "acme", "SIGN_IN"), "IDENTITY_NOT_LINKED", 0)
	if n := userCount(t, e.ts, admin.AccessToken); n != 1 {
		t.Fatalf("after a refused SIGN_IN: %d accounts, want the administrator only", n)
	}
	up := e.mustFlow(t, "", "acme", "SIGN_UP")
	me := e.ts.me(t, up.AccessToken)
	if me.Username != "olga" || userStr(me.Email) != olga.Email || !me.EmailVerified || userStr(me.FullName) != "Olga Ost" {
		t.Errorf("the new account: %+v; want olga, %s verified, Olga Ost", me, olga.Email)
	}
	if got := providersOf(me); got != "acme:olga-sub-1" {
		t.Errorf("identities: %q, want acme:olga-sub-1", got)
	}
	if len(me.Identities) == 1 && userStr(me.Identities[0].Email) != olga.Email {
		t.Errorf("the identity's email: %v, want %s", me.Identities[0].Email, olga.Email)
	}
	for _, action := range []string{"SIGN_UP", "SIGN_IN"} {
		again := e.mustFlow(t, "", "acme", action)
		if again.User.ID != me.ID {
			t.Errorf("%s of a linked identity signed in to %s, want %s", action, again.User.ID, me.ID)
		}
	}
	if n := userCount(t, e.ts, admin.AccessToken); n != 2 {
		t.Errorf("%d accounts, want the administrator and olga", n)
	}
	// The operators see each provider sign-in as they see a password one:
	// a login line with its method, counted in usergraph_signins_total.
	var provided int
	for _, l := range e.ts.lines() {
		if l.msg() == "login.succeeded" && l.attrs["via"] == "provider" && l.attrs["user_id"] == me.ID {
			provided++
		}
	}
	if provided != 3 {
		t.Errorf("%d login.succeeded lines with via=provider for olga, want 3 (the sign-up's, SIGN_UP's and SIGN_IN's)", provided)
	}
	if got := metricValue(t, e.ts, `usergraph_signins_total{outcome="success"}`); got < 3 {
		t.Errorf("usergraph_signins_total{outcome=\"success\"} = %v, want at least olga's 3", got)
	}
	auths := e.acme.Authorizations()
	q := auths[len(auths)-1]
	if q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != 43 || q.Get("nonce") == "" ||
		q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") || q.Get("redirect_uri") != appRedirect {
		t.Errorf("authorization request %v: want S256 PKCE, a nonce, the state, openid and the app's redirect URI", q)
	}
	// Nothing secret reached the log: the client secret, tokens, states.
	for _, secret := range []string{"acme-secret-value", "gh-secret-value", up.AccessToken, up.RefreshToken, q.Get("state"), q.Get("nonce")} {
		if strings.Contains(e.ts.logs.String(), secret) {
			t.Errorf("the log holds a secret (%.8s…)", secret)
		}
	}
}

// LINK adds an identity to the signed-in caller; the account then signs
// in with it. unlinkIdentity refuses to remove the last way to sign in,
// removes any other, and NOT_FOUND for a provider not linked.
func TestSocialLinkAndUnlink(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	e.acme.SignInAs(olga)
	up := e.mustFlow(t, "", "acme", "SIGN_UP")

	const unlink = `mutation($p: String!) { unlinkIdentity(provider: $p) { ` + socialUserFields + ` } }`
	wantCode(t, e.ts.gql(t, up.AccessToken, unlink, vars{"p": "acme"}), "LAST_SIGN_IN_METHOD", 0)
	wantCode(t, e.ts.gql(t, up.AccessToken, unlink, vars{"p": "github"}), "NOT_FOUND", 605)

	e.gh.SignInAs(oidctest.GitHubUser{ID: 4242, Login: "olga-gh", Emails: []oidctest.GitHubEmail{{Email: olga.Email, Primary: true, Verified: true}}})
	linked := e.mustFlow(t, up.AccessToken, "github", "LINK")
	if linked.User.ID != up.User.ID {
		t.Fatalf("LINK signed in %s, want the caller %s", linked.User.ID, up.User.ID)
	}
	if got := providersOf(e.ts.me(t, up.AccessToken)); got != "acme:olga-sub-1 github:4242" {
		t.Errorf("identities after LINK: %q", got)
	}
	if again := e.mustFlow(t, up.AccessToken, "github", "LINK"); again.User.ID != up.User.ID {
		t.Errorf("linking the same account again: signed in %s", again.User.ID)
	}
	if in := e.mustFlow(t, "", "github", "SIGN_IN"); in.User.ID != up.User.ID {
		t.Errorf("SIGN_IN with the linked github account: %s, want %s", in.User.ID, up.User.ID)
	}

	r := e.ts.mustGQL(t, up.AccessToken, unlink, vars{"p": "acme"})
	if got := providersOf(dataField[socialUser](t, r, "unlinkIdentity")); got != "github:4242" {
		t.Errorf("after unlinking acme: %q, want github:4242", got)
	}
	wantCode(t, e.flow(t, "", "acme", "SIGN_IN"), "IDENTITY_NOT_LINKED", 0)
	wantCode(t, e.ts.gql(t, up.AccessToken, unlink, vars{"p": "github"}), "LAST_SIGN_IN_METHOD", 0)

	// With a password, the last identity may go.
	pw := e.ts.signup(t, "pam", testPassword)
	e.acme.SignInAs(oidctest.User{Subject: "pam-sub", Email: "pam@acme.example", EmailVerified: true})
	e.mustFlow(t, pw.AccessToken, "acme", "LINK")
	e.ts.mustGQL(t, pw.AccessToken, unlink, vars{"p": "acme"})
}

// LINK needs a signed-in user, and the provider account must be no one
// else's; a user links one account per provider.
func TestSocialLinkRefused(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	e.acme.SignInAs(olga)
	e.mustFlow(t, "", "acme", "SIGN_UP")
	pam := e.ts.signup(t, "pam", testPassword)

	wantCode(t, e.ts.gql(t, "", oauthStartMutation, vars{"p": "acme", "a": "LINK", "r": appRedirect}), "UNAUTHENTICATED", 606)
	r := e.flow(t, pam.AccessToken, "acme", "LINK") // olga's acme account
	wantCode(t, r, "ALREADY_EXISTS", 602)
	if got := providersOf(e.ts.me(t, pam.AccessToken)); got != "" {
		t.Errorf("pam's identities after the refused LINK: %q", got)
	}
	e.acme.SignInAs(oidctest.User{Subject: "pam-1", Email: "pam1@acme.example"})
	e.mustFlow(t, pam.AccessToken, "acme", "LINK")
	e.acme.SignInAs(oidctest.User{Subject: "pam-2", Email: "pam2@acme.example"})
	wantCode(t, e.flow(t, pam.AccessToken, "acme", "LINK"), "ALREADY_EXISTS", 602)

	// A LINK state completed by someone else (here: anonymously) fails and
	// links nothing: the user who started linking must finish it.
	e.acme.SignInAs(oidctest.User{Subject: "stranger"})
	code, state := e.authorize(t, e.start(t, pam.AccessToken, "acme", "LINK"))
	wantCode(t, e.complete(t, "", code, state, nil), "OAUTH_FAILED", 0)
	if got := providersOf(e.ts.me(t, pam.AccessToken)); got != "acme:pam-1" {
		t.Errorf("pam's identities: %q, want acme:pam-1", got)
	}
}

// SIGN_UP never merges: a provider account whose email has an account
// answers LINK_REQUIRED and creates nothing; signed in, the owner links
// it, and then it signs in.
func TestSocialLinkRequired(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	olgaPW := mustSignup(t, e.ts, vars{"username": "olga-pw", "email": "OLGA@acme.example"})
	e.acme.SignInAs(olga)
	before := userCount(t, e.ts, admin.AccessToken)

	wantCode(t, e.flow(t, "", "acme", "SIGN_UP"), "LINK_REQUIRED", 0)
	if n := userCount(t, e.ts, admin.AccessToken); n != before {
		t.Errorf("LINK_REQUIRED left %d accounts, want %d", n, before)
	}
	wantCode(t, e.flow(t, "", "acme", "SIGN_IN"), "IDENTITY_NOT_LINKED", 0)
	e.mustFlow(t, olgaPW.AccessToken, "acme", "LINK")
	if in := e.mustFlow(t, "", "acme", "SIGN_IN"); in.User.ID != olgaPW.User.ID {
		t.Errorf("SIGN_IN after LINK: %s, want %s", in.User.ID, olgaPW.User.ID)
	}
}

// GitHub: the subject is the numeric id, the email the primary verified
// one from /user/emails (never /user's public one), the username the
// login, or one made from it when the login is taken.
func TestSocialGitHub(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	e.ts.signup(t, "octo", testPassword) // takes the login

	e.gh.SignInAs(oidctest.GitHubUser{ID: 7, Login: "octo", Name: "Octo Cat", Emails: []oidctest.GitHubEmail{
		{Email: "old@example.com", Primary: false, Verified: true}, {Email: "octo@example.org", Primary: true, Verified: true}}})
	octo := e.ts.me(t, e.mustFlow(t, "", "github", "SIGN_UP").AccessToken)
	if !strings.HasPrefix(octo.Username, "octo") || octo.Username == "octo" || userStr(octo.Email) != "octo@example.org" || !octo.EmailVerified {
		t.Errorf("GitHub account: %+v; want a username made from octo, octo@example.org verified", octo)
	}
	if got := providersOf(octo); got != "github:7" {
		t.Errorf("identities %q, want github:7", got)
	}

	for _, u := range []oidctest.GitHubUser{
		{ID: 8, Login: "unverified", Emails: []oidctest.GitHubEmail{{Email: "u@example.org", Primary: true, Verified: false}}},
		{ID: 9, Login: "noscope", NoEmailScope: true},
	} {
		e.gh.SignInAs(u)
		me := e.ts.me(t, e.mustFlow(t, "", "github", "SIGN_UP").AccessToken)
		if me.Email != nil || me.EmailVerified || me.Username != u.Login {
			t.Errorf("GitHub account %s: email %v verified %v username %q; want no email, username %s",
				u.Login, me.Email, me.EmailVerified, me.Username, u.Login)
		}
	}
}

// An administrator finds users by the providers they sign in with.
func TestSocialUsersByProvider(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	admin := e.ts.admin(t)
	e.acme.SignInAs(olga)
	e.mustFlow(t, "", "acme", "SIGN_UP")
	e.gh.SignInAs(oidctest.GitHubUser{ID: 1, Login: "gina"})
	gina := e.mustFlow(t, "", "github", "SIGN_UP")
	e.acme.SignInAs(oidctest.User{Subject: "gina-acme"})
	e.mustFlow(t, gina.AccessToken, "acme", "LINK")

	names := func(filter string) []string {
		r := e.ts.mustGQL(t, admin.AccessToken, `{ users(filter: `+filter+`) { nodes { username identities { provider } } } }`, nil)
		var out []string
		for _, n := range dataField[struct {
			Nodes []socialUser `json:"nodes"`
		}](t, r, "users").Nodes {
			out = append(out, n.Username)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		filter string
		want   []string
	}{
		{`{providers: {any: ["acme"]}}`, []string{"gina", "olga"}},
		{`{providers: {any: ["github"]}}`, []string{"gina"}},
		{`{providers: {all: ["acme", "github"]}}`, []string{"gina"}},
		{`{not: {providers: {any: ["acme", "github"]}}}`, []string{"root"}},
	} {
		if got := names(c.filter); !slices.Equal(got, c.want) {
			t.Errorf("users(filter: %s) = %v, want %v", c.filter, got, c.want)
		}
	}
	// Another user sees none of olga's identities.
	r := e.ts.mustGQL(t, gina.AccessToken, `query($u: String!) { userByUsername(username: $u) { identities { provider } } }`, vars{"u": "olga"})
	if got := dataField[socialUser](t, r, "userByUsername"); len(got.Identities) != 0 {
		t.Errorf("another user sees olga's identities: %+v", got.Identities)
	}
}

// An account made by a provider has no password; right after signing in
// it deletes itself without one, and the provider account can sign up
// anew.
func TestSocialAccountDeletesItself(t *testing.T) {
	t.Parallel()
	e := startSocial(t)
	e.acme.SignInAs(olga)
	up := e.mustFlow(t, "", "acme", "SIGN_UP")
	e.ts.mustGQL(t, up.AccessToken, `mutation { deleteAccount(password: "") }`, nil)
	wantCode(t, e.flow(t, "", "acme", "SIGN_IN"), "IDENTITY_NOT_LINKED", 0)
	if again := e.mustFlow(t, "", "acme", "SIGN_UP"); again.User.ID == up.User.ID {
		t.Errorf("the new sign-up reached the deleted account %s", up.User.ID)
	}
}
