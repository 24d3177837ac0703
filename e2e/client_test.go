package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// Requests to a test server and checks of its answers, as a client sends
// and reads them. Everything goes over HTTP: the tests see what a client
// sees, nothing more.

// gqlResponse is a decoded GraphQL response.
type gqlResponse struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// code returns the first error's extensions.code ("" if none).
func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// status returns the first error's internalStatus (0 if none).
func (r *gqlResponse) status() int {
	if len(r.Errors) == 0 {
		return 0
	}
	n, _ := r.Errors[0].Extensions["internalStatus"].(float64)
	return int(n)
}

// field returns the first error's extensions.field.
func (r *gqlResponse) field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// decode unmarshals data into v.
func (r *gqlResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// vars is a variables object.
type vars map[string]any

// gql posts an operation with an optional bearer token.
func (ts *testServer) gql(t *testing.T, token, query string, v vars) *gqlResponse {
	t.Helper()
	if token == "" {
		return ts.post(t, query, v)
	}
	return ts.post(t, query, v, "Authorization", "Bearer "+token)
}

// post posts an operation as JSON with extra headers (name, value pairs; a
// Content-Type among them replaces application/json; one with an empty
// value is not sent) and decodes the answer, whatever its status. With a
// variable that is a file, it posts a GraphQL multipart request instead
// (avatars_test.go).
func (ts *testServer) post(t *testing.T, query string, v vars, headers ...string) *gqlResponse {
	t.Helper()
	contentType, body := "application/json", []byte(nil)
	if files := filesIn(v); len(files) > 0 {
		contentType, body = multipartRequest(t, query, v, files)
	} else {
		body, _ = json.Marshal(map[string]any{"query": query, "variables": v})
	}
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return ts.do(t, req)
}

// do sends a request and decodes a GraphQL-shaped response.
func (ts *testServer) do(t *testing.T, req *http.Request) *gqlResponse {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	out, err := decodeAnswer(res)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return out
}

// postWith posts an operation with client and decodes the answer; a
// transport failure is returned, not fatal, as it runs off the test's
// goroutine.
func postWith(client *http.Client, ts *testServer, query string, v vars) (*gqlResponse, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	res, err := client.Post(ts.url+"/graphql", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	return decodeAnswer(res)
}

// decodeAnswer reads and closes res's body, which must be JSON.
func decodeAnswer(res *http.Response) (*gqlResponse, error) {
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	out := &gqlResponse{Status: res.StatusCode, Header: res.Header}
	if err := json.Unmarshal(raw, out); err != nil {
		return nil, fmt.Errorf("status %d, body not JSON: %q", res.StatusCode, raw)
	}
	return out, nil
}

// mustGQL is gql that fails the test on any GraphQL error.
func (ts *testServer) mustGQL(t *testing.T, token, query string, v vars) *gqlResponse {
	t.Helper()
	r := ts.gql(t, token, query, v)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	return r
}

// wantCode fails unless the response's first error has code (and, when
// status is non-zero, internalStatus).
func wantCode(t *testing.T, r *gqlResponse, code string, status int) {
	t.Helper()
	if got := r.code(); got != code {
		t.Fatalf("error code = %q, want %q (errors: %+v)", got, code, r.Errors)
	}
	if status != 0 && r.status() != status {
		t.Fatalf("internalStatus = %d, want %d (errors: %+v)", r.status(), status, r.Errors)
	}
}

// dataField decodes data.<field> of a response into a T.
func dataField[T any](t *testing.T, r *gqlResponse, field string) T {
	t.Helper()
	var m map[string]json.RawMessage
	r.decode(t, &m)
	var out T
	if err := json.Unmarshal(m[field], &out); err != nil {
		t.Fatalf("decode data.%s = %s: %v", field, m[field], err)
	}
	return out
}

// clientErrorCodes are the codes a client may see: API.md's table plus the
// codes gqlgen gives its own parse/validation/limit errors.
var clientErrorCodes = map[string]bool{
	"UNAUTHENTICATED": true, "FORBIDDEN": true, "USER_NOT_ACTIVE": true, "ALREADY_EXISTS": true,
	"INVALID_CREDENTIALS": true, "WRONG_PASSWORD": true, "NOT_FOUND": true, "INVALID_ROLE": true,
	"ROLE_EXISTS": true, "INVALID_PATTERN": true, "PATTERN_EXISTS": true, "RESET_TOKEN_EXPIRED": true,
	"RESET_TOKEN_INVALID": true, "RESET_UNSUPPORTED": true, "INVALID_PHONE": true, "INVALID_DEVICE": true,
	"DEVICE_DENIED": true, "DEVICE_CONTROL_OFF": true, "INVALID_USERNAME": true, "INVALID_EMAIL": true,
	"BAD_USER_INPUT": true, "WEAK_PASSWORD": true, "RATE_LIMITED": true, "EMAIL_NOT_VERIFIED": true,
	"IDENTITY_NOT_LINKED": true, "LINK_REQUIRED": true, "LAST_SIGN_IN_METHOD": true, "OAUTH_FAILED": true,
	"GRAPHQL_PARSE_FAILED": true, "GRAPHQL_VALIDATION_FAILED": true, "COMPLEXITY_LIMIT_EXCEEDED": true,
	"PERSISTED_QUERY_NOT_FOUND": true,
}

// leakMarkers must never appear in an error message.
var leakMarkers = []string{"sqlite", "sql:", "runtime error", "goroutine", ".go:", "panic"}

// checkClientErrors asserts the general rule on every error of r: a known
// code (never INTERNAL: the callers send nothing that is a server fault), and no
// driver, runtime or source text in the message. noCode allows errors
// without extensions.code, for the few answers gqlgen's transports write by
// themselves (a GET mutation, an unsupported transport).
func checkClientErrors(t *testing.T, r *gqlResponse, noCode bool) {
	t.Helper()
	for _, e := range r.Errors {
		code, _ := e.Extensions["code"].(string)
		switch {
		case code == "" && noCode:
		case code == "INTERNAL":
			t.Errorf("a client error was answered as INTERNAL: %+v", e)
		case !clientErrorCodes[code]:
			t.Errorf("error code %q is not an API.md or gqlgen code: %+v", code, e)
		}
		low := strings.ToLower(e.Message)
		for _, m := range leakMarkers {
			if strings.Contains(low, m) {
				t.Errorf("error message leaks %q: %q", m, e.Message)
			}
		}
	}
}

// postChecked sends body to /graphql with a content type and extra headers
// (name, value pairs) and checks the errors of the answer.
func postChecked(t *testing.T, ts *testServer, contentType, body string, headers ...string) *gqlResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	r := ts.do(t, req)
	checkClientErrors(t, r, false)
	return r
}

// postOpChecked posts a JSON GraphQL request built from query and variables.
func postOpChecked(t *testing.T, ts *testServer, query string, v any, headers ...string) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	return postChecked(t, ts, "application/json", string(body), headers...)
}

