package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
)

// End-to-end tests of GraphQL over HTTP and the safety floor around it:
// transports, content negotiation, malformed requests, body/depth/complexity
// limits, introspection and GraphiQL switches, the CSRF rule (the
// cross-origin check), and the operational endpoints. Every error response
// seen here is also checked against the "nothing internal leaks" rule
// (checkClientErrors).

// signupBody is a JSON signup request for username.
func signupBody(username string) string {
	b, _ := json.Marshal(map[string]any{"query": signupMutation,
		"variables": vars{"in": vars{"username": username, "password": testPassword}}})
	return string(b)
}

// wantNotStored fails if username exists or can sign in.
func wantNotStored(t *testing.T, ts *testServer, username string) {
	t.Helper()
	if usernameTaken(t, ts, username) {
		t.Fatalf("account %q was created", username)
	}
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": username, "pw": testPassword}), "INVALID_CREDENTIALS", 603)
}

func TestHTTPTransports(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "taken1", testPassword)

	t.Run("POST application/json", func(t *testing.T) {
		r := postOpChecked(t, ts, `query($u: String!) { usernameExists(username: $u) }`, vars{"u": "TAKEN1"})
		if r.Status != http.StatusOK || len(r.Errors) > 0 || string(r.Data) != `{"usernameExists":true}` {
			t.Fatalf("status %d, data %s, errors %+v", r.Status, r.Data, r.Errors)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type = %q, want application/json when not asked for another", ct)
		}
	})
	t.Run("POST with charset parameter", func(t *testing.T) {
		body := `{"query":"{ usernameExists(username: \"nobody\") }"}`
		r := postChecked(t, ts, "application/json; charset=utf-8", body)
		if r.Status != http.StatusOK || string(r.Data) != `{"usernameExists":false}` {
			t.Fatalf("status %d, data %s, errors %+v", r.Status, r.Data, r.Errors)
		}
	})
	t.Run("GET query", func(t *testing.T) {
		r := getOpChecked(t, ts, `{usernameExists(username:"taken1")}`, nil, false)
		if r.Status != http.StatusOK || len(r.Errors) > 0 || string(r.Data) != `{"usernameExists":true}` {
			t.Fatalf("status %d, data %s, errors %+v", r.Status, r.Data, r.Errors)
		}
		r = getOpChecked(t, ts, `query($u: String!) { usernameExists(username: $u) }`, vars{"u": "free-name"}, false)
		if len(r.Errors) > 0 || string(r.Data) != `{"usernameExists":false}` {
			t.Fatalf("GET with variables: data %s, errors %+v", r.Data, r.Errors)
		}
	})
	t.Run("GET mutation is refused without effect", func(t *testing.T) {
		q := `mutation { signup(input: {username: "viaget", password: "correct horse battery"}) { user { id } } }`
		r := getOpChecked(t, ts, q, nil, true)
		if r.Status < 400 || r.Status >= 500 || len(r.Errors) == 0 {
			t.Fatalf("GET mutation: status %d, errors %+v; want a 4xx refusal", r.Status, r.Errors)
		}
		if len(r.Data) > 0 && string(r.Data) != "null" {
			t.Errorf("GET mutation returned data %s", r.Data)
		}
		wantNotStored(t, ts, "viaget")
	})
}

