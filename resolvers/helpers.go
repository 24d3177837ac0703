package resolvers

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/vikstrous/dataloadgen"
)

// auth returns the payload of new tokens and hands browsers the cookies:
// the access token's and, after a sign-in, the device cookie.
func (r *Resolver) auth(ctx context.Context, t *session.Tokens) *model.AuthPayload {
	setCookie(ctx, t.Access, t.AccessExpiresAt)
	if t.DeviceCookie != "" {
		setDeviceCookie(ctx, t.DeviceCookie, t.DeviceCookieExpires)
	}
	return toAuth(t, r.Sessions.EndsAt(t.Session))
}

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
// a user, then one of the caller's sessions, then a role; each service
// decides what the caller may see.
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
	role, err := r.Access.RoleByID(ctx, p.User.Roles, id)
	if role == nil || err != nil {
		return nil, err
	}
	return toRole(role), nil
}

// connection builds a Relay connection from a page. totalCount and the
// edges' cursors are left to their own resolvers, which run only when a
// client selects them.
func connection(page *store.UserPage, q account.Query, f *store.UserFilter) *model.UserConnection {
	c := &model.UserConnection{
		Edges:    make([]*model.UserEdge, len(page.Users)),
		Nodes:    make([]*model.User, len(page.Users)),
		PageInfo: &model.PageInfo{HasNextPage: page.HasNext, HasPreviousPage: q.After != "" || q.Offset > 0},
		Filter:   f,
	}
	for i, u := range page.Users {
		n := toUser(u)
		c.Edges[i], c.Nodes[i] = &model.UserEdge{Node: n, Record: u, Order: q.Order}, n
	}
	if n := len(page.Users); n > 0 {
		start, end := store.CursorOf(page.Users[0], q.Order).Encode(), store.CursorOf(page.Users[n-1], q.Order).Encode()
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c
}

func permissionInput(in model.PermissionInput) access.PermissionInput {
	verbs := make([]store.Verb, len(in.Verbs))
	for i, v := range in.Verbs {
		verbs[i] = store.Verb(v)
	}
	return access.PermissionInput{Name: val(in.Name), Pattern: in.Pattern, Verbs: verbs}
}

func userOrErr(u *store.User, err error) (*model.User, error) {
	if err != nil {
		return nil, err
	}
	return toUser(u), nil
}

func roleOrErr(r *store.Role, err error) (*model.Role, error) {
	if err != nil {
		return nil, err
	}
	return toRole(r), nil
}

func permissionOrErr(p *store.Permission, err error) (*model.Permission, error) {
	if err != nil {
		return nil, err
	}
	return toPermission(p), nil
}

func apperrNotFound(err error) bool {
	return err != nil && apperr.CodeOf(err) == apperr.NotFound
}

// onlyNotFound reports whether every error of a batch load is "no such key".
func onlyNotFound(err error) bool {
	var errs dataloadgen.ErrorSlice
	if !errors.As(err, &errs) {
		return errors.Is(err, dataloadgen.ErrNotFound)
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, dataloadgen.ErrNotFound) {
			return false
		}
	}
	return true
}
