package httpapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/complexity"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// FuzzRequestLimits feeds the request limits documents built from the
// fuzzer's bytes (genDocument): random graphs of fragments, aliases, fields
// repeated, nesting, introspection. For each it checks that nothing
// panics, that the validation budget counts the walker's visits exactly
// (when within the budget), that the measure visits at most a constant
// times the document's nodes, and, on documents small enough to walk every
// path, that the measure agrees with gqlgen's complexity and with the
// deepest path. The seed corpus is testdata/fuzz/FuzzRequestLimits; plain
// go test replays it.
//
//	go test -run '^$' -fuzz FuzzRequestLimits -fuzztime 60s ./httpapi
func FuzzRequestLimits(f *testing.F) {
	es := testSchema(f)
	intro, err := newIntrospectionCost(es.Schema())
	if err != nil {
		f.Fatal(err)
	}
	perNode := (intro.wrapDepth + 3) * (intro.wrapDepth + 1) // see TestMeasureVisitsAreLinear
	f.Fuzz(func(t *testing.T, data []byte) {
		query := genDocument(data)
		doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, 15000)
		if err != nil {
			return
		}
		nodes := documentNodes(doc)
		c := countValidation(context.Background(), es.Schema(), doc)
		if c.steps > c.budget {
			return // refused before validation
		}
		if walked := walkerVisits(es.Schema(), parsedOrFail(t, query)); c.walked != walked {
			t.Fatalf("counted %d visits of the walker, it makes %d\n%s", c.walked, walked, query)
		}
		if errs := validator.ValidateWithRules(es.Schema(), doc, nil); len(errs) > 0 {
			return
		}
		op := doc.Operations[0]
		m, visits, err := measure(context.Background(), es.Schema(), es.Complexity, intro, op, doc.Fragments, nil)
		if err != nil {
			t.Fatal(err)
		}
		if visits > perNode*nodes {
			t.Fatalf("%d visits for %d nodes\n%s", visits, nodes, query)
		}
		if m.complexity > 20000 || strings.Contains(query, "__schema") || strings.Contains(query, "__type(") {
			return // gqlgen's complexity would take too long, or prices introspection otherwise
		}
		if want := complexity.Calculate(context.Background(), es, op, nil); m.complexity != want {
			t.Fatalf("complexity %d, gqlgen says %d\n%s", m.complexity, want, query)
		}
		if want := pathDepth(op.SelectionSet, doc.Fragments); m.depth != want {
			t.Fatalf("depth %d, the deepest path is %d\n%s", m.depth, want, query)
		}
	})
}

