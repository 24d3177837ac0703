package resolvers

import (
	"context"
	"time"
)

// Cookies lets resolvers hand browser clients their access token as an
// HttpOnly cookie. The HTTP layer puts an implementation in the context; with
// none (or cookies switched off) these calls do nothing. Calls may repeat
// within a request (aliased fields): the last one decides what the response
// sets, and it sets each cookie once.
type Cookies interface {
	SetAccessToken(token string, expires time.Time)
	ClearAccessToken()
	// SetDeviceCookie sets the usergraph_device cookie (package lockout).
	SetDeviceCookie(value string, expires time.Time)
	// SetOAuthState sets the cookie that binds a sign-in ending at
	// /oauth/callback to the browser that started it.
	SetOAuthState(state string, expires time.Time)
}

type cookiesKey struct{}

// WithCookies returns ctx carrying c.
func WithCookies(ctx context.Context, c Cookies) context.Context {
	return context.WithValue(ctx, cookiesKey{}, c)
}

func setCookie(ctx context.Context, token string, expires time.Time) {
	if c, ok := ctx.Value(cookiesKey{}).(Cookies); ok {
		c.SetAccessToken(token, expires)
	}
}

func clearCookie(ctx context.Context) {
	if c, ok := ctx.Value(cookiesKey{}).(Cookies); ok {
		c.ClearAccessToken()
	}
}

func setDeviceCookie(ctx context.Context, value string, expires time.Time) {
	if c, ok := ctx.Value(cookiesKey{}).(Cookies); ok {
		c.SetDeviceCookie(value, expires)
	}
}

func setOAuthStateCookie(ctx context.Context, state string, expires time.Time) {
	if c, ok := ctx.Value(cookiesKey{}).(Cookies); ok {
		c.SetOAuthState(state, expires)
	}
}