func TestHTTPContentNegotiation(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	const grj = "application/graphql-response+json"
	cases := []struct {
		name       string
		accept     string
		query      string
		wantCT     string
		wantStatus int // the statuses are the GraphQL-over-HTTP spec's (TestGraphQLOverHTTPStatus)
		wantCode   string
	}{
		{"graphql-response+json ok", grj, `{ usernameExists(username: "nobody") }`, grj, 200, ""},
		{"graphql-response+json parse error", grj, `{ me {`, grj, 400, "GRAPHQL_PARSE_FAILED"},
		{"graphql-response+json validation error", grj, `{ nope }`, grj, 400, "GRAPHQL_VALIDATION_FAILED"},
		{"json parse error", "application/json", `{ me {`, "application/json", 200, "GRAPHQL_PARSE_FAILED"},
		{"no accept parse error", "", `{ me {`, "application/json", 200, "GRAPHQL_PARSE_FAILED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h []string
			if c.accept != "" {
				h = []string{"Accept", c.accept}
			}
			r := postOpChecked(t, ts, c.query, nil, h...)
			if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, c.wantCT) {
				t.Errorf("Content-Type = %q, want %s", ct, c.wantCT)
			}
			if r.Status != c.wantStatus {
				t.Errorf("status = %d, want %d", r.Status, c.wantStatus)
			}
			if c.wantCode == "" {
				if len(r.Errors) > 0 || string(r.Data) != `{"usernameExists":false}` {
					t.Errorf("data %s, errors %+v", r.Data, r.Errors)
				}
				return
			}
			wantCode(t, r, c.wantCode, 0)
			if r.Errors[0].Message == "" {
				t.Error("error without a message")
			}
		})
	}
}

func TestHTTPMalformedRequests(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "existing", testPassword)

	t.Run("malformed JSON body", func(t *testing.T) {
		body := `{"query": "mutation { signup(input: {username: \"brokenjson\", password: \"s3cr3t-marker-xyz\"}) { user { id } } }", "variables": {`
		r := postChecked(t, ts, "application/json", body)
		if r.Status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", r.Status)
		}
		wantCode(t, r, "BAD_USER_INPUT", 0)
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "s3cr3t-marker-xyz") || strings.Contains(e.Message, "brokenjson") {
				t.Errorf("the message echoes the body: %q", e.Message)
			}
		}
		wantNotStored(t, ts, "brokenjson")
	})
	t.Run("body is not an object", func(t *testing.T) {
		r := postChecked(t, ts, "application/json", `["query"]`)
		if r.Status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", r.Status)
		}
		wantCode(t, r, "BAD_USER_INPUT", 0)
	})

	wrongTypes := []struct {
		name string
		in   map[string]any
	}{
		{"password is a number", map[string]any{"username": "wrongtype1", "password": 5}},
		{"password is a boolean", map[string]any{"username": "wrongtype2", "password": true}},
		{"password is an object", map[string]any{"username": "wrongtype3", "password": map[string]any{"p": testPassword}}},
		{"username is a list", map[string]any{"username": []string{"wrongtype4"}, "password": testPassword}},
		{"tags are objects", map[string]any{"username": "wrongtype5", "password": testPassword, "tags": []any{map[string]any{"a": 1}}}},
	}
	for _, c := range wrongTypes {
		t.Run("wrong variable type/"+c.name, func(t *testing.T) {
			r := postOpChecked(t, ts, signupMutation, vars{"in": c.in})
			if len(r.Errors) == 0 {
				t.Fatalf("accepted: %s", r.Data)
			}
			if c.name != "password is a number" { // gqlgen reads JSON numbers as strings; the policy refuses "5"
				wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
			}
			for _, u := range []string{"wrongtype1", "wrongtype2", "wrongtype3", "wrongtype4", "wrongtype5"} {
				if usernameTaken(t, ts, u) {
					t.Fatalf("account %s was created", u)
				}
			}
		})
	}

	unknownInputs := []struct {
		name, user, query string
		v                 vars
	}{
		{"isAdmin in variables", "sneaky1", signupMutation, vars{"in": vars{"username": "sneaky1", "password": testPassword, "isAdmin": true}}},
		{"appMetadata in variables", "sneaky2", signupMutation, vars{"in": vars{"username": "sneaky2", "password": testPassword, "appMetadata": vars{"plan": "gold"}}}},
		{"roles in variables", "sneaky3", signupMutation, vars{"in": vars{"username": "sneaky3", "password": testPassword, "roles": []string{"admin"}}}},
		{"isAdmin literal", "sneaky4", `mutation { signup(input: {username: "sneaky4", password: "correct horse battery", isAdmin: true}) { user { id } } }`, nil},
		{"appMetadata literal", "sneaky5", `mutation { signup(input: {username: "sneaky5", password: "correct horse battery", appMetadata: {plan: "gold"}}) { user { id } } }`, nil},
		{"status literal", "sneaky6", `mutation { signup(input: {username: "sneaky6", password: "correct horse battery", status: ACTIVE}) { user { id } } }`, nil},
	}
	for _, c := range unknownInputs {
		t.Run("unknown input field/"+c.name, func(t *testing.T) {
			r := postOpChecked(t, ts, c.query, c.v)
			wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
			wantNotStored(t, ts, c.user)
		})
	}

	t.Run("unknown top-level field", func(t *testing.T) {
		r := postOpChecked(t, ts, `{ allUsersPasswords }`, nil)
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
		if len(r.Data) > 0 && string(r.Data) != "null" {
			t.Errorf("data = %s", r.Data)
		}
	})
	t.Run("unknown mutation", func(t *testing.T) {
		r := postOpChecked(t, ts, `mutation { makeMeAdmin }`, nil)
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
	})
	t.Run("missing required argument", func(t *testing.T) {
		r := postOpChecked(t, ts, `{ usernameExists }`, nil)
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
	})
	t.Run("empty query", func(t *testing.T) {
		r := postChecked(t, ts, "application/json", `{"query": ""}`)
		if len(r.Errors) == 0 {
			t.Fatalf("an empty query was accepted: %s", r.Data)
		}
	})
}

