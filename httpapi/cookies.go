package httpapi

import (
	"net/http"
	"sync"
	"time"
)

// cookieJar collects the cookies a request's resolvers set and writes each
// cookie once, with the last value it was given, just before the response
// header goes out. Several fields of one request may set the same cookie
// (aliased refreshSession, login then logout); one Set-Cookie per call
// would leave the browser to keep whichever it read last.
type cookieJar struct {
	name     string // the access-token cookie's
	device   string // the device cookie's
	secure   bool
	sameSite http.SameSite

	mu      sync.Mutex
	pending map[string]*http.Cookie
	order   []string // names in the order first set, for a stable header
	sent    bool
}

var _ Cookies = (*cookieJar)(nil)

func (c *cookieJar) SetAccessToken(token string, expires time.Time) {
	c.set(&http.Cookie{Name: c.name, Value: token, Path: "/", Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: c.secure, SameSite: c.sameSite})
}

// SetDeviceCookie sets the device cookie with the access-token cookie's
// attributes; it is never cleared (a sign-out does not make a client a
// stranger to the account).
func (c *cookieJar) SetDeviceCookie(value string, expires time.Time) {
	c.set(&http.Cookie{Name: c.device, Value: value, Path: "/", Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: c.secure, SameSite: c.sameSite})
}

func (c *cookieJar) ClearAccessToken() {
	c.set(&http.Cookie{Name: c.name, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: c.sameSite})
}

// set keeps ck as the value of its name. Once the header is sent it is too
// late: the GraphQL transports write only after every resolver returned, so
// that does not happen.
func (c *cookieJar) set(ck *http.Cookie) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent {
		return
	}
	if _, ok := c.pending[ck.Name]; !ok {
		c.order = append(c.order, ck.Name)
	}
	c.pending[ck.Name] = ck
}

// send adds the kept cookies to h, the first time it is called.
func (c *cookieJar) send(h http.Header) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sent {
		return
	}
	c.sent = true
	for _, name := range c.order {
		if v := c.pending[name].String(); v != "" {
			h.Add("Set-Cookie", v)
		}
	}
}

// cookieWriter sends the jar's cookies as the response starts.
type cookieWriter struct {
	http.ResponseWriter
	jar *cookieJar
}

func (w cookieWriter) WriteHeader(code int) {
	w.jar.send(w.Header())
	w.ResponseWriter.WriteHeader(code)
}

func (w cookieWriter) Write(b []byte) (int, error) {
	w.jar.send(w.Header())
	return w.ResponseWriter.Write(b)
}

func (w cookieWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func withCookies(cfg Config, sessions Sessions, next http.Handler) http.Handler {
	if cfg.CookieName == "" {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		jar := &cookieJar{name: cfg.CookieName, device: cfg.DeviceCookieName, secure: cfg.CookieSecure,
			sameSite: cfg.CookieSameSite, pending: map[string]*http.Cookie{}}
		next.ServeHTTP(cookieWriter{w, jar}, r.WithContext(sessions.WithCookies(r.Context(), jar)))
		jar.send(w.Header()) // a handler that wrote nothing: the server sends the header after this
	})
}
