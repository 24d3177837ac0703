package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

// gqlparser's validation, which gqlgen runs on every new document before
// anything else, is not linear in the document, and a document of the
// token limit (about 60 KB) can keep it busy for seconds:
//
//   - its walker enters every fragment once per operation and once per
//     fragment definition that reaches it, so 1,800 fragments that each
//     spread the next are walked 1,800²/2 times (1.3 s);
//   - the OverlappingFieldsCanBeMerged rule compares every pair of fields
//     that share a response name, again in every operation and every field
//     that reaches them, and every pair of fragments spread side by side:
//     4,900 fields named a (2.5 s), 200 operations spreading a fragment of
//     200 such fields (a 5 KB document, 1.1 s), 1,200 fragments spread
//     together (5 s), 3,700 spreads of 900 fragments (6.7 s).
//
// So validationBudget counts, on the parsed document, the steps those two
// will take, the way they take them (the walker's per-root re-walks, the
// rule's pairwise loops and its memos), and refuses the document, before
// validation starts, once the count passes a budget proportional to the
// document's size. Counting stops at the budget, so the check itself is
// linear too. The rest of validation visits each node a bounded number of
// times, which the token limit bounds.
type validationBudget struct {
	cache     graphql.Cache[*ast.QueryDocument] // documents already validated
	maxTokens int
	schema    *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = &validationBudget{}

func (*validationBudget) ExtensionName() string { return "ValidationBudget" }

// Validate receives the schema when the extension is installed.
func (v *validationBudget) Validate(es graphql.ExecutableSchema) error {
	v.schema = es.Schema()
	return nil
}

// MutateOperationParameters runs before gqlgen parses and validates the
// query (and after automatic persisted queries filled it in). A document
// in the query cache was validated before and is let through; one that
// does not parse is left to gqlgen, which reports why.
func (v *validationBudget) MutateOperationParameters(ctx context.Context, params *graphql.RawParams) *gqlerror.Error {
	if params.Query == "" {
		return nil
	}
	if _, ok := v.cache.Get(ctx, params.Query); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: params.Query}, v.maxTokens)
	if err != nil {
		return nil
	}
	steps, within, err := validationSteps(ctx, v.schema, doc)
	if err != nil {
		return &gqlerror.Error{Message: "the request was cancelled", Err: err}
	}
	if !within {
		return &gqlerror.Error{
			Message: "the document would cost too much to validate: it repeats fields of one name, " +
				"or spreads fragments in too many places; send a simpler one",
			Extensions: map[string]any{"code": string(apperr.BadUserInput), "validationSteps": steps},
		}
	}
	return nil
}

// Validation may take stepsPerNode steps per node of the document, and
// baseSteps besides, so that small documents are never refused for reusing
// their fragments: graphql-js's introspection query takes 377 steps, 60
// fragments of five fields on one type spread side by side 13,400, 40 of
// them each spreading the next 12,300. A step takes a fraction of a
// microsecond: a document of 2 KB is validated in 5 ms at most, one of the
// token limit in 50 (docs/PERFORMANCE.md).
const (
	stepsPerNode = 16
	baseSteps    = 20000
)

// A step that reports an error weighs more: the error's message is built,
// and names suggested, whether or not the error is among those reported
// (maxValidationErrors).
const (
	unknownWeight  = 20 // an unknown field or type: names like it are looked for among the schema's (some 7 µs)
	conflictWeight = 4  // two different fields under one response name
)

// validationSteps counts the steps validating doc against schema takes,
// stopping once they pass the budget (then within is false). It fails with
// ctx's error when ctx ends.
func validationSteps(ctx context.Context, schema *ast.Schema, doc *ast.QueryDocument) (steps int, within bool, err error) {
	c := countValidation(ctx, schema, doc)
	return c.steps, c.steps <= c.budget, c.err
}

func countValidation(ctx context.Context, schema *ast.Schema, doc *ast.QueryDocument) *stepCounter {
	c := &stepCounter{
		ctx:        ctx,
		schema:     schema,
		frags:      make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		sets:       map[setKey]*collected{},
		fieldsFrag: map[fieldsFragKey]bool{},
		fragPairs:  map[[2]string]bool{},
		entered:    map[string]int{},
	}
	for _, f := range doc.Fragments {
		if _, dup := c.frags[f.Name]; !dup { // the walker's choice among duplicates
			c.frags[f.Name] = f
		}
	}
	c.budget = satAdd(baseSteps, satMul(stepsPerNode, documentNodes(doc)))
	c.document(doc)
	return c
}

