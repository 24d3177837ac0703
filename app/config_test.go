package app

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/store"
)

// env returns an Env with vars and buffers for its output.
func env(vars ...string) (Env, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return Env{Vars: vars, Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr}, &stdout, &stderr
}

// TestREADMEConfigTable keeps the README's configuration table in step
// with the flags: every flag is listed with its variable and default.
func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string][]string{}
	row := regexp.MustCompile("(?m)^\\| `-([a-z0-9-]+)` \\| `([A-Z0-9_]+)` \\|\\s*([^|]*?)\\s*\\|")
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		rows[m[1]] = []string{m[2], strings.Trim(strings.TrimSpace(m[3]), "`")}
	}
	cfg := DefaultConfig()
	serveCommandLine(&cfg).fs.VisitAll(func(f *flag.Flag) {
		r, ok := rows[f.Name]
		if !ok {
			t.Errorf("README lacks flag -%s", f.Name)
			return
		}
		if r[0] != envName(f.Name) {
			t.Errorf("README names -%s's variable %s, want %s", f.Name, r[0], envName(f.Name))
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

// Loading nothing gives DefaultConfig: every default survives its trip
// through its flag's text.
func TestLoadDefaults(t *testing.T) {
	e, _, stderr := env()
	got, err := Load(nil, e)
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load(nil) = %+v\nwant DefaultConfig() = %+v", got, want)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr)
	}
}

func TestLoadFlagBeatsEnvironment(t *testing.T) {
	e, _, _ := env("USERGRAPH_LISTEN=127.0.0.1:9999", "USERGRAPH_SIGNUP_STATUS=PENDING")
	c, err := Load([]string{"-listen", "127.0.0.1:7777"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.Listen != "127.0.0.1:7777" || c.Accounts.SignupStatus != store.StatusPending {
		t.Fatalf("listen %q (want the flag's), signup status %q (want the variable's)", c.HTTP.Listen, c.Accounts.SignupStatus)
	}
}

// Every setting arrives typed where the wiring takes it.
func TestLoadTypedSettings(t *testing.T) {
	e, _, _ := env("USERGRAPH_TRUSTED_PROXIES=10.0.0.0/8, 192.168.1.0/24", "USERGRAPH_LOG_LEVEL=debug")
	c, err := Load([]string{
		"-argon2-memory-kib", "65536", "-argon2-iterations", "3", "-argon2-parallelism", "4", "-argon2-impl", "upstream",
		"-login-limit-ip", "5/30s", "-login-limit-account", "off", "-signup-limit-ip", "7/2h",
		"-indexed-paths", "metadata.org.id, appMetadata.plan", "-memory-limit", "1GiB",
		"-log-format", "json", "-cookie-secure", "true", "-mongo-max-pool-size", "18446744073709551615",
		"-session-cache-ttl", "0",
	}, e)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"argon2 params", c.Passwords.Params, password.Params{Memory: 65536, Iterations: 3, Parallelism: 4,
			SaltLength: password.DefaultParams().SaltLength, KeyLength: password.DefaultParams().KeyLength}},
		{"argon2 implementation", c.Passwords.Impl, password.ImplUpstream},
		{"login per IP", c.Limits.LoginPerIP, ratelimit.Rule{Burst: 5, Per: 30 * time.Second}},
		{"login per account", c.Limits.LoginPerAccount.Off(), true},
		{"signup per IP", c.Limits.SignupPerIP, ratelimit.Rule{Burst: 7, Per: 2 * time.Hour}},
		{"indexed paths", c.Store.IndexedPaths, []store.IndexedPath{{Path: "org.id"}, {AppMetadata: true, Path: "plan"}}},
		{"trusted proxies", c.HTTP.TrustedProxies, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.0/24")}},
		{"memory limit", c.Runtime.MemoryLimit, int64(1 << 30)},
		{"log", c.Log, LogConfig{Level: slog.LevelDebug, Format: LogJSON}},
		{"cookie secure", c.HTTP.CookieSecure, CookieSecureAlways},
		{"mongo pool", c.Store.Mongo.MaxPoolSize, uint64(math.MaxUint64)},
		{"session cache TTL, 0: no cache", c.Sessions.CacheTTL, time.Duration(0)},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %+v, want %+v", ch.what, ch.got, ch.want)
		}
	}
}

func TestLoadRejectsBadValues(t *testing.T) {
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
		{"-cors-origins", "https://*.example.com"}, // exact origins: CORS and the cross-origin check must agree
		{"-cookie-samesite", "sometimes"},
		{"-cookie-samesite", "None"}, // without Secure cookies
		{"-max-filter-width", "0"},
		{"-max-filter-width", "1001"}, // past what the backends compile (store.MaxFilterWidth)
		{"-refresh-reuse-window", "-1s"},
		// Values that used to be taken as something else, or cut short.
		{"-log-level", "verbose"},
		{"-log-format", "xml"},
		{"-cookie-secure", "yes"},
		{"-database-url", "postgres://db/usergraph"},
		{"-public-url", "usergraph.example.com"},
		{"-argon2-memory-kib", "4294967296"}, // 2^32: would have wrapped to 0
		{"-argon2-memory-kib", "5000000"},    // fits, but past password.MaxMemory
		{"-argon2-parallelism", "256"},       // would have wrapped to 0
		{"-argon2-parallelism", "0"},
		{"-argon2-iterations", "-1"},
		{"-argon2-impl", "bogus"},
		{"-memory-limit", "9999999999GiB"}, // overflows int64 bytes
		{"-hash-concurrency", "0"},
		{"-max-depth", "0"},
		{"-session-cache-ttl", "-1s"},
		{"-mongo-max-pool-size", "-1"},
		{"-listen", "127.0.0.1:0", "extra"},
		{"-email-verification", "strict"},
		{"-email-verification-exempt-before", "2026-01-31"},
		{"-reset-page-url", "/reset"},
		{"-verify-page-url", "https://app.example/verify#x"},
		{"-reset-token-ttl", "0s"},
		{"-smtp-url", "http://mail.example"},
		{"-mail-from", "not an address"},
		{"-sms-webhook-url", "https://gw.example/sms"},                    // no secret
		{"-sms-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}, // no URL
		{"-sms-webhook-url", "gw.example/sms", "-sms-webhook-secret", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"-sms-webhook-url", "https://gw.example/sms", "-sms-webhook-secret", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"-outbox-retry-delay", "0s"},
		{"-recovery-limit-ip", "many"},
		{"-bogus"},
	} {
		e, _, _ := env()
		_, err := Load(args, e)
		var refused *UsageError
		if !errors.As(err, &refused) {
			t.Errorf("Load(%q) = %v, want a *UsageError", args, err)
		}
	}
	e, _, _ := env("USERGRAPH_MAX_DEPTH=deep")
	if _, err := Load(nil, e); err == nil || !strings.Contains(err.Error(), "USERGRAPH_MAX_DEPTH") {
		t.Errorf("a bad variable should be reported by name, got %v", err)
	}
}

// The recovery settings arrive typed; the SMTP URL's password is never
// in a refusal.
func TestLoadRecoverySettings(t *testing.T) {
	e, _, _ := env("USERGRAPH_EMAIL_VERIFICATION=enforce", "USERGRAPH_SMS_WEBHOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
	c, err := Load([]string{"-email-verification-exempt-before", "2026-01-31T12:00:00+01:00", "-reset-by-email=false",
		"-reset-token-ttl", "5m", "-sms-webhook-url", "https://gw.example/sms", "-recovery-limit-account", "3/1h",
		"-smtp-url", "smtps://user:p%40ss@mail.example", "-outbox-retry-delay", "1m"}, e)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"mode", c.Recovery.EmailVerification, account.VerificationEnforce},
		{"exempt before", c.Recovery.ExemptBefore, time.Date(2026, 1, 31, 11, 0, 0, 0, time.UTC)},
		{"reset by email", c.Recovery.ResetByEmail, false},
		{"reset TTL", c.Recovery.ResetTTL, 5 * time.Minute},
		{"SMS", c.SMS.WebhookURL + " " + c.SMS.WebhookSecret, "https://gw.example/sms whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"per account", c.Limits.RecoveryPerAccount, ratelimit.Rule{Burst: 3, Per: time.Hour}},
		{"retry delay", c.Outbox.Policy.BaseDelay, time.Minute},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s = %+v, want %+v", ch.what, ch.got, ch.want)
		}
	}
	e, _, _ = env()
	if _, err := Load([]string{"-smtp-url", "smtp://user:s3cret@mail.example:99999"}, e); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("a bad SMTP URL: %v; want a refusal without the password", err)
	}
}

