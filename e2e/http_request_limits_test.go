package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// End-to-end tests of the limits that bound what one request may cost
// before any resolver runs (issue 9, finding 1): depth and complexity
// computed once per fragment, introspection counted, and the validator's
// own work bounded. Each attack here took seconds to minutes of server CPU
// before; each request is sent with a deadline, so that a server that
// walks the attack instead of refusing it fails the test instead of
// hanging it.

// The standard introspection queries, verbatim: getIntrospectionQuery() of
// graphql-js 16.15.0, and the variant GraphiQL sends
// (getIntrospectionQuery({inputValueDeprecation: true, schemaDescription: true})).
// They are httpapi's files (go:embed cannot reach there from here): the
// graphql-js one is embedded in the server, GraphiQL's is test data.
func introspectionQuery(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "httpapi", file))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// limitsDeadline is how long a request of these tests may take before the
// test fails: far above what a refusal takes, far below the attack's cost.
const limitsDeadline = 20 * time.Second

// postWithin posts query and fails the test if no answer comes within
// limitsDeadline.
func postWithin(t *testing.T, ts *testServer, query string) *gqlResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limitsDeadline)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	r := ts.do(t, req)
	checkClientErrors(t, r, false)
	return r
}

// joinedN joins n copies of f(i), spaced.
func joinedN(n int, f func(i int) string) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(f(i))
		b.WriteByte(' ')
	}
	return b.String()
}

func TestRequestLimitsFragmentFanOut(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	// 1 KB: each fragment spreads the next twice, 30 levels: 2^30 paths.
	q := "{ ...F0 } " + joinedN(30, func(i int) string {
		return fmt.Sprintf("fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}) + "fragment F30 on Query { __typename }"
	r := postWithin(t, ts, q)
	wantRefused(t, r, "COMPLEXITY_LIMIT_EXCEEDED")
	if want := "operation has complexity 1073741824, which exceeds the limit of 10000"; r.Errors[0].Message != want {
		t.Errorf("message = %q, want %q", r.Errors[0].Message, want)
	}

	// The same shape within the limits is answered.
	small := "{ ...F0 } " + joinedN(8, func(i int) string {
		return fmt.Sprintf("fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}) + "fragment F8 on Query { __typename }"
	r = postWithin(t, ts, small)
	if len(r.Errors) > 0 || string(r.Data) != `{"__typename":"Query"}` {
		t.Fatalf("256 paths to one field: data %s, errors %+v", r.Data, r.Errors)
	}
}

func TestRequestLimitsIntrospection(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, c := range []struct{ name, query string }{
		{"graphql-js", introspectionQuery(t, "graphql-js-introspection.graphql")},
		{"GraphiQL", introspectionQuery(t, "testdata/introspection/graphiql.graphql")},
	} {
		t.Run(c.name+" standard query passes at the default limits", func(t *testing.T) {
			r := postWithin(t, ts, c.query)
			if len(r.Errors) > 0 {
				t.Fatalf("refused: %+v", r.Errors)
			}
			var out struct {
				Schema struct {
					QueryType struct{ Name string }
					Types     []struct{ Name string }
				} `json:"__schema"`
			}
			r.decode(t, &out)
			if got := out.Schema.QueryType.Name; got != "Query" {
				t.Errorf("queryType = %q, want Query", got)
			}
			if len(out.Schema.Types) < 20 {
				t.Errorf("%d types, want the whole schema", len(out.Schema.Types))
			}
		})
	}
	t.Run("40 levels of ofType are refused", func(t *testing.T) {
		q := `{ __type(name: "User") { fields { type { ` + strings.Repeat("ofType { ", 40) + "name" +
			strings.Repeat(" }", 40) + " } } } }"
		r := postWithin(t, ts, q)
		wantRefused(t, r, "BAD_USER_INPUT")
		ext := r.Errors[0].Extensions
		if got, _ := ext["depth"].(float64); got != 44 {
			t.Errorf("extensions.depth = %v, want 44", ext["depth"])
		}
		if got, _ := ext["maxDepth"].(float64); got != 15 {
			t.Errorf("extensions.maxDepth = %v, want 15 (introspection's allowance)", ext["maxDepth"])
		}
	})
	t.Run("500 aliased __schema walks are refused", func(t *testing.T) {
		q := "{ " + joinedN(500, func(i int) string { return fmt.Sprintf("s%d: __schema { types { name } }", i) }) + "}"
		r := postWithin(t, ts, q)
		wantRefused(t, r, "COMPLEXITY_LIMIT_EXCEEDED")
	})
}

func TestRequestLimitsIntrospectionDepthAllowance(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.MaxDepth = 3 }))
	// Data selections keep the configured depth...
	r := postWithin(t, ts, `{ me { roles { permissions { verbs } } } }`)
	wantRefused(t, r, "BAD_USER_INPUT")
	if got, _ := r.Errors[0].Extensions["maxDepth"].(float64); got != 3 {
		t.Errorf("extensions.maxDepth = %v, want 3", r.Errors[0].Extensions["maxDepth"])
	}
	// ...while introspection may nest as deep as the standard query.
	r = postWithin(t, ts, introspectionQuery(t, "graphql-js-introspection.graphql"))
	if len(r.Errors) > 0 {
		t.Fatalf("the standard introspection query refused at -max-depth 3: %+v", r.Errors)
	}
}
func TestRequestLimitsValidationCost(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	cases := []struct{ name, query string }{
		// Every pair of the 4,900 fields is compared: 12 million comparisons.
		{"fields of one response name", "{ " + joinedN(4900, func(int) string { return "a: __typename" }) + "}"},
		// Every pair of 1,200 fragments spread side by side.
		{"fragments spread together", "{ " + joinedN(1200, func(i int) string { return fmt.Sprintf("...G%d", i) }) + "} " +
			joinedN(1200, func(i int) string { return fmt.Sprintf("fragment G%d on Query { a: __typename }", i) })},
		// 5 KB: each of 200 operations compares the fragment's 200 fields pairwise.
		{"a fragment's fields compared in every operation", `fragment F on Query { x: __type(name: "User") { ` +
			joinedN(200, func(int) string { return "a: name" }) + "} } " +
			joinedN(200, func(i int) string { return fmt.Sprintf("query Q%d { ...F }", i) })},
		// The walker enters each of 1,800 chained fragments from every one before it.
		{"a chain of fragments", "{ ...F0 } " + joinedN(1800, func(i int) string {
			return fmt.Sprintf("fragment F%d on Query { ...F%d }", i, i+1)
		}) + "fragment F1800 on Query { __typename }"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := postWithin(t, ts, c.query)
			wantRefused(t, r, "BAD_USER_INPUT")
			if !strings.Contains(r.Errors[0].Message, "too much to validate") {
				t.Errorf("message = %q, want the validation budget's", r.Errors[0].Message)
			}
		})
	}
	t.Run("a document that reuses fragments moderately is validated", func(t *testing.T) {
		// 60 fragments spread side by side, each selecting the same field.
		q := "{ " + joinedN(60, func(i int) string { return fmt.Sprintf("...G%d", i) }) + "} " +
			joinedN(60, func(i int) string { return fmt.Sprintf("fragment G%d on Query { __typename }", i) })
		r := postWithin(t, ts, q)
		if len(r.Errors) > 0 || string(r.Data) != `{"__typename":"Query"}` {
			t.Fatalf("data %s, errors %+v", r.Data, r.Errors)
		}
	})
}
