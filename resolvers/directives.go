package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The access directives run before a field's resolver. Each checks the
// caller that the HTTP layer authenticated (see session.Caller); the rules
// are session's and access's. The roles checked are the caller's
// (Principal.Roles): a user's, or an application's for an APP session.

func (r *Resolver) public(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if err := appMayCall(ctx, session.FromContext(ctx)); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) signedIn(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	p, err := session.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := appMayCall(ctx, p); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) hasRole(ctx context.Context, _ any, next graphql.Resolver, role string) (any, error) {
	p, err := session.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := access.RequireRole(p.Roles(), role); err != nil {
		return nil, err
	}
	return next(ctx)
}

func (r *Resolver) hasPermission(ctx context.Context, _ any, next graphql.Resolver, resource string, verb model.Verb) (any, error) {
	p, err := session.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.Access.Require(ctx, p.Roles(), resource, store.Verb(verb)); err != nil {
		return nil, err
	}
	return next(ctx)
}

// appMayCall applies the rule of APP sessions (access.AppMayCall) to the
// root field being resolved: an application's session calls no mutation
// outside the allowed ones unless a permission directive finds its roles
// grant it. Queries are the resolvers' to answer for a caller without a
// user (me is null, others see the public view).
func appMayCall(ctx context.Context, p *session.Principal) error {
	if p == nil || !p.IsApp() {
		return nil
	}
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || fc.Object != "Mutation" || access.AppMayCall(fc.Field.Name) {
		return nil
	}
	return apperr.New(apperr.Forbidden, "an application's session may not call %s", fc.Field.Name)
}
