package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The access directives run before a field's resolver. Each checks the
// caller that the HTTP layer authenticated (see session.Caller); the rules
// are session's and access's.

func (r *Resolver) public(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}

func (r *Resolver) signedIn(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if _, err := session.Caller(ctx); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) hasRole(ctx context.Context, _ any, next graphql.Resolver, role string) (any, error) {
	p, err := session.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := access.RequireRole(p.User.Roles, role); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) hasPermission(ctx context.Context, _ any, next graphql.Resolver, resource string, verb model.Verb) (any, error) {
	p, err := session.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Access.Require(ctx, p.User.Roles, resource, store.Verb(verb)); err != nil {
		return nil, err
	}
	return next(ctx)
}
