package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Deps are what the HTTP surface calls, each declared here as narrowly as
// it is used. The wiring (package app) adapts the services to them, so
// this package depends on neither the store nor the password hasher.
type Deps struct {
	GraphQL  http.Handler                // the GraphQL endpoint (NewGraphQL)
	Sessions Sessions                    // checks access tokens; fills the request context
	Access   AccessChecker               // /authorization's permission check
	JWKS     func() []byte               // the public signing keys, a JWK set
	Ready    func(context.Context) error // nil when the database answers (/readyz)
	Hashing  func() HashStats            // the password hasher's totals (/metrics); nil: none
	Avatars  Avatars                     // the stored avatars (GET /avatars/{id})
	Recovery Recovery                    // the hosted reset and verification pages; nil: none
	OAuth    OAuthCallback               // completes sign-ins at /oauth/callback; nil: no such route
	Log      *slog.Logger
	// Telemetry is the metrics and tracing shared with the GraphQL
	// endpoint (NewTelemetry); nil: a registry of its own, no tracing.
	Telemetry *Telemetry
}

// Sessions is the session layer as the HTTP surface uses it. What the
// surface learns about a request (where it comes from, who sent it, why
// its credentials were refused, where resolvers set cookies) reaches the
// layers below in the request's context, under keys that are theirs: so
// each With… goes through here.
type Sessions interface {
	// Authenticate checks an access token. When it is good, it returns
	// ctx carrying the signed-in caller for the layers below, and the
	// caller.
	Authenticate(ctx context.Context, token string) (context.Context, *Caller, error)
	// WithRefusal returns ctx carrying why the credentials the request sent
	// were refused, so that a field that needs a caller can say "expired"
	// rather than "missing".
	WithRefusal(ctx context.Context, err error) context.Context
	// WithClient returns ctx carrying where the request comes from, for
	// session records, the sign-in limits and the lockout.
	WithClient(ctx context.Context, c Client) context.Context
	// WithCookies returns ctx carrying the jar in which sign-ins and
	// sign-outs set the access-token and device cookies.
	WithCookies(ctx context.Context, jar Cookies) context.Context
}

// Caller is a request's signed-in caller, as /authorization needs it: to
// check its roles, and to tell the upstream who it is (forwardauth.go).
type Caller struct {
	UserID   string // "" for an application's session
	Roles    []string
	Username string // "" when the account has none (it signs in by email or phone)
	Email    string
	Name     string // the full name, stored or first + last
	// Application is the application's id for an application's session,
	// which has no user (UserID, Username, Email and Name are "").
	Application string
}

// Client describes where a request comes from.
type Client struct {
	IP        string // the peer's address, or what trusted proxies say it is
	UserAgent string
	// DeviceCookie is the device cookie the request carried, if any: the
	// sign-in lockout trusts it (package lockout).
	DeviceCookie string
}

// Cookies are the cookies a response may set, as the resolvers set them
// (cookies.go keeps them until the header goes out). Calls may repeat
// within a request (aliased fields): the last one of each cookie wins.
type Cookies interface {
	SetAccessToken(token string, expires time.Time)
	ClearAccessToken()
	SetDeviceCookie(value string, expires time.Time)
	// SetOAuthState binds a sign-in that ends at /oauth/callback to the
	// browser that starts it (oauth.go).
	SetOAuthState(state string, expires time.Time)
}

// OAuthCallback completes the sign-ins that end at /oauth/callback.
type OAuthCallback interface {
	// Complete completes the sign-in the provider's query names (code and
	// state, or its error) for the caller in ctx; bound: the browser
	// carried the flow's state cookie. It returns the new session.
	Complete(ctx context.Context, query url.Values, bound bool) (*SignedIn, error)
}

// SignedIn is a browser's new session, as cookies.
type SignedIn struct {
	AccessToken         string
	Expires             time.Time
	DeviceCookie        string
	DeviceCookieExpires time.Time
}

// AccessChecker answers whether any of roles grants verb (GET, POST, …)
// on resource.
type AccessChecker interface {
	Allowed(ctx context.Context, roles []string, resource, verb string) (bool, error)
}

// Avatars reads stored avatar images.
type Avatars interface {
	// Avatar returns the avatar with the id, nil if there is none.
	Avatar(ctx context.Context, id string) (*Avatar, error)
}

// Avatar is a stored avatar image, as GET /avatars/{id} serves it.
type Avatar struct {
	ContentType string
	Data        []byte
}

// Recovery is account recovery as the hosted pages use it
// (recovery.Service). Every call presents a token, which counts against
// the recovery limits; only ResetPassword and VerifyEmail use one up.
// Errors are *apperr.Error (RESET_TOKEN_EXPIRED, RESET_TOKEN_INVALID,
// RESET_UNSUPPORTED, WEAK_PASSWORD, ALREADY_EXISTS, RATE_LIMITED …);
// anything else is a fault.
type Recovery interface {
	// Paths are where the pages are served: the paths of the links the
	// mails carry.
	Paths() (reset, verify string)
	// CheckResetToken tells whether a reset link's token would be
	// accepted now, without using it.
	CheckResetToken(ctx context.Context, token string) error
	// ResetPassword sets a new password with the token (WEAK_PASSWORD
	// leaves the token usable).
	ResetPassword(ctx context.Context, token, newPassword string) error
	// CheckVerifyToken is CheckResetToken for a verification link.
	CheckVerifyToken(ctx context.Context, token string) error
	// VerifyEmail confirms the address the token was sent to.
	VerifyEmail(ctx context.Context, token string) error
}

// HashStats are the password hasher's running totals.
type HashStats struct {
	Hashes   uint64        // hashes and verifications computed
	Refused  uint64        // refused because no slot freed up in time
	Work     time.Duration // spent hashing
	Wait     time.Duration // spent waiting for a slot
	InFlight int           // computing now
	Waiting  int           // waiting for a slot now
}
