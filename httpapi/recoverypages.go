package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"path"
	"strconv"

	"github.com/usergraph/usergraph/apperr"
)

// The hosted pages, where the links of reset and verification mails lead
// unless the app has its own (USERGRAPH_RESET_PAGE_URL,
// USERGRAPH_VERIFY_PAGE_URL; docs/RECOVERY.md):
//
//   - GET  /reset-password?token=…  checks the token without using it and
//     shows the form (a new password, twice), or says why the link is dead;
//   - POST /reset-password          applies the form (token, password,
//     confirm) and shows the outcome;
//   - GET  /verify-email?token=…    checks the token and shows a confirm
//     button: a GET never uses a token up, so a mail scanner that fetches
//     the link confirms nothing;
//   - POST /verify-email            confirms (token) and shows the outcome.
//
// The pages are plain HTML forms: no script, a style block under the
// page's nonce, the strictest policy of all the pages. After the GET the
// token travels in a hidden field, not in the URL. The forms post to this
// origin, so the cross-origin check lets them through (a browser says
// Sec-Fetch-Site: same-origin) and refuses another site's post.
//
// A form that comes back with a password refused (too weak, or the two
// fields differ) is shown again with the reason and the token, so the
// user tries again on the same page; the passwords typed are never put
// back into the HTML, where the page's source, a cache or a saved copy
// would hold them (the browser's password manager can fill them again).

// pageView is what a hosted page's template sees; docs/RECOVERY.md lists
// it for those who write their own templates.
type pageView struct {
	Nonce   string // the style nonce: <style nonce="{{.Nonce}}">
	AppName string // USERGRAPH_APP_NAME
	Action  string // where the form posts, relative to the page (it may be mounted under a path)
	Form    bool   // show the form: the link is good
	Token   string // the form's hidden token field, when Form
	Done    bool   // the password was reset, or the address confirmed
	Problem *pageProblem
}

// pageProblem is why a page shows no success: an API code from
// docs/RECOVERY.md's list, or the page's own MISMATCH.
type pageProblem struct {
	Code       string // RESET_TOKEN_EXPIRED, RESET_TOKEN_INVALID, RESET_UNSUPPORTED, WEAK_PASSWORD, MISMATCH, ALREADY_EXISTS, RATE_LIMITED, BAD_USER_INPUT, INTERNAL
	Message    string // the service's message for people (WEAK_PASSWORD: the policy's reason)
	RetryAfter int    // RATE_LIMITED: seconds to wait
	RequestID  string // INTERNAL: the request id to quote
}

// codeMismatch is the page's own code, not the API's: the two password
// fields differ.
const codeMismatch apperr.Code = "MISMATCH"

// hostedPolicy allows the pages nothing but their own style block (the
// nonce added per response) and posting their forms to this origin.
var hostedPolicy = csp{
	"default-src":     {"'none'"},
	"base-uri":        {"'none'"},
	"form-action":     {"'self'"},
	"frame-ancestors": {"'none'"},
}

// recoveryPages serves the hosted pages.
type recoveryPages struct {
	svc                   Recovery
	resetPath, verifyPath string
	reset, verify         page
	appName               string
	log                   *slog.Logger
}

// newRecoveryPages loads the pages' templates (cfg.TemplatesDir may
// replace them): an override that is broken stops the server at start.
func newRecoveryPages(svc Recovery, cfg Config, log *slog.Logger) (*recoveryPages, error) {
	src, err := newPageSources(cfg.TemplatesDir)
	if err != nil {
		return nil, err
	}
	p := &recoveryPages{svc: svc, appName: cfg.AppName, log: log}
	p.resetPath, p.verifyPath = svc.Paths()
	for _, pg := range []struct {
		into       *page
		file, path string
	}{{&p.reset, resetPageFile, p.resetPath}, {&p.verify, verifyPageFile, p.verifyPath}} {
		tmpl, err := loadPageTemplate(src, pg.file, sampleViews(cfg.AppName, path.Base(pg.path)))
		if err != nil {
			return nil, err
		}
		*pg.into = page{tmpl: tmpl, policy: hostedPolicy, cache: "no-store"}
	}
	return p, nil
}

// sampleViews are a page's every state, rendered once at start.
func sampleViews(appName, action string) []pageView {
	views := []pageView{
		{Form: true, Token: "sample"},
		{Done: true},
	}
	for _, code := range []apperr.Code{apperr.ResetTokenExpired, apperr.ResetTokenInvalid, apperr.ResetUnsupported,
		apperr.WeakPassword, codeMismatch, apperr.AlreadyExists, apperr.RateLimited, apperr.BadUserInput, apperr.Internal} {
		views = append(views, pageView{Form: true, Token: "sample",
			Problem: &pageProblem{Code: string(code), Message: "sample message", RetryAfter: 60, RequestID: "0123456789abcdef"}})
	}
	for i := range views {
		views[i].Nonce, views[i].AppName, views[i].Action = "sample", appName, action
	}
	return views
}

// mount adds the pages' routes to mux, each counted in the metrics.
func (p *recoveryPages) mount(mux *http.ServeMux, m *metrics) {
	mux.Handle("GET "+p.resetPath, m.route("reset_password_page", http.HandlerFunc(p.resetForm)))
	mux.Handle("POST "+p.resetPath, m.route("reset_password_page", http.HandlerFunc(p.applyReset)))
	mux.Handle("GET "+p.verifyPath, m.route("verify_email_page", http.HandlerFunc(p.verifyForm)))
	mux.Handle("POST "+p.verifyPath, m.route("verify_email_page", http.HandlerFunc(p.applyVerify)))
}

