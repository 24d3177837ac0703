package app

import (
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/store"
)

// bind registers every setting of c on fs, with c's values as defaults.
// Each is a flag and, by envName, a USERGRAPH_* variable; README's table
// lists them all (TestREADMEConfigTable), and the names are part of the
// API (API.md's configuration table): never rename one.
func (c *Config) bind(fs *flag.FlagSet) {
	h := &c.HTTP
	fs.StringVar(&h.Listen, "listen", h.Listen, "address to listen on (:0 picks a free port)")
	fs.StringVar(&c.Store.URL, "database-url", c.Store.URL, "sqlite:PATH or mongodb://… / mongodb+srv://…")
	fs.StringVar(&h.PublicURL, "public-url", h.PublicURL, "base URL of links and the token issuer (default http:// + listen address)")
	fs.Var(newValue(&c.Log.Level, parseLevel, formatLevel), "log-level", "`level`: debug, info, warn or error")
	fs.Var(newValue(&c.Log.Format, parseLogFormat, formatString), "log-format", "`format`: text or json")
	fs.StringVar(&h.PprofListen, "pprof-listen", h.PprofListen, "serve net/http/pprof on this address (off when empty)")
	fs.StringVar(&h.MetricsListen, "metrics-listen", h.MetricsListen, "serve /metrics on this address instead of the API listener (empty: on the API listener)")
	fs.BoolVar(&c.Telemetry.OTel, "otel", c.Telemetry.OTel, "OpenTelemetry tracing over OTLP/HTTP; the exporter reads the standard OTEL_EXPORTER_OTLP_* variables")
	fs.Var(newValue(&c.Runtime.MemoryLimit, parseMemoryLimit, formatMemoryLimit), "memory-limit", "soft limit of the Go heap (e.g. 160MiB, 1GiB, or off); GOMEMLIMIT wins when set")

	a := &c.Accounts
	fs.StringVar(&a.BootstrapToken, "bootstrap-token", a.BootstrapToken, "token that initialize needs (default: generated and logged at first start)")
	fs.Var(newValue(&a.SignupStatus, parseStatus, formatString), "signup-status", "`status` of new accounts: ACTIVE or PENDING")
	fs.StringVar(&c.Roles.Default, "default-role", c.Roles.Default, "role every new account receives (empty: none)")
	fs.BoolVar(&a.UsernameCaseSensitive, "username-case-sensitive", a.UsernameCaseSensitive, "usernames compare case-sensitively")
	fs.StringVar(&a.PhoneRegion, "phone-region", a.PhoneRegion, "region (e.g. US) for phone numbers given without +country code")
	fs.BoolVar(&c.Devices.Control, "device-control", c.Devices.Control, "require a permitted device token at login (administrators permit devices: permitDevice)")
	fs.StringVar(&a.GuestRole, "guest-role", a.GuestRole, "role guests receive (empty: the default role)")
	fs.DurationVar(&a.GuestTTL, "guest-ttl", a.GuestTTL, "guests idle this long are deleted")
	fs.BoolVar(&a.DiscoveryByEmail, "discovery-by-email", a.DiscoveryByEmail, "allow discoverUsers by exact email")

	p := &c.Passwords
	fs.IntVar(&p.MinLength, "password-min-length", p.MinLength, "minimum password length (8..1024)")
	fs.Var(newValue(&p.Params.Memory, parseUint[uint32], formatUint), "argon2-memory-kib", "argon2id memory cost in `KiB`")
	fs.Var(newValue(&p.Params.Iterations, parseUint[uint32], formatUint), "argon2-iterations", "argon2id `iterations`")
	fs.Var(newValue(&p.Params.Parallelism, parseUint[uint8], formatUint), "argon2-parallelism", "argon2id `lanes`")
	fs.IntVar(&p.Concurrency, "hash-concurrency", p.Concurrency, "password hashes computed at once; more wait in line")
	fs.DurationVar(&p.QueueTimeout, "hash-queue-timeout", p.QueueTimeout, "a sign-in that cannot start hashing within this is answered RATE_LIMITED")
	fs.Var(newValue(&p.Impl, password.ParseImpl, formatString), "argon2-impl", "argon2 `implementation`: copy (x/crypto's, with reused memory) or upstream (x/crypto's own)")

	s := &c.Sessions
	fs.DurationVar(&s.AccessTokenTTL, "access-token-ttl", s.AccessTokenTTL, "lifetime of access tokens")
	fs.DurationVar(&s.IdleTimeout, "session-idle-timeout", s.IdleTimeout, "a session ends this long after its last request")
	fs.DurationVar(&s.Lifetime, "session-lifetime", s.Lifetime, "a session ends this long after sign-in at the latest")
	fs.DurationVar(&s.CacheTTL, "session-cache-ttl", s.CacheTTL, "how long a checked session is trusted without a store read: other instances' revocations take this long to apply here (0: no cache, one store read per request)")
	fs.DurationVar(&s.ActivityFlush, "activity-flush", s.ActivityFlush, "how often last-seen times are written")
	fs.DurationVar(&s.ReuseWindow, "refresh-reuse-window", s.ReuseWindow, "a repeat of the just-rotated refresh token within this gets a sibling successor, not a revocation (0: off)")

	fs.StringVar(&h.CookieName, "cookie-name", h.CookieName, "access-token cookie for browsers (empty: no cookie)")
	fs.Var(newValue(&h.CookieSecure, parseCookieSecure, formatString), "cookie-secure", "Secure cookies (`mode`): auto (when the public URL is https), true or false")
	fs.Var(newValue(&h.CookieSameSite, parseSameSite, formatSameSite), "cookie-samesite", "SameSite of the cookies (`mode`): Lax, Strict or None (None needs Secure cookies; for apps on another site)")
	fs.Var(newValue(&h.TrustedProxies, parsePrefixes, formatPrefixes), "trusted-proxies", "comma-separated `CIDRs` whose X-Forwarded-For is believed")
	fs.Int64Var(&h.MaxBodyBytes, "max-body-bytes", h.MaxBodyBytes, "largest request body")
	fs.Var(newValue(&c.Avatars.MaxBytes, parseSize, formatSize), "avatar-max-bytes", "largest avatar upload (`size`, e.g. 2MiB); multipart uploads may exceed -max-body-bytes by this much")
	fs.BoolVar(&h.Introspection, "introspection", h.Introspection, "allow GraphQL introspection (switch off in production if you like)")
	fs.BoolVar(&h.GraphiQL, "graphiql", h.GraphiQL, "serve GraphiQL at / and /graphiql")
	fs.IntVar(&h.MaxDepth, "max-depth", h.MaxDepth, "deepest allowed GraphQL selection")
	fs.IntVar(&h.MaxComplexity, "max-complexity", h.MaxComplexity, "highest allowed GraphQL complexity of the data fields (introspection has its own allowance)")
	fs.IntVar(&h.MaxHashes, "max-hashes-per-request", h.MaxHashes, "fields that hash or verify a password in one HTTP request")
	fs.Var(newValue(&h.CORSOrigins, parseOrigins, formatList), "cors-origins", "comma-separated `origins` (scheme://host[:port]) whose browser apps may call the API with credentials (CORS) and send state-changing requests")
	fs.IntVar(&a.MaxFilterWidth, "max-filter-width", a.MaxFilterWidth, fmt.Sprintf("branches of one and/or and items of one list in a users filter (1..%d)", store.MaxFilterWidth))

	l := &c.Limits
	fs.Var(newValue(&l.LoginPerIP, ratelimit.ParseRule, formatRule), "login-limit-ip", "login attempts per client IP (`N/duration` or off)")
	fs.Var(newValue(&l.LoginPerAccount, ratelimit.ParseRule, formatRule), "login-limit-account", "sign-in lockout: N failures from clients without a device cookie lock the account for them for the duration, doubling with each further lockout; also each device cookie's own failure budget (`N/duration` or off)")
	fs.DurationVar(&l.LockoutMax, "login-lockout-max", l.LockoutMax, "longest sign-in lockout; the failure count starts over this long after the latest lockout ends")
	fs.Var(newValue(&l.LookupPerIP, ratelimit.ParseRule, formatRule), "lookup-limit-ip", "usernameExists checks per client IP (`N/duration` or off)")
	fs.Var(newValue(&l.SignupPerIP, ratelimit.ParseRule, formatRule), "signup-limit-ip", "sign-ups, email changes and username changes per client IP (`N/duration` or off)")
	fs.Var(newValue(&l.GuestPerIP, ratelimit.ParseRule, formatRule), "guest-limit-ip", "guests created per client IP (`N/duration` or off)")

	fs.Var(newValue(&l.RecoveryPerIP, ratelimit.ParseRule, formatRule), "recovery-limit-ip", "password reset, SMS code, verification and username requests, and reset tokens and codes presented, per client IP (`N/duration` or off)")
	fs.Var(newValue(&l.RecoveryPerAccount, ratelimit.ParseRule, formatRule), "recovery-limit-account", "the same, per address, username or account typed, whether or not it has an account (`N/duration` or off)")

	ml := &c.Mail
	fs.StringVar(&ml.SMTPURL, "smtp-url", ml.SMTPURL, "SMTP server for outgoing mail: smtp://user:pass@host:port (STARTTLS when offered) or smtps://… (empty: mail is written to the log)")
	fs.StringVar(&ml.From, "mail-from", ml.From, "sender of every mail, `addr` or \"Name <addr>\" (default no-reply@ the public URL's host)")
	fs.StringVar(&ml.AppName, "app-name", ml.AppName, "the name mail, SMS and pages show")
	fs.StringVar(&ml.TemplatesDir, "templates-dir", ml.TemplatesDir, "`directory` whose mail/ and pages/ files override the built-in mail and hosted page templates one by one (empty: built-in only)")

	r := &c.Recovery
	fs.BoolVar(&r.ResetByEmail, "reset-by-email", r.ResetByEmail, "offer password reset by a mailed link (RESET_UNSUPPORTED 802 when false)")
	fs.BoolVar(&r.ResetNoticeUnknown, "reset-notice-unknown", r.ResetNoticeUnknown, "mail a notice naming the requester's IP to an address without an account when someone asks to reset it")
	fs.StringVar(&r.ResetPageURL, "reset-page-url", r.ResetPageURL, "the app's own reset page; mail links go there with ?token= (empty: the hosted page)")
	fs.StringVar(&r.VerifyPageURL, "verify-page-url", r.VerifyPageURL, "the app's own email verification page, likewise (empty: the hosted page)")
	fs.Var(newValue(&r.EmailVerification, account.ParseVerificationMode, formatString), "email-verification", "`mode`: off, send (a verification mail on sign-up and email change) or enforce (also refuse sign-in until confirmed)")
	fs.Var(newValue(&r.ExemptBefore, parseTime, formatTime), "email-verification-exempt-before", "RFC 3339 `time`: accounts created before it may sign in unconfirmed under enforce (empty: none)")
	fs.DurationVar(&r.ResetTTL, "reset-token-ttl", r.ResetTTL, "how long a password reset link works")
	fs.DurationVar(&r.VerifyTTL, "verification-ttl", r.VerifyTTL, "how long an email verification link works")
	fs.DurationVar(&r.SMSCodeTTL, "sms-code-ttl", r.SMSCodeTTL, "how long a password reset code sent by SMS works")
	fs.DurationVar(&c.Outbox.Policy.BaseDelay, "outbox-retry-delay", c.Outbox.Policy.BaseDelay, "wait before retrying a mail or SMS that failed for a temporary reason; it doubles with each retry, up to an hour")
	fs.StringVar(&c.SMS.WebhookURL, "sms-webhook-url", c.SMS.WebhookURL, "SMS are POSTed here as signed JSON (docs/RECOVERY.md; empty: SMS reset is off, RESET_UNSUPPORTED 803)")
	fs.StringVar(&c.SMS.WebhookSecret, "sms-webhook-secret", c.SMS.WebhookSecret, "key of the SMS webhooks' signature, whsec_ and base64 (Standard Webhooks)")
	ev := &c.Events
	fs.DurationVar(&ev.AuditRetention, "audit-retention", ev.AuditRetention, "how long audit events (and webhook delivery records) are kept")
	fs.BoolVar(&ev.WebhookAllowPrivate, "webhook-allow-private", ev.WebhookAllowPrivate, "allow webhook URLs on loopback and private addresses")
	fs.DurationVar(&ev.WebhookTimeout, "webhook-timeout", ev.WebhookTimeout, "bound of one webhook delivery")

	so := &c.Social
	fs.StringVar(&so.ConfigFile, "oauth-config", so.ConfigFile, "`path` of the JSON providers file of social sign-in (docs/SOCIAL.md; empty: no providers)")
	fs.Var(newValue(&so.RedirectURLs, parseList, formatList), "oauth-redirect-urls", "comma-separated `URLs` oauthStart accepts as redirectUri, matched exactly")
	fs.StringVar(&so.ReturnURL, "oauth-return-url", so.ReturnURL, "where /oauth/callback sends the browser after a sign-in (errors add ?error=CODE)")
	fs.Var(newValue(&l.OAuthPerIP, ratelimit.ParseRule, formatRule), "oauth-limit-ip", "social sign-ins (oauthStart, loginWithIdToken) per client IP (`N/duration` or off)")

	fs.Var(newValue(&c.Store.IndexedPaths, parseIndexedPaths, formatIndexedPaths), "indexed-paths", "comma-separated metadata `paths` to index, e.g. metadata.org.id,appMetadata.plan")

	m := &c.Store.Mongo
	fs.StringVar(&m.Database, "mongo-database", m.Database, "MongoDB database (default: from the URL path, else usergraph)")
	fs.DurationVar(&m.Timeout, "mongo-timeout", m.Timeout, "MongoDB connect and server-selection timeout")
	fs.Uint64Var(&m.MaxPoolSize, "mongo-max-pool-size", m.MaxPoolSize, "MongoDB connection pool size")
}

