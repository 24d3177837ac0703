// Package telemetry is what operators watch the server by, beside its
// answers: the request id that ties a request's log lines together (and
// the slog handler that writes it into each of them), the OpenTelemetry
// tracer provider (OTLP over HTTP when USERGRAPH_OTEL is on, a no-op
// otherwise), and the Prometheus registry /metrics serves with the series
// that belong to no one layer (the build, sign-in outcomes).
//
// The layers report into these without depending on one another: httpapi
// sets the request id and counts requests; store/storetrace times and
// traces store calls; account reports sign-in outcomes through a func the
// wiring builds here (SignInCounter).
package telemetry
