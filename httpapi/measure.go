package httpapi

import (
	"context"

	"github.com/vektah/gqlparser/v2/ast"
)

// size is what the request limits compare with their settings. Data and
// introspection are priced apart because they are bounded apart: data by
// -max-complexity, introspection by an allowance measured on the schema
// (introspectionCost.allowance), which grows with it.
type size struct {
	complexity      int // gqlgen's complexity of the data fields, __typename included
	introComplexity int // the price of the __schema and __type fields and their answers
	depth           int // deepest path of data fields
	introDepth      int // deepest path through __schema or __type (0: none)
}

// complexityFunc is the Complexity hook of graphql.ExecutableSchema: the
// answer of a field's own complexity function, if it has one. nil: no
// field has one.
type complexityFunc func(ctx context.Context, typeName, field string, child int, args map[string]any) (int, bool)

// measure prices an operation of a validated document in one walk. A
// fragment's depth below its start and its price are the same wherever it
// is spread (for one operation and its variables), so each is computed once
// and reused (a fragment of introspection once per kind of object it is
// applied to, see introSelection): the walk is linear in the document
// however often fragments spread one another. visits counts the selections
// entered, for tests that prove that bound. The walk stops with ctx's error
// when ctx ends.
//
// The data complexity is gqlgen's (complexity.Calculate) for the data
// fields: a field costs its custom complexity function's answer (cplx) or
// 1 plus its children; a field of an interface costs the most of its
// implementations; every spread of a fragment adds the fragment's whole
// price. Unlike gqlgen, __schema and __type are not free: they and their
// selections cost what their answer can hold (introspectionCost), counted
// apart as the introspection complexity.
func measure(ctx context.Context, schema *ast.Schema, cplx complexityFunc, intro *introspectionCost, op *ast.OperationDefinition,
	frags ast.FragmentDefinitionList, vars map[string]any) (m size, visits int, err error) {
	w := &measurer{
		ctx: ctx, schema: schema, cplx: cplx, intro: intro, vars: vars,
		frags:      make(map[string]*ast.FragmentDefinition, len(frags)),
		dataMemo:   map[string]size{},
		introMemo:  map[introKey]introSize{},
		inProgress: map[string]bool{},
	}
	for _, f := range frags {
		if _, dup := w.frags[f.Name]; !dup { // validation refuses duplicates; the first wins, as in the validator
			w.frags[f.Name] = f
		}
	}
	m = w.selectionSet(op.SelectionSet)
	return m, w.visits, w.err
}

// ctxCheckEvery is how many visits pass between two looks at the context.
const ctxCheckEvery = 256

type measurer struct {
	ctx    context.Context
	schema *ast.Schema
	cplx   complexityFunc
	intro  *introspectionCost
	vars   map[string]any
	frags  map[string]*ast.FragmentDefinition

	dataMemo   map[string]size
	introMemo  map[introKey]introSize
	inProgress map[string]bool // fragments being measured: a cycle (refused by validation) counts as empty

	visits int
	err    error
}

// visit counts one selection entered and reports whether to go on.
func (w *measurer) visit() bool {
	if w.err != nil {
		return false
	}
	w.visits++
	if w.visits%ctxCheckEvery == 0 {
		w.err = w.ctx.Err()
	}
	return w.err == nil
}

// selectionSet measures data selections (below the query, mutation or a
// data field). Costs add up; depths take the deepest.
func (w *measurer) selectionSet(set ast.SelectionSet) size {
	var total size
	for _, sel := range set {
		if !w.visit() {
			return total
		}
		var s size
		switch sel := sel.(type) {
		case *ast.Field:
			s = w.field(sel)
		case *ast.InlineFragment:
			s = w.selectionSet(sel.SelectionSet)
		case *ast.FragmentSpread:
			s = w.fragment(sel.Name)
		}
		total.complexity = satAdd(total.complexity, s.complexity)
		total.introComplexity = satAdd(total.introComplexity, s.introComplexity)
		total.depth = max(total.depth, s.depth)
		total.introDepth = max(total.introDepth, s.introDepth)
	}
	return total
}

func (w *measurer) fragment(name string) size {
	if s, ok := w.dataMemo[name]; ok {
		return s
	}
	f := w.frags[name]
	if f == nil || w.inProgress[name] {
		return size{}
	}
	w.inProgress[name] = true
	s := w.selectionSet(f.SelectionSet)
	delete(w.inProgress, name)
	w.dataMemo[name] = s
	return s
}

func (w *measurer) field(f *ast.Field) size {
	if f.Definition == nil || f.ObjectDefinition == nil { // not validated; nothing to price
		return size{}
	}
	typ := w.schema.Types[f.Definition.Type.Name()]
	if typ == nil {
		return size{}
	}
	if root, ok := introspectionRoot(typ.Name); ok {
		c, d := w.introSelection(f.SelectionSet, root)
		return size{introComplexity: satAdd(1, c), introDepth: 1 + d}
	}
	var child size
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
		child = w.selectionSet(f.SelectionSet)
	}
	// __schema and __type are fields of the root Query only; were a data
	// field to answer a Query, the introspection below it counts once.
	s := size{depth: 1 + child.depth, introComplexity: child.introComplexity}
	if child.introDepth > 0 {
		s.introDepth = 1 + child.introDepth
	}
	args := f.ArgumentMap(w.vars)
	if f.ObjectDefinition.Kind == ast.Interface {
		// As gqlgen: an interface's field costs the most of its implementations'.
		for _, impl := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
			s.complexity = max(s.complexity, w.fieldComplexity(impl.Name, f.Name, child.complexity, args))
		}
		return s
	}
	s.complexity = w.fieldComplexity(f.ObjectDefinition.Name, f.Name, child.complexity, args)
	return s
}

// fieldComplexity is gqlgen's: the field's own complexity function when it
// has one (and answers at least 1), otherwise 1 plus its children.
func (w *measurer) fieldComplexity(typeName, field string, child int, args map[string]any) int {
	if w.cplx != nil {
		if c, ok := w.cplx(w.ctx, typeName, field, child, args); ok && c >= 1 {
			return c
		}
	}
	return satAdd(1, child)
}

// satAdd adds two costs, saturating instead of overflowing; a negative
// cost (a custom complexity function's mistake) counts as 0.
func satAdd(a, b int) int {
	a, b = max(a, 0), max(b, 0)
	if c := a + b; c >= a {
		return c
	}
	return maxInt
}

// satMul multiplies two costs, saturating instead of overflowing.
func satMul(a, b int) int {
	a, b = max(a, 0), max(b, 0)
	if a == 0 || b == 0 {
		return 0
	}
	if a > maxInt/b {
		return maxInt
	}
	return a * b
}

const maxInt = int(^uint(0) >> 1)
