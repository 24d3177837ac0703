package httpapi

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// depthLimit refuses operations nested deeper than max levels, before any
// resolver runs. Introspection fields are not counted: a client tool's
// standard introspection query is deep by nature and cheap to answer.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }
func (d depthLimit) MutateOperationContext(_ context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	if depth := selectionDepth(op.Operation.SelectionSet, op.Doc.Fragments, 0); depth > d.max {
		return &gqlerror.Error{
			Message:    "the operation is nested too deeply",
			Extensions: map[string]any{"code": string(apperr.BadUserInput), "depth": depth, "maxDepth": d.max},
		}
	}
	return nil
}

// selectionDepth returns the deepest level of fields below set. Fragments
// are followed; seen guards against cycles (which validation rejects anyway).
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, level int) int {
	if level > 64 {
		return level
	}
	deepest := level
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = selectionDepth(s.SelectionSet, frags, level+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, level)
		case *ast.FragmentSpread:
			if f := frags.ForName(s.Name); f != nil {
				d = selectionDepth(f.SelectionSet, frags, level)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}
