package main

import (
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/store"
)

// Config is every setting of the server. Each is a flag and a USERGRAPH_*
// environment variable (flag -public-url is USERGRAPH_PUBLIC_URL); a flag
// given on the command line wins over the environment.
type Config struct {
	Listen        string
	DatabaseURL   string
	PublicURL     string
	LogLevel      string
	LogFormat     string
	PprofListen   string
	MetricsListen string
	MemoryLimit   string

	BootstrapToken        string
	SignupStatus          string
	DefaultRole           string
	UsernameCaseSensitive bool
	PhoneRegion           string
	PasswordMinLength     int

	Argon2MemoryKiB   uint
	Argon2Iterations  uint
	Argon2Parallelism uint
	HashConcurrency   int
	HashQueueTimeout  time.Duration

	AccessTokenTTL     time.Duration
	SessionIdleTimeout time.Duration
	SessionLifetime    time.Duration
	SessionCacheTTL    time.Duration
	ActivityFlush      time.Duration
	RefreshReuseWindow time.Duration

	CookieName     string
	CookieSecure   string // auto | true | false
	TrustedProxies string
	MaxBodyBytes   int64
	Introspection  bool
	GraphiQL       bool
	MaxDepth       int
	MaxComplexity  int
	MaxHashes      int
	CORSOrigins    string
	MaxFilterWidth int

	LoginLimitIP      string
	LoginLimitAccount string
	LoginLockoutMax   time.Duration
	LookupLimitIP     string
	SignupLimitIP     string

	IndexedPaths string

	MongoDatabase    string
	MongoTimeout     time.Duration
	MongoMaxPoolSize uint
}