// The messages say what is wrong in the operator's terms.
func TestLoadMessages(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-argon2-parallelism", "300"}, "from 0 to 255"},
		{[]string{"-argon2-memory-kib", "4294967296"}, "from 0 to 4294967295"},
		{[]string{"-argon2-memory-kib", "5000000"}, "argon2 parameters: memory"},
		{[]string{"-log-level", "verbose"}, "debug, info, warn or error"},
		{[]string{"-cookie-secure", "yes"}, "auto, true or false"},
		{[]string{"-login-limit-account", "5/1h", "-login-lockout-max", "30m"}, "login-lockout-max"},
		{[]string{"-bogus"}, "-bogus"},
	} {
		e, _, _ := env()
		_, err := Load(tc.args, e)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Load(%q) = %v, want an error saying %q", tc.args, err, tc.want)
		}
	}
}

// Trusted origins are taken as browsers send them in Origin.
func TestLoadCORSOrigins(t *testing.T) {
	e, _, _ := env()
	c, err := Load([]string{"-cors-origins", " https://app.example.com, http://127.0.0.1:5173 ,"}, e)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.HTTP.CORSOrigins, []string{"https://app.example.com", "http://127.0.0.1:5173"}; !reflect.DeepEqual(got, want) {
		t.Errorf("CORSOrigins = %q, want %q", got, want)
	}
}

