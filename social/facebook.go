package social

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"

	"golang.org/x/oauth2"
)

// facebook is Facebook Login, plain OAuth 2.0 with the Graph API's /me as
// its user endpoint.
//
// Its email is not taken: the Graph API gives an address with no word on
// whether its holder confirmed it, and the plain providers' email is taken
// only on the provider's word (as GitHub's). Kept unconfirmed, it would
// let someone whose Facebook account carries another person's address
// make an account under that address before its owner does, and keep
// signing in to it by Facebook after the owner took it over by a reset
// (pre-account takeover). The user adds an address afterwards and
// confirms it as usual.
type facebook struct {
	cfg       ProviderConfig
	endpoints Endpoints
	scopes    []string
	client    *http.Client
}

func newFacebook(c ProviderConfig, pre *preset, client *http.Client) *facebook {
	ep := pre.endpoints
	if c.Endpoints != nil {
		ep = *c.Endpoints
	}
	return &facebook{cfg: c, endpoints: ep, scopes: scopesOf(c, pre, false), client: client}
}

func (f *facebook) oauth(redirectURI string) *oauth2.Config {
	return oauthConfig(f.cfg, oauth2.Endpoint{AuthURL: f.endpoints.Authorization, TokenURL: f.endpoints.Token,
		AuthStyle: oauth2.AuthStyleInParams}, f.scopes, redirectURI)
}

func (f *facebook) authURL(_ context.Context, state, _, verifier, redirectURI string) (string, error) {
	return f.oauth(redirectURI).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)), nil
}

type facebookUser struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// exchange reads /me. The Graph API call carries appsecret_proof (an HMAC
// of the access token under the app secret), which Facebook can require
// so that a stolen access token is useless without the secret.
func (f *facebook) exchange(ctx context.Context, code, verifier, redirectURI, _ string) (*Profile, error) {
	tok, err := exchangeCode(ctx, f.client, f.oauth(redirectURI), code, verifier)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, []byte(f.cfg.ClientSecret))
	mac.Write([]byte(tok.AccessToken))
	q := url.Values{"fields": {"id,name,first_name,last_name"}, "appsecret_proof": {hex.EncodeToString(mac.Sum(nil))}}
	me, err := url.Parse(f.endpoints.UserInfo)
	if err != nil {
		return nil, failed("user endpoint", "bad URL")
	}
	me.RawQuery = q.Encode()
	var u facebookUser
	if err := getJSON(ctx, f.client, tok, me.String(), &u); err != nil {
		return nil, err
	}
	if u.ID == "" {
		return nil, failed("user endpoint", "no user id")
	}
	return &Profile{Subject: u.ID, Name: u.Name, GivenName: u.FirstName, FamilyName: u.LastName}, nil
}

func (f *facebook) verifyIDToken(context.Context, string, string) (*Profile, error) {
	return nil, errNoIDTokens
}
