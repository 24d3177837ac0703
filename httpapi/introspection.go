package httpapi

import (
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
)

// errIntrospectionOff is our refusal of __schema and __type while
// introspection is switched off. gqlgen refuses them too, but with an
// untyped error that only its text would tell apart from a fault; refusing
// first with our own sentinel lets the presenter recognise it by identity.
var errIntrospectionOff = errors.New("introspection is disabled")

// refuseIntrospection is the field middleware used while introspection is
// off. __typename is not introspection and passes: clients add it everywhere.
func refuseIntrospection(ctx context.Context, next graphql.Resolver) (any, error) {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		switch fc.Field.Name {
		case "__schema", "__type":
			return nil, errIntrospectionOff
		}
	}
	return next(ctx)
}
