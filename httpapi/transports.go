package httpapi

import (
	"encoding/json"
	"mime"
	"net/http"
	"net/url"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// getQueries is gqlgen's GET transport, except that a mutation sent by GET,
// and parameters that are not what the spec says, get a coded error like
// every other error (gqlgen's own refusals have no code, and say "data":
// null). GET may only read: a link or an <img> must never change anything.
type getQueries struct {
	transport.GET
	maxTokens int // the parser's token limit, as for POST
}

func (t getQueries) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, apperr.New(apperr.BadUserInput, "the query string does not parse: %v", err))
		return
	}
	for _, param := range []string{"variables", "extensions"} {
		var m map[string]any
		if v := q.Get(param); v != "" && json.Unmarshal([]byte(v), &m) != nil {
			writeError(w, http.StatusBadRequest, apperr.New(apperr.BadUserInput, "the %s parameter must be a JSON object", param))
			return
		}
	}
	if isMutation(q.Get("query"), q.Get("operationName"), t.maxTokens) {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, apperr.New(apperr.BadUserInput, "mutations must be sent with POST"))
		return
	}
	t.GET.Do(w, r, exec)
}

// isMutation reports whether the operation a GET names is a mutation. A
// query that does not parse (or has more than maxTokens tokens) is left to
// the transport, which reports it.
func isMutation(query, name string, maxTokens int) bool {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, maxTokens)
	if err != nil {
		return false
	}
	for _, op := range doc.Operations {
		if (name == "" || op.Name == name) && op.Operation != ast.Query {
			return true
		}
	}
	return false
}

// requireJSON answers a POST that is neither JSON nor a multipart upload
// (uploads.go) with a coded 415: gqlgen would answer "transport not
// supported" in plain text. It is a content type check, not the CSRF rule
// (withCrossOriginCheck is, for uploads too).
func requireJSON(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !isJSON(r) && !isMultipart(r) {
			writeError(w, http.StatusUnsupportedMediaType, apperr.New(apperr.BadUserInput,
				"send GraphQL requests as JSON (Content-Type: application/json), and file uploads as multipart/form-data (the GraphQL multipart request spec)"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isJSON reports whether the request body is declared JSON.
func isJSON(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/json"
}
