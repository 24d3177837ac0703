package app

import (
	"context"
	"errors"
	"net/url"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/avatars"
	"github.com/usergraph/usergraph/httpapi"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/resolvers"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/social"
	"github.com/usergraph/usergraph/store"
)

// The HTTP surface declares what it calls (httpapi.Deps) so that it
// depends on neither the store nor the hasher; these adapters hand it the
// services. No rule lives here: each method is one call and a conversion.

// edgeSessions is httpapi.Sessions: the session manager, and the context
// keys of the session layer and the resolvers.
type edgeSessions struct{ sessions *session.Manager }

var _ httpapi.Sessions = edgeSessions{}

func (e edgeSessions) Authenticate(ctx context.Context, token string) (context.Context, *httpapi.Caller, error) {
	p, err := e.sessions.Authenticate(ctx, token)
	if err != nil {
		return ctx, nil, err
	}
	return session.WithPrincipal(ctx, p), caller(p), nil
}

// caller is what /authorization tells the upstream about p: an
// application's session names the application and has no user.
func caller(p *session.Principal) *httpapi.Caller {
	if p.IsApp() {
		return &httpapi.Caller{Roles: p.Roles(), Application: p.Application.ID}
	}
	u := p.User
	return &httpapi.Caller{UserID: p.UserID, Roles: u.Roles, Username: u.Username, Email: u.Email, Name: u.DisplayFullName()}
}

func (edgeSessions) WithRefusal(ctx context.Context, err error) context.Context {
	return session.WithFailure(ctx, err)
}

func (edgeSessions) WithClient(ctx context.Context, c httpapi.Client) context.Context {
	return session.WithClient(ctx, session.Client{IP: c.IP, UserAgent: c.UserAgent, DeviceCookie: c.DeviceCookie})
}

func (edgeSessions) WithCookies(ctx context.Context, jar httpapi.Cookies) context.Context {
	return resolvers.WithCookies(ctx, jar)
}

// edgeAccess is httpapi.AccessChecker: the role catalogue's matcher.
type edgeAccess struct{ access *access.Service }

func (e edgeAccess) Allowed(ctx context.Context, roles []string, resource, verb string) (bool, error) {
	return e.access.Allowed(ctx, roles, resource, store.Verb(verb))
}

// edgeAvatars is httpapi.Avatars: the stored avatars.
type edgeAvatars struct{ avatars *avatars.Service }

func (e edgeAvatars) Avatar(ctx context.Context, id string) (*httpapi.Avatar, error) {
	a, err := e.avatars.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &httpapi.Avatar{ContentType: a.ContentType, Data: a.Data}, nil
}

// edgeOAuth is httpapi.OAuthCallback: social sign-in's callback, its
// session as the cookies a browser gets.
type edgeOAuth struct{ social *social.Service }

func (e edgeOAuth) Complete(ctx context.Context, query url.Values, bound bool) (*httpapi.SignedIn, error) {
	t, err := e.social.Callback(ctx, query, bound)
	if err != nil {
		return nil, err
	}
	return &httpapi.SignedIn{AccessToken: t.Access, Expires: t.AccessExpiresAt,
		DeviceCookie: t.DeviceCookie, DeviceCookieExpires: t.DeviceCookieExpires}, nil
}

// edgeRecovery is httpapi.Recovery, for the hosted pages: the recovery
// service, and the paths its links lead to.
type edgeRecovery struct{ *recovery.Service }

var _ httpapi.Recovery = edgeRecovery{}

func (edgeRecovery) Paths() (reset, verify string) {
	return recovery.ResetPagePath, recovery.VerifyPagePath
}

// hashStats reads the hasher's totals for /metrics.
func hashStats(h *password.Hasher) func() httpapi.HashStats {
	return func() httpapi.HashStats {
		s := h.Stats()
		return httpapi.HashStats{Hashes: s.Hashes, Refused: s.Refused, Work: s.Work, Wait: s.Wait, InFlight: s.InFlight, Waiting: s.Waiting}
	}
}
