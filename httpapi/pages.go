package httpapi

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"html/template"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// A page is HTML that usergraph serves itself (GraphiQL; the hosted
// reset and verification pages, recoverypages.go). Every page is rendered
// from an html/template and served with the same headers: a
// Content-Security-Policy that allows nothing from another origin, no
// framing, no sniffing, no referrer. Scripts are embedded assets
// (assets.go), never inline: they get no 'unsafe-inline' and no nonce.
// Styles get a nonce per response: for the <style> elements that
// libraries add at run time (GraphiQL's menus do, through get-nonce), and
// for the hosted pages' own <style> block, so they need no
// 'unsafe-inline' either.

// csp is a Content-Security-Policy: each directive with its sources.
type csp map[string][]string

// basePolicy is every page's policy unless the page widens it (with):
// its own origin for scripts, styles, images and requests; no plugins,
// frames or <base>; forms post only to this origin; nobody frames it.
var basePolicy = csp{
	"default-src":     {"'none'"},
	"script-src":      {"'self'"},
	"style-src":       {"'self'"},
	"img-src":         {"'self'"},
	"font-src":        {"'self'"},
	"connect-src":     {"'self'"},
	"base-uri":        {"'none'"},
	"form-action":     {"'self'"},
	"frame-ancestors": {"'none'"},
}

// with returns a copy of p with sources added to directive.
func (p csp) with(directive string, sources ...string) csp {
	out := maps.Clone(p)
	out[directive] = append(slices.Clone(p[directive]), sources...)
	return out
}

// String is the header's value, directives in a stable order.
func (p csp) String() string {
	var parts []string
	for _, d := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, d+" "+strings.Join(p[d], " "))
	}
	return strings.Join(parts, "; ")
}

// pageData is what GraphiQL's template sees: the response's style nonce,
// and the page's own data. (The hosted pages' templates see a pageView,
// recoverypages.go, with the nonce among its fields.)
type pageData struct {
	Nonce string
	Page  any
}

// page is one kind of HTML page: its template, its policy, and how long a
// browser may keep it.
type page struct {
	tmpl   *template.Template
	policy csp
	cache  string // Cache-Control
}

// serve renders the page with data(nonce), where nonce is a fresh style
// nonce the policy allows, and writes it with status and the page
// headers. It renders into a buffer first, so a template error is a fault
// answered 500, never half a page.
func (p page) serve(w http.ResponseWriter, r *http.Request, status int, data func(nonce string) any) {
	b := make([]byte, 16)
	rand.Read(b)
	nonce := base64.StdEncoding.EncodeToString(b)
	var buf bytes.Buffer
	if err := p.tmpl.Execute(&buf, data(nonce)); err != nil {
		panic(err) // withRecover answers 500 with the request id and logs it
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", p.policy.with("style-src", "'nonce-"+nonce+"'").String())
	h.Set("X-Frame-Options", "DENY") // frame-ancestors, for browsers that predate it
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cache-Control", p.cache)
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

// checkPage renders tmpl once with data, so that a broken template stops
// the server at start rather than failing a request.
func checkPage(tmpl *template.Template, data any) error {
	return tmpl.Execute(io.Discard, pageData{Nonce: "start", Page: data})
}
