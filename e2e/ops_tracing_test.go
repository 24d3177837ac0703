package e2e

import (
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/app"
)

// OpenTelemetry tracing, recorded by the SDK's in-memory exporter: the
// server traces into it as it would into OTLP (app.Main.TraceWith).

// startTraced starts a server that traces into a provider whose spans
// the returned exporter holds, each as soon as it ends.
func startTraced(t *testing.T, opts ...option) (*testServer, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(t.Context()) })
	ts, err := launch(t, serverConfig(t, opts...), func(m *app.Main) { m.TraceWith(tp) })
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	return ts, exp
}

// A W3C traceparent as a proxy in front would send it.
const (
	inboundTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	inboundSpanID  = "00f067aa0ba902b7"
	traceparent    = "00-" + inboundTraceID + "-" + inboundSpanID + "-01"
)

func TestTracingOfAGraphQLOperation(t *testing.T) {
	t.Parallel()
	ts, exp := startTraced(t)
	const secret = "Traced-Secret-Passw0rd"
	r := ts.post(t, `mutation SignMeUp($in: SignupInput!) { signup(input: $in) { user { id } } }`,
		vars{"in": vars{"username": "traced", "email": "traced@example.com", "password": secret}}, "traceparent", traceparent)
	if r.code() != "" {
		t.Fatalf("signup: %v", r.Errors)
	}
	// The password again, written into the document itself this time.
	ts.post(t, `mutation { login(input: {identifier: "traced", password: "`+secret+`"}) { accessToken } }`, nil)

	spans := waitForSpan(t, exp, "POST /graphql", inboundTraceID)
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, s := range spans {
		byID[s.SpanContext.SpanID()] = s
	}
	server := find(t, spans, "POST /graphql", inboundTraceID)
	if got := server.Parent.SpanID().String(); got != inboundSpanID {
		t.Errorf("the request's span has parent %s, want the traceparent's %s", got, inboundSpanID)
	}
	if server.SpanKind != trace.SpanKindServer {
		t.Errorf("the request's span is of kind %v, want server", server.SpanKind)
	}
	op := find(t, spans, "SignMeUp", inboundTraceID)
	wantAttr(t, op, "graphql.operation.type", "mutation")
	wantAttr(t, op, "graphql.operation.name", "SignMeUp")
	wantParent(t, op, server)
	resolver := find(t, spans, "Mutation.signup", inboundTraceID)
	wantAttr(t, resolver, "graphql.field.name", "signup")
	wantParent(t, resolver, op)
	create := find(t, spans, "CreateUser", inboundTraceID)
	wantAttr(t, create, "db.operation.name", "CreateUser")
	if !descends(create, resolver, byID) {
		t.Errorf("the store's CreateUser span does not descend from the signup resolver's")
	}

	// The second request had no traceparent: a trace of its own.
	if login := find(t, spans, "anonymous", ""); login.SpanContext.TraceID().String() == inboundTraceID {
		t.Errorf("a request without traceparent joined the other request's trace")
	}
	for _, s := range spans {
		for _, a := range s.Attributes {
			if strings.Contains(a.Value.Emit(), secret) {
				t.Errorf("span %q attribute %s holds the password: %q", s.Name, a.Key, a.Value.Emit())
			}
		}
		if strings.Contains(s.Name, secret) {
			t.Errorf("a span is named with the password: %q", s.Name)
		}
		for _, e := range s.Events {
			for _, a := range e.Attributes {
				if strings.Contains(a.Value.Emit(), secret) {
					t.Errorf("span %q event %q holds the password", s.Name, e.Name)
				}
			}
		}
	}
}

// A mail delivery is a trace of its own, with its kind and outcome.
func TestTracingOfADelivery(t *testing.T) {
	t.Parallel()
	ts, exp := startTraced(t)
	ts.signup(t, "mailed", testPassword)
	ts.mustGQL(t, "", `mutation { requestPasswordReset(email: "mailed@example.com") }`, nil)
	d := waitForSpan(t, exp, "outbox.deliver mail", "")
	s := find(t, d, "outbox.deliver mail", "")
	wantAttr(t, s, "outbox.kind", "mail")
	wantAttr(t, s, "outbox.outcome", "DELIVERED")
	if s.Parent.IsValid() {
		t.Errorf("the delivery's span has a parent %s; want a trace of its own", s.Parent.SpanID())
	}
}

// waitForSpan waits until the exporter holds an ended span named name
// (in trace traceID, unless ""), and returns every span it holds. A
// request's span ends after its answer is written.
func waitForSpan(t *testing.T, exp *tracetest.InMemoryExporter, name, traceID string) tracetest.SpanStubs {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		spans := exp.GetSpans()
		for _, s := range spans {
			if s.Name == name && (traceID == "" || s.SpanContext.TraceID().String() == traceID) {
				return spans
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no span %q after 5 s; spans: %v", name, names(spans))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// find returns the span named name (in trace traceID, unless "").
func find(t *testing.T, spans tracetest.SpanStubs, name, traceID string) tracetest.SpanStub {
	t.Helper()
	for _, s := range spans {
		if s.Name == name && (traceID == "" || s.SpanContext.TraceID().String() == traceID) {
			return s
		}
	}
	t.Fatalf("no span %q in trace %q; spans: %v", name, traceID, names(spans))
	return tracetest.SpanStub{}
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, s.Name)
	}
	return out
}

func wantAttr(t *testing.T, s tracetest.SpanStub, key, want string) {
	t.Helper()
	for _, a := range s.Attributes {
		if string(a.Key) == key {
			if got := a.Value.Emit(); got != want {
				t.Errorf("span %q: %s = %q, want %q", s.Name, key, got, want)
			}
			return
		}
	}
	t.Errorf("span %q has no attribute %s (want %q)", s.Name, key, want)
}

func wantParent(t *testing.T, child, parent tracetest.SpanStub) {
	t.Helper()
	if child.Parent.SpanID() != parent.SpanContext.SpanID() || child.SpanContext.TraceID() != parent.SpanContext.TraceID() {
		t.Errorf("span %q has parent %s, want %q (%s)", child.Name, child.Parent.SpanID(), parent.Name, parent.SpanContext.SpanID())
	}
}

// descends reports whether s has ancestor among the spans of byID.
func descends(s, ancestor tracetest.SpanStub, byID map[trace.SpanID]tracetest.SpanStub) bool {
	for i := 0; i < 50 && s.Parent.IsValid(); i++ {
		if s.Parent.SpanID() == ancestor.SpanContext.SpanID() {
			return true
		}
		var ok bool
		if s, ok = byID[s.Parent.SpanID()]; !ok {
			return false
		}
	}
	return false
}
