package social

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
)

// The providers file (USERGRAPH_OAUTH_CONFIG): JSON, read once at start.
// Anything it does not say exactly right stops the server with a message
// naming the provider and the field, so a typo never turns into a
// provider that silently fails every sign-in.

// File is the providers file.
type File struct {
	Providers []ProviderConfig `json:"providers"`
}

// ProviderConfig is one provider of the file.
type ProviderConfig struct {
	// Name is what clients pass as provider (oauthStart, loginWithIdToken)
	// and what identities record: 1 to 32 of a-z, 0-9, '-' and '_'. The
	// names google, github, facebook and microsoft choose their preset.
	Name string `json:"name"`
	// Preset chooses a preset for a provider of another name (e.g. a
	// second GitHub, or GitHub Enterprise with Endpoints); "" when Name is
	// the preset's or the provider is a plain OpenID Connect one.
	Preset string `json:"preset,omitempty"`
	// Issuer is an OpenID Connect provider's issuer URL, from which its
	// discovery document is read. Required without a preset; for the
	// google and microsoft presets it replaces theirs (tests, sovereign
	// clouds).
	Issuer       string   `json:"issuer,omitempty"`
	ClientID     string   `json:"clientId"`
	ClientSecret string   `json:"clientSecret,omitempty"`
	Scopes       []string `json:"scopes,omitempty"` // "": the preset's, or openid email profile
	// Audiences are client ids besides ClientID that ID tokens may be
	// issued to: a mobile app's own, for loginWithIdToken.
	Audiences []string `json:"audiences,omitempty"`
	// Tenant is microsoft's: common (the default), organizations,
	// consumers, or a tenant id or domain.
	Tenant string `json:"tenant,omitempty"`
	// Endpoints replace a plain OAuth 2.0 preset's (github, facebook):
	// GitHub Enterprise, or a test server.
	Endpoints *Endpoints `json:"endpoints,omitempty"`
}

// Endpoints are a plain OAuth 2.0 provider's URLs.
type Endpoints struct {
	Authorization string `json:"authorization"`
	Token         string `json:"token"`
	// UserInfo is the user endpoint: GitHub's /user, Facebook's /me.
	UserInfo string `json:"userinfo"`
	// Emails is GitHub's /user/emails, where it says which address is
	// verified.
	Emails string `json:"emails,omitempty"`
}

// LoadFile reads and checks the providers file at path.
func LoadFile(path string) ([]ProviderConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	providers, err := ParseFile(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return providers, nil
}

// ParseFile decodes and checks a providers file.
func ParseFile(raw []byte) ([]ProviderConfig, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // "client_id" for "clientId" must not pass unnoticed (case alone is forgiven)
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a providers file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("not a providers file: more than one JSON value")
	}
	seen := map[string]bool{}
	for i := range f.Providers {
		p := &f.Providers[i]
		if err := p.check(); err != nil {
			return nil, fmt.Errorf("providers[%d] (%q): %w", i, p.Name, err)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("providers[%d]: the name %q is taken by an earlier provider", i, p.Name)
		}
		seen[p.Name] = true
	}
	return f.Providers, nil
}

var providerName = regexp.MustCompile(`^[a-z0-9_-]{1,32}$`)

// check refuses what cannot work, naming the field.
func (p *ProviderConfig) check() error {
	if !providerName.MatchString(p.Name) {
		return errors.New("name: want 1 to 32 of a-z, 0-9, '-' and '_'")
	}
	if p.Preset != "" && presets[p.Preset] == nil {
		return fmt.Errorf("preset: want one of %s", strings.Join(presetNames(), ", "))
	}
	pre := p.preset()
	switch {
	case pre == nil && p.Issuer == "":
		return fmt.Errorf("issuer: an OpenID Connect provider needs its issuer URL (or use a preset name: %s)", strings.Join(presetNames(), ", "))
	case pre != nil && pre.plain && p.Issuer != "":
		return fmt.Errorf("issuer: %s is plain OAuth 2.0, without discovery: set endpoints instead", pre.name)
	case (pre == nil || !pre.plain) && p.Endpoints != nil:
		return errors.New("endpoints: only for the plain OAuth 2.0 presets (github, facebook); an OpenID Connect provider's come from its discovery document")
	case p.Tenant != "" && (pre == nil || pre.name != "microsoft"):
		return errors.New("tenant: only for microsoft")
	case p.ClientID == "":
		return errors.New("clientId is required")
	case pre != nil && pre.plain && p.ClientSecret == "":
		return fmt.Errorf("clientSecret is required: %s accepts no public clients", pre.name)
	}
	if p.Issuer != "" {
		if err := checkURL(p.Issuer); err != nil {
			return fmt.Errorf("issuer: %w", err)
		}
	}
	if e := p.Endpoints; e != nil {
		for _, u := range []struct{ field, url string }{{"authorization", e.Authorization}, {"token", e.Token}, {"userinfo", e.UserInfo}, {"emails", e.Emails}} {
			if u.url == "" && u.field == "emails" {
				continue
			}
			if err := checkURL(u.url); err != nil {
				return fmt.Errorf("endpoints.%s: %w", u.field, err)
			}
		}
	}
	if slices.Contains(p.Audiences, "") || slices.Contains(p.Scopes, "") {
		return errors.New("scopes and audiences hold no empty strings")
	}
	return nil
}

// preset returns the provider's preset, nil for a plain OpenID Connect one.
func (p *ProviderConfig) preset() *preset {
	if p.Preset != "" {
		return presets[p.Preset]
	}
	return presets[p.Name]
}

// checkURL wants an absolute https URL, or http on a loopback address
// (a provider on the same machine, or a test's): anything else would
// carry codes and secrets in the clear.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute URL", s)
	}
	switch {
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	}
	return fmt.Errorf("%q: want https (http only on a loopback address)", s)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
