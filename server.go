// Command usergraph is a self-hosted user-management backend that frontends
// talk to over GraphQL.
//
//	usergraph [flags]          run the server (see -help; every flag is also USERGRAPH_*)
//	usergraph init [flags]     create the first administrator from the command line
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/httpapi"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/resolvers"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
	"github.com/usergraph/usergraph/store/sqlite"
	"github.com/usergraph/usergraph/token"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "usergraph:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "init" {
		return runInit(ctx, args[1:])
	}
	cfg, err := LoadConfig(args, os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	m := NewMain(cfg, newLogger(cfg, os.Stderr))
	setMemoryLimit(cfg)
	if err := m.Run(ctx); err != nil {
		return err
	}
	<-ctx.Done()
	m.Log.Info("shutting down")
	return m.Close()
}

// Main is the whole server: configuration → store → services → HTTP.
// Tests start it on 127.0.0.1:0 with Run and stop it with Close.
type Main struct {
	Config Config
	Log    *slog.Logger

	store    store.Store
	sessions *session.Manager
	accounts *account.Service
	server   *http.Server
	pprof    *http.Server
	metrics  *http.Server // when /metrics is served apart
	listener net.Listener
	stop     context.CancelFunc
	done     chan struct{}
}

// NewMain returns a server for cfg.
func NewMain(cfg Config, log *slog.Logger) *Main {
	return &Main{Config: cfg, Log: log, done: make(chan struct{})}
}

// Run opens the store, wires the services and starts serving. It returns
// once the server listens; Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			m.closeStore()
		}
	}()
	if m.listener, err = net.Listen("tcp", m.Config.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if m.Config.PublicURL == "" {
		m.Config.PublicURL = "http://" + m.listener.Addr().String()
	}
	handler, metrics, err := m.open(ctx)
	if err != nil {
		m.listener.Close()
		return err
	}
	m.serve(handler)
	if err := m.announce(ctx); err != nil {
		return err
	}
	// Start-up leaves garbage (schema parsing, migrations, package set-up);
	// return it to the system now rather than whenever the heap next grows.
	debug.FreeOSMemory()
	if err := m.startApart(metrics); err != nil {
		m.Close() // what already serves stops with the failure
		return err
	}
	return nil
}

// open opens the store, builds the services and returns the HTTP handler
// and the /metrics handler.
func (m *Main) open(ctx context.Context) (_, metrics http.Handler, err error) {
	if m.store, err = openStore(ctx, m.Config, m.Log); err != nil {
		return nil, nil, err
	}
	c := m.Config
	tokens, err := token.New(ctx, m.store, token.Config{Issuer: c.PublicURL, Audience: c.PublicURL, AccessTTL: c.AccessTokenTTL}, m.Log)
	if err != nil {
		return nil, nil, fmt.Errorf("signing keys: %w", err)
	}
	params := password.Params{Memory: uint32(c.Argon2MemoryKiB), Iterations: uint32(c.Argon2Iterations),
		Parallelism: uint8(c.Argon2Parallelism), SaltLength: 16, KeyLength: 32}
	if err := params.Validate(); err != nil {
		return nil, nil, fmt.Errorf("argon2 parameters: %w", err)
	}
	m.sessions = session.New(m.store, tokens, session.Config{IdleTimeout: c.SessionIdleTimeout,
		Lifetime: c.SessionLifetime, CacheTTL: c.SessionCacheTTL, FlushEvery: c.ActivityFlush,
		ReuseWindow: c.RefreshReuseWindow}, m.Log)
	roles := access.New(m.store, c.DefaultRole, 5*time.Second, m.Log)
	roles.OnHoldersChanged(m.sessions.ForgetUsers)
	if err := roles.EnsureBuiltIns(ctx); err != nil {
		return nil, nil, fmt.Errorf("built-in roles: %w", err)
	}
	hasher := password.NewHasher(params, c.HashConcurrency, password.QueueTimeout(c.HashQueueTimeout))
	devices, err := lockout.LoadDevices(ctx, m.store, mustRule(c.LoginLimitAccount))
	if err != nil {
		return nil, nil, err
	}
	m.accounts = account.New(account.Deps{
		Store: m.store, Hasher: hasher, Devices: devices,
		Policy: password.Policy{MinLength: c.PasswordMinLength}, Sessions: m.sessions, Access: roles, Log: m.Log,
		Limits: account.Limits{
			LoginPerIP:        ratelimit.New(mustRule(c.LoginLimitIP)),
			ConfirmPerAccount: ratelimit.New(mustRule(c.LoginLimitAccount)),
			LookupPerIP:       ratelimit.New(mustRule(c.LookupLimitIP)),
			SignupPerIP:       ratelimit.New(mustRule(c.SignupLimitIP)),
		},
	}, account.Config{SignupStatus: store.Status(c.SignupStatus), UsernameCaseSensitive: c.UsernameCaseSensitive,
		PhoneRegion: c.PhoneRegion, BootstrapToken: c.BootstrapToken, MaxFilterWidth: c.MaxFilterWidth,
		Lockout: c.lockoutPolicy()})
	if err := m.accounts.MigrateUsernameKeys(ctx); err != nil {
		return nil, nil, fmt.Errorf("username keys: %w", err)
	}
	proxies, _ := c.trustedProxies()
	origins, _ := c.corsOrigins()
	return httpapi.New(httpapi.Deps{
		Resolver: &resolvers.Resolver{Accounts: m.accounts, Sessions: m.sessions, Access: roles, Tokens: tokens, Log: m.Log},
		Store:    m.store, Hasher: hasher, Log: m.Log,
	}, httpapi.Config{
		CookieName: c.CookieName, CookieSecure: c.cookieSecure(), TrustedProxies: proxies,
		MaxBodyBytes: c.MaxBodyBytes, Introspection: c.Introspection, GraphiQL: c.GraphiQL,
		MaxDepth: c.MaxDepth, MaxComplexity: c.MaxComplexity, MaxTokens: 15000,
		MaxHashes: c.MaxHashes, TrustedOrigins: origins,
		MetricsApart: c.MetricsListen != "",
	})
}

