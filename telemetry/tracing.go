package telemetry

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Tracing is the server's tracer provider and whether it records. Every
// layer gets its tracers from Provider and checks On (or the context's
// span) before doing tracing work, so tracing off costs a no-op.
type Tracing struct {
	Provider trace.TracerProvider // never nil
	on       bool
	shutdown func(context.Context) error // flushes and stops what StartTracing made
}

// TracingOff is the no-op tracing of a server without USERGRAPH_OTEL.
func TracingOff() *Tracing {
	return &Tracing{Provider: noop.NewTracerProvider()}
}

// StartTracing returns tracing exported over OTLP/HTTP in batches. The
// exporter, the SDK and the batcher read the standard variables
// themselves: OTEL_EXPORTER_OTLP_ENDPOINT (default http://localhost:4318)
// or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, …_HEADERS, …_TIMEOUT,
// …_COMPRESSION, …_CERTIFICATE, OTEL_TRACES_SAMPLER(_ARG) (default: follow
// the caller's sampling decision, sample new traces), OTEL_BSP_*,
// OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES. The service is named
// usergraph at version unless those say otherwise. Nothing is sent until a
// span ends, so an unreachable collector does not stop the server from
// starting; its failures go to the OpenTelemetry error handler.
func StartTracing(ctx context.Context, version string) (*Tracing, error) {
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "usergraph"), attribute.String("service.version", version)),
		resource.WithTelemetrySDK(),
		resource.WithFromEnv(), // last: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win
	)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return &Tracing{Provider: tp, on: true, shutdown: tp.Shutdown}, nil
}

// TracingWith is tracing into tp, a provider the caller owns and shuts
// down (tests give one with an in-memory exporter).
func TracingWith(tp trace.TracerProvider) *Tracing {
	return &Tracing{Provider: tp, on: true}
}

// On reports whether spans are recorded at all.
func (t *Tracing) On() bool { return t.on }

// Propagator reads and writes the W3C traceparent and tracestate headers,
// so a trace begun at a proxy or a client continues here.
func (t *Tracing) Propagator() propagation.TextMapPropagator { return propagation.TraceContext{} }

// Shutdown sends the spans still buffered and stops the exporter that
// StartTracing made.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t.shutdown == nil {
		return nil
	}
	return t.shutdown(ctx)
}
