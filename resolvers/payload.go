package resolvers

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Service results to GraphQL results: the payload of new tokens (with the
// cookies browsers get), and a record or an error.

// auth returns the payload of new tokens and hands browsers the cookies:
// the access token's and, after a sign-in, the device cookie.
func (r *Resolver) auth(ctx context.Context, t *session.Tokens) *model.AuthPayload {
	setCookie(ctx, t.Access, t.AccessExpiresAt)
	if t.DeviceCookie != "" {
		setDeviceCookie(ctx, t.DeviceCookie, t.DeviceCookieExpires)
	}
	return toAuth(t, r.Sessions.EndsAt(t.Session))
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

func deviceOrErr(d *store.Device, err error) (*model.Device, error) {
	if err != nil {
		return nil, err
	}
	return toDevice(d), nil
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