// stepCounter mirrors the validator's walk (core.Walker) and the
// OverlappingFieldsCanBeMerged rule of gqlparser v2.5.64, counting instead
// of checking. It never counts less than they do: where the rule would stop
// early on fields it finds in conflict, or unknown to the schema, the
// counter goes on. (The rule memoizes its comparisons once per
// mutually-exclusive flag, so it may take up to twice the steps counted.)
// It follows the types only as far as needed to find unknown fields and
// types, whose errors weigh more.
type stepCounter struct {
	ctx    context.Context
	schema *ast.Schema
	budget int
	steps  int
	walked int // of the steps, the walker's visits (for tests)
	err    error
	frags  map[string]*ast.FragmentDefinition

	root    int            // the operation or fragment definition being walked, numbered from 1
	entered map[string]int // fragment → the root that last entered it: the walker enters a fragment once per root

	// The rule's caches and memos, which last the whole validation.
	sets       map[setKey]*collected
	fieldsFrag map[fieldsFragKey]bool
	fragPairs  map[[2]string]bool
}

// done reports whether counting is over: past the budget, or cancelled.
// Every loop asks, so that counting stops at the budget.
func (c *stepCounter) done() bool { return c.err != nil || c.steps > c.budget }

// step counts one step and reports whether to go on.
func (c *stepCounter) step() bool { return c.add(1) }

// add counts n steps and reports whether to go on.
func (c *stepCounter) add(n int) bool {
	if c.done() {
		return false
	}
	before := c.steps
	c.steps = satAdd(c.steps, n)
	if c.steps/ctxCheckEvery != before/ctxCheckEvery {
		c.err = c.ctx.Err()
	}
	return !c.done()
}

// walk counts one step of the walker's own.
func (c *stepCounter) walk() bool {
	if !c.step() {
		return false
	}
	c.walked++
	return true
}

// document walks every operation, then every fragment definition, each with
// its own set of entered fragments, as the walker does.
func (c *stepCounter) document(doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		c.root++
		root := c.schema.Query
		switch op.Operation {
		case ast.Mutation:
			root = c.schema.Mutation
		case ast.Subscription:
			root = c.schema.Subscription
		}
		for _, v := range op.VariableDefinitions {
			if !c.walk() {
				return
			}
			c.value(v.DefaultValue, 1)
			c.directives(v.Directives)
		}
		c.directives(op.Directives)
		c.selectionSet(op.SelectionSet, root, true)
		c.within(op.SelectionSet) // the rule's OnOperation
	}
	for _, f := range doc.Fragments {
		c.root++
		c.directives(f.Directives)
		c.selectionSet(f.SelectionSet, c.schema.Types[f.TypeCondition], false)
		c.within(f.SelectionSet) // the rule's OnFragment
	}
}

// selectionSet walks set, selected on parent (nil when unknown);
// inOperation is whether an operation is being walked, where the rule also
// checks every field's own selection.
func (c *stepCounter) selectionSet(set ast.SelectionSet, parent *ast.Definition, inOperation bool) {
	for _, sel := range set {
		if !c.walk() {
			return
		}
		switch sel := sel.(type) {
		case *ast.Field:
			for _, a := range sel.Arguments {
				c.value(a.Value, 1)
			}
			c.directives(sel.Directives)
			c.selectionSet(sel.SelectionSet, c.fieldType(parent, sel.Name), inOperation)
			if inOperation {
				c.within(sel.SelectionSet) // OnField
			}
		case *ast.InlineFragment:
			c.directives(sel.Directives)
			on := parent
			if sel.TypeCondition != "" {
				if on = c.schema.Types[sel.TypeCondition]; on == nil {
					c.add(unknownWeight)
				}
			}
			c.selectionSet(sel.SelectionSet, on, inOperation)
			c.within(sel.SelectionSet) // OnInlineFragment, in every walk
		case *ast.FragmentSpread:
			c.directives(sel.Directives)
			if f := c.frags[sel.Name]; f != nil && c.entered[sel.Name] != c.root {
				c.entered[sel.Name] = c.root
				c.directives(f.Directives)
				c.selectionSet(f.SelectionSet, c.schema.Types[f.TypeCondition], inOperation)
			}
		}
	}
}

