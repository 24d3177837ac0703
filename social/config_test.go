package social

import (
	"slices"
	"strings"
	"testing"
)

// The providers file: what passes, and what stops the start with a message
// naming the provider and the field.
func TestParseFile(t *testing.T) {
	good := `{"providers": [
		{"name": "google", "clientId": "web", "audiences": ["android"]},
		{"name": "github", "clientId": "gh", "clientSecret": "s"},
		{"name": "github-admin", "preset": "github", "clientId": "gh2", "clientSecret": "s"},
		{"name": "microsoft", "tenant": "organizations", "clientId": "ms"},
		{"name": "corp", "issuer": "https://sso.example.com/realms/staff", "clientId": "ug", "scopes": ["email"]},
		{"name": "local", "issuer": "http://127.0.0.1:8080", "clientId": "ug"}
	]}`
	ps, err := ParseFile([]byte(good))
	if err != nil {
		t.Fatalf("a good file: %v", err)
	}
	if len(ps) != 6 || ps[2].preset().name != "github" || ps[4].preset() != nil {
		t.Errorf("parsed %+v; want 6 providers, github-admin on the github preset, corp on none", ps)
	}
	if got := scopesOf(ps[4], nil, true); !slices.Equal(got, []string{"openid", "email"}) {
		t.Errorf("corp's scopes %v, want openid added to the file's", got)
	}

	for _, c := range []struct {
		file string
		want []string // each in the message
	}{
		{`{"providers": [{"name": "acme", "issuer": "https://idp.example", "client_id": "x"}]}`, []string{"client_id"}},
		{`{"providers": [{"name": "acme", "issuer": "https://idp.example"}]}`, []string{`"acme"`, "clientId"}},
		{`{"providers": [{"name": "acme", "clientId": "x"}]}`, []string{`"acme"`, "issuer"}},
		{`{"providers": [{"name": "acme", "issuer": "http://idp.example", "clientId": "x"}]}`, []string{"issuer", "https"}},
		{`{"providers": [{"name": "acme", "issuer": "https://u:p@idp.example", "clientId": "x"}]}`, []string{"issuer"}},
		{`{"providers": [{"name": "Acme", "issuer": "https://idp.example", "clientId": "x"}]}`, []string{"name"}},
		{`{"providers": [{"name": "github", "clientId": "x"}]}`, []string{`"github"`, "clientSecret"}},
		{`{"providers": [{"name": "github", "issuer": "https://github.com", "clientId": "x", "clientSecret": "s"}]}`, []string{"issuer", "endpoints"}},
		{`{"providers": [{"name": "google", "tenant": "t", "clientId": "x"}]}`, []string{"tenant", "microsoft"}},
		{`{"providers": [{"name": "corp", "preset": "gitlab", "clientId": "x"}]}`, []string{"preset"}},
		{`{"providers": [{"name": "google", "clientId": "x", "audiences": [""]}]}`, []string{"audiences"}},
		{`{"providers": [{"name": "google", "clientId": "a"}, {"name": "google", "clientId": "b"}]}`, []string{"providers[1]", "taken"}},
		{`{"providers": []} {}`, []string{"more than one"}},
	} {
		_, err := ParseFile([]byte(c.file))
		for _, want := range c.want {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("ParseFile(%s) = %v; want an error naming %q", c.file, err, want)
				break
			}
		}
	}
}

// Microsoft's issuer templates: a token's iss must be the document's
// issuer with the token's own tid in it.
func TestCheckIssuer(t *testing.T) {
	const tmpl = "https://login.microsoftonline.com/{tenantid}/v2.0"
	for _, c := range []struct {
		document, iss, tid string
		ok                 bool
	}{
		{tmpl, "https://login.microsoftonline.com/t-1/v2.0", "t-1", true},
		{tmpl, "https://login.microsoftonline.com/t-2/v2.0", "t-1", false}, // another tenant's issuer
		{tmpl, "https://login.microsoftonline.com/t-1/v2.0", "", false},    // no tid to fill in
		{"https://login.microsoftonline.com/t-1/v2.0", "https://login.microsoftonline.com/t-1/v2.0", "", true},
		{"https://login.microsoftonline.com/t-1/v2.0", "https://evil.example/t-1/v2.0", "t-1", false},
	} {
		if err := checkIssuer(c.document, c.iss, c.tid); (err == nil) != c.ok {
			t.Errorf("checkIssuer(%s, %s, tid %q) = %v, want ok %v", c.document, c.iss, c.tid, err, c.ok)
		}
	}
}
