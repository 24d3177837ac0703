package social

import (
	"maps"
	"slices"
)

// preset is what a well-known provider needs beyond a client id: where it
// is, and how it tells who signed in.
type preset struct {
	name string
	// plain: OAuth 2.0 without OpenID Connect; the identity comes from
	// the user endpoint (Endpoints).
	plain     bool
	issuer    func(tenant string) string // OpenID Connect presets
	endpoints Endpoints                  // plain presets
	scopes    []string
}

// presets are the providers a name alone configures.
var presets = map[string]*preset{
	"google": {name: "google", issuer: func(string) string { return "https://accounts.google.com" },
		scopes: []string{"openid", "email", "profile"}},
	// Microsoft identity platform v2.0. Its discovery documents name an
	// issuer other than their URL's (the multi-tenant ones a template with
	// {tenantid}, a tenant given by domain its id): oidc.go trusts the
	// document's and checks each token's iss against it, with the token's
	// tid in the template.
	"microsoft": {name: "microsoft", issuer: func(tenant string) string {
		if tenant == "" {
			tenant = "common"
		}
		return "https://login.microsoftonline.com/" + tenant + "/v2.0"
	}, scopes: []string{"openid", "email", "profile"}},
	"github": {name: "github", plain: true, endpoints: Endpoints{
		Authorization: "https://github.com/login/oauth/authorize",
		Token:         "https://github.com/login/oauth/access_token",
		UserInfo:      "https://api.github.com/user",
		Emails:        "https://api.github.com/user/emails",
	}, scopes: []string{"read:user", "user:email"}},
	"facebook": {name: "facebook", plain: true, endpoints: Endpoints{
		Authorization: "https://www.facebook.com/v21.0/dialog/oauth",
		Token:         "https://graph.facebook.com/v21.0/oauth/access_token",
		UserInfo:      "https://graph.facebook.com/v21.0/me",
	}, scopes: []string{"public_profile"}}, // no email: facebook.go says why
}

func presetNames() []string { return slices.Sorted(maps.Keys(presets)) }

// defaultOIDCScopes are a plain OpenID Connect provider's scopes unless
// the file names others.
var defaultOIDCScopes = []string{"openid", "email", "profile"}

// scopesOf returns the scopes to ask for: the file's, else the preset's;
// an OpenID Connect provider always gets openid, without which it issues
// no ID token.
func scopesOf(p ProviderConfig, pre *preset, oidc bool) []string {
	scopes := p.Scopes
	if len(scopes) == 0 {
		scopes = defaultOIDCScopes
		if pre != nil {
			scopes = pre.scopes
		}
	}
	if oidc && !slices.Contains(scopes, "openid") {
		scopes = append([]string{"openid"}, scopes...)
	}
	return slices.Clone(scopes)
}
