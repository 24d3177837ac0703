package e2e

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// The log as an operator reads it: an access line per request, the
// security-relevant outcomes, the request id in every line of a request,
// and never a credential. The server's log is captured (ts.logs).

// logLine is one parsed line of the text log.
type logLine struct {
	raw   string
	attrs map[string]string
}

func (l logLine) msg() string { return l.attrs["msg"] }

var logAttr = regexp.MustCompile(`([A-Za-z_.]+)=("(?:[^"\\]|\\.)*"|\S*)`)

// lines parses the server's log so far.
func (ts *testServer) lines() []logLine {
	var out []logLine
	for _, raw := range strings.Split(strings.TrimSpace(ts.logs.String()), "\n") {
		l := logLine{raw: raw, attrs: map[string]string{}}
		for _, m := range logAttr.FindAllStringSubmatch(raw, -1) {
			v := m[2]
			if u, err := strconv.Unquote(v); err == nil {
				v = u
			}
			l.attrs[m[1]] = v
		}
		out = append(out, l)
	}
	return out
}

// requestLines returns the lines logged with request id id, once its
// access line ("request", written after the answer) is there.
func (ts *testServer) requestLines(t *testing.T, id string) []logLine {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var out []logLine
		done := false
		for _, l := range ts.lines() {
			if l.attrs["request_id"] == id {
				out = append(out, l)
				done = done || l.msg() == "request"
			}
		}
		if done {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("no access line for request %s after 5 s:\n%s", id, ts.logs)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// withMsg returns the lines with message msg.
func withMsg(lines []logLine, msg string) []logLine {
	var out []logLine
	for _, l := range lines {
		if l.msg() == msg {
			out = append(out, l)
		}
	}
	return out
}

// oneLine returns the only line with message msg, failing otherwise.
func oneLine(t *testing.T, lines []logLine, msg string) logLine {
	t.Helper()
	found := withMsg(lines, msg)
	if len(found) != 1 {
		var raws []string
		for _, l := range lines {
			raws = append(raws, l.raw)
		}
		t.Fatalf("%d lines %q, want 1, among:\n%s", len(found), msg, strings.Join(raws, "\n"))
	}
	return found[0]
}

// wantAttrs fails unless l has each of want's attributes with its value.
func wantAttrs(t *testing.T, l logLine, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got, ok := l.attrs[k]; !ok || got != v {
			t.Errorf("%s=%q, want %q in:\n%s", k, got, v, l.raw)
		}
	}
}

var hexID = regexp.MustCompile(`^[0-9a-f]{16}$`)

func TestRequestIDFromTheProxy(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	cases := []struct {
		name, sent string
		kept       bool
	}{
		{"a proxy's id is kept", "proxy-7f3a9c2e-42", true},
		{"an AWS trace id is kept", "Root=1-67891233-abcdef012345678912345678", true},
		{"none: a fresh one", "", false},
		{"a space: replaced", "two words", false},
		{"a quote: replaced", `x"y`, false},
		{"longer than 128: replaced", strings.Repeat("a", 129), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, ts.url+"/healthz", nil)
			if c.sent != "" {
				req.Header.Set("X-Request-Id", c.sent)
			}
			res, _ := roundTrip(t, req)
			got := res.Header.Get("X-Request-Id")
			switch {
			case c.kept && got != c.sent:
				t.Errorf("X-Request-Id = %q, want the one sent, %q", got, c.sent)
			case !c.kept && !hexID.MatchString(got):
				t.Errorf("X-Request-Id = %q, want a fresh id of 16 hex digits", got)
			}
			if l := oneLine(t, ts.requestLines(t, got), "request"); l.attrs["level"] != "DEBUG" {
				t.Errorf("a probe's access line is at %s, want DEBUG", l.attrs["level"])
			}
		})
	}
}

