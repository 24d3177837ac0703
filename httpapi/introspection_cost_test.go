package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// The introspection allowance is measured on the schema, so it grows with
// it: on a schema three times ours, where the standard introspection query
// costs more than the default -max-complexity, GraphiQL's introspection
// still passes, and 500 aliased __schema walks are still refused.
func TestIntrospectionAllowanceScalesWithTheSchema(t *testing.T) {
	ours := testSchema(t).Schema()
	oursCost := mustIntrospectionCost(t, ours)
	grown := grownSchema(t, oursCost, 3)
	grownCost := mustIntrospectionCost(t, grown)
	for set, name := range map[elements]string{allTypes: "types", allFields: "fields", allFieldArgs: "field arguments",
		allInputFields: "input fields", allEnumValues: "enum values"} {
		if got, want := grownCost.sets[set].count, 3*oursCost.sets[set].count; got < want {
			t.Fatalf("the grown schema has %d %s, want at least %d (3× ours)", got, name, want)
		}
	}
	// Under the former rule (introspection within -max-complexity) the
	// grown schema's standard introspection would be refused.
	grownPrice := sizeOn(t, grown, grownCost, loadQuery(t, grown, standardIntrospection)).introComplexity
	if grownPrice <= 10000 {
		t.Fatalf("the standard introspection costs %d on the grown schema, want more than 10,000 to prove anything", grownPrice)
	}
	if grownCost.allowance <= oursCost.allowance {
		t.Errorf("allowance %d on the grown schema, %d on ours: want it to grow", grownCost.allowance, oursCost.allowance)
	}

	walks := "{ " + joined(500, func(i int) string { return fmt.Sprintf("s%d: __schema { types { name } }", i) }) + " }"
	for _, c := range []struct {
		name   string
		schema *ast.Schema
		cost   *introspectionCost
	}{
		{"our schema", ours, oursCost},
		{"a schema 3× ours", grown, grownCost},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := &requestLimits{maxDepth: 12, maxComplexity: 10000, schema: c.schema, intro: c.cost}
			for name, doc := range map[string]*ast.QueryDocument{
				"graphql-js":     loadQuery(t, c.schema, standardIntrospection),
				"GraphiQL":       loadQuery(t, c.schema, graphiQLIntrospection),
				"two graphql-js": twice(loadQuery(t, c.schema, standardIntrospection)),
			} {
				m := sizeOn(t, c.schema, c.cost, doc)
				if e := l.refusal(m); e != nil {
					t.Errorf("%s introspection refused (allowance %d): %v", name, c.cost.allowance, e)
				}
				t.Logf("%s: introspection complexity %d of %d", name, m.introComplexity, c.cost.allowance)
			}
			m := sizeOn(t, c.schema, c.cost, loadQuery(t, c.schema, walks))
			e := l.refusal(m)
			if e == nil {
				t.Fatalf("500 aliased __schema walks (introspection complexity %d) passed the allowance %d", m.introComplexity, c.cost.allowance)
			}
			if code := e.Extensions["code"]; code != "COMPLEXITY_LIMIT_EXCEEDED" {
				t.Errorf("code = %v, want COMPLEXITY_LIMIT_EXCEEDED", code)
			}
			want := fmt.Sprintf("operation has introspection complexity %d, which exceeds the introspection limit of %d", m.introComplexity, c.cost.allowance)
			if e.Message != want {
				t.Errorf("message = %q, want %q", e.Message, want)
			}
		})
	}
}