// fieldType returns the type of the field named name of parent, counting
// the weight of the error when parent has no such field.
func (c *stepCounter) fieldType(parent *ast.Definition, name string) *ast.Definition {
	if parent == nil || name == "__typename" {
		return nil
	}
	f := parent.Fields.ForName(name)
	if f == nil {
		c.add(unknownWeight)
		return nil
	}
	return c.schema.Types[f.Type.Name()]
}

func (c *stepCounter) directives(list ast.DirectiveList) {
	for _, d := range list {
		if !c.walk() {
			return
		}
		for _, a := range d.Arguments {
			c.value(a.Value, 1)
		}
	}
}

// value counts a value written in the document at its depth: checking a
// nested literal (ValuesOfCorrectType, then coercion) costs each level
// again for every level above it, so 990 levels of {not: …} in a 6 KB
// query took a quarter of a second. Counting depth per node makes such a
// document cost what it does and refuses it before validation runs.
func (c *stepCounter) value(v *ast.Value, depth int) {
	if v == nil || !c.walk() || !c.add(depth-1) {
		return
	}
	for _, child := range v.Children {
		c.value(child.Value, depth+1)
	}
}

// collected is a selection set as the rule sees it: its fields, inline
// fragments flattened, by response name, and the fragments it spreads.
type collected struct {
	fields  map[string][]*ast.Field
	names   []string // response names in order
	spreads []*ast.FragmentSpread
}

// setKey identifies a selection set as the rule's cache does.
type setKey struct {
	first *ast.Selection
	n     int
}

type fieldsFragKey struct {
	fields   *collected
	fragment string
}

// collect is the rule's getFieldsAndFragmentNames, cached the same way.
func (c *stepCounter) collect(set ast.SelectionSet) *collected {
	key := setKey{n: len(set)}
	if key.n > 0 {
		key.first = &set[0]
	}
	if s, ok := c.sets[key]; ok {
		return s
	}
	s := &collected{fields: map[string][]*ast.Field{}}
	var walk func(ast.SelectionSet)
	walk = func(set ast.SelectionSet) {
		for _, sel := range set {
			if !c.step() {
				return
			}
			switch sel := sel.(type) {
			case *ast.Field:
				name := sel.Alias
				if name == "" {
					name = sel.Name
				}
				if _, ok := s.fields[name]; !ok {
					s.names = append(s.names, name)
				}
				s.fields[name] = append(s.fields[name], sel)
			case *ast.InlineFragment:
				walk(sel.SelectionSet)
			case *ast.FragmentSpread:
				s.spreads = append(s.spreads, sel)
			}
		}
	}
	walk(set)
	c.sets[key] = s
	return s
}

// within is findConflictsWithinSelectionSet: every pair of fields of one
// response name, the fields against each spread fragment, and every pair
// of spread fragments.
func (c *stepCounter) within(set ast.SelectionSet) {
	if len(set) == 0 || !c.step() {
		return
	}
	s := c.collect(set)
	for _, name := range s.names {
		if !c.step() {
			return
		}
		fields := s.fields[name]
		for i, a := range fields {
			for _, b := range fields[i+1:] {
				if c.conflict(a, b); c.done() {
					return
				}
			}
		}
	}
	for i, a := range s.spreads {
		c.fieldsAndFragment(s, a)
		for _, b := range s.spreads[i+1:] {
			if c.fragmentPair(a, b); c.done() {
				return
			}
		}
	}
}

// conflict is findConflict on two fields of one response name: it
// compares their arguments, then their selections.
func (c *stepCounter) conflict(a, b *ast.Field) {
	weight := 1 + argumentsWork(a, b)
	if a.Name != b.Name {
		weight += conflictWeight
	}
	if !c.add(weight) || (len(a.SelectionSet) == 0 && len(b.SelectionSet) == 0) {
		return
	}
	sa, sb := c.collect(a.SelectionSet), c.collect(b.SelectionSet)
	c.between(sa, sb)
	for _, f := range sb.spreads {
		c.fieldsAndFragment(sa, f)
	}
	for _, f := range sa.spreads {
		c.fieldsAndFragment(sb, f)
	}
	for _, fa := range sa.spreads {
		for _, fb := range sb.spreads {
			if c.fragmentPair(fa, fb); c.done() {
				return
			}
		}
	}
}