// serve starts the HTTP server and the session manager's background work
// (activity flushes, purges).
func (m *Main) serve(h http.Handler) {
	m.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	bg, stop := context.WithCancel(context.Background())
	m.stop = stop
	go func() {
		m.sessions.Run(bg)
		close(m.done)
	}()
	go func() {
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Log.Error("http server", "err", err)
		}
	}()
}

// announce logs where to go, and the bootstrap token on the first start.
func (m *Main) announce(ctx context.Context) error {
	token, initialized, err := m.accounts.PrepareBootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	m.Log.Info("usergraph is listening", "graphql", m.URL()+"/graphql", "graphiql", m.URL()+"/", "database", redactURL(m.Config.DatabaseURL))
	switch {
	case token != "":
		m.Log.Warn("first start: create the first administrator with the initialize mutation (or `usergraph init`) using this one-time bootstrap token; it is not shown again",
			"bootstrap_token", token)
	case !initialized:
		m.Log.Warn("not initialized yet: use the bootstrap token printed at the first start, set USERGRAPH_BOOTSTRAP_TOKEN, or run `usergraph init`")
	}
	return nil
}

// startApart serves, only when asked, profiles and /metrics on addresses
// of their own, away from the API's clients.
func (m *Main) startApart(metrics http.Handler) (err error) {
	if m.Config.PprofListen != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		if m.pprof, err = m.listenApart("pprof", m.Config.PprofListen, mux); err != nil {
			return err
		}
	}
	if m.Config.MetricsListen != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		if m.metrics, err = m.listenApart("metrics", m.Config.MetricsListen, mux); err != nil {
			return err
		}
	}
	return nil
}

// listenApart serves h on addr; Close closes it.
func (m *Main) listenApart(name, addr string, h http.Handler) (*http.Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	srv := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	m.Log.Info(name+" is listening", "addr", srv.Addr)
	return srv, nil
}

// URL is the base URL the server listens on.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// MetricsURL is the base URL /metrics is served apart on ("" when it is on
// the API listener).
func (m *Main) MetricsURL() string {
	if m.metrics == nil {
		return ""
	}
	return "http://" + m.metrics.Addr
}

// Close finishes in-flight requests (up to 20 s), writes pending activity
// and closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		errs = append(errs, m.server.Shutdown(ctx))
		m.stop()
		<-m.done
	}
	for _, apart := range []*http.Server{m.pprof, m.metrics} {
		if apart != nil {
			apart.Close()
		}
	}
	errs = append(errs, m.closeStore())
	return errors.Join(errs...)
}

func (m *Main) closeStore() error {
	if m.store == nil {
		return nil
	}
	err := m.store.Close()
	m.store = nil
	return err
}

// openStore opens the backend the database URL names.
func openStore(ctx context.Context, c Config, log *slog.Logger) (store.Store, error) {
	paths, _ := c.indexedPaths()
	switch {
	case strings.HasPrefix(c.DatabaseURL, "sqlite:"):
		db, err := sqlite.Open(ctx, strings.TrimPrefix(c.DatabaseURL, "sqlite:"), sqlite.Options{IndexedPaths: paths})
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		return db, nil
	case strings.HasPrefix(c.DatabaseURL, "mongodb://"), strings.HasPrefix(c.DatabaseURL, "mongodb+srv://"):
		db, err := mongo.Open(ctx, c.DatabaseURL, mongo.Options{Database: c.MongoDatabase, Timeout: c.MongoTimeout,
			MaxPoolSize: uint64(c.MongoMaxPoolSize), IndexedPaths: paths, Log: log})
		if err != nil {
			return nil, fmt.Errorf("database: %w", err)
		}
		return db, nil
	}
	return nil, fmt.Errorf("database-url must start with sqlite: or mongodb:// (got %q)", redactURL(c.DatabaseURL))
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

func (c Config) cookieSecure() bool {
	switch c.CookieSecure {
	case "true":
		return true
	case "false":
		return false
	}
	return strings.HasPrefix(c.PublicURL, "https://")
}

func newLogger(c Config, w *os.File) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// setMemoryLimit gives the Go runtime a soft memory limit, so a burst of
// sign-ins (each argon2id hash allocates its memory anew) makes the
// collector work harder instead of letting the heap double. GOMEMLIMIT in
// the environment takes precedence, as the runtime documents.
func setMemoryLimit(c Config) {
	if os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	if n, _ := c.memoryLimit(); n > 0 {
		debug.SetMemoryLimit(n)
	}
}