// flags binds every setting to fs with its default and help.
func (c *Config) flags(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", "127.0.0.1:8080", "address to listen on (:0 picks a free port)")
	fs.StringVar(&c.DatabaseURL, "database-url", "sqlite:./data/usergraph.db", "sqlite:PATH or mongodb://… / mongodb+srv://…")
	fs.StringVar(&c.PublicURL, "public-url", "", "base URL of links and the token issuer (default http:// + listen address)")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "text or json")
	fs.StringVar(&c.PprofListen, "pprof-listen", "", "serve net/http/pprof on this address (off when empty)")
	fs.StringVar(&c.MetricsListen, "metrics-listen", "", "serve /metrics on this address instead of the API listener (empty: on the API listener)")
	fs.StringVar(&c.MemoryLimit, "memory-limit", "160MiB", "soft limit of the Go heap (e.g. 160MiB, 1GiB, or off); GOMEMLIMIT wins when set")

	fs.StringVar(&c.BootstrapToken, "bootstrap-token", "", "token that initialize needs (default: generated and logged at first start)")
	fs.StringVar(&c.SignupStatus, "signup-status", "ACTIVE", "status of new accounts: ACTIVE or PENDING")
	fs.StringVar(&c.DefaultRole, "default-role", "user", "role every new account receives (empty: none)")
	fs.BoolVar(&c.UsernameCaseSensitive, "username-case-sensitive", false, "usernames compare case-sensitively")
	fs.StringVar(&c.PhoneRegion, "phone-region", "", "region (e.g. US) for phone numbers given without +country code")
	fs.IntVar(&c.PasswordMinLength, "password-min-length", 8, "minimum password length (8..1024)")

	fs.UintVar(&c.Argon2MemoryKiB, "argon2-memory-kib", 19456, "argon2id memory cost in KiB")
	fs.UintVar(&c.Argon2Iterations, "argon2-iterations", 2, "argon2id iterations")
	fs.UintVar(&c.Argon2Parallelism, "argon2-parallelism", 1, "argon2id lanes")
	fs.IntVar(&c.HashConcurrency, "hash-concurrency", runtime.GOMAXPROCS(0), "password hashes computed at once; more wait in line")
	fs.DurationVar(&c.HashQueueTimeout, "hash-queue-timeout", 2*time.Second, "a sign-in that cannot start hashing within this is answered RATE_LIMITED")

	fs.DurationVar(&c.AccessTokenTTL, "access-token-ttl", 15*time.Minute, "lifetime of access tokens")
	fs.DurationVar(&c.SessionIdleTimeout, "session-idle-timeout", 2*time.Hour, "a session ends this long after its last request")
	fs.DurationVar(&c.SessionLifetime, "session-lifetime", 30*24*time.Hour, "a session ends this long after sign-in at the latest")
	fs.DurationVar(&c.SessionCacheTTL, "session-cache-ttl", 5*time.Second, "how long a checked session is trusted without a store read (other instances' revocations take this long)")
	fs.DurationVar(&c.ActivityFlush, "activity-flush", 5*time.Second, "how often last-seen times are written")
	fs.DurationVar(&c.RefreshReuseWindow, "refresh-reuse-window", 10*time.Second, "a repeat of the just-rotated refresh token within this gets a sibling successor, not a revocation (0: off)")

	fs.StringVar(&c.CookieName, "cookie-name", "usergraph_token", "access-token cookie for browsers (empty: no cookie)")
	fs.StringVar(&c.CookieSecure, "cookie-secure", "auto", "Secure cookies: auto (when the public URL is https), true or false")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", "", "comma-separated CIDRs whose X-Forwarded-For is believed")
	fs.Int64Var(&c.MaxBodyBytes, "max-body-bytes", 1<<20, "largest request body")
	fs.BoolVar(&c.Introspection, "introspection", true, "allow GraphQL introspection (switch off in production if you like)")
	fs.BoolVar(&c.GraphiQL, "graphiql", true, "serve GraphiQL at / and /graphiql")
	fs.IntVar(&c.MaxDepth, "max-depth", 12, "deepest allowed GraphQL selection")
	fs.IntVar(&c.MaxComplexity, "max-complexity", 10000, "highest allowed GraphQL complexity")
	fs.IntVar(&c.MaxHashes, "max-hashes-per-request", 1, "fields that hash or verify a password in one HTTP request")
	fs.StringVar(&c.CORSOrigins, "cors-origins", "", "comma-separated origins (scheme://host[:port]) trusted to send state-changing requests from a browser")
	fs.IntVar(&c.MaxFilterWidth, "max-filter-width", store.DefaultFilterWidth, fmt.Sprintf("branches of one and/or and items of one list in a users filter (1..%d)", store.MaxFilterWidth))

	fs.StringVar(&c.LoginLimitIP, "login-limit-ip", "60/1m", "login attempts per client IP (N/duration or off)")
	fs.StringVar(&c.LoginLimitAccount, "login-limit-account", "10/15m", "sign-in lockout: N failures from clients without a device cookie lock the account for them for the duration, doubling with each further lockout; also each device cookie's own failure budget (N/duration or off)")
	fs.DurationVar(&c.LoginLockoutMax, "login-lockout-max", 24*time.Hour, "longest sign-in lockout; the failure count starts over this long after the latest lockout ends")
	fs.StringVar(&c.LookupLimitIP, "lookup-limit-ip", "60/1m", "usernameExists checks per client IP (N/duration or off)")
	fs.StringVar(&c.SignupLimitIP, "signup-limit-ip", "20/1h", "sign-ups and email changes per client IP (N/duration or off)")

	fs.StringVar(&c.IndexedPaths, "indexed-paths", "", "comma-separated metadata paths to index, e.g. metadata.org.id,appMetadata.plan")

	fs.StringVar(&c.MongoDatabase, "mongo-database", "", "MongoDB database (default: from the URL path, else usergraph)")
	fs.DurationVar(&c.MongoTimeout, "mongo-timeout", 10*time.Second, "MongoDB connect and server-selection timeout")
	fs.UintVar(&c.MongoMaxPoolSize, "mongo-max-pool-size", 100, "MongoDB connection pool size")
}

// LoadConfig reads flags from args and, for flags not given, USERGRAPH_*
// variables from env. extra may register more flags (a subcommand's).
func LoadConfig(args []string, env func(string) string, errOut io.Writer, extra ...func(*flag.FlagSet)) (Config, error) {
	var c Config
	fs := flag.NewFlagSet("usergraph", flag.ContinueOnError)
	fs.SetOutput(errOut)
	c.flags(fs)
	for _, f := range extra {
		f(fs)
	}
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := EnvName(f.Name)
		if v := env(name); v != "" && !given[f.Name] && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %v", name, v, e)
			}
		}
	})
	if err != nil {
		return c, err
	}
	return c, c.validate()
}

