package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics are the Prometheus series /metrics exposes: requests and their
// latency per route, plus the Go runtime and process collectors. Each
// server gets its own registry, so tests can run several servers.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "usergraph_http_requests_total", Help: "HTTP requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "usergraph_http_request_duration_seconds", Help: "HTTP request latency by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
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
	status int
}

func (s *statusWriter) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }
