package httpapi

import (
	"context"
	"regexp"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/apperr"
)

// operationObserver is the gqlgen extension that reports each GraphQL
// response, including those of requests refused before they ran: the
// access log's operation, root field and code, the count of
// usergraph_graphql_operations_total, and, while tracing, the operation's
// span (the resolvers' are resolverSpans'). It reads the operation's name
// and type, never its variables or document: arguments hold passwords and
// tokens.
//
// The metric's operation label is the operation's first root field
// ("login", "me"), not its name: a name is the client's to choose, without
// bound, while root fields are the schema's. A request whose first root
// field the schema lacks (it did not parse or validate) is "anonymous".
type operationObserver struct {
	tel   *Telemetry
	roots map[string]bool // the schema's root fields and the introspection ones
}

func newOperationObserver(schema *ast.Schema, tel *Telemetry) operationObserver {
	roots := map[string]bool{"__typename": true, "__schema": true, "__type": true}
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			roots[f.Name] = true
		}
	}
	return operationObserver{tel: tel, roots: roots}
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = operationObserver{}

func (operationObserver) ExtensionName() string                   { return "OperationObserver" }
func (operationObserver) Validate(graphql.ExecutableSchema) error { return nil }

// anonymous names an operation without a name, and labels one without a
// root field of the schema.
const anonymous = "anonymous"

// maxOperationName bounds the name the log and the span repeat.
const maxOperationName = 100

func (o operationObserver) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	name, kind, root := o.describe(ctx)
	var span trace.Span
	if o.tel.tracer != nil && kind != "" {
		attrs := []attribute.KeyValue{attribute.String("graphql.operation.type", kind)}
		if name != anonymous {
			attrs = append(attrs, attribute.String("graphql.operation.name", name))
		}
		ctx, span = o.tel.tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	}
	resp := next(ctx)
	code := firstCode(resp)
	o.tel.metrics.operations.WithLabelValues(root, code).Inc()
	if rec := recordFrom(ctx); rec != nil {
		rec.operation, rec.rootField, rec.code = name, root, code
	}
	if span != nil {
		span.SetAttributes(attribute.String("graphql.response.code", code))
		if code == string(apperr.Internal) {
			span.SetStatus(codes.Error, code)
		}
		span.End()
	}
	return resp
}

// describe returns the operation's name ("anonymous" without one), its
// type ("" when the request never had an operation) and root-field label.
func (o operationObserver) describe(ctx context.Context) (name, kind, root string) {
	name, root = anonymous, anonymous
	if !graphql.HasOperationContext(ctx) {
		return name, "", root
	}
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil {
		return name, "", root
	}
	if n := oc.Operation.Name; n != "" {
		name = n[:min(len(n), maxOperationName)]
	}
	if f := firstField(oc.Doc, oc.Operation.SelectionSet); o.roots[f] {
		root = f
	}
	return name, string(oc.Operation.Operation), root
}

// firstField returns the name of the first field of set, looking into
// fragments; "" if there is none.
func firstField(doc *ast.QueryDocument, set ast.SelectionSet) string {
	for depth := 0; depth < 10 && len(set) > 0; depth++ { // fragments may be cyclic before validation
		switch s := set[0].(type) {
		case *ast.Field:
			return s.Name
		case *ast.InlineFragment:
			set = s.SelectionSet
		case *ast.FragmentSpread:
			f := doc.Fragments.ForName(s.Name)
			if f == nil {
				return ""
			}
			set = f.SelectionSet
		default:
			return ""
		}
	}
	return ""
}

// codePattern is what an error code looks like; anything else (none is
// expected) is counted as OTHER, so that the label stays bounded.
var codePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,39}$`)

// firstCode is "OK" for a response without errors, else its first
// error's code.
func firstCode(resp *graphql.Response) string {
	if resp == nil || len(resp.Errors) == 0 {
		return "OK"
	}
	code, _ := resp.Errors[0].Extensions["code"].(string)
	if !codePattern.MatchString(code) {
		return "OTHER"
	}
	return code
}

// resolverSpans is the gqlgen extension that gives each resolver (a field
// with a resolver function, not a field of a record) a span named after
// the field, "Mutation.login". Its attributes are the field's name, parent
// type and path, never its arguments. Installed only while tracing.
type resolverSpans struct{ tracer trace.Tracer }

var _ interface {
	graphql.HandlerExtension
	graphql.FieldInterceptor
} = resolverSpans{}

func (resolverSpans) ExtensionName() string                   { return "ResolverSpans" }
func (resolverSpans) Validate(graphql.ExecutableSchema) error { return nil }

func (s resolverSpans) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := s.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.name", fc.Field.Name),
		attribute.String("graphql.field.parent", fc.Object),
		attribute.String("graphql.field.path", fc.Path().String()),
	))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		code := apperr.CodeOf(err)
		span.SetAttributes(attribute.String("graphql.error.code", string(code)))
		if code == apperr.Internal {
			span.SetStatus(codes.Error, string(code))
		}
	}
	return res, err
}
