package httpapi

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/telemetry"
)

// Telemetry is what the HTTP surface reports into: the metrics it keeps on
// the server's registry, and the tracing of requests, GraphQL operations
// and resolvers. One is shared by the GraphQL endpoint (NewGraphQL) and
// the surface around it (New, through Deps).
type Telemetry struct {
	metrics    *metrics
	tracer     trace.Tracer // nil: tracing is off, and no span is started
	propagator propagation.TextMapPropagator
}

// NewTelemetry registers the HTTP surface's series on reg and traces with
// tracing's provider when tracing is on.
func NewTelemetry(reg *prometheus.Registry, tracing *telemetry.Tracing) *Telemetry {
	t := &Telemetry{metrics: newMetrics(reg), propagator: tracing.Propagator()}
	if tracing.On() {
		t.tracer = tracing.Provider.Tracer("github.com/usergraph/usergraph/httpapi")
	}
	return t
}

// newTestTelemetry is the telemetry of a surface built without one (unit
// tests): a registry of its own, tracing off.
func newTestTelemetry() *Telemetry {
	return NewTelemetry(telemetry.NewRegistry(), telemetry.TracingOff())
}

type recordKey struct{}

// record is what one request's access-log line says beyond the request
// line, filled in by the layers the request passes: the client's address
// by withClient, the GraphQL operation by the operation observer
// (graphqlobserve.go). Each field is written by one layer, before the
// access log reads it at the end of the request.
type record struct {
	clientIP  string
	operation string // the operation's name, "anonymous" without one; "" not GraphQL
	rootField string // usergraph_graphql_operations_total's operation label
	code      string // OK, or the first error's code
}

// recordFrom returns the request's record (nil outside a request).
func recordFrom(ctx context.Context) *record {
	r, _ := ctx.Value(recordKey{}).(*record)
	return r
}