// EnvName is the environment variable of a flag: listen → USERGRAPH_LISTEN.
func EnvName(flagName string) string {
	return "USERGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (c *Config) validate() error {
	switch store.Status(c.SignupStatus) {
	case store.StatusActive, store.StatusPending:
	default:
		return fmt.Errorf("signup-status must be ACTIVE or PENDING, not %q", c.SignupStatus)
	}
	if c.PasswordMinLength < 8 || c.PasswordMinLength > 1024 {
		return fmt.Errorf("password-min-length must be 8..1024")
	}
	if c.MaxFilterWidth < 1 || c.MaxFilterWidth > store.MaxFilterWidth {
		return fmt.Errorf("max-filter-width must be 1..%d", store.MaxFilterWidth)
	}
	if c.AccessTokenTTL <= 0 || c.SessionIdleTimeout <= 0 || c.SessionLifetime <= 0 {
		return fmt.Errorf("token and session lifetimes must be positive")
	}
	if c.RefreshReuseWindow < 0 {
		return fmt.Errorf("refresh-reuse-window must not be negative (0 turns it off)")
	}
	for _, r := range []string{c.LoginLimitIP, c.LoginLimitAccount, c.LookupLimitIP, c.SignupLimitIP} {
		if _, err := ratelimit.ParseRule(r); err != nil {
			return err
		}
	}
	if acct := mustRule(c.LoginLimitAccount); !acct.Off() && c.LoginLockoutMax < acct.Per {
		return fmt.Errorf("login-lockout-max (%s) must be at least the period of login-limit-account (%s)", c.LoginLockoutMax, acct.Per)
	}
	if _, err := c.memoryLimit(); err != nil {
		return err
	}
	if _, err := c.trustedProxies(); err != nil {
		return err
	}
	if c.HashQueueTimeout <= 0 {
		return fmt.Errorf("hash-queue-timeout must be positive")
	}
	if c.MaxHashes < 1 {
		return fmt.Errorf("max-hashes-per-request must be at least 1")
	}
	if _, err := c.corsOrigins(); err != nil {
		return err
	}
	_, err := c.indexedPaths()
	return err
}

func (c *Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range splitList(c.TrustedProxies) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted-proxies: %q is not a CIDR", s)
		}
		out = append(out, p)
	}
	return out, nil
}

// corsOrigins parses the trusted origins. Each must be exactly what a
// browser sends in Origin: scheme://host[:port] in lower case, http or
// https, nothing after the authority. Anything else would never match a
// request, and the operator would not learn why.
func (c *Config) corsOrigins() ([]string, error) {
	var out []string
	for _, s := range splitList(c.CORSOrigins) {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
			u.Opaque != "" || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" ||
			strings.HasSuffix(u.Host, ":") || s != strings.ToLower(s) {
			return nil, fmt.Errorf("cors-origins: %q is not an origin: want scheme://host[:port] in lower case, e.g. https://app.example.com", s)
		}
		out = append(out, s)
	}
	return out, nil
}

// indexedPaths parses "metadata.a.b,appMetadata.c".
func (c *Config) indexedPaths() ([]store.IndexedPath, error) {
	var out []store.IndexedPath
	for _, s := range splitList(c.IndexedPaths) {
		field, path, _ := strings.Cut(s, ".")
		if field != "metadata" && field != "appMetadata" {
			return nil, fmt.Errorf("indexed-paths: %q must start with metadata. or appMetadata.", s)
		}
		if _, err := store.ParsePath(path); err != nil {
			return nil, fmt.Errorf("indexed-paths: %v", err)
		}
		out = append(out, store.IndexedPath{AppMetadata: field == "appMetadata", Path: path})
	}
	return out, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func mustRule(s string) ratelimit.Rule {
	r, _ := ratelimit.ParseRule(s) // checked by validate
	return r
}

// lockoutPolicy is the sign-in lockout that -login-limit-account and
// -login-lockout-max describe.
func (c *Config) lockoutPolicy() lockout.Policy {
	r := mustRule(c.LoginLimitAccount)
	return lockout.Policy{Threshold: r.Burst, Base: r.Per, Max: c.LoginLockoutMax}
}

// memoryLimit parses -memory-limit into bytes (0: no limit).
func (c *Config) memoryLimit() (int64, error) {
	s := strings.TrimSpace(c.MemoryLimit)
	if s == "off" || s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		n      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err != nil || n <= 0 {
				break
			}
			return n * u.n, nil
		}
	}
	return 0, fmt.Errorf("memory-limit %q: want a size like 160MiB or 1GiB, or off", s)
}
