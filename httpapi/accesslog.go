package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// observe writes each request's access-log line and, while tracing, wraps
// it in a server span that continues the caller's trace (an inbound W3C
// traceparent). It sits inside withRequestID, so the line carries the
// request id (telemetry.Logger), and outside withRecover, so a panic's
// 500 is logged like any answer.
//
// The line says: method, route (the mux pattern, never the path or the
// query string, which carry reset and verification tokens), status,
// duration, client address and, for GraphQL, the operation's name, root
// field and code. Never a header: Authorization and Cookie hold
// credentials. Probes and scrapes (/healthz, /readyz, /metrics) are
// logged at debug: at info they would drown the rest.
//
// The route is the pattern mux would choose, found before the request
// goes on: a request refused before the mux (a CORS preflight, the
// cross-origin check, the body limit) is logged under its route too.
func (t *Telemetry) observe(log *slog.Logger, mux *http.ServeMux, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		_, route := mux.Handler(r)
		rec := &record{}
		ctx := context.WithValue(r.Context(), recordKey{}, rec)
		var span trace.Span
		if t.tracer != nil {
			ctx = t.propagator.Extract(ctx, propagation.HeaderCarrier(r.Header))
			ctx, span = t.tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("usergraph.request_id", RequestID(ctx))))
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r.WithContext(ctx))
		if span != nil {
			endServerSpan(span, r.Method, route, sw.status)
		}
		accessLine(ctx, log, r.Method, route, rec, sw.status, time.Since(start))
	})
}

// endServerSpan names the span after the route ("POST /graphql") and
// records the status; a 5xx is an error.
func endServerSpan(span trace.Span, method, route string, status int) {
	if route != "" {
		if !strings.Contains(route, " ") { // a pattern without a method
			route = method + " " + route
		}
		span.SetName(route)
		span.SetAttributes(attribute.String("http.route", route[strings.Index(route, " ")+1:]))
	}
	span.SetAttributes(attribute.Int("http.response.status_code", status))
	if status >= 500 {
		span.SetStatus(codes.Error, http.StatusText(status))
	}
	span.End()
}

// probes are the routes logged at debug.
var probes = map[string]bool{"GET /healthz": true, "GET /readyz": true, "GET /metrics": true}

func accessLine(ctx context.Context, log *slog.Logger, method, route string, rec *record, status int, took time.Duration) {
	level := slog.LevelInfo
	if probes[route] {
		level = slog.LevelDebug
	}
	if !log.Enabled(ctx, level) {
		return
	}
	if route == "" {
		route = "unmatched"
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("route", route), slog.Int("status", status),
		slog.Duration("duration", took), slog.String("client_ip", rec.clientIP)}
	if rec.operation != "" {
		attrs = append(attrs, slog.String("operation", rec.operation), slog.String("root_field", rec.rootField), slog.String("code", rec.code))
	}
	log.LogAttrs(ctx, level, "request", attrs...)
}
