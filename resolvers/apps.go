package resolvers

import (
	"context"
	"math"
	"time"

	"github.com/usergraph/usergraph/apps"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Applications and APP sessions as the API shows them.

func toApplication(a *store.Application) *model.Application {
	return &model.Application{ID: a.ID, Name: a.Name, Description: str(a.Description), ClientID: a.ClientID,
		CreatedAt: a.CreatedAt, LastUsedAt: optTime(a.LastUsedAt), RoleNames: nonNil(a.Roles)}
}

func applicationOrErr(a *store.Application, err error) (*model.Application, error) {
	if err != nil {
		return nil, err
	}
	return toApplication(a), nil
}

func credentialsOrErr(c *apps.Credentials, err error) (*model.ApplicationCredentials, error) {
	if err != nil {
		return nil, err
	}
	return &model.ApplicationCredentials{Application: toApplication(c.Application), ClientSecret: c.ClientSecret}, nil
}

func applicationInput(in model.ApplicationInput) apps.Input {
	return apps.Input{Name: in.Name, Description: val(in.Description), Roles: in.Roles}
}

// appSession is the payload of a new APP session: no refresh token, no
// user, and no cookie (an application is no browser).
func (r *Resolver) appSession(t *session.Tokens) *model.AppSessionPayload {
	return &model.AppSessionPayload{
		AccessToken: t.Access,
		TokenType:   "Bearer",
		ExpiresIn:   int(math.Ceil(time.Until(t.AccessExpiresAt).Seconds())),
		ExpiresAt:   t.AccessExpiresAt,
		Session:     toSession(t.Session, t.Session.ID, r.Sessions.EndsAt(t.Session)),
	}
}

// sessionApplication resolves Session.application: the application of an
// APP session, to the session itself (current: also the one
// applicationSession hands out) and to those who may read applications
// (apps.Service.SessionApplication).
func (r *Resolver) sessionApplication(ctx context.Context, s *model.Session) (*model.Application, error) {
	a, err := r.Apps.SessionApplication(ctx, session.FromContext(ctx), s.ApplicationID, s.Current)
	if a == nil || err != nil {
		return nil, err
	}
	return toApplication(a), nil
}

// rolesNamed resolves role names through the operation's loader; a name no
// role has any more grants nothing and is left out.
func rolesNamed(ctx context.Context, names []string) ([]*model.Role, error) {
	roles, err := loadersFrom(ctx).roles.LoadAll(ctx, names)
	out := make([]*model.Role, 0, len(roles))
	for _, role := range roles {
		if role != nil {
			out = append(out, toRole(role))
		}
	}
	if err != nil && !onlyNotFound(err) {
		return nil, err
	}
	return out, nil
}