// envName is the environment variable of a flag: listen → USERGRAPH_LISTEN.
func envName(flagName string) string {
	return "USERGRAPH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// value is a flag of a type the flag package does not parse: Set parses
// the text given on the command line or in the environment into *p, and
// String formats *p, as -help shows a default.
type value[T any] struct {
	p      *T
	parse  func(string) (T, error)
	format func(T) string
}

func newValue[T any](p *T, parse func(string) (T, error), format func(T) string) value[T] {
	return value[T]{p: p, parse: parse, format: format}
}

func (v value[T]) String() string {
	if v.p == nil { // the flag package's zero Value, to tell a default apart
		return ""
	}
	return v.format(*v.p)
}

func (v value[T]) Set(s string) error {
	x, err := v.parse(s)
	if err != nil {
		return err
	}
	*v.p = x
	return nil
}

func formatString[T ~string](v T) string { return string(v) }

func formatList(v []string) string { return strings.Join(v, ",") }

// parseUint reads a whole number that fits T, so a setting is never
// silently truncated on its way to the code that takes a narrower type.
func parseUint[T uint8 | uint32](s string) (T, error) {
	var zero T
	limit := uint64(math.MaxUint8)
	if _, wide := any(zero).(uint32); wide {
		limit = math.MaxUint32
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
	if err != nil || n > limit {
		return 0, fmt.Errorf("want a whole number from 0 to %d", limit)
	}
	return T(n), nil
}

func formatUint[T uint8 | uint32](v T) string { return strconv.FormatUint(uint64(v), 10) }

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("want debug, info, warn or error")
	}
	return l, nil
}

