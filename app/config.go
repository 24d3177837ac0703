package app

import (
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/avatars"
	"github.com/usergraph/usergraph/events"
	"github.com/usergraph/usergraph/httpapi"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/sms"
	"github.com/usergraph/usergraph/social"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
	"github.com/usergraph/usergraph/token"
)

// Config is every setting of the server, typed and checked. Load reads it
// from the command line and USERGRAPH_* variables (flags.go binds each
// setting); code that builds one, like the end-to-end tests, starts from
// DefaultConfig and calls Check.
type Config struct {
	HTTP      HTTPConfig
	Store     StoreConfig
	Passwords PasswordConfig
	Sessions  SessionConfig
	Accounts  AccountConfig
	Devices   DeviceConfig
	Roles     RoleConfig
	Limits    LimitConfig
	Mail      MailConfig
	SMS       SMSConfig
	Outbox    OutboxConfig
	Recovery  RecoveryConfig
	Events    EventsConfig
	Avatars   AvatarConfig
	Social    SocialConfig
	Log       LogConfig
	Runtime   RuntimeConfig
	Telemetry TelemetryConfig
}

// HTTPConfig is the HTTP surface: where it listens and what it allows.
type HTTPConfig struct {
	Listen        string // host:port; port 0 picks a free one
	PublicURL     string // base URL of links and the token issuer; "": http:// + the listen address
	MetricsListen string // "": /metrics on the API listener
	PprofListen   string // "": no profiles

	CookieName     string        // access-token cookie; "": none
	CookieSecure   CookieSecure  // when cookies carry Secure
	CookieSameSite http.SameSite // Lax, Strict or None (None needs Secure cookies)
	TrustedProxies []netip.Prefix
	CORSOrigins    []string // exact origins (scheme://host[:port]) trusted by the cross-origin check and given CORS

	MaxBodyBytes  int64
	Introspection bool
	GraphiQL      bool
	MaxDepth      int
	MaxComplexity int
	MaxTokens     int // no setting: httpapi.DefaultConfig's
	MaxHashes     int // password hashes per request
}

// CookieSecure says when cookies carry the Secure attribute.
type CookieSecure string

// The values of -cookie-secure.
const (
	CookieSecureAuto   CookieSecure = "auto" // when the public URL is https
	CookieSecureAlways CookieSecure = "true"
	CookieSecureNever  CookieSecure = "false"
)

// StoreConfig chooses the database.
type StoreConfig struct {
	URL          string // sqlite:PATH, mongodb://… or mongodb+srv://…
	IndexedPaths []store.IndexedPath
	Mongo        MongoConfig
}

// MongoConfig is the MongoDB backend's (ignored on SQLite).
type MongoConfig struct {
	Database    string // "": the URL's path, else usergraph
	Timeout     time.Duration
	MaxPoolSize uint64
}

// PasswordConfig is how passwords are hashed and what a new one must be.
type PasswordConfig struct {
	Params       password.Params // argon2id cost; salt and key lengths are password.DefaultParams'
	MinLength    int             // characters
	Concurrency  int             // hashes at once; more wait in line
	QueueTimeout time.Duration   // longest wait for a hashing slot
	Impl         password.Impl   // whose argon2 computes the hashes: the reused-memory copy or x/crypto's
}

// SessionConfig is how long tokens and sessions live.
type SessionConfig struct {
	AccessTokenTTL time.Duration
	IdleTimeout    time.Duration
	Lifetime       time.Duration
	CacheTTL       time.Duration // how long a checked session is trusted without a store read; 0: never, every request reads
	ActivityFlush  time.Duration // how often last-seen times are written
	ReuseWindow    time.Duration // refresh-token grace for concurrent tabs; 0: none
}

// AccountConfig is the account rules a deployment chooses.
type AccountConfig struct {
	SignupStatus          store.Status // ACTIVE or PENDING
	UsernameCaseSensitive bool
	PhoneRegion           string // for numbers given without +country code
	BootstrapToken        string // "": generated and logged at the first start
	MaxFilterWidth        int    // branches of one and/or, items of one list in a users filter

	GuestRole        string        // the role guests receive; "": the default role
	GuestTTL         time.Duration // guests idle this long are deleted
	DiscoveryByEmail bool          // discoverUsers finds users by exact email
}

// DeviceConfig is device control's (package devices).
type DeviceConfig struct {
	Control bool // only permitted device tokens sign in
}

// RoleConfig is the role catalogue's.
type RoleConfig struct {
	Default  string        // the role every new account receives; "": none
	CacheTTL time.Duration // no setting: access.DefaultCacheTTL
}

