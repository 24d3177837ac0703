package social

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// An OpenID Connect provider (any, by issuer; the google and microsoft
// presets). Its endpoints and keys come from its discovery document,
// read at start and, while that fails, again at the first sign-in after
// retryAfter: one provider's outage only fails the sign-ins with it
// (OAUTH_FAILED), and it heals by itself. go-oidc verifies ID tokens
// against the provider's JWKS (fetched again when a token names a key it
// does not know, so key rotation needs nothing) and checks the issuer,
// the expiry and the signing algorithm; the audience, the authorized
// party and the nonce are checked here, against the client id and the
// file's audiences.
type oidcProvider struct {
	name       string
	issuer     string
	cfg        ProviderConfig
	scopes     []string
	accepted   []string // the client id and the audiences
	client     *http.Client
	log        *slog.Logger
	retryAfter time.Duration
	// trustDocumentIssuer: the issuer is the one the discovery document
	// names, a template where it holds {tenantid} (microsoft).
	trustDocumentIssuer bool

	mu      sync.Mutex
	ready   *discovered // nil until the document was read
	lastTry time.Time
}

// discovered is what the discovery document told.
type discovered struct {
	provider *oidc.Provider
	endpoint oauth2.Endpoint
	verifier *oidc.IDTokenVerifier
	issuer   string // the document's
}

func newOIDC(c ProviderConfig, pre *preset, client *http.Client, log *slog.Logger) *oidcProvider {
	p := &oidcProvider{name: c.Name, issuer: c.Issuer, cfg: c, scopes: scopesOf(c, pre, true),
		accepted: append([]string{c.ClientID}, c.Audiences...), client: client, log: log,
		retryAfter: DefaultDiscoveryRetry}
	if pre != nil {
		if p.issuer == "" {
			p.issuer = pre.issuer(c.Tenant)
		}
		p.trustDocumentIssuer = pre.name == "microsoft"
	}
	return p
}

// DefaultDiscoveryRetry is how long after a failed read of a discovery
// document the next sign-in with that provider tries again.
const DefaultDiscoveryRetry = time.Minute

// discoveryTimeout bounds one read of a discovery document.
const discoveryTimeout = 10 * time.Second

// discover returns what the discovery document told, reading it if it was
// not read yet and the last try is retryAfter ago.
func (p *oidcProvider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ready != nil {
		return p.ready, nil
	}
	if !p.lastTry.IsZero() && time.Since(p.lastTry) < p.retryAfter {
		return nil, errUnavailable
	}
	p.lastTry = time.Now()
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, p.client), discoveryTimeout)
	defer cancel()
	if p.trustDocumentIssuer {
		ctx = oidc.InsecureIssuerURLContext(ctx, p.issuer) // checked per token (checkIssuer)
	}
	dp, err := oidc.NewProvider(ctx, p.issuer)
	if err != nil {
		p.log.Warn("social: the provider's discovery document could not be read; its sign-ins answer OAUTH_FAILED until it can",
			"provider", p.name, "issuer", p.issuer, "retry_after", p.retryAfter, "err", err)
		return nil, errUnavailable
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	if err := dp.Claims(&doc); err != nil {
		return nil, failed("discovery", "%v", err)
	}
	keys := oidc.ClientContext(context.Background(), p.client) // the key set outlives this request
	p.ready = &discovered{provider: dp, endpoint: dp.Endpoint(), issuer: doc.Issuer,
		verifier: dp.VerifierContext(keys, &oidc.Config{SkipClientIDCheck: true, SkipIssuerCheck: p.trustDocumentIssuer})}
	p.log.Info("social: provider ready", "provider", p.name, "issuer", doc.Issuer)
	return p.ready, nil
}

func (p *oidcProvider) authURL(ctx context.Context, state, nonce, verifier, redirectURI string) (string, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return "", err
	}
	c := oauthConfig(p.cfg, d.endpoint, p.scopes, redirectURI)
	return c.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce)), nil
}

func (p *oidcProvider) exchange(ctx context.Context, code, verifier, redirectURI, nonce string) (*Profile, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	tok, err := exchangeCode(ctx, p.client, oauthConfig(p.cfg, d.endpoint, p.scopes, redirectURI), code, verifier)
	if err != nil {
		return nil, err
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, failed("token", "the provider sent no ID token")
	}
	prof, err := p.verify(ctx, d, raw, nonce)
	if err != nil {
		return nil, err
	}
	if prof.Email == "" && d.provider.UserInfoEndpoint() != "" {
		p.fillFromUserInfo(ctx, d, tok, prof)
	}
	return prof, nil
}

