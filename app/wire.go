package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apps"
	"github.com/usergraph/usergraph/avatars"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/events"
	"github.com/usergraph/usergraph/httpapi"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/resolvers"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/sms"
	"github.com/usergraph/usergraph/social"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/store/storetrace"
	"github.com/usergraph/usergraph/telemetry"
	"github.com/usergraph/usergraph/token"
)

// services are the rules built on the store: what the server serves, and
// what commands such as init call directly.
type services struct {
	watch    watch
	store    store.Store
	tokens   *token.Service
	sessions *session.Manager
	access   *access.Service
	hasher   *password.Hasher
	devices  *devices.Service
	accounts *account.Service
	worker   *outbox.Worker // delivers mail and SMS; Main runs it
	recovery *recovery.Service
	social   *social.Service
	apps     *apps.Service
	events   *events.Service // the audit trail and webhooks; Main runs its janitor
	avatars  *avatars.Service
}

// watch is what the server reports into for its operators: the
// registry /metrics serves and the tracing (package telemetry).
type watch struct {
	registry *prometheus.Registry
	tracing  *telemetry.Tracing
}

// unwatched is the watch of a command that serves nothing: a registry no
// one reads, tracing off.
func unwatched() watch {
	return watch{registry: telemetry.NewRegistry(), tracing: telemetry.TracingOff()}
}

// openServices opens the store and builds the services on it, bringing
// stored data up to date (built-in roles, username keys). cfg's public URL
// must be set: it is the tokens' issuer. Store calls, sign-ins and
// deliveries report into w.
func openServices(ctx context.Context, cfg Config, log *slog.Logger, w watch) (_ *services, err error) {
	s := &services{watch: w}
	if s.store, err = openStore(ctx, cfg.Store, log, w); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.close()
		}
	}()
	issuer := cfg.HTTP.PublicURL
	if s.tokens, err = token.New(ctx, s.store, token.Config{Issuer: issuer, Audience: issuer, AccessTTL: cfg.Sessions.AccessTokenTTL}, log); err != nil {
		return nil, fmt.Errorf("signing keys: %w", err)
	}
	sc := cfg.Sessions
	s.sessions = session.New(s.store, s.tokens, session.Config{IdleTimeout: sc.IdleTimeout, Lifetime: sc.Lifetime,
		CacheTTL: sc.CacheTTL, FlushEvery: sc.ActivityFlush, ReuseWindow: sc.ReuseWindow}, log)
	s.access = access.New(s.store, cfg.Roles.Default, cfg.Roles.CacheTTL, log)
	s.access.OnHoldersChanged(s.sessions.ForgetUsers)
	if err := s.access.EnsureBuiltIns(ctx); err != nil {
		return nil, fmt.Errorf("built-in roles: %w", err)
	}
	s.devices = devices.New(devices.Deps{Store: s.store, Sessions: s.sessions, Access: s.access, Log: log},
		devices.Config{Control: cfg.Devices.Control})
	s.sessions.GateDevices(s.devices) // a session ends with its device's access
	pc := cfg.Passwords
	s.hasher = password.NewHasher(pc.Params, pc.Concurrency, password.QueueTimeout(pc.QueueTimeout), password.Argon2Impl(pc.Impl))
	s.avatars = avatars.New(avatars.Deps{Store: s.store, Forget: s.sessions.ForgetUsers, Log: log},
		avatars.Config{MaxBytes: cfg.Avatars.MaxBytes, PublicURL: cfg.HTTP.PublicURL})
	if s.accounts, err = newAccounts(ctx, s, cfg, log); err != nil {
		return nil, err
	}
	if err := s.accounts.MigrateUsernameKeys(ctx); err != nil {
		return nil, fmt.Errorf("username keys: %w", err)
	}
	if err := s.openRecovery(cfg, log); err != nil {
		return nil, err
	}
	ec := cfg.Events
	s.events = events.New(events.Deps{Store: s.store, Queue: s.worker, Log: log}, events.Config{
		Retention: ec.AuditRetention, AllowPrivate: ec.WebhookAllowPrivate, Timeout: ec.WebhookTimeout,
		BaseDelay: ec.WebhookRetryDelay, DisableAfter: ec.DisableAfter, JanitorInterval: ec.JanitorInterval})
	s.events.Register(s.worker)                  // deliveries to webhooks
	s.sessions.AlsoPurge(s.accounts.PurgeGuests) // the janitor deletes idle guests
	s.apps = apps.New(apps.Deps{Store: s.store, Sessions: s.sessions, Access: s.access,
		SessionsPerIP: ratelimit.New(cfg.Limits.LoginPerIP), Log: log}) // each tries a secret, as a login does
	if s.social, err = newSocial(s, cfg, log); err != nil {
		return nil, err
	}
	return s, nil
}