// LimitConfig is the brute-force limits and the sign-in lockout.
type LimitConfig struct {
	LoginPerIP ratelimit.Rule
	// LoginPerAccount is the sign-in lockout's threshold and first period,
	// and each device cookie's own failure budget (lockout).
	LoginPerAccount ratelimit.Rule
	LockoutMax      time.Duration // the longest lockout
	LookupPerIP     ratelimit.Rule
	SignupPerIP     ratelimit.Rule
	// Recovery requests and code checks per client IP, and per typed
	// address, username or account.
	RecoveryPerIP      ratelimit.Rule
	RecoveryPerAccount ratelimit.Rule
	OAuthPerIP         ratelimit.Rule // social sign-ins (oauthStart, loginWithIdToken) per client IP
	GuestPerIP         ratelimit.Rule
}

// MailConfig is the outgoing mail's (package mail).
type MailConfig struct {
	SMTPURL      string         // "": mail goes to the log
	From         string         // "": no-reply@ the public URL's host
	AppName      string         // in every mail and SMS
	TemplatesDir string         // "": the built-in templates; also the hosted pages' (pages/)
	Timeout      time.Duration  // no setting: mail.DefaultTimeout
	RootCAs      *x509.CertPool // no setting: the system's (tests trust their SMTP server)
}

// SMSConfig is where SMS go (package sms); both empty: SMS reset is off.
type SMSConfig struct {
	WebhookURL    string
	WebhookSecret string        // whsec_…
	Timeout       time.Duration // no setting: sms.DefaultTimeout
}

// OutboxConfig is the delivery worker's. Only the first retry's delay is
// a setting; the rest keep package outbox's defaults unless a test
// shortens them.
type OutboxConfig struct {
	Policy       outbox.Policy // timeouts, retries and backoff of every kind
	PollInterval time.Duration // no setting
}

// EventsConfig is the audit trail's and the webhooks' (package events).
type EventsConfig struct {
	AuditRetention      time.Duration
	WebhookAllowPrivate bool
	WebhookTimeout      time.Duration
	// No settings: the defaults of package events unless a test shortens them.
	WebhookRetryDelay time.Duration // the first retry's wait
	DisableAfter      time.Duration // failing this long disables a webhook
	JanitorInterval   time.Duration // relays of pending events
}

// RecoveryConfig is account recovery's and email verification's.
type RecoveryConfig struct {
	ResetByEmail       bool
	ResetNoticeUnknown bool
	ResetPageURL       string // "": the hosted page
	VerifyPageURL      string // "": the hosted page
	EmailVerification  account.VerificationMode
	ExemptBefore       time.Time // zero: no account is exempt
	ResetTTL           time.Duration
	VerifyTTL          time.Duration
	SMSCodeTTL         time.Duration
	MailInterval       time.Duration // no setting: recovery.DefaultMailInterval
}

// AvatarConfig is the uploaded avatars' (package avatars).
type AvatarConfig struct {
	MaxBytes int64 // the largest upload; multipart requests may exceed MaxBodyBytes by this much
}

// SocialConfig is social sign-in's (package social).
type SocialConfig struct {
	ConfigFile   string   // the providers file; "": no providers
	RedirectURLs []string // redirectUri values oauthStart accepts, exactly
	ReturnURL    string   // where /oauth/callback sends the browser
	// DiscoveryRetry: a failed discovery document is read again this long
	// after (no setting: social.DefaultDiscoveryRetry).
	DiscoveryRetry time.Duration
	StateTTL       time.Duration // no setting: social.DefaultStateTTL
}

// LogConfig is the log's.
type LogConfig struct {
	Level  slog.Level
	Format LogFormat
}

// LogFormat is the log's line format.
type LogFormat string

// The values of -log-format.
const (
	LogText LogFormat = "text"
	LogJSON LogFormat = "json"
)

// TelemetryConfig is tracing's (package telemetry); the metrics have
// their listener in HTTPConfig.
type TelemetryConfig struct {
	// OTel turns on OpenTelemetry tracing over OTLP/HTTP, set up by the
	// standard OTEL_* variables (telemetry.StartTracing).
	OTel bool
}

// RuntimeConfig is the Go runtime's.
type RuntimeConfig struct {
	MemoryLimit int64 // bytes; 0: none (GOMEMLIMIT wins when set)
}

// defaultMemoryLimit is -memory-limit's default: the heap a 2-core server
// needs through 1,000 concurrent sign-ins (docs/PERFORMANCE.md).
const defaultMemoryLimit = 160 << 20

