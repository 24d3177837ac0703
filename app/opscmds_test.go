package app

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestSecretSettingsListed keeps config's redaction complete: a setting
// whose name says it holds a secret, a token or a password is in
// secretSettings (durations and lengths of them aside), and every name
// listed is a setting. (URL settings are redacted by their name's suffix.)
func TestSecretSettingsListed(t *testing.T) {
	fs := flag.NewFlagSet("settings", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := DefaultConfig()
	cfg.bind(fs)
	fs.VisitAll(func(f *flag.Flag) {
		n := f.Name
		secretish := strings.Contains(n, "secret") || strings.Contains(n, "password") || strings.HasSuffix(n, "-token")
		if secretish && !strings.HasSuffix(n, "-ttl") && !strings.HasSuffix(n, "-length") && !secretSettings[n] {
			t.Errorf("setting %s looks secret but config would print it: add it to secretSettings", n)
		}
	})
	for name := range secretSettings {
		if fs.Lookup(name) == nil {
			t.Errorf("%s is listed for redaction but is no setting", name)
		}
	}
}

// TestRedactSetting: a secret is never shown, a URL loses its user info
// and its query.
func TestRedactSetting(t *testing.T) {
	for _, c := range []struct{ name, value, want string }{
		{"bootstrap-token", "abc", "***"},
		{"bootstrap-token", "", ""},
		{"smtp-url", "smtps://u:p@h:465", "smtps://***@h:465"},
		{"sms-webhook-url", "https://h/x?key=k", "https://h/x?***"},
		{"database-url", "sqlite:/var/ug.db", "sqlite:/var/ug.db"},
		{"oauth-redirect-urls", "https://a/cb?k=1,https://u:p@b/cb", "https://a/cb?***,https://***@b/cb"},
		{"listen", ":8080", ":8080"},
	} {
		if got, _ := redactSetting(c.name, c.value); got != c.want {
			t.Errorf("redactSetting(%s, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}