// SameSite=None cookies are for apps on another site, and browsers drop
// them unless they are Secure: the server refuses to start with None
// unless its cookies are Secure, saying how to make them so.
func TestLoadCookieSameSite(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want http.SameSite
	}{
		{nil, http.SameSiteLaxMode},
		{[]string{"-cookie-samesite", "Strict"}, http.SameSiteStrictMode},
		{[]string{"-cookie-samesite", "lax"}, http.SameSiteLaxMode},
		{[]string{"-cookie-samesite", "None", "-cookie-secure", "true"}, http.SameSiteNoneMode},
		{[]string{"-cookie-samesite", "none", "-public-url", "https://id.example.com"}, http.SameSiteNoneMode}, // auto: Secure on https
	} {
		e, _, _ := env()
		c, err := Load(tc.args, e)
		if err != nil {
			t.Errorf("Load(%q): %v", tc.args, err)
			continue
		}
		if got := c.HTTP.CookieSameSite; got != tc.want {
			t.Errorf("Load(%q): CookieSameSite = %v, want %v", tc.args, got, tc.want)
		}
	}
	for _, args := range [][]string{
		{"-cookie-samesite", "None"},
		{"-cookie-samesite", "None", "-cookie-secure", "false", "-public-url", "https://id.example.com"},
		{"-cookie-samesite", "None", "-public-url", "http://id.example.com"},
	} {
		e, _, _ := env()
		_, err := Load(args, e)
		if err == nil || !strings.Contains(err.Error(), "cookie-samesite None needs Secure cookies") || !strings.Contains(err.Error(), "-cookie-secure true") {
			t.Errorf("Load(%q) = %v, want a refusal saying None needs Secure cookies and how to get them", args, err)
		}
	}
	// A Config built by hand is checked by Run, before anything is opened.
	cfg := DefaultConfig()
	cfg.HTTP.Listen, cfg.HTTP.CookieSameSite = "127.0.0.1:0", http.SameSiteNoneMode
	cfg.Store.URL = "sqlite:" + t.TempDir() + "/never.db"
	m := New(cfg, slog.New(slog.DiscardHandler))
	if err := m.Run(t.Context()); err == nil {
		m.Close()
		t.Fatal("Run started with SameSite=None cookies that are not Secure")
	} else if !strings.Contains(err.Error(), "cookie-samesite None") {
		t.Errorf("Run = %v, want it to name cookie-samesite", err)
	}
}

// An unknown USERGRAPH_* variable is named on stderr; the known ones that
// are no setting are not, and neither stops the command.
func TestLoadWarnsAboutUnknownVariables(t *testing.T) {
	e, _, stderr := env("USERGRAPH_BOGUS=1", "USERGRAPH_LISTEN=127.0.0.1:0", "USERGRAPH_LISTNE=typo",
		adminPasswordVar+"=x", TestMongoURIVar+"=mongodb://127.0.0.1/", "OTHER_BOGUS=1")
	if _, err := Load(nil, e); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"USERGRAPH_BOGUS", "USERGRAPH_LISTNE"} {
		if !strings.Contains(stderr.String(), name) {
			t.Errorf("stderr does not name %s: %q", name, stderr)
		}
	}
	for _, name := range []string{"USERGRAPH_LISTEN", adminPasswordVar, TestMongoURIVar, "OTHER_BOGUS"} {
		if strings.Contains(stderr.String(), name+" ") {
			t.Errorf("stderr warns about %s: %q", name, stderr)
		}
	}
}

