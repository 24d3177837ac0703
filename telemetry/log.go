package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"
)

// Logger returns log with every line written with a request's context
// (log.InfoContext(ctx, …)) carrying that request's id as request_id, and,
// while tracing, its trace_id and span_id, so that a request's lines can
// be found together and next to its trace. Lines written without such a
// context are unchanged. Logger(Logger(l)) adds the attributes once.
func Logger(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(requestHandler); ok {
		return log
	}
	return slog.New(requestHandler{log.Handler()})
}

// requestHandler is the slog.Handler Logger wraps around another.
type requestHandler struct{ next slog.Handler }

func (h requestHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.next.Enabled(ctx, l)
}

func (h requestHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return h.next.Handle(ctx, r)
}

func (h requestHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestHandler{h.next.WithAttrs(attrs)}
}

func (h requestHandler) WithGroup(name string) slog.Handler {
	return requestHandler{h.next.WithGroup(name)}
}