// between is collectConflictsBetween: every field of a against every
// field of b of the same response name.
func (c *stepCounter) between(a, b *collected) {
	for _, name := range a.names {
		if !c.step() {
			return
		}
		for _, fa := range a.fields[name] {
			for _, fb := range b.fields[name] {
				if c.conflict(fa, fb); c.done() {
					return
				}
			}
		}
	}
}

// fieldsAndFragment is collectConflictsBetweenFieldsAndFragment, memoized
// per set of fields and fragment as the rule does.
func (c *stepCounter) fieldsAndFragment(s *collected, spread *ast.FragmentSpread) {
	key := fieldsFragKey{s, spread.Name}
	if !c.step() || c.fieldsFrag[key] {
		return
	}
	c.fieldsFrag[key] = true
	f := c.frags[spread.Name]
	if f == nil {
		return
	}
	fs := c.collect(f.SelectionSet)
	if fs == s {
		return
	}
	c.between(s, fs)
	for _, next := range fs.spreads {
		c.fieldsAndFragment(s, next)
	}
}

// fragmentPair is collectConflictsBetweenFragments, memoized per pair of
// fragment names as the rule does.
func (c *stepCounter) fragmentPair(a, b *ast.FragmentSpread) {
	if !c.step() || a.Name == b.Name || c.fragPairs[[2]string{a.Name, b.Name}] {
		return
	}
	c.fragPairs[[2]string{a.Name, b.Name}] = true
	c.fragPairs[[2]string{b.Name, a.Name}] = true
	fa, fb := c.frags[a.Name], c.frags[b.Name]
	if fa == nil || fb == nil {
		return
	}
	sa, sb := c.collect(fa.SelectionSet), c.collect(fb.SelectionSet)
	c.between(sa, sb)
	for _, next := range sb.spreads {
		c.fragmentPair(a, next)
	}
	for _, next := range sa.spreads {
		c.fragmentPair(next, b)
	}
}

// argumentsWork bounds the rule's comparison of two fields' arguments
// (sameArguments): nothing when their counts differ, else each argument of
// one against each of the other, and their values compared node by node.
func argumentsWork(a, b *ast.Field) int {
	if len(a.Arguments) != len(b.Arguments) || len(a.Arguments) == 0 {
		return 0
	}
	return satMul(argumentNodes(a.Arguments), argumentNodes(b.Arguments))
}

func argumentNodes(args ast.ArgumentList) int {
	n := 0
	var value func(*ast.Value)
	value = func(v *ast.Value) {
		n++
		for _, child := range v.Children {
			value(child.Value)
		}
	}
	for _, a := range args {
		n++
		value(a.Value)
	}
	return n
}

// documentNodes counts the document's nodes, each once: operations,
// fragment definitions, variables, selections, directives and values.
func documentNodes(doc *ast.QueryDocument) int {
	n := 0
	var value func(*ast.Value)
	value = func(v *ast.Value) {
		if v == nil {
			return
		}
		n++
		for _, child := range v.Children {
			value(child.Value)
		}
	}
	directives := func(list ast.DirectiveList) {
		for _, d := range list {
			n++
			for _, a := range d.Arguments {
				value(a.Value)
			}
		}
	}
	var selections func(ast.SelectionSet)
	selections = func(set ast.SelectionSet) {
		for _, sel := range set {
			n++
			switch sel := sel.(type) {
			case *ast.Field:
				for _, a := range sel.Arguments {
					value(a.Value)
				}
				directives(sel.Directives)
				selections(sel.SelectionSet)
			case *ast.InlineFragment:
				directives(sel.Directives)
				selections(sel.SelectionSet)
			case *ast.FragmentSpread:
				directives(sel.Directives)
			}
		}
	}
	for _, op := range doc.Operations {
		n++
		for _, v := range op.VariableDefinitions {
			n++
			value(v.DefaultValue)
			directives(v.Directives)
		}
		directives(op.Directives)
		selections(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		n++
		directives(f.Directives)
		selections(f.SelectionSet)
	}
	return n
}
