package session

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// Principal is the signed-in caller of a request: a live session of an
// active user, or of an application (Kind APP: User nil, UserID empty,
// Application set). User and Application are snapshots taken when the
// session was last checked; treat them as read-only. Kind is the stored
// session's, never the access token's claim.
type Principal struct {
	UserID      string
	SessionID   string
	Kind        store.SessionKind
	User        *store.User
	Application *store.Application
	Session     *store.Session
}

// Roles are the roles the caller acts with: the user's, or the
// application's for an APP session.
func (p *Principal) Roles() []string {
	if p.Application != nil {
		return p.Application.Roles
	}
	return p.User.Roles
}

// IsApp reports whether the caller is an application (an APP session),
// with no user.
func (p *Principal) IsApp() bool { return p.Application != nil }

// subject is whom the session's access token names (sub): the user, or
// the application. The cache forgets principals by it.
func (p *Principal) subject() string {
	if p.Application != nil {
		return p.Application.ID
	}
	return p.UserID
}

// Client describes where a request comes from, for session records and
// rate limits.
type Client struct {
	IP        string
	UserAgent string
	// DeviceCookie is the usergraph_device cookie the request carried, if
	// any: the sign-in lockout trusts it (see package lockout).
	DeviceCookie string
}

type principalKey struct{}
type failureKey struct{}
type clientKey struct{}

// WithPrincipal returns ctx carrying the authenticated caller.
// It names the caller as the actor of the events the request records.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	if p != nil {
		if p.Application != nil {
			ctx = audit.WithActor(ctx, p.Application.ID, audit.ActorApplication)
		} else {
			ctx = audit.WithActor(ctx, p.UserID, audit.ActorUser)
		}
	}
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the caller, or nil for an anonymous request.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Caller returns the signed-in caller, or UNAUTHENTICATED saying why there
// is none: no credentials (606), or credentials refused as invalid (607)
// or expired (608), as WithFailure recorded.
func Caller(ctx context.Context) (*Principal, error) {
	if p := FromContext(ctx); p != nil {
		return p, nil
	}
	if err := FailureFrom(ctx); err != nil {
		return nil, err
	}
	return nil, apperr.New(apperr.Unauthenticated, "sign in first: send an access token")
}

// WithFailure records why credentials sent with a request were refused, so
// a field that needs a signed-in caller can say "expired" rather than
// "missing". Requests with bad credentials still reach public fields.
func WithFailure(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, failureKey{}, err)
}

// FailureFrom returns the recorded authentication failure, if any.
func FailureFrom(ctx context.Context) error {
	err, _ := ctx.Value(failureKey{}).(error)
	return err
}

// WithClient returns ctx carrying the request's client description.
// Its IP and user agent are the origin of the events the request records.
func WithClient(ctx context.Context, c Client) context.Context {
	ctx = audit.WithOrigin(ctx, c.IP, c.UserAgent)
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the request's client description (zero if unknown).
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}
