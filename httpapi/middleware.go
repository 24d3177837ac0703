package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/telemetry"
)

// RequestID returns the id given to the request (echoed in X-Request-Id,
// in INTERNAL errors and in every log line of the request, so that a
// report can be matched to the log).
func RequestID(ctx context.Context) string { return telemetry.RequestID(ctx) }

// withRequestID gives each request its id: the X-Request-Id a proxy in
// front sent, when it is one (telemetry.AcceptRequestID: bounded length
// and charset), so that the proxy's log and this one name the request
// alike; otherwise a fresh one. The answer carries it in X-Request-Id.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !telemetry.AcceptRequestID(id) {
			id = telemetry.NewRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		ctx := withFaultLog(telemetry.WithRequestID(r.Context(), id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withRecover answers a panic with 500 and the request id instead of
// dropping the connection, and logs it with its stack.
func withRecover(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				writeFault(w, r, log, http.StatusInternalServerError, "panic in handler", &panicked{value: p, stack: debug.Stack()})
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// withClient records the client's address, user agent and device cookie
// (named deviceCookie). X-Forwarded-For is believed only from the
// configured trusted proxies, read right to left.
func withClient(trusted []netip.Prefix, deviceCookie string, sessions Sessions, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Client{IP: clientIP(r, trusted), UserAgent: r.UserAgent()}
		if rec := recordFrom(r.Context()); rec != nil {
			rec.clientIP = c.IP
		}
		if dc, err := r.Cookie(deviceCookie); err == nil && deviceCookie != "" {
			c.DeviceCookie = dc.Value
		}
		next.ServeHTTP(w, r.WithContext(sessions.WithClient(r.Context(), c)))
	})
}

func clientIP(r *http.Request, trusted []netip.Prefix) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	hops := strings.Split(r.Header.Get("X-Forwarded-For"), ",")
	for i := len(hops) - 1; i >= 0 && isTrusted(addr, trusted); i-- {
		next, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		addr = next
	}
	return addr.Unmap().String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// withCrossOriginCheck is the CSRF rule, one for every route and content
// type (JSON, multipart uploads, the hosted pages' forms): a state-changing
// request (anything but GET, HEAD and OPTIONS) that a browser sends from
// another origin is refused with 403, unless that origin is trusted. The
// standard library's http.CrossOriginProtection decides: Sec-Fetch-Site
// when the browser sends it, else Origin against Host; a request with
// neither (curl, server-to-server) is not a browser's and passes. Together
// with SameSite=Lax cookies this keeps cookie-authenticated requests safe
// from cross-site forgery; with SameSite=None (apps on another site) it is
// this check alone. The trusted origins are also the ones CORS lets read
// answers (withCORS, cors.go), so an origin is trusted by both or neither.
func withCrossOriginCheck(trusted []string, next http.Handler) (http.Handler, error) {
	cop := http.NewCrossOriginProtection()
	for _, origin := range trusted {
		if err := cop.AddTrustedOrigin(origin); err != nil {
			return nil, err
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusForbidden, apperr.New(apperr.Forbidden,
			"cross-origin request refused: state-changing requests from a browser must come from this server's origin or a trusted one (USERGRAPH_CORS_ORIGINS)"))
	}))
	return cop.Handler(next), nil
}

// withBodyLimit refuses bodies over max bytes with 413; a file upload to
// the GraphQL endpoint (uploads.go) may have upload bytes more.
func withBodyLimit(max, upload int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := max
		if r.URL.Path == "/graphql" && isMultipart(r) {
			limit += upload
		}
		if r.ContentLength > limit {
			writeError(w, http.StatusRequestEntityTooLarge, apperr.New(apperr.BadUserInput, "the request body is larger than %d bytes", limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if r.ContentLength < 0 { // chunked: the length shows only on reading, so read it here
			b, err := io.ReadAll(r.Body)
			if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
				writeError(w, http.StatusRequestEntityTooLarge, apperr.New(apperr.BadUserInput, "the request body is larger than %d bytes", limit))
				return
			} else if err != nil {
				writeError(w, http.StatusBadRequest, apperr.New(apperr.BadUserInput, "the request body could not be read"))
				return
			}
			r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		}
		next.ServeHTTP(w, r)
	})
}

// authenticator checks the credentials a request carries, if any. A request
// with bad credentials goes on anonymously with the failure recorded, so
// public fields still work and protected ones can say why they refuse. A
// check that failed on the server's side (the store did not answer) is
// recorded the same way but is no verdict on the credentials: it is logged
// here, once, and whoever needs the caller answers it as a fault.
//
// The outcome goes into the context twice: for the layers below through
// Sessions, and for this package's own handlers (callerFrom).
type authenticator struct {
	sessions   Sessions
	cookieName string
	log        *slog.Logger
}

func (a authenticator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		tok, err := a.token(r)
		var caller *Caller
		if err == nil && tok != "" {
			var signedIn context.Context
			if signedIn, caller, err = a.sessions.Authenticate(ctx, tok); err == nil {
				ctx = signedIn
			} else if apperr.IsFault(err) {
				logFault(ctx, a.log, "checking the session failed", err)
			}
		}
		if err != nil {
			ctx = a.sessions.WithRefusal(ctx, err)
		}
		ctx = context.WithValue(ctx, outcomeKey{}, outcome{caller: caller, refused: err})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type outcomeKey struct{}

// outcome is what the authenticator made of a request's credentials.
type outcome struct {
	caller  *Caller // nil: anonymous
	refused error   // why the credentials sent were refused; nil: none were sent
}

// callerFrom returns the request's signed-in caller or, for an anonymous
// request, why the credentials it sent were refused (nil: none were sent).
func callerFrom(ctx context.Context) (*Caller, error) {
	o, _ := ctx.Value(outcomeKey{}).(outcome)
	return o.caller, o.refused
}

// token reads "Authorization: Bearer <token>", else the access-token cookie.
func (a authenticator) token(r *http.Request) (string, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
			return "", apperr.New(apperr.Unauthenticated, "the Authorization header must be \"Bearer <access token>\"").WithStatus(apperr.StatusInvalidToken)
		}
		return strings.TrimSpace(tok), nil
	}
	if a.cookieName != "" {
		if c, err := r.Cookie(a.cookieName); err == nil && c.Value != "" {
			return c.Value, nil
		}
	}
	return "", nil
}