// newSocial builds social sign-in on the providers file (checked again:
// it may have changed since Check).
func newSocial(s *services, cfg Config, log *slog.Logger) (*social.Service, error) {
	sc := cfg.Social
	var providers []social.ProviderConfig
	if sc.ConfigFile != "" {
		var err error
		if providers, err = social.LoadFile(sc.ConfigFile); err != nil {
			return nil, fmt.Errorf("oauth-config: %w", err)
		}
	}
	return social.New(social.Deps{Store: s.store, Accounts: s.accounts, Devices: s.devices, Log: log,
		Limits: social.Limits{PerIP: ratelimit.New(cfg.Limits.OAuthPerIP)}},
		social.Config{Providers: providers, RedirectURLs: sc.RedirectURLs, DiscoveryRetry: sc.DiscoveryRetry, StateTTL: sc.StateTTL,
			CallbackURL: strings.TrimSuffix(cfg.HTTP.PublicURL, "/") + "/oauth/callback", Cookies: cfg.HTTP.CookieName != ""}), nil
}

// openRecovery builds the outbox worker with its senders (SMTP, or the log
// without an SMTP URL; SMS when configured; decoys) and the recovery
// service that queues for them. Main runs the worker.
func (s *services) openRecovery(cfg Config, log *slog.Logger) error {
	mc := cfg.Mail
	mailer, err := mail.New(mail.Config{SMTPURL: mc.SMTPURL, From: mc.From, PublicURL: cfg.HTTP.PublicURL,
		AppName: mc.AppName, TemplatesDir: mc.TemplatesDir, Timeout: mc.Timeout, RootCAs: mc.RootCAs, Log: log})
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	s.worker = outbox.New(outbox.Config{Store: s.store, Log: log, PollInterval: cfg.Outbox.PollInterval,
		Tracer: s.watch.tracer("github.com/usergraph/usergraph/outbox")})
	deps := recovery.Deps{Store: s.store, Accounts: s.accounts, Queue: s.worker, Mail: mailer, Log: log,
		Limits: recovery.Limits{
			RequestPerIP: ratelimit.New(cfg.Limits.RecoveryPerIP), RequestPerAccount: ratelimit.New(cfg.Limits.RecoveryPerAccount),
			CheckPerIP: ratelimit.New(cfg.Limits.RecoveryPerIP), CheckPerAccount: ratelimit.New(cfg.Limits.RecoveryPerAccount),
		}}
	policy := cfg.Outbox.Policy
	if sc := cfg.SMS; sc.WebhookURL != "" {
		sender, err := sms.New(sms.Config{URL: sc.WebhookURL, Secret: sc.WebhookSecret, Timeout: sc.Timeout})
		if err != nil {
			return fmt.Errorf("sms: %w", err)
		}
		deps.SMS = sender
		s.worker.Register(sms.Kind, sender, policy, nil)
	}
	rc := cfg.Recovery
	s.recovery = recovery.New(deps, recovery.Config{PublicURL: cfg.HTTP.PublicURL,
		ResetPageURL: rc.ResetPageURL, VerifyPageURL: rc.VerifyPageURL,
		ResetByEmail: rc.ResetByEmail, NoticeUnknown: rc.ResetNoticeUnknown,
		ResetTTL: rc.ResetTTL, VerifyTTL: rc.VerifyTTL, SMSCodeTTL: rc.SMSCodeTTL,
		MailInterval: rc.MailInterval, AppName: mc.AppName})
	s.worker.Register(mail.Kind, mailer, policy, s.recovery.ObserveMail)
	s.worker.Register(recovery.DecoyKind, outbox.SenderFunc(recovery.DiscardDecoy), policy, nil)
	return nil
}