// Each line a request causes carries its id, the services' included, and
// a sign-in's failure says why, though the client is told less.
func TestEveryLineOfARequestCarriesItsID(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LoginPerAccount = rule("2/1m") }))
	ts.signup(t, "logged", testPassword)
	const wrong = "not-the-Passw0rd-at-all"
	attempt := func(id, identifier string) []logLine {
		t.Helper()
		before := len(ts.lines())
		r := ts.post(t, `mutation LogMeIn($id: String!, $pw: String!) { login(input: {identifier: $id, password: $pw}) { accessToken } }`,
			vars{"id": identifier, "pw": wrong}, "X-Request-Id", id)
		if r.Header.Get("X-Request-Id") != id {
			t.Fatalf("X-Request-Id = %q, want %q", r.Header.Get("X-Request-Id"), id)
		}
		lines := ts.requestLines(t, id)
		for _, l := range ts.lines()[before:] {
			if l.attrs["request_id"] != id {
				t.Errorf("a line logged during request %s lacks its id:\n%s", id, l.raw)
			}
		}
		return lines
	}

	unknown := attempt("attempt-unknown", "nobody-here")
	wantAttrs(t, oneLine(t, unknown, "login.failed"), map[string]string{"outcome": "invalid_credentials", "reason": "unknown_identifier", "client_ip": "127.0.0.1"})
	first := attempt("attempt-1", "logged")
	failed := oneLine(t, first, "login.failed")
	wantAttrs(t, failed, map[string]string{"outcome": "invalid_credentials", "reason": "wrong_password", "level": "INFO"})
	if failed.attrs["user_id"] == "" {
		t.Errorf("a wrong password's line names no account:\n%s", failed.raw)
	}
	wantAttrs(t, oneLine(t, first, "request"), map[string]string{"method": "POST", "route": "/graphql", "status": "200",
		"operation": "LogMeIn", "root_field": "login", "code": "INVALID_CREDENTIALS", "client_ip": "127.0.0.1", "level": "INFO"})

	second := attempt("attempt-2", "logged")
	if l := oneLine(t, second, "account.locked: sign-in locked for clients without a device cookie"); l.attrs["level"] != "WARN" {
		t.Errorf("the lockout is logged at %s, want WARN", l.attrs["level"])
	}
	third := attempt("attempt-3", "logged")
	wantAttrs(t, oneLine(t, third, "login.failed"), map[string]string{"outcome": "locked"})
	wantAttrs(t, oneLine(t, third, "refused"), map[string]string{"code": "RATE_LIMITED", "rule": "lockout", "path": "login"})

	if strings.Contains(ts.logs.String(), wrong) {
		t.Errorf("the log holds the password sent")
	}
}

// The access line of requests that fail before a resolver runs, refusals
// with their reasons, and no credential anywhere.
func TestAccessLogAndRefusals(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LookupPerIP = rule("1/1h") }))
	root := ts.admin(t).AccessToken
	plain := ts.signup(t, "plainlogger", testPassword)
	send := func(req *http.Request, id string) []logLine {
		t.Helper()
		req.Header.Set("X-Request-Id", id)
		roundTrip(t, req)
		return ts.requestLines(t, id)
	}
	gql := func(id, token, query string) []logLine {
		t.Helper()
		ts.post(t, query, nil, "X-Request-Id", id, "Authorization", map[bool]string{true: "Bearer " + token}[token != ""])
		return ts.requestLines(t, id)
	}

	t.Run("a parse error", func(t *testing.T) {
		wantAttrs(t, oneLine(t, gql("parse-error", "", `{ me `), "request"), map[string]string{
			"status": "200", "operation": "anonymous", "root_field": "anonymous", "code": "GRAPHQL_PARSE_FAILED"})
	})
	t.Run("a request that is no GraphQL request", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", strings.NewReader(`not json`))
		req.Header.Set("Content-Type", "application/json")
		wantAttrs(t, oneLine(t, send(req, "malformed"), "request"), map[string]string{"status": "400", "route": "/graphql"})
	})
	t.Run("no token", func(t *testing.T) {
		lines := gql("no-token", "", `{ me { id } }`)
		wantAttrs(t, oneLine(t, lines, "refused"), map[string]string{"code": "UNAUTHENTICATED", "status": "606", "path": "me"})
		wantAttrs(t, oneLine(t, lines, "request"), map[string]string{"code": "UNAUTHENTICATED", "root_field": "me"})
	})
	t.Run("an invalid token", func(t *testing.T) {
		wantAttrs(t, oneLine(t, gql("bad-token", "SECRET-not-a-token", `{ me { id } }`), "refused"),
			map[string]string{"code": "UNAUTHENTICATED", "status": "607"})
	})
	t.Run("forbidden", func(t *testing.T) {
		wantAttrs(t, oneLine(t, gql("forbidden", plain.AccessToken, `{ roles { name } }`), "refused"),
			map[string]string{"code": "FORBIDDEN", "status": "609", "path": "roles"})
	})
	t.Run("rate limited", func(t *testing.T) {
		gql("lookup-1", "", `{ usernameExists(username: "someone") }`)
		wantAttrs(t, oneLine(t, gql("lookup-2", "", `{ usernameExists(username: "someone") }`), "refused"),
			map[string]string{"code": "RATE_LIMITED", "rule": "lookup_ip", "path": "usernameExists"})
	})
	t.Run("not active", func(t *testing.T) {
		id := ts.meID(t, ts.signup(t, "suspended", testPassword).AccessToken)
		ts.mustGQL(t, root, `mutation($id: ID!) { setUserStatus(id: $id, status: SUSPENDED) { id } }`, vars{"id": id})
		lines := gql("not-active", "", `mutation { login(input: {identifier: "suspended", password: "`+testPassword+`"}) { accessToken } }`)
		wantAttrs(t, oneLine(t, lines, "login.failed"), map[string]string{"outcome": "not_active", "user_id": id})
	})
	t.Run("a success", func(t *testing.T) {
		lines := gql("success", "", `mutation { login(input: {identifier: "plainlogger", password: "`+testPassword+`"}) { accessToken } }`)
		wantAttrs(t, oneLine(t, lines, "login.succeeded"), map[string]string{"outcome": "success", "level": "INFO"})
	})
	t.Run("authorization refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, ts.url+"/authorization", nil)
		req.Header.Set("Authorization", "Bearer SECRET-bearer-token")
		lines := send(req, "authz-401")
		wantAttrs(t, oneLine(t, lines, "authorization refused"), map[string]string{"http_status": "401", "code": "UNAUTHENTICATED", "status": "607"})
		wantAttrs(t, oneLine(t, lines, "request"), map[string]string{"route": "GET /authorization", "status": "401"})

		req, _ = http.NewRequest(http.MethodGet, ts.url+"/authorization", nil)
		req.Header.Set("Cookie", ts.cfg.HTTP.CookieName+"="+plain.AccessToken)
		req.Header.Set("X-Forwarded-Uri", "/admin/panel?session=SECRET-in-the-query")
		lines = send(req, "authz-403")
		wantAttrs(t, oneLine(t, lines, "authorization refused"), map[string]string{"http_status": "403", "code": "FORBIDDEN",
			"verb": "GET", "resource": "/admin/panel"})
	})
	t.Run("tokens in the query string", func(t *testing.T) {
		for _, path := range []string{"/reset-password?token=SECRET-reset-token", "/verify-email?token=SECRET-verify-token"} {
			req, _ := http.NewRequest(http.MethodGet, ts.url+path, nil)
			send(req, "page-"+path[1:6])
		}
	})

	logs := ts.logs.String()
	for _, secret := range []string{"SECRET", plain.AccessToken, plain.RefreshToken, testPassword} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// An application's sign-ins as an operator reads them: which application,