// Data and introspection are bounded apart: a full introspection beside
// data close to -max-complexity passes, though together they cost more;
// data over the limit is refused with gqlgen's message.
func TestComplexityLimitsAreSeparate(t *testing.T) {
	es := testSchema(t)
	intro := mustIntrospectionCost(t, es.Schema())
	l := &requestLimits{maxDepth: 12, maxComplexity: 10000, schema: es.Schema(), complexity: es.Complexity, intro: intro}
	data := func(first int) string { return fmt.Sprintf("users(first: %d) { nodes { id } }", first) }
	both := func(first int) string {
		return strings.Replace(standardIntrospection, "__schema {", data(first)+" __schema {", 1)
	}

	m, _ := measured(t, es, validated(t, es, both(4000)), nil)
	if m.complexity+m.introComplexity <= l.maxComplexity {
		t.Fatalf("data %d and introspection %d: want more than %d together", m.complexity, m.introComplexity, l.maxComplexity)
	}
	if e := l.refusal(m); e != nil {
		t.Errorf("data %d beside introspection %d refused: %v", m.complexity, m.introComplexity, e)
	}

	m, _ = measured(t, es, validated(t, es, both(5001)), nil)
	e := l.refusal(m)
	if e == nil {
		t.Fatalf("data complexity %d passed -max-complexity %d", m.complexity, l.maxComplexity)
	}
	if want := fmt.Sprintf("operation has complexity %d, which exceeds the limit of 10000", m.complexity); e.Message != want {
		t.Errorf("message = %q, want %q", e.Message, want)
	}
}

func mustIntrospectionCost(t *testing.T, s *ast.Schema) *introspectionCost {
	t.Helper()
	c, err := newIntrospectionCost(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// loadQuery parses and validates query on s.
func loadQuery(t *testing.T, s *ast.Schema, query string) *ast.QueryDocument {
	t.Helper()
	doc, errs := gqlparser.LoadQueryWithRules(s, query, nil)
	if len(errs) > 0 {
		t.Fatalf("validate: %v\n%.300s", errs, query)
	}
	return doc
}

// sizeOn measures doc's first operation with no custom complexity.
func sizeOn(t *testing.T, s *ast.Schema, c *introspectionCost, doc *ast.QueryDocument) size {
	t.Helper()
	m, _, err := measure(context.Background(), s, nil, c, doc.Operations[0], doc.Fragments, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// twice asks the first field of doc's operation twice, under aliases a
// and b: for the introspection query, two full introspections.
func twice(doc *ast.QueryDocument) *ast.QueryDocument {
	op := doc.Operations[0]
	a, b := *op.SelectionSet[0].(*ast.Field), *op.SelectionSet[0].(*ast.Field)
	a.Alias, b.Alias = "a", "b"
	op.SelectionSet = ast.SelectionSet{&a, &b}
	return doc
}

// grownSchema generates a schema with factor times as many types, fields,
// field arguments, input fields and enum values as c measured, shaped as
// ours: objects whose fields answer scalars, objects, lists of objects
// and enums, some with an input argument.
func grownSchema(t *testing.T, c *introspectionCost, factor int) *ast.Schema {
	t.Helper()
	groups := factor*c.sets[allTypes].count/3 + 1 // a group is an object, an input and an enum
	per := func(set elements) int { return factor*c.sets[set].count/groups + 1 }
	var b strings.Builder
	b.WriteString("type Query {")
	for g := range groups {
		fmt.Fprintf(&b, " o%d: O%d", g, g)
	}
	b.WriteString(" }\n")
	for g := range groups {
		next := (g + 1) % groups
		types := []string{"String", fmt.Sprintf("O%d!", next), fmt.Sprintf("[O%d!]!", next), fmt.Sprintf("E%d", g)}
		fmt.Fprintf(&b, "type O%d {", g)
		for f := range per(allFields) {
			args := ""
			if f < per(allFieldArgs) {
				args = fmt.Sprintf("(in: I%d!)", g)
			}
			fmt.Fprintf(&b, " f%d%s: %s", f, args, types[f%len(types)])
		}
		fmt.Fprintf(&b, " }\ninput I%d {", g)
		for f := range per(allInputFields) {
			fmt.Fprintf(&b, " i%d: [String!]", f)
		}
		fmt.Fprintf(&b, " }\nenum E%d {", g)
		for v := range per(allEnumValues) {
			fmt.Fprintf(&b, " V%d", v)
		}
		b.WriteString(" }\n")
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "grown.graphqls", Input: b.String()})
	if err != nil {
		t.Fatalf("the grown schema: %v", err)
	}
	return s
}
