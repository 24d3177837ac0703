package httpapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

func parsed(t testing.TB, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

// walkerVisits counts what gqlparser's validator walk visits on doc.
func walkerVisits(s *ast.Schema, doc *ast.QueryDocument) int {
	n := 0
	ev := &validator.Events{}
	ev.OnField(func(*validator.Walker, *ast.Field) { n++ })
	ev.OnInlineFragment(func(*validator.Walker, *ast.InlineFragment) { n++ })
	ev.OnFragmentSpread(func(*validator.Walker, *ast.FragmentSpread) { n++ })
	ev.OnDirective(func(*validator.Walker, *ast.Directive) { n++ })
	ev.OnValue(func(*validator.Walker, *ast.Value) { n++ })
	ev.OnVariable(func(*validator.Walker, *ast.VariableDefinition) { n++ })
	validator.Walk(s, doc, ev)
	return n
}

// validationDocs are documents of every shape the walker treats apart,
// small enough to walk.
var validationDocs = map[string]string{
	"graphql-js introspection": standardIntrospection,
	"GraphiQL introspection":   graphiQLIntrospection,
	"operations and fragments": `query A($n: Int = 3, $o: [UserOrder!] = [{field: USERNAME}]) @skip(if: false) { ...Q users(first: $n, orderBy: $o) { nodes { ...U } } }
		query B { ...Q me { ...U ... on User @include(if: true) { roles { ...R } } } }
		fragment Q on Query { __typename me { ...U } }
		fragment U on User { id roles { ...R } }
		fragment R on Role { name permissions { verbs } }`,
	"fan-out":   fanOut(12),
	"unknown":   `{ nope { ...Missing } ...AlsoMissing @deprecated(reason: "x") }`,
	"a chain":   "{ ...F0 } " + joined(40, func(i int) string { return fmt.Sprintf("fragment F%d on Query { ...F%d }", i, i+1) }) + " fragment F40 on Query { __typename }",
	"variables": `query($a: Boolean = true, $b: String) { usernameExists(username: $b) @skip(if: $a) __typename @include(if: $a) }`,
}

// The budget counts the walker's visits exactly, as the walker makes them.
func TestValidationStepsCountTheWalker(t *testing.T) {
	s := testSchema(t).Schema()
	for name, q := range validationDocs {
		doc := parsed(t, q)
		c := countValidation(context.Background(), s, doc)
		if c.steps > c.budget {
			t.Fatalf("%s: over the budget (%d steps)", name, c.steps)
		}
		if want := walkerVisits(s, parsed(t, q)); c.walked != want {
			t.Errorf("%s: counted %d visits of the walker, it makes %d", name, c.walked, want)
		}
	}
}

// Documents whose validation is quadratic are refused, and counting them
// stops at the budget, which is linear in the document: no further than
// the one comparison that passes it (of fields without arguments here).
func TestValidationBudgetRefusesQuadraticDocuments(t *testing.T) {
	const maxStep = 1
	s := testSchema(t).Schema()
	docs := map[string]string{
		"fields of one name": "{ " + joined(4900, func(int) string { return "a: __typename" }) + " }",
		"operations spreading a fragment of such fields": `fragment F on Query { x: __type(name: "User") { ` +
			joined(200, func(int) string { return "a: name" }) + " } } " + joined(200, func(i int) string { return fmt.Sprintf("query Q%d { ...F }", i) }),
		"fragments spread together": "{ " + joined(1200, func(i int) string { return fmt.Sprintf("...G%d", i) }) + " } " +
			joined(1200, func(i int) string { return fmt.Sprintf("fragment G%d on Query { a: __typename }", i) }),
		"spreads of a few fragments": "{ ...G } fragment G on Query { " + joined(3700, func(i int) string { return fmt.Sprintf("...F%d", i%900) }) + " } " +
			joined(900, func(i int) string { return fmt.Sprintf("fragment F%d on Query { __typename }", i) }),
		"a chain of fragments": "{ ...F0 } " + joined(1800, func(i int) string { return fmt.Sprintf("fragment F%d on Query { ...F%d }", i, i+1) }) +
			" fragment F1800 on Query { __typename }",
		"fields compared below fields of one name": "{ " + joined(300, func(int) string {
			return "a: me { " + joined(30, func(i int) string { return fmt.Sprintf("f%d: id", i) }) + " }"
		}) + " }",
		"nested inline fragments": "{ " + joined(200, func(int) string { return "... {" }) + joined(1000, func(int) string { return "__typename" }) +
			joined(200, func(int) string { return "}" }) + " }",
	}
	for name, q := range docs {
		doc := parsed(t, q)
		steps, within, err := validationSteps(context.Background(), s, doc)
		if err != nil {
			t.Fatal(err)
		}
		limit := baseSteps + stepsPerNode*documentNodes(doc)
		if within || steps <= limit || steps > limit+maxStep {
			t.Errorf("%s: %d steps (within %v); want refused just past the budget, %d", name, steps, within, limit)
		}
	}
}

// Counting stops when the request ends.
func TestValidationStepsStopWhenTheRequestEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	steps, _, err := validationSteps(ctx, testSchema(t).Schema(), parsed(t, "{ "+joined(4900, func(int) string { return "a: __typename" })+" }"))
	if err != context.Canceled || steps > ctxCheckEvery {
		t.Errorf("after the request ended: %d steps, err %v; want at most %d, %v", steps, err, ctxCheckEvery, context.Canceled)
	}
}

