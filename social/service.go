// Package social is sign-in with OAuth 2.0 and OpenID Connect providers
// (golang.org/x/oauth2; ID tokens verified by github.com/coreos/go-oidc):
// the providers of the configuration file, the redirect flow with its
// server-side state and the token flow of native apps, and the decisions
// that take a verified identity to an account. It knows nothing of
// GraphQL or HTTP; the account rules (sign-up's defaults, sign-in's
// status, verification and device checks) are package account's.
//
// Where each rule is:
//   - config.go, presets.go: the providers file and the well-known providers;
//   - oidc.go, github.go, facebook.go: talking to each kind of provider;
//   - state.go: the state of a redirect flow: secret, hashed, single use;
//   - flow.go: oauthStart, oauthComplete and /oauth/callback;
//   - idtoken.go: loginWithIdToken;
//   - decide.go: SIGN_UP, SIGN_IN and LINK (no silent merge);
//   - unlink.go: unlinkIdentity and the last way to sign in;
//   - events.go: where the audit events of the events issue go.
package social

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Config is social sign-in as a deployment configures it.
type Config struct {
	Providers []ProviderConfig // from the providers file (LoadFile)
	// RedirectURLs are the redirectUri values oauthStart accepts, compared
	// exactly (USERGRAPH_OAUTH_REDIRECT_URLS).
	RedirectURLs []string
	// CallbackURL is usergraph's own /oauth/callback (on the public URL),
	// where the flows without a redirectUri end.
	CallbackURL string
	// Cookies: the server sets cookies, so the flows that end at
	// CallbackURL can hand the browser its session. Without them
	// oauthStart needs a redirectUri.
	Cookies bool
	// StateTTL is how long a started flow may be completed (0:
	// DefaultStateTTL).
	StateTTL time.Duration
	// DiscoveryRetry is how long after a failed read of a discovery
	// document the next sign-in tries again (0: DefaultDiscoveryRetry).
	DiscoveryRetry time.Duration
	// HTTPClient talks to the providers (nil: one with a 10 s timeout).
	HTTPClient *http.Client
}

// DefaultStateTTL is how long a started redirect flow may be completed.
const DefaultStateTTL = 10 * time.Minute

// Limits are social sign-in's brute-force limits (nil: none).
type Limits struct {
	// PerIP counts each oauthStart and loginWithIdToken of a client IP.
	PerIP *ratelimit.Limiter
}

// DefaultLimitPerIP is how many social sign-ins one client IP may start
// (USERGRAPH_OAUTH_LIMIT_IP).
func DefaultLimitPerIP() ratelimit.Rule { return ratelimit.Rule{Burst: 60, Per: time.Minute} }

// Deps are the services social sign-in builds on.
type Deps struct {
	Store    store.SocialStore
	Accounts *account.Service // creates and signs in the accounts identities lead to
	Devices  *devices.Service // device tokens, checked before a flow starts
	Limits   Limits
	Log      *slog.Logger
}

// Service is the social sign-in service.
type Service struct {
	store     store.SocialStore
	accounts  *account.Service
	devices   *devices.Service
	limits    Limits
	log       *slog.Logger
	cfg       Config
	providers map[string]provider
}

// New returns the service for cfg's providers. Call Warm to read the
// discovery documents ahead of the first sign-in.
func New(d Deps, cfg Config) *Service {
	if cfg.StateTTL <= 0 {
		cfg.StateTTL = DefaultStateTTL
	}
	if cfg.DiscoveryRetry <= 0 {
		cfg.DiscoveryRetry = DefaultDiscoveryRetry
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	s := &Service{store: d.Store, accounts: d.Accounts, devices: d.Devices, limits: d.Limits, log: d.Log, cfg: cfg,
		providers: newProviders(cfg.Providers, cfg.HTTPClient, d.Log)}
	for _, p := range s.providers {
		if o, ok := p.(*oidcProvider); ok {
			o.retryAfter = cfg.DiscoveryRetry
		}
	}
	return s
}

// Warm reads the discovery documents of the OpenID Connect providers, so
// that the first sign-in with each does not wait for it. A provider that
// does not answer is logged and tried again at a sign-in; Warm never
// fails.
func (s *Service) Warm(ctx context.Context) {
	for _, p := range s.providers {
		if o, ok := p.(*oidcProvider); ok {
			o.discover(ctx)
		}
	}
}

// Providers returns the names of the configured providers.
func (s *Service) Providers() []string {
	out := make([]string, 0, len(s.providers))
	for _, c := range s.cfg.Providers {
		out = append(out, c.Name)
	}
	return out
}

// provider returns the named provider, or BAD_USER_INPUT on field.
func (s *Service) provider(name string) (provider, error) {
	if p, ok := s.providers[name]; ok && len(name) <= 32 {
		return p, nil
	}
	return nil, apperr.Input("provider", "no sign-in provider is named %q", truncate(name, 32))
}

// limit counts a social sign-in against the client's IP.
func (s *Service) limit(ctx context.Context) error {
	if ok, retry := s.limits.PerIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return apperr.LimitedBy(apperr.RuleOAuthIP, retry)
	}
	return nil
}

// Run deletes the states of flows that were never completed, once
// expired. Main runs it with the other background work.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(purgeEvery)
	defer t.Stop()
	for {
		if _, err := s.store.PurgeOAuthStates(ctx, store.Now()); err != nil && ctx.Err() == nil {
			s.log.Error("social: purging expired sign-in states failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeEvery is how often expired states are deleted.
const purgeEvery = 10 * time.Minute

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