// resetForm shows the form if the link's token is good, without using it.
func (p *recoveryPages) resetForm(w http.ResponseWriter, r *http.Request) {
	p.form(w, r, p.reset, p.resetPath, p.svc.CheckResetToken)
}

// form answers a GET of a mailed link: the page's form if check finds the
// link's token good, its problem otherwise. It never uses the token up.
func (p *recoveryPages) form(w http.ResponseWriter, r *http.Request, pg page, path string,
	check func(context.Context, string) error) {
	token := r.URL.Query().Get("token")
	v := p.view(path)
	if err := check(r.Context(), token); err != nil {
		p.fail(w, r, pg, v, err)
		return
	}
	v.Form, v.Token = true, token
	p.show(w, r, pg, http.StatusOK, v)
}

// applyReset sets the new password. Two fields that differ are refused
// before the service is asked to reset (mismatch).
func (p *recoveryPages) applyReset(w http.ResponseWriter, r *http.Request) {
	v := p.view(p.resetPath)
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, p.reset, v, apperr.New(apperr.BadUserInput, "the form could not be read"))
		return
	}
	token, password := r.PostForm.Get("token"), r.PostForm.Get("password")
	if password != r.PostForm.Get("confirm") {
		p.mismatch(w, r, v, token)
		return
	}
	err := p.svc.ResetPassword(r.Context(), token, password)
	if err == nil {
		v.Done = true
		p.show(w, r, p.reset, http.StatusOK, v)
		return
	}
	if apperr.CodeOf(err) == apperr.WeakPassword { // the token is good: the service checks it first
		v.Form, v.Token = true, token
	}
	p.fail(w, r, p.reset, v, err)
}

// mismatch answers a reset form whose two fields differ: the form again
// if the token is still good; a link that died meanwhile says so first,
// rather than asking for another try that cannot work.
func (p *recoveryPages) mismatch(w http.ResponseWriter, r *http.Request, v pageView, token string) {
	if err := p.svc.CheckResetToken(r.Context(), token); err != nil {
		p.fail(w, r, p.reset, v, err)
		return
	}
	v.Form, v.Token = true, token
	v.Problem = &pageProblem{Code: string(codeMismatch), Message: "the two passwords differ"}
	p.show(w, r, p.reset, http.StatusUnprocessableEntity, v)
}

// verifyForm shows the confirm button if the link's token is good: a GET
// never confirms, so a scanner that fetches links uses nothing up.
func (p *recoveryPages) verifyForm(w http.ResponseWriter, r *http.Request) {
	p.form(w, r, p.verify, p.verifyPath, p.svc.CheckVerifyToken)
}

// applyVerify confirms the address.
func (p *recoveryPages) applyVerify(w http.ResponseWriter, r *http.Request) {
	v := p.view(p.verifyPath)
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, p.verify, v, apperr.New(apperr.BadUserInput, "the form could not be read"))
		return
	}
	if err := p.svc.VerifyEmail(r.Context(), r.PostForm.Get("token")); err != nil {
		p.fail(w, r, p.verify, v, err)
		return
	}
	v.Done = true
	p.show(w, r, p.verify, http.StatusOK, v)
}

// view is a page's view before its outcome: the form posts to the page's
// own path, named relative to it.
func (p *recoveryPages) view(pagePath string) pageView {
	return pageView{AppName: p.appName, Action: path.Base(pagePath)}
}

// fail shows pg with the problem err describes (a fault: logged, and
// only the request id shown) and the status that goes with it.
func (p *recoveryPages) fail(w http.ResponseWriter, r *http.Request, pg page, v pageView, err error) {
	if apperr.IsFault(err) {
		logFault(r.Context(), p.log, "hosted page", err)
		v.Form, v.Token = false, ""
		v.Problem = &pageProblem{Code: string(apperr.Internal), Message: "internal error", RequestID: RequestID(r.Context())}
		p.show(w, r, pg, http.StatusInternalServerError, v)
		return
	}
	e, _ := apperr.As(err)
	v.Problem = &pageProblem{Code: string(e.Code), Message: e.Message, RetryAfter: e.RetryAfter}
	if e.Code == apperr.RateLimited {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	p.show(w, r, pg, problemStatus(e.Code), v)
}

// problemStatus is the HTTP status of a page that shows a problem.
func problemStatus(code apperr.Code) int {
	switch code {
	case apperr.ResetTokenExpired:
		return http.StatusGone
	case apperr.ResetTokenInvalid, apperr.ResetUnsupported:
		return http.StatusNotFound
	case apperr.WeakPassword:
		return http.StatusUnprocessableEntity
	case apperr.AlreadyExists:
		return http.StatusConflict
	case apperr.RateLimited:
		return http.StatusTooManyRequests
	}
	return http.StatusBadRequest
}

// show serves pg with v and the response's nonce.
func (p *recoveryPages) show(w http.ResponseWriter, r *http.Request, pg page, status int, v pageView) {
	pg.serve(w, r, status, func(nonce string) any {
		v.Nonce = nonce
		return v
	})
}