func TestHTTPBodyLimit(t *testing.T) {
	t.Parallel()
	// bigSignup is a signup request padded to n bytes with JSON whitespace.
	bigSignup := func(username string, n int) string {
		b := signupBody(username)
		if pad := n - len(b); pad > 0 {
			b = b[:len(b)-1] + strings.Repeat(" ", pad) + "}"
		}
		return b
	}
	// post sends body with a known length, or chunked when chunked is set.
	post := func(t *testing.T, ts *testServer, body string, chunked bool) *gqlResponse {
		t.Helper()
		var rd io.Reader = strings.NewReader(body)
		if chunked {
			rd = io.MultiReader(rd) // unknown length: Transfer-Encoding: chunked
		}
		req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", rd)
		req.Header.Set("Content-Type", "application/json")
		if chunked && req.ContentLength != 0 {
			t.Fatal("the request body should have no known length")
		}
		r := ts.do(t, req)
		checkClientErrors(t, r, false)
		return r
	}

	t.Run("default 1 MiB", func(t *testing.T) {
		ts := startServer(t)
		for _, chunked := range []bool{false, true} {
			name := map[bool]string{false: "bigsized", true: "bigchunked"}[chunked]
			r := post(t, ts, bigSignup(name, 1<<20+1), chunked)
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked=%v: status = %d, want 413 (errors %+v)", chunked, r.Status, r.Errors)
			}
			wantCode(t, r, "BAD_USER_INPUT", 0)
			wantNotStored(t, ts, name)
		}
		// Just under the limit is served.
		r := post(t, ts, bigSignup("fits", 1<<20-16), false)
		if len(r.Errors) > 0 || r.Status != http.StatusOK {
			t.Fatalf("a body under the limit was refused: %d %+v", r.Status, r.Errors)
		}
		if !usernameTaken(t, ts, "fits") {
			t.Fatal("the signup under the limit did not run")
		}
	})
	t.Run("configured small", func(t *testing.T) {
		ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.MaxBodyBytes = 600 }))
		for _, chunked := range []bool{false, true} {
			name := map[bool]string{false: "smallsized", true: "smallchunked"}[chunked]
			body := bigSignup(name, 700)
			r := post(t, ts, body, chunked)
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked=%v: status = %d, want 413 (errors %+v)", chunked, r.Status, r.Errors)
			}
			wantNotStored(t, ts, name)
		}
		for _, chunked := range []bool{false, true} {
			name := map[bool]string{false: "tinysized", true: "tinychunked"}[chunked]
			r := post(t, ts, signupBody(name), chunked)
			if len(r.Errors) > 0 {
				t.Fatalf("chunked=%v: a small request was refused: %d %+v", chunked, r.Status, r.Errors)
			}
			if !usernameTaken(t, ts, name) {
				t.Fatalf("chunked=%v: the small signup did not run", chunked)
			}
		}
	})
}

func TestHTTPDepthLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.MaxDepth = 3 }))
	var out struct{ Signup struct{ Auth auth } } // ts.signup selects deeper than 3
	ts.mustGQL(t, "", `mutation { signup(input: {username: "deep", password: "correct horse battery"}) { auth { accessToken } } }`, nil).decode(t, &out)
	a := out.Signup.Auth
	if a.AccessToken == "" {
		t.Fatal("no access token")
	}

	t.Run("at the limit", func(t *testing.T) {
		r := postOpChecked(t, ts, `{ me { roles { name } } }`, nil, "Authorization", "Bearer "+a.AccessToken)
		if len(r.Errors) > 0 {
			t.Fatalf("depth 3 refused: %+v", r.Errors)
		}
	})
	deep := []struct{ name, query string }{
		{"nested fields", `{ me { roles { permissions { verbs } } } }`},
		{"fragment spread", `{ me { ...R } } fragment R on User { roles { permissions { verbs } } }`},
		{"nested fragments", `{ me { ...R } } fragment R on User { roles { ...P } } fragment P on Role { permissions { pattern } }`},
		{"inline fragment", `{ me { ... on User { roles { permissions { verbs } } } } }`},
		{"deep second field", `{ usernameExists(username: "deep") me { roles { permissions { verbs } } } }`},
	}
	for _, c := range deep {
		t.Run(c.name, func(t *testing.T) {
			r := postOpChecked(t, ts, c.query, nil, "Authorization", "Bearer "+a.AccessToken)
			if len(r.Errors) == 0 {
				t.Fatalf("too deep but answered: %s", r.Data)
			}
			if len(r.Data) > 0 && string(r.Data) != "null" {
				t.Errorf("resolvers ran: data = %s", r.Data)
			}
			if got, _ := r.Errors[0].Extensions["maxDepth"].(float64); got != 3 {
				t.Errorf("extensions.maxDepth = %v, want 3 (errors %+v)", r.Errors[0].Extensions["maxDepth"], r.Errors)
			}
		})
	}
	t.Run("refused before any resolver runs", func(t *testing.T) {
		q := `mutation { signup(input: {username: "toodeep", password: "correct horse battery"}) { user { roles { permissions { verbs } } } } }`
		r := postOpChecked(t, ts, q, nil)
		if len(r.Errors) == 0 {
			t.Fatalf("too deep but answered: %s", r.Data)
		}
		wantNotStored(t, ts, "toodeep")
	})
}

