package e2e

import (
	"database/sql"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the driver, to break the server's database from beside it

	"github.com/usergraph/usergraph/app"
)

// End-to-end tests of faults: a store that cannot answer is answered as
// the server's fault (503 from /authorization, INTERNAL with a request id
// in GraphQL), never as a signed-out caller or a smaller answer, and each
// fault reaches the log once, with its cause and the request id.

// breakTable makes the server's database fail underneath it: a
// connection of its own renames table, so every later statement of the
// server on it fails with "no such table", at once and every time. The
// alternatives are not deterministic: a lock only makes reads wait out the
// busy timeout, and a deleted or chmod-ed file stays open below the
// server's connections.
func breakTable(t *testing.T, ts *testServer, table string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+strings.TrimPrefix(ts.cfg.Store.URL, "sqlite:")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("ALTER TABLE " + table + " RENAME TO " + table + "_gone"); err != nil {
		t.Fatalf("break table %s: %v", table, err)
	}
}

// errorLinesOf returns the error lines the server logged for a request.
func errorLinesOf(ts *testServer, requestID string) []string {
	var out []string
	for _, line := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") && strings.Contains(line, "request_id="+requestID) {
			out = append(out, line)
		}
	}
	return out
}

// wantLoggedOnce fails unless the request's fault was logged in
// exactly one line that names cause.
func wantLoggedOnce(t *testing.T, ts *testServer, requestID, cause string) {
	t.Helper()
	if requestID == "" {
		t.Fatal("no request id to look for")
	}
	lines := errorLinesOf(ts, requestID)
	if len(lines) != 1 {
		t.Fatalf("request %s: %d error lines in the log, want 1:\n%s", requestID, len(lines), strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[0], cause) {
		t.Errorf("the log line lacks the cause %q:\n%s", cause, lines[0])
	}
}

// wantInternal fails unless every error of r is INTERNAL, carries the
// response's request id and reveals nothing of the cause.
func wantInternal(t *testing.T, r *gqlResponse, minErrors int) string {
	t.Helper()
	id := r.Header.Get("X-Request-Id")
	if len(r.Errors) < minErrors {
		t.Fatalf("%d errors, want at least %d: data %s", len(r.Errors), minErrors, r.Data)
	}
	for _, e := range r.Errors {
		if code, _ := e.Extensions["code"].(string); code != "INTERNAL" {
			t.Errorf("error code = %q, want INTERNAL: %+v", code, e)
		}
		if got, _ := e.Extensions["requestId"].(string); got != id {
			t.Errorf("extensions.requestId = %q, want the X-Request-Id %q", got, id)
		}
		if !strings.Contains(e.Message, id) {
			t.Errorf("message %q does not quote the request id %s", e.Message, id)
		}
		for _, leak := range []string{"sqlite", "no such table", "sessions", "roles"} {
			if strings.Contains(e.Message, leak) {
				t.Errorf("message %q reveals the cause (%q)", e.Message, leak)
			}
		}
	}
	return id
}

// wantUnavailable fails unless res is a 503 the proxy can act on.
func wantUnavailable(t *testing.T, res authorizationAnswer, method string) {
	t.Helper()
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("%s /authorization: status %d, want 503 (body %s)", method, res.status, res.body)
	}
	if n, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || n <= 0 {
		t.Errorf("Retry-After = %q, want a number of seconds", res.header.Get("Retry-After"))
	}
	if res.header.Get("X-Auth-User") != "" {
		t.Errorf("X-Auth-User set on a 503: %q", res.header.Get("X-Auth-User"))
	}
	if method == http.MethodHead {
		return
	}
	if code, _ := errorCode(t, res.body); code != "INTERNAL" {
		t.Errorf("code = %q, want INTERNAL", code)
	}
}

// A store that cannot read sessions: /authorization must not answer 401
// (the proxy would send a signed-in user to the login page), and GraphQL
// answers INTERNAL, logged once however many fields needed the caller.
func TestFaultSessionStoreDown(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "breaks the SQLite file")
	ts := startServer(t)
	a := ts.signup(t, "faultsess", testPassword)
	bearer := map[string]string{"Authorization": "Bearer " + a.AccessToken}
	breakTable(t, ts, "sessions") // a.AccessToken was never checked, so no cache answers for it

	for _, method := range []string{http.MethodGet, http.MethodHead} {
		t.Run("/authorization "+method, func(t *testing.T) {
			res := askAuthorization(t, ts, method, "", bearer)
			wantUnavailable(t, res, method)
			wantLoggedOnce(t, ts, res.header.Get("X-Request-Id"), "no such table: sessions")
		})
	}
	t.Run("/authorization without a token is still 401", func(t *testing.T) {
		if res := askAuthorization(t, ts, http.MethodGet, "", nil); res.status != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", res.status)
		}
	})
	t.Run("GraphQL fields that need the caller", func(t *testing.T) {
		r := ts.gql(t, a.AccessToken, `{ me { id } again: me { id } }`, nil)
		id := wantInternal(t, r, 2)
		wantLoggedOnce(t, ts, id, "no such table: sessions")
	})
}

// A store that cannot read roles: the permission check of /authorization
// answers 503; a GraphQL field whose own store call fails answers INTERNAL
// and is logged once; a view that depends on a permission check fails
// rather than silently showing less.
func TestFaultRoleStoreDown(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "breaks the SQLite file")
	// Sessions checked once stay trusted for the whole test, so that only
	// the roles are read from the store below.
	ts := startServer(t, withConfig(func(c *app.Config) { c.Sessions.CacheTTL = time.Hour }))
	root := ts.admin(t).AccessToken
	u := ts.signup(t, "faultroles", testPassword)
	other := ts.signup(t, "faultother", testPassword)
	if res := askAuthorization(t, ts, http.MethodGet, "", map[string]string{"Authorization": "Bearer " + u.AccessToken}); res.status != http.StatusOK {
		t.Fatalf("/authorization before the failure: status %d, want 200", res.status)
	}
	createRole(t, ts, root, "faultrole") // a change of roles: the permission catalogue is read again on next use
	breakTable(t, ts, "roles")

	t.Run("/authorization permission check", func(t *testing.T) {
		res := askAuthorization(t, ts, http.MethodGet, "?resource=/api/things&verb=GET",
			map[string]string{"Authorization": "Bearer " + u.AccessToken})
		wantUnavailable(t, res, http.MethodGet)
		wantLoggedOnce(t, ts, res.header.Get("X-Request-Id"), "no such table: roles")
	})
	t.Run("a field whose store call fails", func(t *testing.T) {
		r := ts.gql(t, root, `{ roles { name } }`, nil)
		id := wantInternal(t, r, 1)
		wantLoggedOnce(t, ts, id, "no such table: roles")
	})
	t.Run("a view that needs a permission check", func(t *testing.T) {
		// Whether the viewer may see other.email depends on the
		// catalogue; without it the answer is a fault, not the public view.
		r := ts.gql(t, u.AccessToken, `query($id: ID!) { user(id: $id) { id email } }`, vars{"id": other.User.ID})
		id := wantInternal(t, r, 1)
		wantLoggedOnce(t, ts, id, "no such table: roles")
	})
}