func formatLevel(l slog.Level) string { return strings.ToLower(l.String()) }

func parseLogFormat(s string) (LogFormat, error) {
	switch f := LogFormat(s); f {
	case LogText, LogJSON:
		return f, nil
	}
	return "", fmt.Errorf("want text or json")
}

func parseCookieSecure(s string) (CookieSecure, error) {
	switch v := CookieSecure(s); v {
	case CookieSecureAuto, CookieSecureAlways, CookieSecureNever:
		return v, nil
	}
	return "", fmt.Errorf("want auto, true or false")
}

// parseTime reads an RFC 3339 time ("" is the zero time: none).
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("want an RFC 3339 time, e.g. 2026-01-31T00:00:00Z")
	}
	return t.UTC(), nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// sameSites are the values of -cookie-samesite, as browsers spell them.
var sameSites = map[http.SameSite]string{http.SameSiteLaxMode: "Lax", http.SameSiteStrictMode: "Strict", http.SameSiteNoneMode: "None"}

func parseSameSite(s string) (http.SameSite, error) {
	for mode, name := range sameSites {
		if strings.EqualFold(s, name) {
			return mode, nil
		}
	}
	return 0, fmt.Errorf("want Lax, Strict or None")
}

func formatSameSite(m http.SameSite) string { return sameSites[m] }

