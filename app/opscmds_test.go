package app

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestSecretSettingsListed keeps config's redaction complete: a setting
// whose name says it holds a secret, a token or a password is in
// secretSettings (durations and lengths of them aside), one that names a
// URL is in urlSettings, and every name listed is a setting.
func TestSecretSettingsListed(t *testing.T) {
	fs := flag.NewFlagSet("settings", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := DefaultConfig()
	cfg.bind(fs)
	fs.VisitAll(func(f *flag.Flag) {
		n := f.Name
		secretish := strings.Contains(n, "secret") || strings.Contains(n, "password") || strings.HasSuffix(n, "-token")
		switch {
		case secretish && !strings.HasSuffix(n, "-ttl") && !strings.HasSuffix(n, "-length") && !secretSettings[n]:
			t.Errorf("setting %s looks secret but config would print it: add it to secretSettings", n)
		case strings.HasSuffix(n, "-url") && !urlSettings[n] && !strings.HasSuffix(n, "page-url") && n != "public-url":
			t.Errorf("setting %s is a URL config prints as is: add it to urlSettings if it can carry a credential", n)
		}
	})
	for _, list := range []map[string]bool{secretSettings, urlSettings} {
		for name := range list {
			if fs.Lookup(name) == nil {
				t.Errorf("%s is listed for redaction but is no setting", name)
			}
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
		{"listen", ":8080", ":8080"},
	} {
		if got, _ := redactSetting(c.name, c.value); got != c.want {
			t.Errorf("redactSetting(%s, %q) = %q, want %q", c.name, c.value, got, c.want)
		}
	}
}