// A document in the query cache was validated before: it is not counted
// again (and so costs no second parse).
func TestValidationBudgetSkipsCachedDocuments(t *testing.T) {
	attack := "{ " + joined(4900, func(int) string { return "a: __typename" }) + " }"
	cache := lru.New[*ast.QueryDocument](10)
	v := &validationBudget{cache: cache, maxTokens: 15000, schema: testSchema(t).Schema()}
	ctx := context.Background()
	if err := v.MutateOperationParameters(ctx, &graphql.RawParams{Query: attack}); err == nil {
		t.Fatal("the attack was let through")
	}
	cache.Add(ctx, attack, parsed(t, attack))
	if err := v.MutateOperationParameters(ctx, &graphql.RawParams{Query: attack}); err != nil {
		t.Errorf("a cached document was counted again: %v", err)
	}
}

// Documents that reuse fragments as client libraries write them pass the
// budget, however the fragments are arranged.
func TestValidationBudgetAdmitsFragmentReuse(t *testing.T) {
	s := testSchema(t).Schema()
	fragment := func(i int, more string) string {
		return fmt.Sprintf("fragment U%d on User { id __typename username roles { name } %s}", i, more)
	}
	docs := map[string]string{
		"graphql-js introspection": standardIntrospection,
		"GraphiQL introspection":   graphiQLIntrospection,
		"60 fragments side by side": "{ me { " + joined(60, func(i int) string { return fmt.Sprintf("...U%d", i) }) + " } } " +
			joined(60, func(i int) string { return fragment(i, "") }),
		"40 fragments each spreading the next": "{ me { ...U0 } } " +
			joined(40, func(i int) string { return fragment(i, fmt.Sprintf("...U%d ", i+1)) }) + " " + fragment(40, ""),
		"3 operations sharing 20 fragments": joined(3, func(i int) string {
			return fmt.Sprintf("query Q%d { me { ...U0 } users { nodes { ...U0 } } }", i)
		}) + " " + joined(20, func(i int) string { return fragment(i, fmt.Sprintf("...U%d ", i+1)) }) + " " + fragment(20, ""),
	}
	for name, q := range docs {
		if steps, within, _ := validationSteps(context.Background(), s, parsed(t, q)); !within {
			t.Errorf("%s: refused (%d steps)", name, steps)
		}
	}
}

// A literal nested a thousand levels deep costs validation each level again
// for every level above it; it is counted so and refused before validation
// runs, while the deepest input a service accepts passes.
func TestValidationBudgetCountsNestedLiterals(t *testing.T) {
	s := testSchema(t).Schema()
	nested := func(levels int) string {
		f := `{ids: ["x"]}`
		for range levels {
			f = "{not: " + f + "}"
		}
		return "{ users(filter: " + f + ") { totalCount } }"
	}
	if steps, within, _ := validationSteps(context.Background(), s, parsed(t, nested(990))); within {
		t.Errorf("990 levels of not: admitted with %d steps", steps)
	}
	if steps, within, _ := validationSteps(context.Background(), s, parsed(t, nested(maxInputDepth))); !within {
		t.Errorf("%d levels of not: refused with %d steps", maxInputDepth, steps)
	}
}