// getOpChecked sends a query with GET /graphql?query=…&variables=….
func getOpChecked(t *testing.T, ts *testServer, query string, v any, noCode bool) *gqlResponse {
	t.Helper()
	q := url.Values{"query": {query}}
	if v != nil {
		b, _ := json.Marshal(v)
		q.Set("variables", string(b))
	}
	req, _ := http.NewRequest(http.MethodGet, ts.url+"/graphql?"+q.Encode(), nil)
	r := ts.do(t, req)
	checkClientErrors(t, r, noCode)
	return r
}

// roundTrip sends a request and returns the response with its whole body.
func roundTrip(t *testing.T, req *http.Request) (*http.Response, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return res, string(b)
}

// getPath sends GET path and returns the response and its body.
func getPath(t *testing.T, ts *testServer, path string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, ts.url+path, nil)
	return roundTrip(t, req)
}

// metricValue reads one sample of /metrics.
func metricValue(t *testing.T, ts *testServer, name string) float64 {
	t.Helper()
	_, body := getPath(t, ts, "/metrics")
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /metrics", name)
	return 0
}

// cookieNamed returns the named cookie a response sets.
func cookieNamed(t *testing.T, h http.Header, name string) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no Set-Cookie %s in %v", name, h.Values("Set-Cookie"))
	return nil
}

// authorizationAnswer is the answer to one sub-request.
type authorizationAnswer struct {
	status int
	header http.Header
	body   []byte
}

// askAuthorization sends a sub-request to /authorization.
func askAuthorization(t *testing.T, ts *testServer, method, query string, header map[string]string) authorizationAnswer {
	t.Helper()
	req, err := http.NewRequest(method, ts.url+"/authorization"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s /authorization: %v", method, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return authorizationAnswer{res.StatusCode, res.Header, body}
}

// bearer is the header of an access token ("": none).
func bearer(token string) map[string]string {
	if token == "" {
		return nil
	}
	return map[string]string{"Authorization": "Bearer " + token}
}

// errorCode returns the error code and internalStatus of a refusal body.
func errorCode(t *testing.T, body []byte) (string, int) {
	t.Helper()
	var out struct {
		Errors []gqlError `json:"errors"`
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Errors) == 0 {
		t.Fatalf("refusal body is not an error response: %q", body)
	}
	code, _ := out.Errors[0].Extensions["code"].(string)
	status, _ := out.Errors[0].Extensions["internalStatus"].(float64)
	return code, int(status)
}

// retryAfter returns extensions.retryAfter of e.
func retryAfter(e gqlError) float64 {
	n, _ := e.Extensions["retryAfter"].(float64)
	return n
}

// wantRefused fails unless r is a refusal with code and no data.
func wantRefused(t *testing.T, r *gqlResponse, code string) {
	t.Helper()
	wantCode(t, r, code, 0)
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("refused, yet data = %.200s", r.Data)
	}
}

// assertJSONEqual compares JSON documents by value, keeping number digits.
func assertJSONEqual(t *testing.T, what string, got json.RawMessage, want string) {
	t.Helper()
	norm := func(s []byte) string {
		d := json.NewDecoder(strings.NewReader(string(s)))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("%s: not JSON: %s", what, s)
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	if norm(got) != norm([]byte(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}
