package e2e

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The statuses and bodies of the GraphQL-over-HTTP spec for requests that
// fail before their operation runs (npm graphql-http's audit, run by
// .ci/run, checks the same with Node; these keep `go test` guarding them):
//
//   - not a GraphQL request (body not JSON, wrong parameter types, no
//     query): 400 whatever the client accepts;
//   - a document that does not parse or validate, variables that do not
//     coerce, a limit that refuses: 200 for application/json, 400 for
//     application/graphql-response+json;
//   - no "data" in either body: nothing was executed.

const graphQLResponseJSON = "application/graphql-response+json"

// specAnswer is a response read as raw JSON members, so that a missing
// "data" is told apart from "data": null.
type specAnswer struct {
	status      int
	contentType string
	body        map[string]json.RawMessage
	raw         string
}

func (a specAnswer) code() string {
	var errs []gqlError
	json.Unmarshal(a.body["errors"], &errs)
	if len(errs) == 0 {
		return ""
	}
	c, _ := errs[0].Extensions["code"].(string)
	return c
}

// sendSpec sends req with Accept (none when empty) and reads the answer.
func sendSpec(t *testing.T, req *http.Request, accept string) specAnswer {
	t.Helper()
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, raw := roundTrip(t, req)
	a := specAnswer{status: res.StatusCode, contentType: res.Header.Get("Content-Type"), raw: raw}
	if err := json.Unmarshal([]byte(raw), &a.body); err != nil {
		t.Fatalf("body is not a JSON object: %q", raw)
	}
	return a
}

func postSpec(t *testing.T, ts *testServer, body, accept string) specAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return sendSpec(t, req, accept)
}

func getSpec(t *testing.T, ts *testServer, params url.Values, accept string) specAnswer {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.url+"/graphql?"+params.Encode(), nil)
	return sendSpec(t, req, accept)
}

// wantRequestError fails unless a is an error answer with status and
// code, without "data".
func wantRequestError(t *testing.T, a specAnswer, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status = %d, want %d (body %s)", a.status, status, a.raw)
	}
	if got := a.code(); got != code {
		t.Errorf("code = %q, want %q (body %s)", got, code, a.raw)
	}
	if d, ok := a.body["data"]; ok {
		t.Errorf(`the body has "data": %s; a request that never executed must have none (body %s)`, d, a.raw)
	}
}

// accepts are the Accept headers of the test, with the media type each
// gets (none: application/json, as before the spec's watershed).
var accepts = []struct{ accept, mediaType string }{
	{"", "application/json"},
	{"application/json", "application/json"},
	{"*/*", "application/json"},
	{graphQLResponseJSON, graphQLResponseJSON},
	{graphQLResponseJSON + ", application/json;q=0.9", graphQLResponseJSON},
}

func TestGraphQLOverHTTPStatus(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	two := `mutation { a: login(input: {identifier: "x", password: "correct horse battery"}) { accessToken } b: login(input: {identifier: "y", password: "correct horse battery"}) { accessToken } }`
	refusedCases := []struct{ name, body, code string }{
		{"document does not parse", `{"query": "{"}`, "GRAPHQL_PARSE_FAILED"},
		{"document does not validate", `{"query": "{ noSuchField }"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"variable does not coerce", `{"query": "query($u: String!) { usernameExists(username: $u) }", "variables": {"u": null}}`, "GRAPHQL_VALIDATION_FAILED"},
		{"operation name not in the document", `{"query": "query A { __typename }", "operationName": "B"}`, "GRAPHQL_VALIDATION_FAILED"},
		{"a limit refuses (two password hashes)", mustJSON(t, map[string]any{"query": two}), "BAD_USER_INPUT"},
	}
	malformedCases := []struct{ name, body string }{
		{"body is not JSON", `{ "not JSON`},
		{"no query", `{"variables": {}}`},
		{"query is not a string", `{"query": {"obj": "ect"}}`},
		{"variables are not an object", `{"query": "{ __typename }", "variables": "string"}`},
		{"operationName is not a string", `{"query": "{ __typename }", "operationName": 0}`},
		{"extensions are not an object", `{"query": "{ __typename }", "extensions": [1]}`},
	}
	for _, acc := range accepts {
		refusedStatus := http.StatusOK
		if acc.mediaType == graphQLResponseJSON {
			refusedStatus = http.StatusBadRequest
		}
		t.Run("Accept "+acc.accept, func(t *testing.T) {
			for _, c := range refusedCases {
				a := postSpec(t, ts, c.body, acc.accept)
				t.Run(c.name, func(t *testing.T) { wantRequestError(t, a, refusedStatus, c.code) })
				if !strings.HasPrefix(a.contentType, acc.mediaType) {
					t.Errorf("%s: Content-Type = %q, want %s", c.name, a.contentType, acc.mediaType)
				}
			}
			for _, c := range malformedCases {
				a := postSpec(t, ts, c.body, acc.accept)
				t.Run(c.name, func(t *testing.T) { wantRequestError(t, a, http.StatusBadRequest, "BAD_USER_INPUT") })
			}
			t.Run("GET document does not parse", func(t *testing.T) {
				wantRequestError(t, getSpec(t, ts, url.Values{"query": {"{"}}, acc.accept), refusedStatus, "GRAPHQL_PARSE_FAILED")
			})
			t.Run("GET variables are not an object", func(t *testing.T) {
				a := getSpec(t, ts, url.Values{"query": {"{ __typename }"}, "variables": {"[1]"}}, acc.accept)
				wantRequestError(t, a, http.StatusBadRequest, "BAD_USER_INPUT")
			})
			t.Run("an operation that ran keeps its data, field errors and 200", func(t *testing.T) {
				a := postSpec(t, ts, `{"query": "{ __typename me { id } }"}`, acc.accept)
				if a.status != http.StatusOK || a.code() != "UNAUTHENTICATED" {
					t.Fatalf("status %d, code %q, want 200 and UNAUTHENTICATED (body %s)", a.status, a.code(), a.raw)
				}
				if got, want := string(a.body["data"]), `{"__typename":"Query","me":null}`; got != want {
					t.Errorf("data = %s, want %s", got, want)
				}
			})
		})
	}
	// A persisted query the server does not know yet has no query either,
	// but it is a well-formed request: APQ clients read the code and send
	// the query, so it is a request error, not a malformed request.
	t.Run("unknown persisted query", func(t *testing.T) {
		body := `{"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38"}}}`
		wantRequestError(t, postSpec(t, ts, body, "application/json"), http.StatusOK, "PERSISTED_QUERY_NOT_FOUND")
		wantRequestError(t, postSpec(t, ts, body, graphQLResponseJSON), http.StatusBadRequest, "PERSISTED_QUERY_NOT_FOUND")
	})
	t.Run("OPTIONS without CORS says what is allowed", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, ts.url+"/graphql", nil)
		res, body := roundTrip(t, req)
		if res.StatusCode != http.StatusOK || res.Header.Get("Allow") != "GET, POST, OPTIONS" {
			t.Errorf("status %d, Allow %q, body %q; want 200 and Allow: GET, POST, OPTIONS", res.StatusCode, res.Header.Get("Allow"), body)
		}
	})
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
