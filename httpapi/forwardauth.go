package httpapi

import (
	"net/http"
	"strings"
)

// The identity headers of a 200 from /authorization, which the proxy
// copies onto the request it passes upstream (docs/FORWARD-AUTH.md):
// Authelia's names, which upstream apps that sit behind forward auth
// already read, and X-Auth-User.
const (
	headerUserID      = "X-Auth-User"   // the user's id
	headerUser        = "Remote-User"   // the username
	headerEmail       = "Remote-Email"  // the email address
	headerName        = "Remote-Name"   // the full name
	headerGroups      = "Remote-Groups" // the roles, comma-separated
	headerApplication = "X-Auth-Application"
)

// allow answers 200 with the caller's identity. Every header is set, empty
// when the caller has no such value, so that a proxy that copies them
// (Traefik's authResponseHeaders, Caddy's copy_headers) replaces whatever
// a client sent under those names rather than passing it on; nginx sends
// none of the empty ones (proxy_set_header drops empty values).
//
// An application's session has no user: the user headers are empty and
// X-Auth-Application names the application; Remote-Groups are its roles.
// An upstream that reads only Remote-User sees no one signed in.
func allow(w http.ResponseWriter, p *Caller) {
	h := w.Header()
	h.Set(headerUserID, headerValue(p.UserID))
	h.Set(headerUser, headerValue(p.Username))
	h.Set(headerEmail, headerValue(p.Email))
	h.Set(headerName, headerValue(p.Name))
	h.Set(headerGroups, headerValue(strings.Join(p.Roles, ",")))
	h.Set(headerApplication, headerValue(p.Application))
	w.WriteHeader(http.StatusOK)
}

// headerValue drops control characters, which a header value cannot hold
// (names and usernames are the account's, checked when set, but a header
// is no place to find out). Other characters, UTF-8 included, pass as
// they are, as Authelia sends them.
func headerValue(s string) string {
	if strings.IndexFunc(s, isControl) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return -1
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
