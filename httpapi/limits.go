package httpapi

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// introspectionDepth is how deep a selection below __schema or __type may
// nest when the configured depth is lower. The standard introspection query
// (getIntrospectionQuery() of graphql-js v16, which GraphiQL sends) nests 15
// levels: __schema, types, fields, args, type, then its TypeRef fragment's
// kind and name under nine ofType levels. Introspection gets its own
// allowance so that data selections stay bounded by the configured depth
// (12 by default), while 40 levels of ofType are still refused.
const introspectionDepth = 15

// requestLimits refuses, before any resolver runs, an operation nested
// deeper than maxDepth, or whose data fields cost more than maxComplexity,
// or whose introspection costs more than its allowance. The numbers come
// from one walk of the operation that prices each fragment once (measure),
// so the check is linear in the document: following every path instead
// walks 2^30 of them for 30 fragments that each spread the next one twice.
//
// Introspection is bounded apart from data because its price grows with the
// schema, not with the database: its allowance is a few standard
// introspection queries' worth on this schema (introspectionCost.allowance),
// so GraphiQL keeps working as the schema grows while hundreds of aliased
// __schema walks are refused, and -max-complexity keeps bounding data alone.
type requestLimits struct {
	maxDepth      int
	maxComplexity int
	schema        *ast.Schema
	complexity    complexityFunc
	intro         *introspectionCost
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &requestLimits{}

func (*requestLimits) ExtensionName() string { return "RequestLimits" }

// Validate receives the schema when the extension is installed: the
// introspection prices and allowance are measured on it once, here.
func (l *requestLimits) Validate(es graphql.ExecutableSchema) error {
	intro, err := newIntrospectionCost(es.Schema())
	if err != nil {
		return err
	}
	l.schema, l.complexity, l.intro = es.Schema(), es.Complexity, intro
	return nil
}

func (l *requestLimits) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	if op.Operation == nil {
		return nil
	}
	m, _, err := measure(ctx, l.schema, l.complexity, l.intro, op.Operation, op.Doc.Fragments, op.Variables)
	if err != nil {
		return &gqlerror.Error{Message: "the request was cancelled", Err: err}
	}
	// gqlgen's ComplexityLimit records the same statistics (for data);
	// kept for extension.GetComplexityStats.
	op.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: m.complexity, ComplexityLimit: l.maxComplexity})
	return l.refusal(m)
}

// refusal is the error that refuses an operation of size m, or nil.
func (l *requestLimits) refusal(m size) *gqlerror.Error {
	if m.depth > l.maxDepth {
		return tooDeep(m.depth, l.maxDepth)
	}
	if limit := max(l.maxDepth, introspectionDepth); m.introDepth > limit {
		return tooDeep(m.introDepth, limit)
	}
	if m.complexity > l.maxComplexity {
		// gqlgen's FixedComplexityLimit message and code, which clients know.
		return tooComplex(gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", m.complexity, l.maxComplexity))
	}
	if m.introComplexity > l.intro.allowance {
		return tooComplex(gqlerror.Errorf("operation has introspection complexity %d, which exceeds the introspection limit of %d",
			m.introComplexity, l.intro.allowance))
	}
	return nil
}

func tooComplex(e *gqlerror.Error) *gqlerror.Error {
	errcode.Set(e, "COMPLEXITY_LIMIT_EXCEEDED")
	return e
}

func tooDeep(depth, limit int) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    "the operation is nested too deeply",
		Extensions: map[string]any{"code": string(apperr.BadUserInput), "depth": depth, "maxDepth": limit},
	}
}
