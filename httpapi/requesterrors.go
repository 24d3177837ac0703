package httpapi

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A request error is one that stops a GraphQL request before its operation
// runs. The GraphQL-over-HTTP spec (and npm graphql-http's audit of it,
// which .ci/run runs) answers them by the media type the client accepts,
// which gqlgen's transports get right only in part:
//
//   - a request that is not a GraphQL request at all (the body is not JSON,
//     or not an object of query/variables/operationName/extensions of the
//     right types, or it has no query): 400 for every client;
//   - a well-formed request whose document does not parse or validate, or
//     whose variables do not coerce, or that a limit refuses:
//     application/json → 200 (gqlgen: 422), with the errors in the body;
//     application/graphql-response+json → 400 (gqlgen: 200 for some);
//   - either way the body has no "data": the operation never executed, so
//     there is no data to be null (gqlgen writes "data": null).
//
// specStatus wraps one of gqlgen's transports (POST, our getQueries) to fix
// just that: the transport still reads the request, negotiates the
// response type and calls the executor; a watched executor notes what went
// wrong, and requestAnswer sets the status and writes the errors gqlgen
// made, without "data". Responses of operations that ran pass untouched.
type specStatus struct{ graphql.Transport }

func (t specStatus) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	a := &requestAnswer{ResponseWriter: w}
	t.Transport.Do(a, r, watchedExecutor{GraphExecutor: exec, answer: a})
}

// requestKind is what the watched executor learned of a request.
type requestKind int

const (
	wellFormed requestKind = iota // nothing wrong so far
	malformed                     // not a GraphQL request: 400
	refused                       // a request error: 200 or 400 by media type
)

// watchedExecutor is gqlgen's executor, telling requestAnswer about
// request errors.
type watchedExecutor struct {
	graphql.GraphExecutor
	answer *requestAnswer
}

// CreateOperationContext refuses a request without a query as malformed
// (gqlgen would take it for an empty document that fails validation), unless
// it names a persisted query (APQ), whose query the executor fills in.
func (e watchedExecutor) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		e.answer.kind = malformed
		e := apperr.New(apperr.BadUserInput, `the request has no query: send {"query": "…", "variables": {…}, "operationName": "…"}`)
		return nil, gqlerror.List{{Message: e.Message, Err: e}}
	}
	opCtx, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs != nil {
		e.answer.kind = refused
	}
	return opCtx, errs
}

// DispatchError keeps the response it makes of request errors (the
// transports call it only for those), for requestAnswer to write.
func (e watchedExecutor) DispatchError(ctx context.Context, list gqlerror.List) *graphql.Response {
	resp := e.GraphExecutor.DispatchError(ctx, list)
	e.answer.errors = resp
	return resp
}

// requestAnswer is the response writer the wrapped transport writes to.
type requestAnswer struct {
	http.ResponseWriter
	kind        requestKind
	errors      *graphql.Response // the request errors' response, if any
	wroteHeader bool
}

// WriteHeader sets a request error's status; any other status (gqlgen's
// 400 for a body that is not JSON, its 200 for operations that ran) stands.
func (a *requestAnswer) WriteHeader(code int) {
	switch a.kind {
	case malformed:
		code = http.StatusBadRequest
	case refused:
		code = http.StatusOK
		if mt, _, _ := mime.ParseMediaType(a.Header().Get("Content-Type")); mt == graphQLResponseJSON {
			code = http.StatusBadRequest
		}
	}
	a.wroteHeader = true
	a.ResponseWriter.WriteHeader(code)
}

const graphQLResponseJSON = "application/graphql-response+json"

// Write writes a request error's response without "data" in place of
// gqlgen's encoding of it, which always has one.
func (a *requestAnswer) Write(b []byte) (int, error) {
	if a.errors == nil {
		return a.ResponseWriter.Write(b)
	}
	if !a.wroteHeader { // gqlgen sets no status when the body cannot be read
		a.kind = malformed
		a.WriteHeader(http.StatusBadRequest)
	}
	out, err := json.Marshal(struct {
		Errors     gqlerror.List  `json:"errors"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{a.errors.Errors, a.errors.Extensions})
	if err != nil {
		return 0, err
	}
	if _, err := a.ResponseWriter.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

func (a *requestAnswer) Unwrap() http.ResponseWriter { return a.ResponseWriter }
