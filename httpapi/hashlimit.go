package httpapi

import (
	"context"
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// hashesDirective marks the fields that hash or verify a password (see its
// declaration in schema.graphqls).
const hashesDirective = "hashes"

// hashLimit refuses, whole and before any resolver runs, an operation whose
// root fields would hash or verify more than max passwords. argon2id costs
// tens of milliseconds of CPU and megabytes of memory by design; without
// this limit one anonymous request of 200 aliased signups ran 200 hashes.
//
// It counts the root fields exactly as execution will run them
// (graphql.CollectFields: fragments and inline fragments followed, each
// named fragment once, @skip/@include applied, same-named fields merged),
// so the count is what would run and costs time linear in the document.
//
// One operation is one HTTP request: the POST transport takes a single
// operation and refuses a JSON array (a batch) as malformed, and GET
// carries one query. If batching is ever added, this must count the batch.
type hashLimit struct {
	max    int
	schema *ast.Schema
	// conditional holds the fields ("Mutation.createUser") that hash only
	// when an argument is given, with the path to it
	// (@hashes(ifArgument: "input.password")).
	conditional map[string][]string
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = hashLimit{}

// newHashLimit reads the @hashes fields of schema. It fails if an
// ifArgument path does not lead through the field's arguments and input
// objects, or passes through a list (each item would hash: not counted).
func newHashLimit(schema *ast.Schema, maxHashes int) (hashLimit, error) {
	l := hashLimit{max: max(maxHashes, 1), schema: schema, conditional: map[string][]string{}}
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			d := f.Directives.ForName(hashesDirective)
			if d == nil {
				continue
			}
			arg := d.Arguments.ForName("ifArgument")
			if arg == nil {
				continue
			}
			path := strings.Split(arg.Value.Raw, ".")
			if err := checkArgumentPath(schema, f, path); err != nil {
				return l, fmt.Errorf("schema: %s.%s @hashes(ifArgument: %q): %w", root.Name, f.Name, arg.Value.Raw, err)
			}
			l.conditional[root.Name+"."+f.Name] = path
		}
	}
	return l, nil
}

func checkArgumentPath(schema *ast.Schema, f *ast.FieldDefinition, path []string) error {
	arg := f.Arguments.ForName(path[0])
	if arg == nil {
		return fmt.Errorf("no argument %q", path[0])
	}
	t := arg.Type
	for _, name := range path[1:] {
		if t.Elem != nil {
			return fmt.Errorf("the path passes through a list")
		}
		def := schema.Types[t.NamedType]
		if def == nil || def.Kind != ast.InputObject || def.Fields.ForName(name) == nil {
			return fmt.Errorf("%s has no input field %q", t.NamedType, name)
		}
		t = def.Fields.ForName(name).Type
	}
	if t.Elem != nil {
		return fmt.Errorf("the path ends at a list")
	}
	return nil
}

func (hashLimit) ExtensionName() string                   { return "HashLimit" }
func (hashLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l hashLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	root := l.rootType(op.Operation.Operation)
	if root == nil {
		return nil
	}
	n := 0
	for _, f := range graphql.CollectFields(op, op.Operation.SelectionSet, []string{root.Name}) {
		if l.hashes(f.Field, op.Variables) {
			n++
		}
	}
	if n <= l.max {
		return nil
	}
	return &gqlerror.Error{
		Message:    fmt.Sprintf("this request asks for %d password sign-ins, sign-ups or changes; at most %d may be sent in one request", n, l.max),
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "hashes": n, "maxHashes": l.max},
	}
}

func (l hashLimit) rootType(op ast.Operation) *ast.Definition {
	switch op {
	case ast.Query:
		return l.schema.Query
	case ast.Mutation:
		return l.schema.Mutation
	case ast.Subscription:
		return l.schema.Subscription
	}
	return nil
}

// hashes reports whether running f would hash or verify a password.
func (l hashLimit) hashes(f *ast.Field, vars map[string]any) bool {
	if f.Definition == nil || f.Definition.Directives.ForName(hashesDirective) == nil {
		return false
	}
	path, ok := l.conditional[f.ObjectDefinition.Name+"."+f.Name]
	if !ok {
		return true
	}
	v := f.ArgumentMap(vars)[path[0]]
	for _, name := range path[1:] {
		obj, ok := v.(map[string]any)
		if !ok {
			return v != nil // null stops the path; anything else cannot pass validation: count it
		}
		v = obj[name]
	}
	return v != nil
}
