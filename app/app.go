// Package app assembles usergraph: a Config parsed once (config.go,
// flags.go), the wiring from the store through the services to the HTTP
// surface (wire.go), the Main that runs it, and the commands of the
// usergraph binary (commands.go) that server.go dispatches to.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/telemetry"
)

// The HTTP servers' timeouts. A client has this long to send its request
// headers (slow-header attacks hold connections otherwise), an idle
// keep-alive connection is closed after this long, and Close waits this
// long for the requests in flight (a sign-in queued for a hashing slot
// included) before it drops them.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
	shutdownTimeout   = 20 * time.Second
)

// Main is one running server: configuration → store → services → HTTP.
// The serve command and the end-to-end tests start it with Run and stop it
// with Close.
type Main struct {
	cfg Config
	log *slog.Logger

	svc      *services
	server   *http.Server
	pprof    *http.Server
	metrics  *http.Server // when /metrics is served apart
	listener net.Listener
	stop     context.CancelFunc // ends the background work (sessions, outbox, recovery)
	done     chan struct{}      // closed when it has ended: deliveries in flight recorded
	tracing  *telemetry.Tracing // nil until Run, unless TraceWith set it
}

// New returns a server for cfg. Its log lines written for a request carry
// the request's id (telemetry.Logger).
func New(cfg Config, log *slog.Logger) *Main {
	return &Main{cfg: cfg, log: telemetry.Logger(log), done: make(chan struct{})}
}

// TraceWith makes the server trace into tp, whatever USERGRAPH_OTEL says:
// for tests (an in-memory exporter) and programs that embed the server
// with a tracer provider of their own, which they shut down. Call it
// before Run.
func (m *Main) TraceWith(tp trace.TracerProvider) {
	m.tracing = telemetry.TracingWith(tp)
}

// Run checks the configuration (a Config built by hand, not by Load, is
// checked here), opens the store, wires the services and starts serving.
// It returns once the server listens; Close stops it.
func (m *Main) Run(ctx context.Context) (err error) {
	if err := m.cfg.Check(); err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	if m.listener, err = net.Listen("tcp", m.cfg.HTTP.Listen); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if m.cfg.HTTP.PublicURL == "" {
		m.cfg.HTTP.PublicURL = "http://" + m.listener.Addr().String()
	}
	if err := m.startTracing(ctx); err != nil {
		m.listener.Close()
		return err
	}
	if m.svc, err = openServices(ctx, m.cfg, m.log, watch{registry: telemetry.NewRegistry(), tracing: m.tracing}); err != nil {
		m.listener.Close()
		return err
	}
	api, metrics, err := m.svc.handler(m.cfg, m.log)
	if err != nil {
		m.listener.Close()
		m.svc.close()
		return err
	}
	m.serve(api)
	if err := m.announce(ctx); err != nil {
		m.Close()
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

// startTracing sets up tracing: the provider TraceWith gave, else OTLP
// when the configuration asks for it, else none.
func (m *Main) startTracing(ctx context.Context) error {
	switch {
	case m.tracing != nil:
	case m.cfg.Telemetry.OTel:
		version, _ := telemetry.Build()
		t, err := telemetry.StartTracing(ctx, version)
		if err != nil {
			return err
		}
		m.tracing = t
	default:
		m.tracing = telemetry.TracingOff()
	}
	return nil
}

// serve starts the HTTP server and the background work: the session
// manager's (activity flushes, purges), the outbox worker (mail and SMS
// deliveries), the recovery service's purges, and social sign-in's
// (discovery documents read ahead, expired states purged).
func (m *Main) serve(h http.Handler) {
	m.server = &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout}
	bg, stop := context.WithCancel(context.Background())
	m.stop = stop
	var work sync.WaitGroup
	work.Go(func() { m.svc.sessions.Run(bg) })
	work.Go(func() { m.svc.worker.Run(bg) })
	work.Go(func() { m.svc.recovery.Run(bg) })
	work.Go(func() { m.svc.events.Run(bg) })
	work.Go(func() { m.svc.social.Warm(bg) })
	work.Go(func() { m.svc.social.Run(bg) })
	go func() {
		work.Wait()
		close(m.done)
	}()
	go func() {
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("http server", "err", err)
		}
	}()
}

// announce logs where to go, and the bootstrap token on the first start.
func (m *Main) announce(ctx context.Context) error {
	token, initialized, err := m.svc.accounts.PrepareBootstrap(ctx)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	m.log.Info("usergraph is listening", "graphql", m.URL()+"/graphql", "graphiql", m.URL()+"/",
		"database", redactURL(m.cfg.Store.URL), "version", buildVersion())
	switch {
	case token != "":
		m.log.Warn("first start: create the first administrator with the initialize mutation (or `usergraph init`) using this one-time bootstrap token; it is not shown again",
			"bootstrap_token", token)
	case !initialized:
		m.log.Warn("not initialized yet: use the bootstrap token printed at the first start, set USERGRAPH_BOOTSTRAP_TOKEN, or run `usergraph init`")
	}
	return nil
}

// startApart serves, only when asked, profiles and /metrics on addresses
// of their own, away from the API's clients.
func (m *Main) startApart(metrics http.Handler) (err error) {
	if addr := m.cfg.HTTP.PprofListen; addr != "" {
		mux := http.NewServeMux()
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
		if m.pprof, err = m.listenApart("pprof", addr, mux); err != nil {
			return err
		}
	}
	if addr := m.cfg.HTTP.MetricsListen; addr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", metrics)
		if m.metrics, err = m.listenApart("metrics", addr, mux); err != nil {
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
	srv := &http.Server{Addr: ln.Addr().String(), Handler: h, ReadHeaderTimeout: readHeaderTimeout}
	go srv.Serve(ln)
	m.log.Info(name+" is listening", "addr", srv.Addr)
	return srv, nil
}

// URL is the base URL the server listens on (after Run).
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// MetricsURL is the base URL /metrics is served apart on ("" when it is
// on the API listener).
func (m *Main) MetricsURL() string {
	if m.metrics == nil {
		return ""
	}
	return "http://" + m.metrics.Addr
}

// Close finishes in-flight requests (up to shutdownTimeout), then stops
// the background work: pending activity is written, and the outbox worker
// finishes and records the deliveries in flight (each bounded by its
// timeout; what is still queued stays for the next start). Then it closes
// the store.
func (m *Main) Close() error {
	var errs []error
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		errs = append(errs, m.server.Shutdown(ctx))
		m.stop()
		<-m.done
		m.server = nil
	}
	for _, apart := range []*http.Server{m.pprof, m.metrics} {
		if apart != nil {
			apart.Close()
		}
	}
	if m.svc != nil {
		errs = append(errs, m.svc.close())
		m.svc = nil
	}
	if m.tracing != nil { // the spans of the last requests and deliveries go out
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		errs = append(errs, m.tracing.Shutdown(ctx))
	}
	return errors.Join(errs...)
}
