package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"slices"
	"sync"

	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A fault is an error the server, not the client, is to blame for: a store
// that cannot answer, a bug, a panic (apperr.IsFault). The client learns
// only that it happened and the request id to quote; the log gets the
// cause, once per request, however many layers or fields the same error
// passes through (the authenticator, then every field that needs the
// caller, say). Only logFault logs faults of requests: services return
// them and do not log.

type faultLogKey struct{}

// faultLog remembers the faults already logged for one request.
type faultLog struct {
	mu     sync.Mutex
	logged []error
}

// withFaultLog gives a request's context its fault log (withRequestID).
func withFaultLog(ctx context.Context) context.Context {
	return context.WithValue(ctx, faultLogKey{}, &faultLog{})
}

// first reports whether err is new to the log. Errors are compared by
// identity; the rare error type that cannot be compared counts as new.
func (f *faultLog) first(err error) bool {
	if !reflect.TypeOf(err).Comparable() {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if slices.Contains(f.logged, err) {
		return false
	}
	f.logged = append(f.logged, err)
	return true
}

// logFault logs err, a fault of the request in ctx (with the request id,
// which the logger, telemetry.Logger, takes from ctx), unless this
// request logged it already. A panic's stack goes with it.
// The attributes are the error and where it happened, never the request's
// variables or headers, which hold passwords and tokens.
func logFault(ctx context.Context, log *slog.Logger, msg string, err error, attrs ...any) {
	if f, _ := ctx.Value(faultLogKey{}).(*faultLog); f != nil && !f.first(err) {
		return
	}
	attrs = append([]any{"err", err}, attrs...) // request_id: telemetry.Logger adds it
	var p *panicked
	if errors.As(err, &p) {
		attrs = append(attrs, "stack", string(p.stack))
	}
	log.ErrorContext(ctx, msg, attrs...)
}

// panicked is a recovered panic with the stack it was raised on
// (runtime/debug.Stack, taken in the deferred recover).
type panicked struct {
	value any
	stack []byte
}

func (p *panicked) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// internalError is all a client sees of a fault.
func internalError(ctx context.Context) *gqlerror.Error {
	id := RequestID(ctx)
	return &gqlerror.Error{
		Message:    "internal error (request " + id + ")",
		Extensions: map[string]any{"code": string(apperr.Internal), "requestId": id},
	}
}

// writeFault logs err and answers a plain HTTP request with status and
// INTERNAL (HEAD: the status only).
func writeFault(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, msg string, err error) {
	logFault(r.Context(), log, msg, err)
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeJSON(w, status, map[string]any{"errors": []*gqlerror.Error{internalError(r.Context())}})
}
