package main

import (
	"flag"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestREADMEConfigTable keeps the README's configuration table in step
// with the flags: every flag is listed with its variable and default.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	row := regexp.MustCompile("(?m)^\\| `-([a-z0-9-]+)` \\| `([A-Z0-9_]+)` \\|\\s*([^|]*?)\\s*\\|")
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = []string{m[2], strings.Trim(strings.TrimSpace(m[3]), "`")}
	}
	var c Config
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c.flags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		r, ok := rows[f.Name]
		if !ok {
			t.Errorf("README lacks flag -%s", f.Name)
			return
		}
		if r[0] != EnvName(f.Name) {
			t.Errorf("README names -%s's variable %s, want %s", f.Name, r[0], EnvName(f.Name))
		}
		if f.Name != "hash-concurrency" && r[1] != f.DefValue {
			t.Errorf("README gives -%s the default %q, want %q", f.Name, r[1], f.DefValue)
		}
		delete(rows, f.Name)
	})
	for name := range rows {
		t.Errorf("README lists -%s, which is no flag", name)
	}
}

func TestLoadConfigFlagBeatsEnvironment(t *testing.T) {
	env := map[string]string{"USERGRAPH_LISTEN": "127.0.0.1:9999", "USERGRAPH_SIGNUP_STATUS": "PENDING"}
	c, err := LoadConfig([]string{"-listen", "127.0.0.1:7777"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:7777" || c.SignupStatus != "PENDING" {
		t.Fatalf("listen %q (want the flag's), signup status %q (want the variable's)", c.Listen, c.SignupStatus)
	}
}

func TestLoadConfigRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"-signup-status", "MAYBE"},
		{"-login-limit-ip", "ten per minute"},
		{"-signup-limit-ip", "lots"},
		{"-login-limit-account", "5/1h", "-login-lockout-max", "30m"},
		{"-trusted-proxies", "not-a-cidr"},
		{"-indexed-paths", "profile.org"},
		{"-password-min-length", "4"},
		{"-access-token-ttl", "-1s"},
		{"-hash-queue-timeout", "0s"},
		{"-max-hashes-per-request", "0"},
		{"-cors-origins", "app.example.com"},
		{"-cors-origins", "https://app.example.com/"},
		{"-cors-origins", "https://app.example.com/login"},
		{"-cors-origins", "https://App.Example.com"},
		{"-cors-origins", "https://user@app.example.com"},
		{"-cors-origins", "https://app.example.com?x"},
		{"-cors-origins", "ftp://app.example.com"},
		{"-cors-origins", "https://app.example.com:"},
		{"-cors-origins", "https://ok.example.com,*"},
		{"-max-filter-width", "0"},
		{"-max-filter-width", "1001"}, // past what the backends compile (store.MaxFilterWidth)
		{"-refresh-reuse-window", "-1s"},
	} {
		if _, err := LoadConfig(args, func(string) string { return "" }, io.Discard); err == nil {
			t.Errorf("LoadConfig(%q) accepted a bad value", args)
		}
	}
	env := map[string]string{"USERGRAPH_MAX_DEPTH": "deep"}
	if _, err := LoadConfig(nil, func(k string) string { return env[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "USERGRAPH_MAX_DEPTH") {
		t.Errorf("a bad variable should be reported by name, got %v", err)
	}
}

// Trusted origins are taken as browsers send them in Origin.
func TestLoadConfigCORSOrigins(t *testing.T) {
	c, err := LoadConfig([]string{"-cors-origins", " https://app.example.com, http://127.0.0.1:5173 ,"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := c.corsOrigins()
	if want := []string{"https://app.example.com", "http://127.0.0.1:5173"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("corsOrigins() = %q, want %q", got, want)
	}
}
