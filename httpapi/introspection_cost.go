package httpapi

import (
	"context"
	_ "embed"
	"fmt"
	"slices"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// Introspection is answered from the schema, not the database, but it is
// not free: gqlgen resolves each value of the answer one by one (about 4 µs
// each here; the standard introspection query's 4,300 values take some
// 15 ms), and one request may ask for the whole schema hundreds of times
// under aliases. So an introspection field costs, like a field in gqlgen's
// complexity, one per value it can answer, objects, lists and scalars
// alike, with every list priced at the longest it can be in this schema.
// The schema is measured once, when the server starts
// (newIntrospectionCost).
//
// How long a list can be depends on how the selection reached it. Where
// the selection enumerates the schema, each element is reached once:
// __schema.types is every type, below it fields is every field of every
// type (not the number of types times the longest list of fields), args
// every argument of those fields, and so on; and the type of each such
// field or argument unwraps (NON_NULL, LIST) as many times as it is
// wrapped. Where the path goes through a reference (a field's type,
// ofType, interfaces, possibleTypes, __type, queryType), the same type may
// be reached again and again, so a list below it is priced per object at
// the longest such list in the schema, and a type reference as wrapped as
// the most wrapped one. Below the last wrapper ofType is null: what it
// selects costs nothing (but counts toward depth).
//
// So the price bounds the answer from above, and is close to exact for the
// standard queries, which enumerate: graphql-js's is priced 4,415 for an
// answer of 4,379 values.
//
// The price of a full introspection grows with the schema, so no fixed
// number bounds it for long: introspection has its own allowance, measured
// on the schema at start, introspectionAllowanceFactor times the price of
// graphql-js's standard introspection query (the one GraphiQL and most
// tools send, or a close variant). A couple of full introspections per
// request pass whatever the schema's size; 500 aliased __schema walks cost
// 500 schemas and are refused.

// standardIntrospection is getIntrospectionQuery() of graphql-js v16
// (16.15.0), verbatim: the query the allowance is measured with.
//
//go:embed graphql-js-introspection.graphql
var standardIntrospection string

// introspectionAllowanceFactor is how many standard introspection queries'
// worth one request may ask for: room for GraphiQL's variant (which adds
// descriptions and deprecated arguments) or two full introspections, and
// no more, since each value of the answer costs CPU.
const introspectionAllowanceFactor = 2

// introKind is the introspection type a selection is applied to.
type introKind uint8

const (
	kSchema introKind = iota
	kType
	kField
	kInputValue
	kEnumValue
	kDirective
)

// elements is the complete set of schema elements an introspection
// selection stands for when it was reached by enumeration, or one: a single
// object, reached by reference.
type elements uint8

const (
	one              elements = iota
	allTypes                  // __schema.types
	allFields                 // the fields of every object and interface type
	allFieldArgs              // the arguments of all those fields
	allInputFields            // the fields of every input type
	allEnumValues             // the values of every enum
	allDirectives             // __schema.directives
	allDirectiveArgs          // the arguments of every directive
	numElements
)

// kindOf is the introspection type of each complete set's elements.
var kindOf = [numElements]introKind{
	allTypes: kType, allFields: kField, allFieldArgs: kInputValue, allInputFields: kInputValue,
	allEnumValues: kEnumValue, allDirectives: kDirective, allDirectiveArgs: kInputValue,
}

// introScope is what an introspection selection is applied to. wrap is,
// for one __Type reached as a type reference, how many more times ofType
// unwraps it before answering null; -1 stands for that null, below which
// nothing is answered (and costs nothing) but depth still counts.
type introScope struct {
	kind introKind
	set  elements
	wrap int
}

// introspectionRoot returns the scope of a field's answer when the field
// returns an introspection root (__schema, __type).
func introspectionRoot(typeName string) (introScope, bool) {
	switch typeName {
	case "__Schema":
		return introScope{kind: kSchema}, true
	case "__Type":
		return introScope{kind: kType}, true // __type(name:) answers a named type: nothing to unwrap
	}
	return introScope{}, false
}

// elementSet measures one complete set: its size, and for fields and input
// values how many have a type wrapped 0, 1, 2, … times.
type elementSet struct {
	count int
	wraps []int
}

func (e *elementSet) add(t *ast.Type) {
	e.count++
	if t == nil {
		return
	}
	w := wrapping(t)
	for len(e.wraps) <= w {
		e.wraps = append(e.wraps, 0)
	}
	e.wraps[w]++
}

// introspectionCost holds the schema's measures that price introspection.
type introspectionCost struct {
	sets [numElements]elementSet
	// Lists reached by reference are priced at the longest in the schema;
	// interfaces, possibleTypes and locations are never enumerated, so
	// their totals are kept for when their holders are.
	maxFields, maxInputFields, maxEnumValues, maxFieldArgs, maxDirectiveArgs int
	interfaces, possible, locations                                          listLen
	wrapDepth                                                                int // the most wrappers of any type reference

	// allowance bounds the introspection complexity of one operation.
	allowance int
}

// listLen is a list's total length over all elements that hold it, and the
// longest one holds.
type listLen struct{ total, max int }

func (l *listLen) add(n int) { l.total += n; l.max = max(l.max, n) }

// newIntrospectionCost measures the schema, then the allowance on it. It
// refuses a schema whose introspection types have a field this price list
// does not know, so that a gqlparser upgrade that adds one cannot leave it
// unpriced.
func newIntrospectionCost(s *ast.Schema) (*introspectionCost, error) {
	if err := checkIntrospectionFields(s); err != nil {
		return nil, err
	}
	c := &introspectionCost{}
	for _, t := range s.Types {
		c.sets[allTypes].add(nil)
		c.sets[allEnumValues].count += len(t.EnumValues)
		c.maxEnumValues = max(c.maxEnumValues, len(t.EnumValues))
		var ifaces, poss int
		switch t.Kind {
		case ast.Object, ast.Interface:
			ifaces = len(t.Interfaces)
			c.maxFields = max(c.maxFields, len(t.Fields))
			for _, f := range t.Fields {
				c.sets[allFields].add(f.Type)
				c.maxFieldArgs = max(c.maxFieldArgs, len(f.Arguments))
				for _, a := range f.Arguments {
					c.sets[allFieldArgs].add(a.Type)
				}
			}
		case ast.InputObject:
			c.maxInputFields = max(c.maxInputFields, len(t.Fields))
			for _, f := range t.Fields {
				c.sets[allInputFields].add(f.Type)
			}
		}
		if t.Kind == ast.Interface || t.Kind == ast.Union {
			poss = len(s.GetPossibleTypes(t))
		}
		c.interfaces.add(ifaces)
		c.possible.add(poss)
	}
	for _, d := range s.Directives {
		c.sets[allDirectives].add(nil)
		c.locations.add(len(d.Locations))
		c.maxDirectiveArgs = max(c.maxDirectiveArgs, len(d.Arguments))
		for _, a := range d.Arguments {
			c.sets[allDirectiveArgs].add(a.Type)
		}
	}
	for _, e := range c.sets {
		c.wrapDepth = max(c.wrapDepth, len(e.wraps)-1)
	}
	standard, err := c.standardPrice(s)
	if err != nil {
		return nil, err
	}
	c.allowance = satMul(introspectionAllowanceFactor, standard)
	return c, nil
}

// standardPrice is the introspection complexity of standardIntrospection
// on s, priced as any request is (measure).
func (c *introspectionCost) standardPrice(s *ast.Schema) (int, error) {
	doc, err := parser.ParseQuery(&ast.Source{Name: "graphql-js-introspection.graphql", Input: standardIntrospection})
	if err != nil {
		return 0, fmt.Errorf("request limits: the standard introspection query: %w", err)
	}
	if errs := validator.ValidateWithRules(s, doc, nil); len(errs) > 0 {
		return 0, fmt.Errorf("request limits: the standard introspection query: %w", errs)
	}
	m, _, err := measure(context.Background(), s, nil, c, doc.Operations[0], doc.Fragments, nil)
	return m.introComplexity, err
}

// wrapping counts the NON_NULL and LIST wrappers around a type: the ofType
// steps from a type reference to its named type.
func wrapping(t *ast.Type) int {
	n := 0
	for ; t != nil; t = t.Elem {
		if t.NonNull {
			n++
		}
		if t.Elem != nil {
			n++
		}
	}
	return n
}

// introComposite lists, per introspection type, the fields whose answer is
// an object or a list: the ones introField prices. Every other field of
// these types answers a scalar.
var introComposite = map[string][]string{
	"__Schema":     {"types", "queryType", "mutationType", "subscriptionType", "directives"},
	"__Type":       {"fields", "interfaces", "possibleTypes", "enumValues", "inputFields", "ofType"},
	"__Field":      {"args", "type"},
	"__InputValue": {"type"},
	"__EnumValue":  nil,
	"__Directive":  {"args", "locations"},
}

func checkIntrospectionFields(s *ast.Schema) error {
	for name, composite := range introComposite {
		t := s.Types[name]
		if t == nil {
			return fmt.Errorf("request limits: the schema has no %s", name)
		}
		for _, f := range t.Fields {
			if f.Type.Elem == nil && s.Types[f.Type.Name()].IsLeafType() || slices.Contains(composite, f.Name) {
				continue
			}
			return fmt.Errorf("request limits: %s.%s has no introspection price", name, f.Name)
		}
	}
	return nil
}

// introKey is one memoized price: a fragment on a scope.
type introKey struct {
	fragment string
	scope    introScope
}

type introSize struct{ cost, depth int }

// count is how many objects a scope stands for.
func (c *introspectionCost) count(sc introScope) int {
	if sc.wrap < 0 {
		return 0
	}
	if sc.set == one {
		return 1
	}
	return c.sets[sc.set].count
}

// introSelection prices set applied to sc: one object's answer, or the
// answer of every element of a complete set at once. depth is the deepest
// path of fields below.
func (w *measurer) introSelection(set ast.SelectionSet, sc introScope) (cost, depth int) {
	for _, sel := range set {
		if !w.visit() {
			return cost, depth
		}
		var c, d int
		switch sel := sel.(type) {
		case *ast.Field:
			c, d = w.introField(sel, sc)
		case *ast.InlineFragment:
			c, d = w.introSelection(sel.SelectionSet, sc)
		case *ast.FragmentSpread:
			c, d = w.introFragment(sel.Name, sc)
		}
		cost, depth = satAdd(cost, c), max(depth, d)
	}
	return cost, depth
}

func (w *measurer) introFragment(name string, sc introScope) (int, int) {
	key := introKey{name, sc}
	if s, ok := w.introMemo[key]; ok {
		return s.cost, s.depth
	}
	f := w.frags[name]
	if f == nil || w.inProgress[name] {
		return 0, 0
	}
	w.inProgress[name] = true
	c, d := w.introSelection(f.SelectionSet, sc)
	delete(w.inProgress, name)
	w.introMemo[key] = introSize{c, d}
	return c, d
}

// introField prices one field on the objects sc stands for: every value of
// its answer counts one, objects, lists and scalars alike.
func (w *measurer) introField(f *ast.Field, sc introScope) (cost, depth int) {
	c := w.intro
	n := c.count(sc)
	// below prices f's selection on the scope of its answer.
	below := func(child introScope) int {
		cc, d := w.introSelection(f.SelectionSet, child)
		depth = max(depth, d)
		return cc
	}
	// objects prices m answered objects and their selection.
	objects := func(m int, child introScope) int { return satMul(m, satAdd(1, below(child))) }
	// enumerate prices a list field that answers, over the n objects,
	// every element of a complete set once: n lists and the set.
	enumerate := func(set elements) int {
		return satAdd(n, satAdd(c.sets[set].count, below(introScope{kind: kindOf[set], set: set})))
	}
	// list prices a list field on one object, reached by reference: the
	// list and at most longest elements of kind k.
	list := func(longest int, k introKind) int { return satAdd(n, objects(satMul(n, longest), introScope{kind: k})) }
	// typeRefs prices the type field of fields or input values: on one,
	// a type wrapped as deep as any; on a complete set, each as wrapped.
	typeRefs := func() int {
		if sc.set == one {
			return objects(n, introScope{kind: kType, wrap: c.wrapDepth})
		}
		total := 0
		for wrap, m := range c.sets[sc.set].wraps {
			total = satAdd(total, objects(m, introScope{kind: kType, wrap: wrap}))
		}
		return total
	}
	byEnumeration := sc.set != one

	cost = n // the field's value on each object; a scalar costs no more
	switch sc.kind {
	case kSchema:
		switch f.Name {
		case "types":
			cost = enumerate(allTypes)
		case "directives":
			cost = enumerate(allDirectives)
		case "queryType", "mutationType", "subscriptionType":
			cost = objects(n, introScope{kind: kType})
		}
	case kType:
		switch f.Name {
		case "fields":
			cost = list(c.maxFields, kField)
			if byEnumeration {
				cost = enumerate(allFields)
			}
		case "inputFields":
			cost = list(c.maxInputFields, kInputValue)
			if byEnumeration {
				cost = enumerate(allInputFields)
			}
		case "enumValues":
			cost = list(c.maxEnumValues, kEnumValue)
			if byEnumeration {
				cost = enumerate(allEnumValues)
			}
		case "interfaces":
			cost = list(c.interfaces.max, kType)
			if byEnumeration {
				cost = satAdd(n, objects(c.interfaces.total, introScope{kind: kType}))
			}
		case "possibleTypes":
			cost = list(c.possible.max, kType)
			if byEnumeration {
				cost = satAdd(n, objects(c.possible.total, introScope{kind: kType}))
			}
		case "ofType":
			next := introScope{kind: kType, wrap: max(sc.wrap-1, -1)}
			if byEnumeration { // named types
				next.wrap = -1
			}
			if next.wrap < 0 { // null: below costs nothing, but its depth counts
				below(next)
				break
			}
			cost = objects(n, next)
		}
	case kField:
		switch f.Name {
		case "args":
			cost = list(c.maxFieldArgs, kInputValue)
			if byEnumeration {
				cost = enumerate(allFieldArgs)
			}
		case "type":
			cost = typeRefs()
		}
	case kInputValue:
		if f.Name == "type" {
			cost = typeRefs()
		}
	case kDirective:
		switch f.Name {
		case "args":
			cost = list(c.maxDirectiveArgs, kInputValue)
			if byEnumeration {
				cost = enumerate(allDirectiveArgs)
			}
		case "locations": // a list of enum values
			cost = satAdd(n, satMul(n, c.locations.max))
			if byEnumeration {
				cost = satAdd(n, c.locations.total)
			}
		}
	}
	return cost, depth + 1
}
