package social

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"

	"golang.org/x/oauth2"
)

// Plain OAuth 2.0 providers (github, facebook) issue no ID token: after the
// code exchange, the identity comes from their user endpoint, called with
// the access token, which is then dropped. They have no ID tokens for
// loginWithIdToken either.

// maxUserResponse bounds what is read from a user endpoint.
const maxUserResponse = 1 << 20

// getJSON GETs url with the access token and decodes the JSON answer.
func getJSON(ctx context.Context, client *http.Client, tok *oauth2.Token, url string, out any, header ...string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return failed("user endpoint", "bad URL")
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := client.Do(req)
	if err != nil {
		return failed("user endpoint", "%s", redactTransport(err))
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return failed("user endpoint", "answered %s", res.Status)
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxUserResponse)).Decode(out); err != nil {
		return failed("user endpoint", "answered no JSON object")
	}
	return nil
}

var errNoIDTokens = failed("id token", "this provider is plain OAuth 2.0 and issues no ID tokens")

// github is GitHub (or GitHub Enterprise, by its endpoints).
type github struct {
	cfg       ProviderConfig
	endpoints Endpoints
	scopes    []string
	client    *http.Client
}

func newGitHub(c ProviderConfig, pre *preset, client *http.Client) *github {
	ep := pre.endpoints
	if c.Endpoints != nil {
		ep = *c.Endpoints
	}
	return &github{cfg: c, endpoints: ep, scopes: scopesOf(c, pre, false), client: client}
}

func (g *github) oauth(redirectURI string) *oauth2.Config {
	return oauthConfig(g.cfg, oauth2.Endpoint{AuthURL: g.endpoints.Authorization, TokenURL: g.endpoints.Token,
		AuthStyle: oauth2.AuthStyleInParams}, g.scopes, redirectURI)
}

// authURL sends the PKCE challenge, which GitHub checks; a server that
// ignores it is no worse off. GitHub has no nonce.
func (g *github) authURL(_ context.Context, state, _, verifier, redirectURI string) (string, error) {
	return g.oauth(redirectURI).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

// githubUser is GET /user; githubEmail an item of GET /user/emails.
type githubUser struct {
	ID        int64  `json:"id"`
	Login     string `json:"login"`
	Name      string `json:"name"`
	AvatarURL string `json:"avatar_url"`
}

type githubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// exchange reads the user and its addresses. The subject is the numeric
// id (a login can be renamed and reused). The email is the primary one,
// and only when GitHub says it is verified: /user's public email is
// whatever the user typed in their profile.
func (g *github) exchange(ctx context.Context, code, verifier, redirectURI, _ string) (*Profile, error) {
	tok, err := exchangeCode(ctx, g.client, g.oauth(redirectURI), code, verifier)
	if err != nil {
		return nil, err
	}
	api := []string{"Accept", "application/vnd.github+json", "X-GitHub-Api-Version", "2022-11-28"}
	var u githubUser
	if err := getJSON(ctx, g.client, tok, g.endpoints.UserInfo, &u, api...); err != nil {
		return nil, err
	}
	if u.ID <= 0 {
		return nil, failed("user endpoint", "no user id")
	}
	p := &Profile{Subject: strconv.FormatInt(u.ID, 10), Username: u.Login, Name: u.Name, Picture: u.AvatarURL}
	if g.endpoints.Emails == "" {
		return p, nil
	}
	var emails []githubEmail
	if err := getJSON(ctx, g.client, tok, g.endpoints.Emails, &emails, api...); err != nil {
		return p, nil // without user:email consent there is no verified address: sign in without one
	}
	for _, e := range emails {
		if e.Primary && e.Verified {
			p.Email, p.EmailVerified = e.Email, true
		}
	}
	return p, nil
}

func (g *github) verifyIDToken(context.Context, string, string) (*Profile, error) {
	return nil, errNoIDTokens
}