// DefaultConfig returns every setting's default. Each comes from the
// package whose rule it sets; only what concerns the process itself
// (addresses, log, memory) is this package's.
func DefaultConfig() Config {
	api := httpapi.DefaultConfig()
	sessions := session.DefaultConfig()
	lock := lockout.DefaultPolicy()
	return Config{
		HTTP: HTTPConfig{
			Listen:       "127.0.0.1:8080",
			CookieName:   api.CookieName,
			CookieSecure: CookieSecureAuto, CookieSameSite: api.CookieSameSite,
			MaxBodyBytes: api.MaxBodyBytes, Introspection: api.Introspection, GraphiQL: api.GraphiQL,
			MaxDepth: api.MaxDepth, MaxComplexity: api.MaxComplexity, MaxTokens: api.MaxTokens, MaxHashes: api.MaxHashes,
		},
		Store: StoreConfig{
			URL:   "sqlite:./data/usergraph.db",
			Mongo: MongoConfig{Timeout: mongo.DefaultTimeout, MaxPoolSize: mongo.DefaultMaxPoolSize},
		},
		Passwords: PasswordConfig{
			Params:       password.DefaultParams(),
			MinLength:    password.DefaultMinLength,
			Concurrency:  runtime.GOMAXPROCS(0),
			QueueTimeout: password.DefaultQueueTimeout,
			Impl:         password.ImplCopy,
		},
		Sessions: SessionConfig{
			AccessTokenTTL: token.DefaultAccessTTL,
			IdleTimeout:    sessions.IdleTimeout,
			Lifetime:       sessions.Lifetime,
			CacheTTL:       sessions.CacheTTL,
			ActivityFlush:  sessions.FlushEvery,
			ReuseWindow:    sessions.ReuseWindow,
		},
		Accounts: AccountConfig{SignupStatus: store.StatusActive, MaxFilterWidth: store.DefaultFilterWidth, GuestTTL: account.DefaultGuestTTL},
		Roles:    RoleConfig{Default: access.DefaultRoleName, CacheTTL: access.DefaultCacheTTL},
		Limits: LimitConfig{
			LoginPerIP:      account.DefaultLoginPerIP(),
			LoginPerAccount: ratelimit.Rule{Burst: lock.Threshold, Per: lock.Base},
			LockoutMax:      lock.Max,
			LookupPerIP:     account.DefaultLookupPerIP(),
			SignupPerIP:     account.DefaultSignupPerIP(),

			RecoveryPerIP:      recovery.DefaultLimitPerIP(),
			RecoveryPerAccount: recovery.DefaultLimitPerAccount(),
			OAuthPerIP:         social.DefaultLimitPerIP(),
			GuestPerIP:         account.DefaultGuestPerIP(),
		},
		Mail:   MailConfig{AppName: "usergraph", Timeout: mail.DefaultTimeout},
		SMS:    SMSConfig{Timeout: sms.DefaultTimeout},
		Outbox: OutboxConfig{Policy: outbox.Policy{BaseDelay: outbox.DefaultBaseDelay}, PollInterval: outbox.DefaultPollInterval},
		Recovery: RecoveryConfig{
			ResetByEmail: true, EmailVerification: account.VerificationOff,
			ResetTTL: recovery.DefaultResetTTL, VerifyTTL: recovery.DefaultVerifyTTL, SMSCodeTTL: recovery.DefaultSMSCodeTTL,
			MailInterval: recovery.DefaultMailInterval,
		},
		Events: EventsConfig{AuditRetention: events.DefaultRetention, WebhookTimeout: events.DefaultTimeout,
			WebhookRetryDelay: events.DefaultBaseDelay, DisableAfter: events.DefaultDisableAfter,
			JanitorInterval: events.DefaultJanitorInterval},
		Avatars: AvatarConfig{MaxBytes: avatars.DefaultMaxBytes},
		Social: SocialConfig{ReturnURL: api.OAuthReturnURL, DiscoveryRetry: social.DefaultDiscoveryRetry,
			StateTTL: social.DefaultStateTTL},
		Log:     LogConfig{Level: slog.LevelInfo, Format: LogText},
		Runtime: RuntimeConfig{MemoryLimit: defaultMemoryLimit},
	}
}

