// Package storetrace times and traces every call to a store.Store: a
// decorator the wiring puts around the backend. Each call is observed in
// usergraph_store_duration_seconds{op} (op: the method's name) and, inside
// a traced request or delivery, gets a span named after the method. Spans
// carry the method and the backend, never a record's contents, an id or
// a key: those name people. Calls outside a trace (the background work's
// polls and flushes) start none, so tracing adds no orphan traces, and
// with tracing off the cost is one context look-up.
//
// The methods are generated from store.Store (methods_gen.go,
// internal/genmethods): go generate after adding one.
package storetrace

//go:generate go run ./internal/genmethods

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/store"
)

// Store is a store.Store whose calls are timed and traced. It embeds the
// store it decorates, so a method added to store.Store and not yet
// generated here still works, untimed.
type Store struct {
	store.Store
	next     store.Store
	tracer   trace.Tracer
	system   attribute.KeyValue
	duration [len(methods)]prometheus.Observer
}

// New returns next timed into reg and traced with tp. system names the
// backend in spans ("sqlite", "mongodb").
func New(next store.Store, system string, reg prometheus.Registerer, tp trace.TracerProvider) *Store {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "usergraph_store_duration_seconds",
		Help:    "Duration of store calls by method.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"op"})
	reg.MustRegister(h)
	s := &Store{Store: next, next: next, tracer: tp.Tracer("github.com/usergraph/usergraph/store/storetrace"),
		system: attribute.String("db.system.name", system)}
	for i, name := range methods {
		s.duration[i] = h.WithLabelValues(name)
	}
	return s
}

// call is one call in progress.
type call struct {
	op    int
	start time.Time
	span  trace.Span // nil: not traced
}

// begin starts timing method op and, when ctx is part of a recorded
// trace, its span.
func (s *Store) begin(ctx context.Context, op int) (context.Context, call) {
	c := call{op: op, start: time.Now()}
	if trace.SpanFromContext(ctx).IsRecording() {
		ctx, c.span = s.tracer.Start(ctx, methods[op], trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(s.system, attribute.String("db.operation.name", methods[op])))
	}
	return ctx, c
}

// end observes the call's duration and ends its span. A sentinel the
// callers expect (not found, already exists, a lost compare-and-swap) is
// an outcome, not an error; anything else marks the span as failed,
// without the error's text, which may quote stored values.
func (s *Store) end(c call, err error) {
	s.duration[c.op].Observe(time.Since(c.start).Seconds())
	if c.span == nil {
		return
	}
	if outcome := outcomeOf(err); outcome != "" {
		c.span.SetAttributes(attribute.String("usergraph.store.outcome", outcome))
		if outcome == "error" {
			c.span.SetStatus(codes.Error, "store error")
		}
	}
	c.span.End()
}

func outcomeOf(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, store.ErrNotFound):
		return "not_found"
	case errors.Is(err, store.ErrAlreadyExists):
		return "already_exists"
	case errors.Is(err, store.ErrConflict):
		return "conflict"
	case errors.Is(err, store.ErrInvalid):
		return "invalid"
	}
	return "error"
}
