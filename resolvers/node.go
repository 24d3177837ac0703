package resolvers

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/vikstrous/dataloadgen"
)

// userByID loads a user through the operation's loader and applies the
// caller's view.
func (r *Resolver) userByID(ctx context.Context, id string) (*model.User, error) {
	u, err := loadersFrom(ctx).users.Load(ctx, id)
	if errors.Is(err, dataloadgen.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return userOrErr(r.Accounts.View(ctx, session.FromContext(ctx), u))
}

// node resolves any object by id. Ids are unique across types, so it tries
// a user, then one of the caller's sessions, then a device, then a role;
// each service decides what the caller may see.
func (r *Resolver) node(ctx context.Context, id string) (model.Node, error) {
	if u, err := r.userByID(ctx, id); u != nil || err != nil {
		return u, err
	}
	p := session.FromContext(ctx)
	s, err := r.Sessions.Get(ctx, p.UserID, id)
	if err == nil {
		return toSession(s, p.SessionID, r.Sessions.EndsAt(s)), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if d, err := r.Devices.Get(ctx, p, id); d != nil || err != nil {
		return deviceOrErr(d, err)
	}
	role, err := r.Access.RoleByID(ctx, p.Roles(), id)
	if role == nil || err != nil {
		return nil, err
	}
	return toRole(role), nil
}