// Check reports the first setting that is out of range or contradicts
// another, naming it as its flag. Load and Main.Run call it.
func (c *Config) Check() error {
	checks := []func() error{c.HTTP.check, c.Store.check, c.Passwords.check, c.Sessions.check,
		c.Accounts.check, c.Limits.check, c.Mail.check, c.SMS.check, c.Outbox.check, c.Recovery.check, c.Avatars.check,
		c.Social.check, c.Events.check}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (h *HTTPConfig) check() error {
	if h.PublicURL != "" {
		if u, err := url.Parse(h.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("public-url %q: want an absolute http:// or https:// URL", h.PublicURL)
		}
	}
	switch h.CookieSecure {
	case CookieSecureAuto, CookieSecureAlways, CookieSecureNever:
	default:
		return fmt.Errorf("cookie-secure %q: want auto, true or false", h.CookieSecure)
	}
	switch h.CookieSameSite {
	case http.SameSiteLaxMode, http.SameSiteStrictMode:
	case http.SameSiteNoneMode:
		if !h.secureCookies() { // browsers drop such a cookie: sign-ins would seem to work and not stick
			return errors.New("cookie-samesite None needs Secure cookies, which browsers require of SameSite=None: set -cookie-secure true, or -cookie-secure auto with an https:// -public-url")
		}
	default:
		return fmt.Errorf("cookie-samesite: want Lax, Strict or None")
	}
	for _, bound := range []struct {
		name string
		n    int64
	}{{"max-body-bytes", h.MaxBodyBytes}, {"max-depth", int64(h.MaxDepth)}, {"max-complexity", int64(h.MaxComplexity)},
		{"max-hashes-per-request", int64(h.MaxHashes)}} {
		if bound.n < 1 {
			return fmt.Errorf("%s must be at least 1", bound.name)
		}
	}
	if h.MaxTokens < 1 {
		return errors.New("the parser's token limit must be at least 1")
	}
	return nil
}

// secureCookies resolves -cookie-secure against the public URL.
func (h *HTTPConfig) secureCookies() bool {
	switch h.CookieSecure {
	case CookieSecureAlways:
		return true
	case CookieSecureNever:
		return false
	}
	return strings.HasPrefix(h.PublicURL, "https://")
}

func (s *StoreConfig) check() error {
	if !strings.HasPrefix(s.URL, "sqlite:") && !isMongoURL(s.URL) {
		return fmt.Errorf("database-url must start with sqlite:, mongodb:// or mongodb+srv:// (got %q)", redactURL(s.URL))
	}
	if s.Mongo.Timeout <= 0 {
		return errors.New("mongo-timeout must be positive")
	}
	return nil
}

func isMongoURL(s string) bool {
	return strings.HasPrefix(s, "mongodb://") || strings.HasPrefix(s, "mongodb+srv://")
}

func (p *PasswordConfig) check() error {
	if err := p.Params.Validate(); err != nil {
		return fmt.Errorf("argon2 parameters: %w", err)
	}
	if p.MinLength < password.DefaultMinLength || p.MinLength > password.DefaultMaxLength {
		return fmt.Errorf("password-min-length must be %d..%d", password.DefaultMinLength, password.DefaultMaxLength)
	}
	if p.Concurrency < 1 {
		return errors.New("hash-concurrency must be at least 1")
	}
	if p.QueueTimeout <= 0 {
		return errors.New("hash-queue-timeout must be positive")
	}
	return nil
}

func (s *SessionConfig) check() error {
	if s.AccessTokenTTL <= 0 || s.IdleTimeout <= 0 || s.Lifetime <= 0 {
		return errors.New("token and session lifetimes must be positive")
	}
	if s.CacheTTL < 0 || s.ActivityFlush < 0 {
		return errors.New("session-cache-ttl and activity-flush must not be negative")
	}
	if s.ReuseWindow < 0 {
		return errors.New("refresh-reuse-window must not be negative (0 turns it off)")
	}
	return nil
}

func (a *AccountConfig) check() error {
	switch a.SignupStatus {
	case store.StatusActive, store.StatusPending:
	default:
		return fmt.Errorf("signup-status must be ACTIVE or PENDING, not %q", a.SignupStatus)
	}
	if a.MaxFilterWidth < 1 || a.MaxFilterWidth > store.MaxFilterWidth {
		return fmt.Errorf("max-filter-width must be 1..%d", store.MaxFilterWidth)
	}
	if a.GuestTTL <= 0 {
		return errors.New("guest-ttl must be positive")
	}
	return nil
}

func (l *LimitConfig) check() error {
	if acct := l.LoginPerAccount; !acct.Off() && l.LockoutMax < acct.Per {
		return fmt.Errorf("login-lockout-max (%s) must be at least the period of login-limit-account (%s)", l.LockoutMax, acct.Per)
	}
	return nil
}

func (m *MailConfig) check() error {
	if m.SMTPURL != "" {
		if _, err := mail.ParseSMTPURL(m.SMTPURL); err != nil {
			return fmt.Errorf("smtp-url: %w", err)
		}
	}
	if m.From != "" {
		if _, err := mail.ParseFrom(m.From, ""); err != nil {
			return fmt.Errorf("mail-from: %w", err)
		}
	}
	return nil
}

func (s *SMSConfig) check() error {
	switch {
	case s.WebhookURL == "" && s.WebhookSecret == "":
		return nil
	case s.WebhookURL == "" || s.WebhookSecret == "":
		return errors.New("sms-webhook-url and sms-webhook-secret go together: set both, or neither to turn SMS off")
	}
	if err := sms.CheckURL(s.WebhookURL); err != nil {
		return fmt.Errorf("sms-webhook-url: %w", err)
	}
	if _, err := sms.ParseSecret(s.WebhookSecret); err != nil {
		return fmt.Errorf("sms-webhook-secret: %w", err)
	}
	return nil
}

func (o *OutboxConfig) check() error {
	if o.Policy.BaseDelay <= 0 {
		return errors.New("outbox-retry-delay must be positive")
	}
	return nil
}

func (e *EventsConfig) check() error {
	switch {
	case e.AuditRetention <= 0:
		return errors.New("audit-retention must be positive")
	case e.WebhookTimeout <= 0:
		return errors.New("webhook-timeout must be positive")
	}
	return nil
}

func (r *RecoveryConfig) check() error {
	for _, page := range []struct{ flag, url string }{{"reset-page-url", r.ResetPageURL}, {"verify-page-url", r.VerifyPageURL}} {
		if page.url == "" {
			continue
		}
		if u, err := url.Parse(page.url); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
			return fmt.Errorf("%s %q: want an absolute http:// or https:// URL without a #fragment", page.flag, page.url)
		}
	}
	if _, err := account.ParseVerificationMode(string(r.EmailVerification)); err != nil {
		return fmt.Errorf("email-verification: %w", err)
	}
	if r.ResetTTL <= 0 || r.VerifyTTL <= 0 || r.SMSCodeTTL <= 0 || r.MailInterval <= 0 {
		return errors.New("reset-token-ttl, verification-ttl and sms-code-ttl must be positive")
	}
	return nil
}