func TestHTTPIntrospection(t *testing.T) {
	t.Parallel()
	const fullIntrospection = `{ __schema { types { name fields { name type { name ofType { name ofType { name } } } } } } }`
	t.Run("on by default, within the default limits", func(t *testing.T) {
		ts := startServer(t)
		r := postOpChecked(t, ts, fullIntrospection, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("introspection refused: %+v", r.Errors)
		}
		var out struct {
			Schema struct {
				Types []struct {
					Name string `json:"name"`
				} `json:"types"`
			} `json:"__schema"`
		}
		r.decode(t, &out)
		names := map[string]bool{}
		for _, ty := range out.Schema.Types {
			names[ty.Name] = true
		}
		for _, want := range []string{"User", "Query", "Mutation", "ProfileInput", "UserFilter"} {
			if !names[want] {
				t.Errorf("type %s missing from introspection", want)
			}
		}
	})
	t.Run("switched off", func(t *testing.T) {
		ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.Introspection = false }))
		for q, field := range map[string]string{fullIntrospection: "__schema", `{ __type(name: "User") { name fields { name } } }`: "__type"} {
			r := postOpChecked(t, ts, q, nil)
			if len(r.Errors) == 0 {
				t.Fatalf("introspection answered while off: %s", r.Data)
			}
			if strings.Contains(string(r.Data), `"name"`) {
				t.Errorf("schema data returned while off: %s", r.Data)
			}
			wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
			if got, want := r.Errors[0].Message, "introspection is disabled on this server"; got != want {
				t.Errorf("message = %q, want %q", got, want)
			}
			if len(r.Errors[0].Path) != 1 || r.Errors[0].Path[0] != field {
				t.Errorf("path = %v, want [%s]", r.Errors[0].Path, field)
			}
		}
		if logs := ts.logs.String(); strings.Contains(logs, "request failed") {
			t.Errorf("a refused introspection was logged as a fault:\n%s", logs)
		}
		// __typename is not introspection: clients add it everywhere.
		r := postOpChecked(t, ts, `{ __typename usernameExists(username: "nobody") }`, nil)
		if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"Query"`) {
			t.Fatalf("__typename: data %s, errors %+v", r.Data, r.Errors)
		}
		// Without introspection, validation messages do not suggest field names.
		r = postOpChecked(t, ts, `{ mee { id } }`, nil)
		wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
		if strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("the message suggests field names: %q", r.Errors[0].Message)
		}
	})
}

func TestHTTPComplexityLimit(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.MaxComplexity = 100 }))
	adm := ts.admin(t)
	bearer := "Bearer " + adm.AccessToken

	r := postOpChecked(t, ts, `{ users(first: 500) { nodes { id username email firstName lastName tags metadata roles { name } } totalCount } }`, nil, "Authorization", bearer)
	if len(r.Errors) == 0 {
		t.Fatalf("a query over the complexity limit was answered: %.200s", r.Data)
	}
	wantCode(t, r, "COMPLEXITY_LIMIT_EXCEEDED", 0)
	if len(r.Data) > 0 && string(r.Data) != "null" {
		t.Errorf("data = %.200s", r.Data)
	}
	// The default page size counts too (50 users × fields).
	r = postOpChecked(t, ts, `{ users { nodes { id username email firstName lastName } } }`, nil, "Authorization", bearer)
	wantCode(t, r, "COMPLEXITY_LIMIT_EXCEEDED", 0)

	// A small page is within the limit.
	r = postOpChecked(t, ts, `{ users(first: 2) { nodes { id username } } }`, nil, "Authorization", bearer)
	if len(r.Errors) > 0 {
		t.Fatalf("a cheap query was refused: %+v", r.Errors)
	}
	if !strings.Contains(string(r.Data), `"root"`) {
		t.Errorf("data = %s, want the administrator listed", r.Data)
	}
}

func TestHTTPGraphiQL(t *testing.T) {
	t.Parallel()
	t.Run("enabled", func(t *testing.T) {
		ts := startServer(t)
		for _, p := range []string{"/", "/graphiql"} {
			res, body := getPath(t, ts, p)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d", p, res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("GET %s: Content-Type = %q", p, ct)
			}
			if !strings.Contains(strings.ToLower(body), "graphiql") {
				t.Errorf("GET %s: no GraphiQL in the page", p)
			}
		}
	})
	t.Run("disabled", func(t *testing.T) {
		ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.GraphiQL = false }))
		for _, p := range []string{"/", "/graphiql", "/graphiql/assets/graphiql.js"} {
			res, body := getPath(t, ts, p)
			if res.StatusCode != http.StatusNotFound {
				t.Errorf("GET %s: status %d, want 404", p, res.StatusCode)
			}
			if strings.Contains(strings.ToLower(body), "graphiql") {
				t.Errorf("GET %s: GraphiQL served while disabled", p)
			}
		}
		// The API itself is still there.
		if usernameTaken(t, ts, "nobody") {
			t.Fatal("usernameExists(nobody) = true")
		}
	})
}

// The CSRF rule is the standard library's cross-origin check: a
// state-changing request that a browser sends from another origin is
// refused with 403 and a coded body, whatever its content type, unless the
// origin is trusted (USERGRAPH_CORS_ORIGINS). Same-origin requests and
// requests without Sec-Fetch-Site or Origin (curl, servers) pass. Apart
// from that, a POST that is not JSON gets 415: a content-type check.
func TestHTTPCSRF(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.CORSOrigins = []string{"https://app.example.com"} }))
	self := ts.url // the Origin a page served by this server sends
	refused := func(t *testing.T, r *gqlResponse) {
		t.Helper()
		if r.Status != http.StatusForbidden {
			t.Errorf("status = %d, want 403", r.Status)
		}
		wantCode(t, r, "FORBIDDEN", 609)
	}
	cases := []struct {
		name    string
		headers []string
		pass    bool
	}{
		{"cross-site (Sec-Fetch-Site)", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}, false},
		{"same-site is another origin", []string{"Sec-Fetch-Site", "same-site", "Origin", "https://sub.example.com"}, false},
		{"foreign Origin, no Sec-Fetch-Site (older browser)", []string{"Origin", "https://evil.example"}, false},
		{"Origin differing only in port", []string{"Origin", "http://127.0.0.1:1"}, false},
		{"untrusted look-alike of a trusted origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com.evil.example"}, false},
		{"trusted origin", []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://app.example.com"}, true},
		{"trusted origin, no Sec-Fetch-Site", []string{"Origin", "https://app.example.com"}, true},
		{"same-origin (Sec-Fetch-Site)", []string{"Sec-Fetch-Site", "same-origin", "Origin", self}, true},
		{"typed by the user (Sec-Fetch-Site: none)", []string{"Sec-Fetch-Site", "none"}, true},
		{"Origin matching Host", []string{"Origin", self}, true},
		{"no Sec-Fetch-Site or Origin (curl, servers)", nil, true},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("csrf%d", i)
			r := postChecked(t, ts, "application/json", signupBody(name), c.headers...)
			if !c.pass {
				refused(t, r)
				wantNotStored(t, ts, name)
				return
			}
			if len(r.Errors) > 0 || !usernameTaken(t, ts, name) {
				t.Fatalf("refused: %d %+v", r.Status, r.Errors)
			}
		})
	}
	t.Run("a cross-site form is refused as such, whatever its content type", func(t *testing.T) {
		for i, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"} {
			name := fmt.Sprintf("csrfform%d", i)
			refused(t, postChecked(t, ts, ct, signupBody(name), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"))
			wantNotStored(t, ts, name)
		}
	})
	t.Run("a cookie does not make a cross-site request pass", func(t *testing.T) {
		a := ts.signup(t, "cookieowner", testPassword)
		req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql",
			strings.NewReader(`{"query":"mutation { changeUsername(username: \"hijacked\") { id } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		req.AddCookie(&http.Cookie{Name: ts.cfg.HTTP.CookieName, Value: a.AccessToken})
		r := ts.do(t, req)
		checkClientErrors(t, r, false)
		refused(t, r)
		if usernameTaken(t, ts, "hijacked") || !usernameTaken(t, ts, "cookieowner") {
			t.Fatal("the forged mutation ran")
		}
	})
	t.Run("reading cross-site is allowed (GET is safe)", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.url+"/graphql?query="+url.QueryEscape(`{ usernameExists(username: "nobody") }`), nil)
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://evil.example")
		if r := ts.do(t, req); r.Status != http.StatusOK || len(r.Errors) > 0 {
			t.Fatalf("cross-site GET query: %d %+v", r.Status, r.Errors)
		}
	})
	// multipart/form-data is the uploads' transport: a body that is not a
	// GraphQL multipart request gets 400 (TestAvatarSizeLimits).
	for i, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		name := fmt.Sprintf("csrfct%d", i)
		t.Run("same-origin content type "+ct, func(t *testing.T) {
			r := postChecked(t, ts, ct, signupBody(name), "X-Requested-With", "XMLHttpRequest")
			if r.Status != http.StatusUnsupportedMediaType {
				t.Errorf("status = %d, want 415", r.Status)
			}
			wantCode(t, r, "BAD_USER_INPUT", 0)
			wantNotStored(t, ts, name)
		})
	}
}

