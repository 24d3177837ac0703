package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/usergraph/usergraph/telemetry"
)

// The panic paths cannot be reached through the public API (no resolver
// panics on purpose), so these tests run the real middleware and the real
// gqlgen hooks on a handler and a resolver that panic.

// errorLines returns the ERROR lines of a text log.
func errorLines(log *bytes.Buffer) []string {
	var out []string
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			out = append(out, line)
		}
	}
	return out
}

// wantOnePanicLine fails unless log holds exactly one error line, for
// requestID, with the panic's value and a stack through frame.
func wantOnePanicLine(t *testing.T, log *bytes.Buffer, requestID, value, frame string) {
	t.Helper()
	lines := errorLines(log)
	if len(lines) != 1 {
		t.Fatalf("%d error lines, want 1:\n%s", len(lines), log)
	}
	for _, want := range []string{"request_id=" + requestID, value, "stack=", "goroutine", frame} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the log line lacks %q:\n%s", want, lines[0])
		}
	}
}

func panickingHandler(http.ResponseWriter, *http.Request) { panic("handler exploded") }

func TestWithRecoverLogsStackAndAnswersRequestID(t *testing.T) {
	var log bytes.Buffer
	srv := httptest.NewServer(withRequestID(withRecover(telemetry.Logger(slog.New(slog.NewTextHandler(&log, nil))), http.HandlerFunc(panickingHandler))))
	defer srv.Close()

	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500", res.StatusCode)
	}
	id := res.Header.Get("X-Request-Id")
	var body struct {
		Errors []gqlerror.Error `json:"errors"`
	}
	raw, _ := io.ReadAll(res.Body)
	if err := json.Unmarshal(raw, &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("body = %s, want one GraphQL-shaped error", raw)
	}
	e := body.Errors[0]
	if got := e.Extensions["code"]; got != "INTERNAL" {
		t.Errorf("code = %v, want INTERNAL", got)
	}
	if got := e.Extensions["requestId"]; got != id || id == "" {
		t.Errorf("requestId = %v, want the X-Request-Id %q", got, id)
	}
	if strings.Contains(e.Message, "exploded") {
		t.Errorf("the message reveals the panic: %q", e.Message)
	}
	wantOnePanicLine(t, &log, id, "handler exploded", "panickingHandler")
}

// resolveAndPanic runs a resolver that panics the way gqlgen's generated
// code does: recovered in a deferred call, passed to the recover func, and
// the result given to the error presenter with the field's path.
func resolveAndPanic(ctx context.Context, log *slog.Logger) (presented *gqlerror.Error) {
	defer func() {
		if p := recover(); p != nil {
			err := gqlerror.WrapPath(ast.Path{ast.PathName("me")}, recoverFunc()(ctx, p))
			presented = presentError(log, newTestTelemetry().metrics)(ctx, err)
		}
	}()
	panickingResolver()
	return nil
}

func panickingResolver() { panic("resolver exploded") }

func TestResolverPanicIsOneFaultWithStack(t *testing.T) {
	var log bytes.Buffer
	logger := telemetry.Logger(slog.New(slog.NewTextHandler(&log, nil)))
	ctx := withFaultLog(telemetry.WithRequestID(context.Background(), "req-1"))

	e := resolveAndPanic(ctx, logger)
	if got := e.Extensions["code"]; got != "INTERNAL" {
		t.Errorf("code = %v, want INTERNAL", got)
	}
	if got := e.Extensions["requestId"]; got != "req-1" {
		t.Errorf("requestId = %v, want req-1", got)
	}
	if got, want := e.Path.String(), "me"; got != want {
		t.Errorf("path = %q, want %q", got, want)
	}
	if strings.Contains(e.Message, "exploded") {
		t.Errorf("the message reveals the panic: %q", e.Message)
	}
	wantOnePanicLine(t, &log, "req-1", "resolver exploded", "panickingResolver")
}

// One fault shared by several fields (the authenticator's, or a batch
// load's) is logged once per request; another fault of the same request,
// and the same fault in another request, are logged too.
func TestPresenterLogsEachFaultOncePerRequest(t *testing.T) {
	var log bytes.Buffer
	present := presentError(telemetry.Logger(slog.New(slog.NewTextHandler(&log, nil))), newTestTelemetry().metrics)
	shared, other := errors.New("store down"), errors.New("store still down")
	req1 := withFaultLog(telemetry.WithRequestID(context.Background(), "req-1"))
	req2 := withFaultLog(telemetry.WithRequestID(context.Background(), "req-2"))

	for _, c := range []struct {
		ctx   context.Context
		field string
		err   error
	}{{req1, "a", shared}, {req1, "b", shared}, {req1, "c", other}, {req2, "a", shared}} {
		// gqlgen wraps the resolver's error anew for each field.
		e := present(c.ctx, gqlerror.WrapPath(ast.Path{ast.PathName(c.field)}, c.err))
		if got := e.Extensions["code"]; got != "INTERNAL" {
			t.Errorf("%s: code = %v, want INTERNAL", c.field, got)
		}
	}
	lines := errorLines(&log)
	want := []struct{ id, cause string }{{"req-1", "store down"}, {"req-1", "store still down"}, {"req-2", "store down"}}
	if len(lines) != len(want) {
		t.Fatalf("%d error lines, want %d (shared and other in req-1, shared in req-2):\n%s", len(lines), len(want), log.String())
	}
	for i, w := range want {
		if !strings.Contains(lines[i], "request_id="+w.id) || !strings.Contains(lines[i], `err="`+w.cause+`"`) {
			t.Errorf("line %d = %s, want request %s and cause %q", i, lines[i], w.id, w.cause)
		}
	}
}

// Introspection refused while switched off is the client's doing: a coded
// validation error, nothing logged.
func TestPresenterRecognisesIntrospectionRefusal(t *testing.T) {
	var log bytes.Buffer
	ctx := withFaultLog(telemetry.WithRequestID(context.Background(), "req-1"))
	e := presentError(telemetry.Logger(slog.New(slog.NewTextHandler(&log, nil))), newTestTelemetry().metrics)(ctx, gqlerror.WrapPath(ast.Path{ast.PathName("__schema")}, errIntrospectionOff))
	if got := e.Extensions["code"]; got != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("code = %v, want GRAPHQL_VALIDATION_FAILED", got)
	}
	if lines := errorLines(&log); len(lines) != 0 {
		t.Errorf("a refused introspection was logged as a fault:\n%s", log.String())
	}
}