// why one failed (the client hears INVALID_CREDENTIALS either way), the
// limit that refused one; never the client id typed or the secret.
func TestApplicationSignInsLogged(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LoginPerIP = rule("3/1h") }))
	c := createApp(t, ts, ts.admin(t).AccessToken, "logged-app")
	attempt := func(id, clientID, secret string) []logLine {
		t.Helper()
		ts.post(t, appSessionMutation, vars{"id": clientID, "secret": secret}, "X-Request-Id", id)
		return ts.requestLines(t, id)
	}

	wantAttrs(t, oneLine(t, attempt("app-ok", c.Application.ClientID, c.ClientSecret), "application_session.succeeded"),
		map[string]string{"application": c.Application.ID, "client_ip": "127.0.0.1", "level": "INFO"})
	wantAttrs(t, oneLine(t, attempt("app-wrong", c.Application.ClientID, "SECRET-wrong"), "application_session.failed"),
		map[string]string{"reason": "wrong_secret", "application": c.Application.ID, "level": "INFO"})
	unknown := oneLine(t, attempt("app-unknown", "SECRET-unknown-client", c.ClientSecret), "application_session.failed")
	wantAttrs(t, unknown, map[string]string{"reason": "unknown_client"})
	if got, ok := unknown.attrs["application"]; ok {
		t.Errorf("an unknown client id's line names application %q", got)
	}
	limited := attempt("app-limited", c.Application.ClientID, c.ClientSecret)
	wantAttrs(t, oneLine(t, limited, "application_session.failed"), map[string]string{"reason": "application_ip"})
	wantAttrs(t, oneLine(t, limited, "refused"), map[string]string{"code": "RATE_LIMITED", "rule": "application_ip", "path": "applicationSession"})

	logs := ts.logs.String()
	for _, secret := range []string{"SECRET", c.ClientSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
	_, body := getPath(t, ts, "/metrics")
	if got := sampleIn(t, body, `usergraph_rate_limited_total{rule="application_ip"}`); got != 1 {
		t.Errorf(`usergraph_rate_limited_total{rule="application_ip"} = %v, want 1`, got)
	}
}

// A social sign-in over its limit is logged and counted under its own
// rule, like the other limits.
func TestSocialLimitNamed(t *testing.T) {
	t.Parallel()
	e := startSocial(t, withConfig(func(c *app.Config) { c.Limits.OAuthPerIP = rule("1/1h") }))
	e.start(t, "", "acme", "SIGN_UP")
	e.ts.post(t, oauthStartMutation, vars{"p": "acme", "a": "SIGN_UP", "r": appRedirect}, "X-Request-Id", "social-limited")
	wantAttrs(t, oneLine(t, e.ts.requestLines(t, "social-limited"), "refused"),
		map[string]string{"code": "RATE_LIMITED", "rule": "oauth_ip", "path": "oauthStart"})
	_, body := getPath(t, e.ts, "/metrics")
	if got := sampleIn(t, body, `usergraph_rate_limited_total{rule="oauth_ip"}`); got != 1 {
		t.Errorf(`usergraph_rate_limited_total{rule="oauth_ip"} = %v, want 1`, got)
	}
}
