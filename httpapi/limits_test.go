package httpapi

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/resolvers"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Tests of the request limits on their own: the measure (depth and
// complexity) and the validation budget, counted rather than timed.

// graphiQLIntrospection is the variant of the standard introspection query
// (standardIntrospection) that GraphiQL sends:
// getIntrospectionQuery({inputValueDeprecation: true, schemaDescription: true}).
//
//go:embed testdata/introspection/graphiql.graphql
var graphiQLIntrospection string

// testSchema is the server's executable schema, with its complexity
// functions, and resolvers that nothing here calls.
func testSchema(t testing.TB) graphql.ExecutableSchema {
	t.Helper()
	es, err := (&resolvers.Resolver{}).Schema()
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// testGraphQL is the GraphQL endpoint as the server builds it, with cfg's
// limits, on resolvers that nothing here calls.
func testGraphQL(t testing.TB, cfg Config) http.Handler {
	t.Helper()
	r := &resolvers.Resolver{}
	es, err := r.Schema()
	if err != nil {
		t.Fatal(err)
	}
	h, err := NewGraphQL(es, cfg, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), r.WithLoaders)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// validated parses and validates query as gqlgen would, failing the test
// if either fails.
func validated(t testing.TB, es graphql.ExecutableSchema, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse: %v\n%.300s", err, query)
	}
	if errs := validator.ValidateWithRules(es.Schema(), doc, nil); len(errs) > 0 {
		t.Fatalf("validate: %v\n%.300s", errs, query)
	}
	return doc
}

// measured measures the document's first operation.
func measured(t testing.TB, es graphql.ExecutableSchema, doc *ast.QueryDocument, vars map[string]any) (size, int) {
	t.Helper()
	intro, err := newIntrospectionCost(es.Schema())
	if err != nil {
		t.Fatal(err)
	}
	m, visits, err := measure(context.Background(), es.Schema(), es.Complexity, intro, doc.Operations[0], doc.Fragments, vars)
	if err != nil {
		t.Fatal(err)
	}
	return m, visits
}

// joined joins n copies of f(i).
func joined(n int, f func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = f(i)
	}
	return strings.Join(parts, " ")
}

// fanOut is levels fragments that each spread the next twice: 2^levels
// paths to one field.
func fanOut(levels int) string {
	return "{ ...F0 } " + joined(levels, func(i int) string {
		return fmt.Sprintf("fragment F%d on Query { ...F%d ...F%d }", i, i+1, i+1)
	}) + fmt.Sprintf(" fragment F%d on Query { __typename }", levels)
}

func TestMeasureFragmentFanOut(t *testing.T) {
	es := testSchema(t)
	for _, c := range []struct {
		levels int
		want   int
	}{
		{1, 2},
		{30, 1 << 30},
		{62, 1 << 62},
		{70, maxInt}, // saturates instead of wrapping around to a small number
	} {
		m, _ := measured(t, es, validated(t, es, fanOut(c.levels)), nil)
		if m.complexity != c.want || m.depth != 1 {
			t.Errorf("%d levels: complexity %d, depth %d; want %d, 1", c.levels, m.complexity, m.depth, c.want)
		}
	}
}

// The number of selections the measure visits stays within a constant
// times the document's size, whatever the document. A data selection is
// visited once: each fragment is measured once. An introspection selection
// is visited once per scope it is priced on: a fragment on __Type can be
// priced as every type, as one named type, and as a type reference with
// each number of wrappers left (wrapDepth+2 of those, null included);
// below a type field reached by enumeration a selection is priced once per
// number of wrappers (wrapDepth+1). Hence the bound below.
func TestMeasureVisitsAreLinear(t *testing.T) {
	es := testSchema(t)
	intro, err := newIntrospectionCost(es.Schema())
	if err != nil {
		t.Fatal(err)
	}
	perNode := (intro.wrapDepth + 3) * (intro.wrapDepth + 1)
	docs := []struct {
		name, query string
		data        bool // no introspection: every selection visited at most once
	}{
		{"fan-out of 30 levels", fanOut(30), true},
		{"chain of 500 fragments", "{ ...F0 } " + joined(500, func(i int) string {
			return fmt.Sprintf("fragment F%d on Query { ...F%d }", i, i+1)
		}) + " fragment F500 on Query { __typename }", true},
		{"2,000 aliases", "{ " + joined(2000, func(i int) string { return fmt.Sprintf("a%d: __typename", i) }) + " }", true},
		{"nested data", "{ me { roles { permissions { verbs pattern } name } sessions { id } } }", true},
		{"introspection fan-out", `{ __schema { types { ...T0 fields { type { ...T0 } } } } } ` + joined(20, func(i int) string {
			return fmt.Sprintf("fragment T%d on __Type { ...T%d ofType { ...T%d } }", i, i+1, i+1)
		}) + " fragment T20 on __Type { name }", false},
		{"graphql-js introspection", standardIntrospection, false},
		{"GraphiQL introspection", graphiQLIntrospection, false},
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			doc := validated(t, es, d.query)
			_, visits := measured(t, es, doc, nil)
			nodes := documentNodes(doc)
			if visits > perNode*nodes {
				t.Errorf("%d visits for %d nodes, want at most %d per node", visits, nodes, perNode)
			}
			if d.data && visits > nodes {
				t.Errorf("%d visits for %d nodes of data selections, want at most one per node", visits, nodes)
			}
			t.Logf("%d visits for %d nodes", visits, nodes)
		})
	}
}

