package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/usergraph/usergraph/apperr"
)

// authorization answers reverse proxies' sub-requests (nginx auth_request,
// Traefik forwardAuth, Caddy forward_auth): 200 when the caller is signed in
// and, if a resource is named, allowed; 401 when not signed in; 403 when
// the caller's roles grant no matching permission; 503 with Retry-After
// when the store cannot answer either question, so that an outage is not
// mistaken for a signed-out caller.
//
// The resource and verb come from ?resource=&verb=, or else from the
// X-Forwarded-Uri and X-Forwarded-Method headers the proxies send
// (nginx: X-Original-URI / X-Original-Method by convention).
type authorization struct {
	access AccessChecker
	log    *slog.Logger
}

// unavailableRetryAfter is the Retry-After of a 503, in seconds: long
// enough not to hammer a store that is down, short enough that a blip
// costs the user little.
const unavailableRetryAfter = 5

func (a authorization) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	p, failure := callerFrom(r.Context())
	if p == nil {
		if apperr.IsFault(failure) {
			a.unavailable(w, r, failure)
			return
		}
		status := apperr.StatusNoToken
		if e, ok := apperr.As(failure); ok {
			status = e.Status
		}
		a.refused(r, http.StatusUnauthorized, apperr.Unauthenticated, status, "", "")
		w.Header().Set("WWW-Authenticate", `Bearer realm="usergraph"`)
		writeStatus(w, r, http.StatusUnauthorized, apperr.New(apperr.Unauthenticated, "sign in first").WithStatus(status))
		return
	}
	resource, verb := forwarded(r)
	if resource == "" {
		allow(w, p)
		return
	}
	ok, err := a.access.Allowed(r.Context(), p.Roles, resource, verb)
	switch {
	case apperr.CodeOf(err) == apperr.BadUserInput: // a resource past access's bound
		e, _ := apperr.As(err)
		writeStatus(w, r, http.StatusBadRequest, e)
	case err != nil:
		a.unavailable(w, r, err)
	case !ok:
		a.refused(r, http.StatusForbidden, apperr.Forbidden, 609, verb, resource)
		writeStatus(w, r, http.StatusForbidden, apperr.New(apperr.Forbidden, "%s %s is not allowed", verb, resource))
	default:
		allow(w, p)
	}
}

// refused logs a 401 or 403 at info: the code and status, and for a 403
// the verb and the resource's path, without its query string (which may
// carry the upstream's tokens).
func (a authorization) refused(r *http.Request, httpStatus int, code apperr.Code, status int, verb, resource string) {
	attrs := []slog.Attr{slog.Int("http_status", httpStatus), slog.String("code", string(code)), slog.Int("status", status)}
	if resource != "" {
		path, _, _ := strings.Cut(resource, "?")
		path, _, _ = strings.Cut(path, "#")
		attrs = append(attrs, slog.String("verb", verb), slog.String("resource", path))
	}
	a.log.LogAttrs(r.Context(), slog.LevelInfo, "authorization refused", attrs...)
}

// unavailable answers 503: the session or permission check could not be
// made. The proxy should refuse this request and the client try again.
func (a authorization) unavailable(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Retry-After", strconv.Itoa(unavailableRetryAfter))
	writeFault(w, r, a.log, http.StatusServiceUnavailable, "authorization check failed", err)
}

// forwarded returns the resource and verb asked about.
func forwarded(r *http.Request) (resource, verb string) {
	q := r.URL.Query()
	resource, verb = q.Get("resource"), q.Get("verb")
	if resource == "" {
		resource = firstHeader(r, "X-Forwarded-Uri", "X-Original-Uri", "X-Original-URL")
	}
	if verb == "" {
		verb = firstHeader(r, "X-Forwarded-Method", "X-Original-Method")
	}
	if verb == "" {
		verb = "GET"
	}
	return resource, strings.ToUpper(verb)
}

func firstHeader(r *http.Request, names ...string) string {
	for _, n := range names {
		if v := r.Header.Get(n); v != "" {
			return v
		}
	}
	return ""
}

// writeStatus answers HEAD with the status only.
func writeStatus(w http.ResponseWriter, r *http.Request, status int, e *apperr.Error) {
	if r.Method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	writeError(w, status, e)
}