func TestHTTPOperationalEndpoints(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// One GraphQL request, so the route's counter exists.
	usernameTaken(t, ts, "nobody")

	t.Run("healthz", func(t *testing.T) {
		res, body := getPath(t, ts, "/healthz")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(body), &out); err != nil || out["status"] != "ok" {
			t.Fatalf("body = %s, want {\"status\":\"ok\"}", body)
		}
	})
	t.Run("readyz", func(t *testing.T) {
		res, body := getPath(t, ts, "/readyz")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", res.StatusCode, body)
		}
	})
	t.Run("metrics", func(t *testing.T) {
		res, body := getPath(t, ts, "/metrics")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("status %d", res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
			t.Errorf("Content-Type = %q, want Prometheus text", ct)
		}
		for _, want := range []string{"# TYPE usergraph_http_requests_total counter", `usergraph_http_requests_total{code="200",route="graphql"}`, "go_goroutines"} {
			if !strings.Contains(body, want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
	t.Run("X-Request-Id on every response", func(t *testing.T) {
		seen := map[string]bool{}
		reqs := []*http.Request{}
		for _, p := range []string{"/healthz", "/readyz", "/metrics", "/", "/no-such-page", "/.well-known/jwks.json", "/authorization",
			"/graphql?query=" + url.QueryEscape("{ usernameExists(username: \"x1\") }")} {
			req, _ := http.NewRequest(http.MethodGet, ts.url+p, nil)
			reqs = append(reqs, req)
		}
		post, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(`{"query":"{ me { id } }"}`))
		post.Header.Set("Content-Type", "application/json")
		csrf, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(`x`))
		csrf.Header.Set("Content-Type", "text/plain")
		big, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(strings.Repeat(" ", 1<<20+1)))
		big.Header.Set("Content-Type", "application/json")
		reqs = append(reqs, post, csrf, big)
		for _, req := range reqs {
			res, _ := roundTrip(t, req)
			id := res.Header.Get("X-Request-Id")
			if id == "" {
				t.Errorf("%s %s (%d): no X-Request-Id", req.Method, req.URL.Path, res.StatusCode)
				continue
			}
			if seen[id] {
				t.Errorf("%s %s: X-Request-Id %s repeated", req.Method, req.URL.Path, id)
			}
			seen[id] = true
		}
	})
}

// The hasher's totals reach /metrics: operators watch the sign-in queue
// there, and the load tool reads the server's own hash cost from it.
func TestHTTPMetricsCountPasswordHashes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	read := func() float64 {
		res, err := http.Get(ts.url + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, "usergraph_password_hashes_total "); ok {
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					t.Fatalf("bad value %q", line)
				}
				return n
			}
		}
		t.Fatalf("no usergraph_password_hashes_total in /metrics")
		return 0
	}
	before := read()
	ts.signup(t, "metricsuser", testPassword)
	ts.login(t, "metricsuser", testPassword)
	if got := read() - before; got != 2 {
		t.Errorf("hashes counted for a sign-up and a login: %v, want 2", got)
	}
}