func parseStatus(s string) (store.Status, error) {
	switch st := store.Status(s); st {
	case store.StatusActive, store.StatusPending:
		return st, nil
	}
	return "", fmt.Errorf("want ACTIVE or PENDING")
}

// formatRule writes a rule as it is given: 60/1m, not ratelimit's 60/1m0s.
func formatRule(r ratelimit.Rule) string {
	if r.Off() {
		return "off"
	}
	d := r.Per.String()
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	return fmt.Sprintf("%d/%s", r.Burst, d)
}

func parsePrefixes(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range splitList(s) {
		p, err := netip.ParsePrefix(item)
		if err != nil {
			return nil, fmt.Errorf("%q is not a CIDR", item)
		}
		out = append(out, p)
	}
	return out, nil
}

func formatPrefixes(ps []netip.Prefix) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.String())
	}
	return strings.Join(out, ",")
}

// parseOrigins reads the trusted origins. Each must be exactly what a
// browser sends in Origin: scheme://host[:port] in lower case, http or
// https, nothing after the authority, no wildcard. Anything else would never match a
// request, and the operator would not learn why.
func parseOrigins(s string) ([]string, error) {
	var out []string
	for _, item := range splitList(s) {
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || strings.Contains(item, "*") ||
			u.Opaque != "" || u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.RawFragment != "" ||
			strings.HasSuffix(u.Host, ":") || item != strings.ToLower(item) {
			return nil, fmt.Errorf("%q is not an origin: want scheme://host[:port] in lower case, e.g. https://app.example.com", item)
		}
		out = append(out, item)
	}
	return out, nil
}