// A command without settings (version) takes the server's variables for
// known: it runs where they are set.
func TestVersionKnowsTheSettings(t *testing.T) {
	e, stdout, stderr := env("USERGRAPH_LISTEN=127.0.0.1:0", "USERGRAPH_BOGUS=1")
	if err := Version(t.Context(), e, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stdout.String(), "usergraph ") {
		t.Errorf("stdout = %q, want the version", stdout)
	}
	if got := stderr.String(); strings.Contains(got, "USERGRAPH_LISTEN") || !strings.Contains(got, "USERGRAPH_BOGUS") {
		t.Errorf("stderr = %q, want a warning about USERGRAPH_BOGUS only", got)
	}
}

// -help lists every flag with its variable and default, on stdout.
func TestHelpNamesEveryVariable(t *testing.T) {
	e, stdout, _ := env()
	if _, err := Load([]string{"-help"}, e); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Load(-help) = %v, want flag.ErrHelp", err)
	}
	help := stdout.String()
	cfg := DefaultConfig()
	serveCommandLine(&cfg).fs.VisitAll(func(f *flag.Flag) {
		line := regexp.MustCompile(`(?m)^  -` + regexp.QuoteMeta(f.Name) + `\b.*\b` + envName(f.Name) + `$`)
		if !line.MatchString(help) {
			t.Errorf("-help has no line for -%s with %s", f.Name, envName(f.Name))
		}
	})
	if !strings.Contains(help, "(default 60/1m)") || !strings.Contains(help, `(default "usergraph_token")`) {
		t.Errorf("-help does not show defaults as they are written:\n%s", help)
	}
}

// init's help lists its own flags apart from the server's settings.
func TestInitHelp(t *testing.T) {
	e, stdout, _ := env()
	if err := Init(t.Context(), e, []string{"-help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("Init(-help) = %v, want flag.ErrHelp", err)
	}
	help := stdout.String()
	own, shared := strings.Index(help, "Flags of init:"), strings.Index(help, "Server settings")
	if own < 0 || shared < own {
		t.Fatalf("init -help does not list its own flags, then the server's:\n%s", help)
	}
	for _, f := range []string{"-username", "-email"} {
		if i := strings.Index(help, "  "+f+" "); i < own || i > shared {
			t.Errorf("init -help does not list %s among its own flags", f)
		}
	}
	if i := strings.Index(help, "  -database-url "); i < shared {
		t.Errorf("init -help does not list -database-url among the server settings")
	}
}

func TestFormatRule(t *testing.T) {
	for _, s := range []string{"60/1m", "10/15m", "20/1h", "3/1h30m", "5/30s", "off"} {
		r, err := ratelimit.ParseRule(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatRule(r); got != s {
			t.Errorf("formatRule(%q) = %q", s, got)
		}
	}
}

func TestMemoryLimitRoundTrip(t *testing.T) {
	for _, s := range []string{"160MiB", "1GiB", "1536KiB", "100B", "off"} {
		n, err := parseMemoryLimit(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatMemoryLimit(n); got != s {
			t.Errorf("formatMemoryLimit(parseMemoryLimit(%q) = %s) = %q", s, strconv.FormatInt(n, 10), got)
		}
	}
}

// A Config built by hand is checked when the server starts, before it
// listens or opens anything.
func TestRunChecksTheConfig(t *testing.T) {
	cfg := DefaultConfig()
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.Store.URL = "sqlite:" + t.TempDir() + "/never.db"
	cfg.Passwords.Params.Parallelism = 0
	m := New(cfg, slog.New(slog.DiscardHandler))
	err := m.Run(t.Context())
	if err == nil {
		m.Close()
		t.Fatal("Run started with argon2 parallelism 0")
	}
	if !strings.Contains(err.Error(), "parallelism") {
		t.Errorf("Run = %v, want it to name the parallelism", err)
	}
	if _, statErr := os.Stat(strings.TrimPrefix(cfg.Store.URL, "sqlite:")); !os.IsNotExist(statErr) {
		t.Errorf("the database was created (stat: %v)", statErr)
	}
}
