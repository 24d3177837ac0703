// Package httpapi is usergraph's HTTP surface: the GraphQL endpoint and
// GraphiQL, the hosted reset and verification pages, /authorization for
// reverse proxies, the JWKS, health and metrics, with the middleware
// every request passes (request id, access log and tracing, client
// address, CORS, the cross-origin (CSRF) check, body limit,
// authentication). It receives what it calls as Deps (deps.go) and
// reaches no store.
package httpapi

import (
	"context"
	"net/http"
	"net/netip"
	"time"

	"github.com/usergraph/usergraph/telemetry"
)

// Config shapes the HTTP surface.
type Config struct {
	CookieName       string // access-token cookie; empty: no cookies
	CookieSecure     bool
	CookieSameSite   http.SameSite // of both cookies: Lax, Strict or None (None only with CookieSecure)
	DeviceCookieName string        // the sign-in lockout's device cookie (lockout.CookieName)
	TrustedProxies   []netip.Prefix
	MaxBodyBytes     int64
	MaxUploadBytes   int64 // what a multipart upload may add to MaxBodyBytes (uploads.go)
	Introspection    bool
	GraphiQL         bool
	MaxDepth         int
	MaxComplexity    int
	MaxTokens        int      // parser token limit
	MaxHashes        int      // fields that hash or verify a password in one request (hashlimit.go)
	TrustedOrigins   []string // exact origins whose cross-origin requests pass the CSRF check and get CORS (cors.go)
	// MetricsApart: /metrics is served on a listener of its own (the
	// metrics handler New returns) and the API answers 404 for it.
	MetricsApart bool
	// OAuthReturnURL is where /oauth/callback sends the browser after a
	// sign-in (USERGRAPH_OAUTH_RETURN_URL).
	OAuthReturnURL string
	// AppName is the name the hosted pages show (USERGRAPH_APP_NAME).
	AppName string
	// TemplatesDir: the hosted pages' templates in its pages/
	// subdirectory replace the built-in ones file by file
	// (USERGRAPH_TEMPLATES_DIR; pagetemplates.go).
	TemplatesDir string
}

// DefaultConfig is the HTTP surface of the configuration's defaults
// (README, "Configuration"). MaxTokens, the parser's token limit (about
// 60 KB of document), has no setting: the validation budget and its
// figures in docs/PERFORMANCE.md are measured at this limit.
func DefaultConfig() Config {
	return Config{
		CookieName:     "usergraph_token",
		CookieSameSite: http.SameSiteLaxMode,
		MaxBodyBytes:   1 << 20,
		MaxUploadBytes: 2 << 20,
		Introspection:  true,
		GraphiQL:       true,
		MaxDepth:       12,
		MaxComplexity:  10000,
		MaxTokens:      15000,
		MaxHashes:      1,
		OAuthReturnURL: "/",
		AppName:        "usergraph",
	}
}

// New returns the whole API handler and the /metrics handler, which the
// API serves too unless cfg.MetricsApart.
func New(d Deps, cfg Config) (api, metrics http.Handler, err error) {
	tel := d.Telemetry
	if tel == nil {
		tel = newTestTelemetry()
	}
	log := telemetry.Logger(d.Log)
	m := tel.metrics
	if d.Hashing != nil {
		m.watchHasher(d.Hashing)
	}
	mux := http.NewServeMux()
	mux.Handle("/graphql", m.route("graphql", requireJSON(withCookies(cfg, d.Sessions, d.GraphQL))))
	if cfg.GraphiQL {
		page, bundle, err := graphiQL()
		if err != nil {
			return nil, nil, err
		}
		mux.Handle("GET /{$}", page)
		mux.Handle("GET /graphiql", page)
		mux.Handle("GET "+graphiqlAssetsPath, bundle)
	}
	if d.Recovery != nil {
		pages, err := newRecoveryPages(d.Recovery, cfg, log)
		if err != nil {
			return nil, nil, err
		}
		pages.mount(mux, m)
	}
	mux.Handle("GET /authorization", m.route("authorization", authorization{access: d.Access, log: log}))
	mux.Handle("GET /avatars/{id}", m.route("avatars", avatars{source: d.Avatars, log: log}))
	mux.Handle("GET /.well-known/jwks.json", m.route("jwks", jwks(d.JWKS)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /readyz", readyz(d.Ready))
	if d.OAuth != nil {
		mux.Handle("GET "+oauthCallbackPath, m.route("oauth_callback", oauthCallback{oauth: d.OAuth, cfg: cfg, returnURL: cfg.OAuthReturnURL, log: d.Log}))
	}
	if !cfg.MetricsApart {
		mux.Handle("GET /metrics", m.handler())
	}

	auth := authenticator{sessions: d.Sessions, cookieName: cfg.CookieName, log: log}
	var h http.Handler = mux
	h = auth.wrap(h)
	h = withBodyLimit(cfg.MaxBodyBytes, cfg.MaxUploadBytes, h)
	if h, err = withCrossOriginCheck(cfg.TrustedOrigins, h); err != nil { // before a body is read
		return nil, nil, err
	}
	if h, err = withCORS(cfg.TrustedOrigins, h); err != nil { // preflights end here, before gqlgen
		return nil, nil, err
	}
	h = withClient(cfg.TrustedProxies, cfg.DeviceCookieName, d.Sessions, h)
	h = withRecover(log, h)
	h = tel.observe(log, mux, h) // the access log and the request's span
	h = withRequestID(h)
	return h, m.handler(), nil
}

func jwks(keys func() []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(keys())
	})
}

// readyz reports whether the database answers.
func readyz(ready func(context.Context) error) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(ctx); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "database": "unreachable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