func parsedOrFail(t *testing.T, query string) *ast.QueryDocument {
	t.Helper()
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// genDocument builds a document from data, read as a little program: each
// byte chooses (modulo the number of choices) the next element. It reads
//
//	fragments   count (0–32), then each one's type condition
//	operations  count (1–3)
//	selection   items (1–4), then per item: field, fragment spread, inline
//	            fragment, repetition of the previous item (1–40 more
//	            times), or aliased field; a field's number; a spread's
//	            fragment
//
// with a selection for each operation, then for each fragment. A fragment only spreads
// later ones of its own type, so the graph has no cycle, and running out of
// data ends every selection with __typename. The corpus seeds are written
// in this language (testdata/fuzz/FuzzRequestLimits).
func genDocument(data []byte) string {
	g := &docGen{data: data}
	for range g.next(33) {
		g.fragments = append(g.fragments, genTypes[g.next(len(genTypes))])
	}
	var b strings.Builder
	for i := range 1 + g.next(3) {
		fmt.Fprintf(&b, "query Q%d %s\n", i, g.selection("Query", 0, -1))
	}
	for i, typ := range g.fragments {
		fmt.Fprintf(&b, "\nfragment F%d on %s %s", i, typ, g.selection(typ, 0, i))
	}
	return b.String()
}

type docGen struct {
	data      []byte
	pos       int
	fragments []string // type conditions
	size      int      // bytes written so far, to keep documents small
}

// next reads a choice among n (0 once the data runs out).
func (g *docGen) next(n int) int {
	if g.pos >= len(g.data) || n <= 1 {
		return 0
	}
	g.pos++
	return int(g.data[g.pos-1]) % n
}

// genTypes are the fragments' type conditions; genFields the fields of
// each type the generator uses, with the type of their answer (empty for
// a scalar).
var (
	genTypes  = []string{"Query", "User", "Role", "__Type", "__Field", "UserConnection"}
	genFields = map[string][]struct{ text, typ string }{
		"Query": {{"__typename", ""}, {"me", "User"}, {`__type(name: "User")`, "__Type"}, {"__schema", "__Schema"},
			{`usernameExists(username: "x")`, ""}, {"users(first: 3)", "UserConnection"}, {`node(id: "x")`, "Node"}, {"users", "UserConnection"}},
		"User":           {{"__typename", ""}, {"id", ""}, {"username", ""}, {"roles", "Role"}, {"sessions", "Session"}},
		"Role":           {{"name", ""}, {"permissions", "Permission"}, {"id", ""}},
		"Permission":     {{"pattern", ""}, {"verbs", ""}},
		"Session":        {{"id", ""}, {"kind", ""}},
		"UserConnection": {{"totalCount", ""}, {"nodes", "User"}, {"edges", "UserEdge"}},
		"UserEdge":       {{"cursor", ""}, {"node", "User"}},
		"Node":           {{"id", ""}, {"__typename", ""}},
		"__Schema":       {{"description", ""}, {"types", "__Type"}, {"queryType", "__Type"}, {"directives", "__Directive"}},
		"__Type": {{"name", ""}, {"kind", ""}, {"fields", "__Field"}, {"ofType", "__Type"}, {"interfaces", "__Type"},
			{"possibleTypes", "__Type"}, {"enumValues", "__EnumValue"}, {"inputFields", "__InputValue"}},
		"__Field":      {{"name", ""}, {"args", "__InputValue"}, {"type", "__Type"}},
		"__InputValue": {{"name", ""}, {"type", "__Type"}, {"defaultValue", ""}},
		"__EnumValue":  {{"name", ""}, {"isDeprecated", ""}},
		"__Directive":  {{"name", ""}, {"locations", ""}, {"args", "__InputValue"}},
	}
)

const (
	genMaxDepth = 48   // deep enough for 40 levels of ofType
	genMaxSize  = 8192 // bytes: enough for every shape, small enough to fuzz fast
)

// selection writes a selection set on typ, inside fragment frag (-1: the
// operation).
func (g *docGen) selection(typ string, depth, frag int) string {
	var items []string
	for range 1 + g.next(4) {
		var item string
		switch op := g.next(8); {
		case g.size > genMaxSize:
			item = "__typename"
		case op == 4:
			item = g.spread(typ, frag)
		case op == 5 && depth < genMaxDepth:
			item = "... on " + typ + " " + g.selection(typ, depth+1, frag)
		case op == 6 && len(items) > 0:
			last := items[len(items)-1]
			item = strings.TrimSpace(strings.Repeat(last+" ", 1+g.next(40)))
		default:
			item = g.field(typ, depth, frag, op == 7)
		}
		g.size += len(item)
		items = append(items, item)
	}
	return "{ " + strings.Join(items, " ") + " }"
}

func (g *docGen) field(typ string, depth, frag int, alias bool) string {
	fields := genFields[typ]
	f := fields[g.next(len(fields))]
	text := f.text
	if alias {
		text = []string{"a", "b"}[g.next(2)] + ": " + text
	}
	switch {
	case f.typ == "":
		return text
	case depth >= genMaxDepth:
		return text + " { __typename }"
	}
	return text + " " + g.selection(f.typ, depth+1, frag)
}

// spread spreads a later fragment on typ, or selects __typename if none.
func (g *docGen) spread(typ string, frag int) string {
	var later []int
	for j := frag + 1; j < len(g.fragments); j++ {
		if g.fragments[j] == typ {
			later = append(later, j)
		}
	}
	if len(later) == 0 {
		return "__typename"
	}
	return fmt.Sprintf("...F%d", later[g.next(len(later))])
}
