package httpapi

import (
	"crypto/subtle"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/usergraph/usergraph/apperr"
)

// GET /oauth/callback: where a provider sends the browser back when the
// sign-in began without a redirectUri (package social, Callback). It
// completes the sign-in, sets the session's cookies and sends the browser
// on to the return URL (USERGRAPH_OAUTH_RETURN_URL); on a failure it sends
// it there with ?error=<code> instead. Tokens never go into a URL: with
// cookies switched off, the callback can only answer with an error (and
// oauthStart asks for a redirectUri instead).
//
// Login CSRF: the flow is completed only for the browser that began it,
// which got the state in the oauthStateCookie cookie from oauthStart
// (SameSite=Lax, so it comes along on the provider's top-level redirect).

// oauthStateCookie binds a flow that ends at /oauth/callback to its browser.
const oauthStateCookie = "usergraph_oauth"

// oauthCallbackPath is the route, and the state cookie's path.
const oauthCallbackPath = "/oauth/callback"

type oauthCallback struct {
	oauth     OAuthCallback
	cfg       Config
	returnURL string
	log       *slog.Logger
}

func (h oauthCallback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The URL holds a code: no cache keeps the page, no Referer carries it on.
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if h.cfg.CookieName == "" {
		h.fail(w, r, nil, apperr.New(apperr.OAuthFailed, "the server sets no cookies: sign in with a redirectUri instead"))
		return
	}
	jar := &cookieJar{name: h.cfg.CookieName, device: h.cfg.DeviceCookieName, secure: h.cfg.CookieSecure,
		sameSite: h.cfg.CookieSameSite, pending: map[string]*http.Cookie{}}
	jar.clearOAuthState() // a state works once, in the browser too
	state := r.URL.Query().Get("state")
	bound := false
	if c, err := r.Cookie(oauthStateCookie); err == nil && state != "" {
		bound = subtle.ConstantTimeCompare([]byte(c.Value), []byte(state)) == 1
	}
	s, err := h.oauth.Complete(r.Context(), r.URL.Query(), bound)
	if err != nil {
		h.fail(w, r, jar, err)
		return
	}
	jar.SetAccessToken(s.AccessToken, s.Expires)
	if s.DeviceCookie != "" {
		jar.SetDeviceCookie(s.DeviceCookie, s.DeviceCookieExpires)
	}
	jar.send(w.Header())
	http.Redirect(w, r, h.returnURL, http.StatusSeeOther)
}

// fail sends the browser to the return URL with the error's code; a fault
// is logged and shown as INTERNAL, as everywhere.
func (h oauthCallback) fail(w http.ResponseWriter, r *http.Request, jar *cookieJar, err error) {
	if apperr.IsFault(err) {
		logFault(r.Context(), h.log, "completing a sign-in at /oauth/callback failed", err)
	}
	if jar != nil {
		jar.send(w.Header())
	}
	to, perr := url.Parse(h.returnURL)
	if perr != nil { // checked at start; kept safe all the same
		to = &url.URL{Path: "/"}
	}
	q := to.Query()
	q.Set("error", string(apperr.CodeOf(err)))
	to.RawQuery = q.Encode()
	http.Redirect(w, r, to.String(), http.StatusSeeOther)
}

// SetOAuthState sets the state cookie of a flow that ends at
// /oauth/callback: sent to that path only, for as long as the state
// lives, SameSite=Lax whatever the session cookie's setting, because it
// must come along on the provider's cross-site redirect back.
func (c *cookieJar) SetOAuthState(state string, expires time.Time) {
	c.set(&http.Cookie{Name: oauthStateCookie, Value: state, Path: oauthCallbackPath, Expires: expires,
		MaxAge: int(time.Until(expires).Seconds()), HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}

func (c *cookieJar) clearOAuthState() {
	c.set(&http.Cookie{Name: oauthStateCookie, Value: "", Path: oauthCallbackPath, MaxAge: -1,
		HttpOnly: true, Secure: c.secure, SameSite: http.SameSiteLaxMode})
}
