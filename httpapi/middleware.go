package httpapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/session"
)

type requestIDKey struct{}

// RequestID returns the id given to the request (echoed in X-Request-Id and
// in INTERNAL errors, so a report can be matched to the log).
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := make([]byte, 8)
		rand.Read(b)
		id := hex.EncodeToString(b)
		w.Header().Set("X-Request-Id", id)
		ctx := withFaultLog(context.WithValue(r.Context(), requestIDKey{}, id))
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

// withClient records the client's address, user agent and device cookie.
// X-Forwarded-For is believed only from the configured trusted proxies,
// read right to left.
func withClient(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := session.Client{IP: clientIP(r, trusted), UserAgent: r.UserAgent()}
		if dc, err := r.Cookie(lockout.CookieName); err == nil {
			c.DeviceCookie = dc.Value
		}
		next.ServeHTTP(w, r.WithContext(session.WithClient(r.Context(), c)))
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
// from cross-site forgery.
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

// withBodyLimit refuses bodies over max bytes with 413.
func withBodyLimit(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			writeError(w, http.StatusRequestEntityTooLarge, apperr.New(apperr.BadUserInput, "the request body is larger than %d bytes", max))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, max)
		if r.ContentLength < 0 { // chunked: the length shows only on reading, so read it here
			b, err := io.ReadAll(r.Body)
			if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
				writeError(w, http.StatusRequestEntityTooLarge, apperr.New(apperr.BadUserInput, "the request body is larger than %d bytes", max))
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
type authenticator struct {
	sessions   *session.Manager
	cookieName string
	log        *slog.Logger
}

func (a authenticator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, err := a.token(r)
		ctx := r.Context()
		switch {
		case err != nil:
			ctx = session.WithFailure(ctx, err)
		case tok != "":
			if p, err := a.sessions.Authenticate(ctx, tok); err != nil {
				if apperr.IsFault(err) {
					logFault(ctx, a.log, "checking the session failed", err)
				}
				ctx = session.WithFailure(ctx, err)
			} else {
				ctx = session.WithPrincipal(ctx, p)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
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