// Without introspection the measure is gqlgen's complexity and the depth
// of the deepest path, only computed once per fragment.
func TestMeasureMatchesGqlgen(t *testing.T) {
	es := testSchema(t)
	cases := []struct {
		query string
		vars  map[string]any
	}{
		{`{ __typename }`, nil},
		{`{ me { roles { permissions { verbs } } } }`, nil},
		{`{ users(first: 5) { nodes { id username } totalCount } }`, nil},
		{`query($n: Int) { users(first: $n) { nodes { ...U } } } fragment U on User { id roles { name } }`, map[string]any{"n": 7}},
		{`{ users { edges { node { id } cursor } } }`, nil},
		{`{ node(id: "x") { id ... on User { username roles { name } } } }`, nil},
		{`{ a: me { ...U } b: me { ...U ... on User { email } } } fragment U on User { id ...R } fragment R on User { roles { id } }`, nil},
		{`mutation { signup(input: {password: "p"}) { user { id } auth { accessToken } } }`, nil},
	}
	for _, c := range cases {
		doc := validated(t, es, c.query)
		m, _ := measured(t, es, doc, c.vars)
		want := complexity.Calculate(context.Background(), es, doc.Operations[0], c.vars)
		if m.complexity != want || m.introComplexity != 0 {
			t.Errorf("%s: complexity %d, introspection %d; gqlgen says %d, and 0", c.query, m.complexity, m.introComplexity, want)
		}
		if want := pathDepth(doc.Operations[0].SelectionSet, doc.Fragments); m.depth != want {
			t.Errorf("%s: depth %d, the deepest path is %d", c.query, m.depth, want)
		}
	}
}

// pathDepth is the depth of the deepest path, found by following every
// path: exponential in fragments, for small documents only.
func pathDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList) int {
	deepest := 0
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			deepest = max(deepest, 1+pathDepth(s.SelectionSet, frags))
		case *ast.InlineFragment:
			deepest = max(deepest, pathDepth(s.SelectionSet, frags))
		case *ast.FragmentSpread:
			deepest = max(deepest, pathDepth(frags.ForName(s.Name).SelectionSet, frags))
		}
	}
	return deepest
}

func TestMeasureStopsWhenTheRequestEnds(t *testing.T) {
	es := testSchema(t)
	doc := validated(t, es, "{ "+joined(ctxCheckEvery*2, func(i int) string { return fmt.Sprintf("a%d: __typename", i) })+" }")
	intro, _ := newIntrospectionCost(es.Schema())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, visits, err := measure(ctx, es.Schema(), es.Complexity, intro, doc.Operations[0], doc.Fragments, nil)
	if err != context.Canceled || visits > ctxCheckEvery {
		t.Errorf("after the request ended: %d visits, err %v; want at most %d, %v", visits, err, ctxCheckEvery, context.Canceled)
	}
}

// An introspection selection is priced at no less than the values its
// answer holds, and the standard queries close to it: they pass the default
// limit because they are priced as what they are.
func TestIntrospectionPriceBoundsTheAnswer(t *testing.T) {
	es := testSchema(t)
	h := testGraphQL(t, Config{MaxDepth: 100, MaxComplexity: maxInt, MaxTokens: 15000, Introspection: true})
	cases := []struct {
		name, query string
		tight       bool // priced within 2% of the answer
	}{
		{"graphql-js", standardIntrospection, true},
		{"GraphiQL", graphiQLIntrospection, true},
		{"one type's fields", `{ __type(name: "Mutation") { name fields { name args { name type { name ofType { name } } } type { kind } } } }`, false},
		{"types through references", `{ __schema { queryType { fields { type { fields { name } interfaces { name } } } } } }`, false},
		{"enumerated inputs", `{ __schema { types { inputFields { type { ofType { ofType { ofType { ofType { name } } } } } } enumValues { name } possibleTypes { name } } directives { locations args { name } } } }`, false},
		{"aliases and fragments", `{ a: __schema { ...S } b: __schema { ...S types { ...T } } } fragment S on __Schema { types { ...T } } fragment T on __Type { name kind fields { name } }`, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := measured(t, es, validated(t, es, c.query), nil)
			values := answerValues(t, h, c.query)
			if m.introComplexity < values {
				t.Errorf("priced %d, but the answer holds %d values", m.introComplexity, values)
			}
			if c.tight && m.introComplexity > values+values/50 {
				t.Errorf("priced %d for an answer of %d values: more than 2%% over", m.introComplexity, values)
			}
			t.Logf("priced %d, %d values", m.introComplexity, values)
		})
	}
}

// answerValues runs query and counts the values of its data: objects,
// lists and scalars, as the price counts them.
func answerValues(t *testing.T, h http.Handler, query string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var out struct {
		Data   map[string]any
		Errors []any
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || len(out.Errors) > 0 {
		t.Fatalf("answer: %v %.300s", err, rec.Body.String())
	}
	var count func(any) int
	count = func(v any) int {
		n := 1
		switch v := v.(type) {
		case map[string]any:
			for _, c := range v {
				n += count(c)
			}
		case []any:
			for _, c := range v {
				n += count(c)
			}
		}
		return n
	}
	return count(out.Data) - 1 // the data object is not an answer of a field
}

func TestIntrospectionDepth(t *testing.T) {
	es := testSchema(t)
	for _, c := range []struct {
		query string
		want  int
	}{
		{standardIntrospection, introspectionDepth},
		{graphiQLIntrospection, introspectionDepth},
		{`{ __type(name: "User") { ` + strings.Repeat("ofType { ", 40) + "name" + strings.Repeat(" }", 40) + " } }", 42},
		{`{ me { id } __typename }`, 0},
	} {
		m, _ := measured(t, es, validated(t, es, c.query), nil)
		if m.introDepth != c.want {
			t.Errorf("%.60s…: introspection depth %d, want %d", c.query, m.introDepth, c.want)
		}
	}
}
