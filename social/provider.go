package social

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// provider is one configured provider, as the flows use it: where to send
// the browser, and who signed in, from a code or from an ID token.
type provider interface {
	// authURL is the provider's authorization page for one flow: the state,
	// the PKCE challenge of verifier (S256), the nonce (OpenID Connect)
	// and the redirect URI.
	authURL(ctx context.Context, state, nonce, verifier, redirectURI string) (string, error)
	// exchange redeems a code at the token endpoint with the verifier and
	// returns who signed in; an ID token must carry nonce.
	exchange(ctx context.Context, code, verifier, redirectURI, nonce string) (*Profile, error)
	// verifyIDToken checks an ID token an app got from the provider's own
	// SDK (signature, issuer, audience, expiry, and nonce when one is
	// given) and returns who it names.
	verifyIDToken(ctx context.Context, raw, nonce string) (*Profile, error)
}

// Profile is what a provider says about the person who signed in.
type Profile struct {
	// Subject is the provider's stable id of the account.
	Subject string
	Email   string
	// EmailVerified: the provider vouches that the address is the
	// person's; only then does the account's email count as verified.
	EmailVerified bool
	Username      string // a login or preferred_username, if any
	Name          string
	GivenName     string
	FamilyName    string
	Picture       string
}

// failure is why a provider step failed, for the log: never a secret
// (tokens, codes, client secrets), only what went wrong.
type failure struct {
	step   string
	reason string
}

func (f *failure) Error() string { return f.step + ": " + f.reason }

func failed(step, format string, args ...any) error {
	return &failure{step: step, reason: fmt.Sprintf(format, args...)}
}

// errUnavailable: an OpenID Connect provider's discovery document could
// not be read yet (oidc.go tries again later).
var errUnavailable = errors.New("the provider's discovery document is not available yet")

// oauthConfig is the x/oauth2 client of a provider for one redirect URI.
func oauthConfig(p ProviderConfig, ep oauth2.Endpoint, scopes []string, redirectURI string) *oauth2.Config {
	return &oauth2.Config{ClientID: p.ClientID, ClientSecret: p.ClientSecret, Endpoint: ep,
		RedirectURL: redirectURI, Scopes: scopes}
}

// exchangeCode redeems code with the PKCE verifier. A refusal (a code
// used twice, a wrong verifier or secret) is told by the provider's error
// code only: its description may quote what was sent.
func exchangeCode(ctx context.Context, client *http.Client, c *oauth2.Config, code, verifier string) (*oauth2.Token, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, client)
	tok, err := c.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			reason := re.ErrorCode
			if reason == "" && re.Response != nil {
				reason = re.Response.Status
			}
			return nil, failed("token", "the provider refused the code (%s)", reason)
		}
		return nil, failed("token", "%s", redactTransport(err))
	}
	return tok, nil
}

// redactTransport describes a transport failure without its URL, which
// for a token request carries nothing secret but for others might.
func redactTransport(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// newProviders builds the configured providers.
func newProviders(cfgs []ProviderConfig, client *http.Client, log *slog.Logger) map[string]provider {
	out := make(map[string]provider, len(cfgs))
	for _, c := range cfgs {
		pre := c.preset()
		switch {
		case pre != nil && pre.name == "github":
			out[c.Name] = newGitHub(c, pre, client)
		case pre != nil && pre.name == "facebook":
			out[c.Name] = newFacebook(c, pre, client)
		default:
			out[c.Name] = newOIDC(c, pre, client, log)
		}
	}
	return out
}