// parseIndexedPaths reads "metadata.a.b,appMetadata.c".
func parseIndexedPaths(s string) ([]store.IndexedPath, error) {
	var out []store.IndexedPath
	for _, item := range splitList(s) {
		field, path, _ := strings.Cut(item, ".")
		if field != "metadata" && field != "appMetadata" {
			return nil, fmt.Errorf("%q must start with metadata. or appMetadata.", item)
		}
		if _, err := store.ParsePath(path); err != nil {
			return nil, err
		}
		out = append(out, store.IndexedPath{AppMetadata: field == "appMetadata", Path: path})
	}
	return out, nil
}

func formatIndexedPaths(ps []store.IndexedPath) string {
	var out []string
	for _, p := range ps {
		field := "metadata."
		if p.AppMetadata {
			field = "appMetadata."
		}
		out = append(out, field+p.Path)
	}
	return strings.Join(out, ",")
}

func parseList(s string) ([]string, error) { return splitList(s), nil }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// memoryUnits are the units of sizes (-memory-limit, -avatar-max-bytes), largest first.
var memoryUnits = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}

// parseMemoryLimit reads -memory-limit into bytes (0: no limit).
func parseMemoryLimit(s string) (int64, error) {
	if s = strings.TrimSpace(s); s == "off" || s == "" {
		return 0, nil
	}
	n, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("want a size like 160MiB or 1GiB, or off")
	}
	return n, nil
}

// parseSize reads a positive size in bytes with a unit: 2MiB, 512KiB, 100B.
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	for _, u := range memoryUnits {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
			if err != nil || n <= 0 || n > math.MaxInt64/u.n {
				break
			}
			return n * u.n, nil
		}
	}
	return 0, fmt.Errorf("want a size like 2MiB, 512KiB or 100000B")
}

func formatMemoryLimit(n int64) string {
	if n <= 0 {
		return "off"
	}
	return formatSize(n)
}

// formatSize writes a size in its largest whole unit.
func formatSize(n int64) string {
	for _, u := range memoryUnits {
		if n%u.n == 0 {
			return strconv.FormatInt(n/u.n, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}