// fillFromUserInfo takes the email from the userinfo endpoint when the ID
// token had none (some providers put it there only), if the endpoint
// answers for the same subject. The access token is used for this and
// dropped: usergraph keeps no provider tokens.
func (p *oidcProvider) fillFromUserInfo(ctx context.Context, d *discovered, tok *oauth2.Token, prof *Profile) {
	info, err := d.provider.UserInfo(oidc.ClientContext(ctx, p.client), oauth2.StaticTokenSource(tok))
	if err != nil {
		p.log.Warn("social: the userinfo endpoint did not answer; signing in without an email", "provider", p.name, "err", redactTransport(err))
		return
	}
	if info.Subject != prof.Subject {
		p.log.Warn("social: the userinfo endpoint named another subject; its email is ignored", "provider", p.name)
		return
	}
	prof.Email, prof.EmailVerified = info.Email, info.EmailVerified
}

func (p *oidcProvider) verifyIDToken(ctx context.Context, raw, nonce string) (*Profile, error) {
	d, err := p.discover(ctx)
	if err != nil {
		return nil, err
	}
	return p.verify(ctx, d, raw, nonce)
}

// idClaims are the claims read from an ID token.
type idClaims struct {
	Email             string   `json:"email"`
	EmailVerified     flexBool `json:"email_verified"`
	Name              string   `json:"name"`
	GivenName         string   `json:"given_name"`
	FamilyName        string   `json:"family_name"`
	Picture           string   `json:"picture"`
	PreferredUsername string   `json:"preferred_username"`
	AuthorizedParty   string   `json:"azp"`
	TenantID          string   `json:"tid"` // microsoft
}

// verify checks an ID token and reads who it names. nonce "" is not
// checked (loginWithIdToken without one); the redirect flow always has one.
func (p *oidcProvider) verify(ctx context.Context, d *discovered, raw, nonce string) (*Profile, error) {
	tok, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, failed("id token", "%v", err)
	}
	var c idClaims
	if err := tok.Claims(&c); err != nil {
		return nil, failed("id token", "unreadable claims")
	}
	switch {
	case !slices.ContainsFunc(tok.Audience, p.accepts):
		return nil, failed("id token", "issued to another client (aud %q)", tok.Audience)
	case c.AuthorizedParty != "" && !p.accepts(c.AuthorizedParty):
		return nil, failed("id token", "issued to another client (azp %q)", c.AuthorizedParty)
	case nonce != "" && subtle.ConstantTimeCompare([]byte(tok.Nonce), []byte(nonce)) != 1:
		return nil, failed("id token", "the nonce does not match")
	case tok.Subject == "":
		return nil, failed("id token", "no subject")
	}
	if p.trustDocumentIssuer {
		if err := checkIssuer(d.issuer, tok.Issuer, c.TenantID); err != nil {
			return nil, err
		}
	}
	return &Profile{Subject: tok.Subject, Email: c.Email, EmailVerified: bool(c.EmailVerified), Username: c.PreferredUsername,
		Name: c.Name, GivenName: c.GivenName, FamilyName: c.FamilyName, Picture: c.Picture}, nil
}

func (p *oidcProvider) accepts(clientID string) bool { return slices.Contains(p.accepted, clientID) }

// checkIssuer compares a token's iss with the discovery document's issuer,
// which may be a template with {tenantid} for the token's tid claim.
func checkIssuer(document, iss, tenant string) error {
	want := document
	if strings.Contains(document, "{tenantid}") {
		if tenant == "" {
			return failed("id token", "no tenant (tid) for the issuer template")
		}
		want = strings.ReplaceAll(document, "{tenantid}", tenant)
	}
	if iss != want {
		return failed("id token", "issued by %q, want %q", iss, want)
	}
	return nil
}

// flexBool reads a JSON boolean, or the strings "true" and "false" that
// some providers send for email_verified.
type flexBool bool

func (b *flexBool) UnmarshalJSON(raw []byte) error {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
	case string:
		*b = flexBool(v == "true")
	}
	return nil
}
