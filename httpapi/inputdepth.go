package httpapi

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// inputDepthLimit refuses an operation whose input values, in variables
// or written in the document, nest deeper than max levels, before any
// argument is decoded. gqlgen decodes each level of a nested input object by
// looking the field context up through every level above it: quadratic in
// the depth. 9,000 levels of `not` in a 90 KB body cost a second of CPU, and
// anonymously, since arguments are decoded before directives check the
// caller. The deepest input the services accept is about 20 levels (a filter
// 8 deep; metadata 16 deep), so a legitimate request never meets the limit.
type inputDepthLimit struct{ max int }

// maxInputDepth is the limit newGraphQL sets.
const maxInputDepth = 64

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = inputDepthLimit{}

func (inputDepthLimit) ExtensionName() string                   { return "InputDepthLimit" }
func (inputDepthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (l inputDepthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	for name, v := range op.Variables {
		if valueDepth(v, 1, l.max) > l.max {
			return l.refuse("$" + name)
		}
	}
	if op.Doc == nil {
		return nil
	}
	for _, o := range op.Doc.Operations {
		if arg := l.deepArgument(o.SelectionSet); arg != "" {
			return l.refuse(arg)
		}
	}
	for _, f := range op.Doc.Fragments { // each once: spreads are not followed
		if arg := l.deepArgument(f.SelectionSet); arg != "" {
			return l.refuse(arg)
		}
	}
	return nil
}

func (l inputDepthLimit) refuse(field string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("an input value is nested more than %d levels deep", l.max),
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "field": field},
	}
}

// deepArgument returns the name of an argument written in set (at any
// level, inline fragments included) that nests deeper than the limit.
func (l inputDepthLimit) deepArgument(set ast.SelectionSet) string {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			for _, a := range s.Arguments {
				if astDepth(a.Value, 1, l.max) > l.max {
					return a.Name
				}
			}
			if name := l.deepArgument(s.SelectionSet); name != "" {
				return name
			}
		case *ast.InlineFragment:
			if name := l.deepArgument(s.SelectionSet); name != "" {
				return name
			}
		}
	}
	return ""
}

// valueDepth is the nesting of a decoded variable (objects and lists
// count a level each). It stops past limit, so it costs at most the size of
// the value.
func valueDepth(v any, level, limit int) int {
	if level > limit {
		return level
	}
	deepest := level
	visit := func(e any) bool {
		deepest = max(deepest, valueDepth(e, level+1, limit))
		return deepest <= limit
	}
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			if !visit(e) {
				break
			}
		}
	case []any:
		for _, e := range x {
			if !visit(e) {
				break
			}
		}
	}
	return deepest
}

// astDepth is valueDepth for a value written in the document.
func astDepth(v *ast.Value, level, limit int) int {
	if v == nil || level > limit {
		return level
	}
	deepest := level
	for _, c := range v.Children {
		if deepest = max(deepest, astDepth(c.Value, level+1, limit)); deepest > limit {
			break
		}
	}
	return deepest
}