// newAccounts builds the account service with its limits and lockout.
func newAccounts(ctx context.Context, s *services, cfg Config, log *slog.Logger) (*account.Service, error) {
	l := cfg.Limits
	devices, err := lockout.LoadDevices(ctx, s.store, l.LoginPerAccount)
	if err != nil {
		return nil, err
	}
	a := cfg.Accounts
	return account.New(account.Deps{
		Store: s.store, Hasher: s.hasher, Devices: devices, DeviceTokens: s.devices, Sessions: s.sessions, Access: s.access, Log: log,
		Avatars: s.avatars,
		SignIns: telemetry.SignInCounter(s.watch.registry, account.SignInOutcomes()),
		Policy:  password.Policy{MinLength: cfg.Passwords.MinLength},
		Limits: account.Limits{
			LoginPerIP:        ratelimit.New(l.LoginPerIP),
			ConfirmPerAccount: ratelimit.New(l.LoginPerAccount),
			LookupPerIP:       ratelimit.New(l.LookupPerIP),
			SignupPerIP:       ratelimit.New(l.SignupPerIP),
			GuestPerIP:        ratelimit.New(l.GuestPerIP),
		},
	}, account.Config{
		SignupStatus: a.SignupStatus, UsernameCaseSensitive: a.UsernameCaseSensitive, PhoneRegion: a.PhoneRegion,
		BootstrapToken: a.BootstrapToken, MaxFilterWidth: a.MaxFilterWidth, Lockout: l.lockoutPolicy(),
		Verification: account.Verification{Mode: cfg.Recovery.EmailVerification, ExemptBefore: cfg.Recovery.ExemptBefore},
		Guests:       account.GuestConfig{Role: a.GuestRole, TTL: a.GuestTTL}, DiscoveryByEmail: a.DiscoveryByEmail,
	}), nil
}

// handler returns the HTTP surface on the services, and the /metrics
// handler, which the API serves too unless it is served apart.
func (s *services) handler(c Config, log *slog.Logger) (api, metrics http.Handler, err error) {
	h := c.HTTP
	cfg := httpapi.Config{
		CookieName: h.CookieName, CookieSecure: h.secureCookies(), CookieSameSite: h.CookieSameSite, DeviceCookieName: lockout.CookieName,
		TrustedProxies: h.TrustedProxies, TrustedOrigins: h.CORSOrigins,
		MaxBodyBytes: h.MaxBodyBytes, MaxUploadBytes: c.Avatars.MaxBytes, Introspection: h.Introspection, GraphiQL: h.GraphiQL,
		MaxDepth: h.MaxDepth, MaxComplexity: h.MaxComplexity, MaxTokens: h.MaxTokens, MaxHashes: h.MaxHashes,
		MetricsApart: h.MetricsListen != "", OAuthReturnURL: c.Social.ReturnURL,
		AppName: c.Mail.AppName, TemplatesDir: c.Mail.TemplatesDir, // the pages', as the mails'
	}
	r := &resolvers.Resolver{Accounts: s.accounts, Sessions: s.sessions, Access: s.access, Devices: s.devices,
		Apps: s.apps, Tokens: s.tokens, Recovery: s.recovery, Avatars: s.avatars, Social: s.social, Events: s.events, Log: log}
	schema, err := r.Schema()
	if err != nil {
		return nil, nil, err
	}
	tel := httpapi.NewTelemetry(s.watch.registry, s.watch.tracing)
	gql, err := httpapi.NewGraphQL(schema, cfg, tel, log, r.WithLoaders)
	if err != nil {
		return nil, nil, err
	}
	return httpapi.New(httpapi.Deps{
		GraphQL:   gql,
		Sessions:  edgeSessions{s.sessions},
		Access:    edgeAccess{s.access},
		JWKS:      s.tokens.JWKS,
		Ready:     s.store.Ping,
		Hashing:   hashStats(s.hasher),
		Avatars:   edgeAvatars{s.avatars},
		Recovery:  edgeRecovery{s.recovery},
		OAuth:     edgeOAuth{s.social},
		Log:       log,
		Telemetry: tel,
	}, cfg)
}

// tracer is a tracer of w's tracing, or nil when tracing is off (for
// those that skip their tracing work on nil).
func (w watch) tracer(name string) trace.Tracer {
	if !w.tracing.On() {
		return nil
	}
	return w.tracing.Provider.Tracer(name)
}

// close closes the store.
func (s *services) close() error { return s.store.Close() }

// openStore opens the backend the database URL names, timed and traced
// into w (store/storetrace).
func openStore(ctx context.Context, c StoreConfig, log *slog.Logger, w watch) (store.Store, error) {
	var (
		db     store.Store
		err    error
		system = "sqlite"
	)
	if path, ok := strings.CutPrefix(c.URL, "sqlite:"); ok {
		db, err = sqlite.Open(ctx, path, sqlite.Options{IndexedPaths: c.IndexedPaths})
	} else {
		system = "mongodb"
		db, err = mongo.Open(ctx, c.URL, mongo.Options{Database: c.Mongo.Database, Timeout: c.Mongo.Timeout,
			MaxPoolSize: c.Mongo.MaxPoolSize, IndexedPaths: c.IndexedPaths, Log: log})
	}
	if err != nil {
		return nil, fmt.Errorf("database: %w", err)
	}
	return storetrace.New(db, system, w.registry, w.tracing.Provider), nil
}
