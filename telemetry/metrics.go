package telemetry

import (
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// NewRegistry returns the registry /metrics serves, with the Go runtime's
// and the process's collectors and usergraph_build_info. Each server has
// its own, so that tests can run several in one process.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	version, revision := Build()
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "usergraph_build_info",
		Help:        "Always 1: the version and VCS revision of the running binary.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision},
	})
	info.Set(1)
	reg.MustRegister(info, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// Build returns the module version and the VCS revision the binary was
// built from, as the Go toolchain recorded them: "(devel)" for a build of
// a working tree, "unknown" where no revision was recorded (go test, go
// run), and "+modified" after the revision of a tree with changes.
func Build() (version, revision string) {
	version, revision = "unknown", "unknown"
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return version, revision
	}
	if info.Main.Version != "" {
		version = info.Main.Version
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && revision != "unknown" {
		revision += "+modified"
	}
	return version, revision
}

// SignInCounter registers usergraph_signins_total on reg with each of
// outcomes at zero (so that a rate over it exists before the first
// failure), and returns the func that counts one sign-in of an outcome.
// The outcomes are the account service's, a fixed set: label values never
// come from a client.
func SignInCounter(reg prometheus.Registerer, outcomes []string) func(outcome string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "usergraph_signins_total",
		Help: "Sign-in attempts by outcome (success, invalid_credentials, locked, not_active, rate_limited, device_denied, email_not_verified, …).",
	}, []string{"outcome"})
	for _, o := range outcomes {
		c.WithLabelValues(o)
	}
	reg.MustRegister(c)
	return func(outcome string) { c.WithLabelValues(outcome).Inc() }
}
