package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// worstDocuments are the costliest documents of at most 2 KB found for the
// server's work up to the resolvers (parse, validation budget, validation,
// depth and complexity, and gqlgen answering introspection), one of each
// kind, each sized to go as far as the limits let it (see
// TestWorstDocumentsReachTheirLimit). None needs a resolver of ours.
func worstDocuments() map[string]string {
	inOperations := func(n int, fragment string) string {
		return fragment + " " + joined(n, func(i int) string { return fmt.Sprintf("query Q%d{...F}", i) })
	}
	return map[string]string{
		// Introspection as close to its allowance as 2 KB gets, in its
		// costliest form per unit: the list of types, again and again.
		"introspection at the limit": "{" + joined(79, func(i int) string { return fmt.Sprintf("s%d:__schema{types{name}}", i) }) + "}",
		"graphql-js introspection":   standardIntrospection,
		// Fields of one response name but different fields: every pair is
		// an error (reported up to maxValidationErrors).
		"conflicting fields": "{" + joined(54, func(int) string { return "a:__typename a:__schema{description}" }) + "}",
		// Unknown fields (each with a suggestion), validated in every
		// operation that spreads them.
		"unknown fields in every operation": inOperations(50,
			"fragment F on Query{"+joined(20, func(i int) string { return fmt.Sprintf("userz%d", i) })+"}"),
		// Pairs of fields of one name, compared in every operation.
		"pairs in every operation": inOperations(25, `fragment F on Query{x:__type(name:"User"){`+strings.Repeat("a:name ", 40)+"}}"),
		// Pairs of fields of one name whose selections hold pairs again.
		"nested pairs": "{" + strings.Repeat("a:__schema{types{"+strings.Repeat("a:name ", 10)+"}} ", 21) + "}",
		// Fragments spread side by side, compared pairwise.
		"fragments spread together": "{" + joined(48, func(i int) string { return fmt.Sprintf("...G%d", i) }) + "}" +
			joined(48, func(i int) string { return fmt.Sprintf("fragment G%d on Query{a:__typename}", i) }),
		// A chain of fragments, each walked from every one before it.
		"chain of fragments": "{...F0}" + joined(67, func(i int) string { return fmt.Sprintf("fragment F%d on Query{...F%d}", i, i+1) }) +
			" fragment F67 on Query{__typename}",
		// 2^30 paths to one field: refused by complexity.
		"fragment fan-out": fanOut(30),
	}
}

// BenchmarkWorstDocument measures the server's CPU for each of
// worstDocuments through the GraphQL handler as the server builds it, with
// the default limits. Every iteration sends a new document (a comment
// makes it so): an attacker does not let the query cache help.
//
//	go test -run '^$' -bench WorstDocument -benchtime 200x ./httpapi
func BenchmarkWorstDocument(b *testing.B) {
	h := testGraphQL(b, Config{MaxDepth: 12, MaxComplexity: 10000, MaxTokens: 15000, Introspection: true})
	sent := 0 // numbers the documents: no two are the same
	for name, doc := range worstDocuments() {
		b.Run(name, func(b *testing.B) {
			var outcome string
			for b.Loop() {
				sent++
				outcome = serve(b, h, fmt.Sprintf("%s\n#%d", doc, sent))
			}
			b.ReportMetric(float64(len(doc)), "bytes")
			b.Logf("%s", outcome)
		})
	}
}

// serve posts query to h and returns the start of its answer.
func serve(b *testing.B, h http.Handler, query string) string {
	body, _ := json.Marshal(map[string]any{"query": query})
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := rec.Body.String()
	if i := strings.Index(out, `"locations"`); i > 0 {
		out = out[:i]
	}
	return fmt.Sprintf("%d bytes: %.160s", rec.Body.Len(), out)
}

// The benchmark's documents are at most 2 KB and each gets past the
// validation budget, so that the benchmark measures the work the limits
// let through rather than an early refusal.
func TestWorstDocumentsReachTheirLimit(t *testing.T) {
	s := testSchema(t).Schema()
	for name, doc := range worstDocuments() {
		if len(doc) > 2048 {
			t.Errorf("%s: %d bytes, more than 2 KB", name, len(doc))
		}
		if _, within, _ := validationSteps(context.Background(), s, parsed(t, doc)); !within {
			t.Errorf("%s: refused by the validation budget", name)
		}
	}
}
