package resolvers

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The access directives run before a field's resolver. Each checks the
// caller that the HTTP layer authenticated (see session.FromContext).

func (r *Resolver) public(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	return next(ctx)
}

func (r *Resolver) signedIn(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if _, err := caller(ctx); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) hasRole(ctx context.Context, _ any, next graphql.Resolver, role string) (any, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(p.User.Roles, role) {
		return nil, apperr.New(apperr.Forbidden, "this needs the %q role", role)
	}
	return next(ctx)
}

func (r *Resolver) hasPermission(ctx context.Context, _ any, next graphql.Resolver, resource string, verb model.Verb) (any, error) {
	p, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Access.Require(ctx, p.User.Roles, resource, store.Verb(verb)); err != nil {
		return nil, err
	}
	return next(ctx)
}

// caller returns the signed-in caller, or UNAUTHENTICATED saying why not:
// no credentials (606), or credentials refused as invalid (607) or expired (608).
func caller(ctx context.Context) (*session.Principal, error) {
	if p := session.FromContext(ctx); p != nil {
		return p, nil
	}
	if err := session.FailureFrom(ctx); err != nil {
		return nil, err
	}
	return nil, apperr.New(apperr.Unauthenticated, "sign in first: send an access token")
}