func (a *AvatarConfig) check() error {
	if a.MaxBytes < 1 {
		return errors.New("avatar-max-bytes must be at least 1B")
	}
	return nil
}

// check reads the providers file (a malformed one stops the start, naming
// the provider and field) and the URLs.
func (s *SocialConfig) check() error {
	if s.ConfigFile != "" {
		if _, err := social.LoadFile(s.ConfigFile); err != nil {
			return fmt.Errorf("oauth-config: %w", err)
		}
	}
	for _, r := range s.RedirectURLs {
		// Native apps' own schemes (com.example.app:/cb) are URLs too.
		if u, err := url.Parse(r); err != nil || u.Scheme == "" || u.Fragment != "" || u.Opaque != "" && !strings.HasPrefix(u.Opaque, "/") {
			return fmt.Errorf("oauth-redirect-urls: %q is not an absolute URL without a #fragment", r)
		}
	}
	if u, err := url.Parse(s.ReturnURL); err != nil || s.ReturnURL == "" || u.Fragment != "" ||
		(u.IsAbs() && u.Scheme != "http" && u.Scheme != "https") || (!u.IsAbs() && !strings.HasPrefix(s.ReturnURL, "/")) ||
		strings.HasPrefix(s.ReturnURL, "//") {
		return fmt.Errorf("oauth-return-url %q: want a path on this server (/…) or an absolute http:// or https:// URL, without a #fragment", s.ReturnURL)
	}
	return nil
}

// lockoutPolicy is the sign-in lockout that -login-limit-account and
// -login-lockout-max describe.
func (l *LimitConfig) lockoutPolicy() lockout.Policy {
	return lockout.Policy{Threshold: l.LoginPerAccount.Burst, Base: l.LoginPerAccount.Per, Max: l.LockoutMax}
}

// redactURL hides a password in a database URL for logs and messages.
func redactURL(s string) string {
	if at := strings.LastIndex(s, "@"); at > 0 {
		if scheme := strings.Index(s, "://"); scheme > 0 && scheme < at {
			return s[:scheme+3] + "***" + s[at:]
		}
	}
	return s
}
