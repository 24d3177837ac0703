package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/usergraph/usergraph/apperr"
)

// metrics are the Prometheus series of the HTTP surface: requests and
// their latency per route, GraphQL operations by root field and code, and
// the attempts refused by a rate limit. They live on the server's
// registry (telemetry.NewRegistry), beside the runtime's, the store's
// and the sign-ins'.
type metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	operations  *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
}

func newMetrics(reg *prometheus.Registry) *metrics {
	m := &metrics{
		reg: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usergraph_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "usergraph_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
		operations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usergraph_graphql_operations_total",
			Help: "GraphQL operations by operation (the first root field, or anonymous when the request named none the schema has) and code (OK, or the first error's code).",
		}, []string{"operation", "code"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usergraph_rate_limited_total", Help: "Attempts answered RATE_LIMITED, by the limit that refused them.",
		}, []string{"rule"}),
	}
	for _, rule := range apperr.LimitRules() {
		m.rateLimited.WithLabelValues(rule) // at 0, so that rates exist before the first refusal
	}
	reg.MustRegister(m.requests, m.latency, m.operations, m.rateLimited)
	return m
}

// limited counts an attempt a rate limit refused.
func (m *metrics) limited(e *apperr.Error) {
	rule := e.Rule
	if rule == "" {
		rule = "other"
	}
	m.rateLimited.WithLabelValues(rule).Inc()
}

// watchHasher exports the password hasher's totals: how long hashes take
// at the configured cost, and how long sign-ins queue for a slot.
func (m *metrics) watchHasher(stats func() HashStats) {
	counter := func(name, help string, v func(HashStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return v(stats()) })
	}
	gauge := func(name, help string, v func(HashStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return v(stats()) })
	}
	m.reg.MustRegister(
		counter("usergraph_password_hashes_total", "Password hashes and verifications computed.",
			func(s HashStats) float64 { return float64(s.Hashes) }),
		counter("usergraph_password_hash_seconds_total", "Time spent computing password hashes.",
			func(s HashStats) float64 { return s.Work.Seconds() }),
		counter("usergraph_password_hash_wait_seconds_total", "Time requests waited for a hashing slot.",
			func(s HashStats) float64 { return s.Wait.Seconds() }),
		counter("usergraph_password_hash_refusals_total", "Sign-ins answered RATE_LIMITED because no hashing slot freed up within the queue timeout.",
			func(s HashStats) float64 { return float64(s.Refused) }),
		gauge("usergraph_password_hashes_in_flight", "Password hashes computing now.",
			func(s HashStats) float64 { return float64(s.InFlight) }),
		gauge("usergraph_password_hashes_waiting", "Requests waiting for a hashing slot now.",
			func(s HashStats) float64 { return float64(s.Waiting) }),
	)
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// route counts and times the requests of one route.
func (m *metrics) route(name string, next http.Handler) http.Handler {
	latency := m.latency.WithLabelValues(name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		latency.Observe(time.Since(start).Seconds())
		m.requests.WithLabelValues(name, strconv.Itoa(sw.status)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (s *statusWriter) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	s.wroteHeader = true // an implicit 200
	return s.ResponseWriter.Write(b)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
