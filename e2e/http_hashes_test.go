package e2e

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// End-to-end tests of the bounds on password hashing (issue 9): at most
// USERGRAPH_MAX_HASHES_PER_REQUEST fields that hash run in one request,
// refused whole before any work; a response sets each cookie once; and a
// sign-in that cannot start hashing within USERGRAPH_HASH_QUEUE_TIMEOUT is
// answered RATE_LIMITED at once.

// aliasedFields builds "mutation { f0: <field> f1: <field> … }" with %d in
// field replaced by the alias number.
func aliasedFields(n int, field string) string {
	var b strings.Builder
	b.WriteString("mutation {")
	for i := range n {
		fmt.Fprintf(&b, " f%d: %s", i, strings.ReplaceAll(field, "%d", strconv.Itoa(i)))
	}
	b.WriteString(" }")
	return b.String()
}

// wantHashLimitRefusal checks the whole-request refusal: one BAD_USER_INPUT
// error naming the count and the limit, no data, no cookie, and not one
// hash computed.
func wantHashLimitRefusal(t *testing.T, ts *testServer, r *gqlResponse, hashesBefore float64, wantHashes, wantMax int) {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("%d errors, want exactly one for the whole request: %+v", len(r.Errors), r.Errors)
	}
	wantCode(t, r, "BAD_USER_INPUT", 0)
	ext := r.Errors[0].Extensions
	if got, _ := ext["hashes"].(float64); int(got) != wantHashes {
		t.Errorf("extensions.hashes = %v, want %d", ext["hashes"], wantHashes)
	}
	if got, _ := ext["maxHashes"].(float64); int(got) != wantMax {
		t.Errorf("extensions.maxHashes = %v, want %d", ext["maxHashes"], wantMax)
	}
	if d := strings.TrimSpace(string(r.Data)); d != "" && d != "null" {
		t.Errorf("data = %s, want none: nothing may run", d)
	}
	if c := r.Header.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("a refused request set cookies: %q", c)
	}
	if got := metricValue(t, ts, "usergraph_password_hashes_total") - hashesBefore; got != 0 {
		t.Errorf("%v hashes computed for a refused request, want 0", got)
	}
}

func TestHashLimitPerRequest(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "holder", testPassword)

	t.Run("200 aliased signups are refused whole", func(t *testing.T) {
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		q := aliasedFields(200, `signup(input: {username: "flood%d", password: "correct horse battery"}) { user { id } auth { accessToken } }`)
		r := ts.gql(t, "", q, nil)
		wantHashLimitRefusal(t, ts, r, before, 200, 1)
		for _, u := range []string{"flood0", "flood1", "flood199"} {
			if usernameTaken(t, ts, u) {
				t.Errorf("account %s was created", u)
			}
		}
	})
	t.Run("two aliased logins are refused whole", func(t *testing.T) {
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		r := ts.gql(t, "", aliasedFields(2, `login(input: {identifier: "holder", password: "correct horse battery"}) { accessToken }`), nil)
		wantHashLimitRefusal(t, ts, r, before, 2, 1)
	})
	t.Run("different hashing fields add up", func(t *testing.T) {
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		r := ts.gql(t, "", `mutation {
			login(input: {identifier: "holder", password: "correct horse battery"}) { accessToken }
			signup(input: {username: "mixed", password: "correct horse battery"}) { user { id } }
		}`, nil)
		wantHashLimitRefusal(t, ts, r, before, 2, 1)
		if usernameTaken(t, ts, "mixed") {
			t.Error("account mixed was created")
		}
	})
	t.Run("fragments and inline fragments at the root are followed", func(t *testing.T) {
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		r := ts.gql(t, "", `mutation {
			...Outer
			... on Mutation { b: login(input: {identifier: "holder", password: "x"}) { accessToken } }
		}
		fragment Outer on Mutation { ...Inner }
		fragment Inner on Mutation { a: login(input: {identifier: "holder", password: "y"}) { accessToken } }`, nil)
		wantHashLimitRefusal(t, ts, r, before, 2, 1)
	})
	t.Run("a fragment spread twice runs once and passes", func(t *testing.T) {
		// Execution merges the same response key: one login runs, so one counts.
		r := ts.gql(t, "", `mutation { ...L ...L } fragment L on Mutation { login(input: {identifier: "holder", password: "correct horse battery"}) { accessToken } }`, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
	})
	t.Run("a skipped field does not count", func(t *testing.T) {
		r := ts.gql(t, "", `mutation($skip: Boolean!) {
			a: login(input: {identifier: "holder", password: "correct horse battery"}) { accessToken }
			b: login(input: {identifier: "holder", password: "correct horse battery"}) @skip(if: $skip) { accessToken }
		}`, vars{"skip": true})
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %+v", r.Errors)
		}
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		r = ts.gql(t, "", `mutation($skip: Boolean!) {
			a: login(input: {identifier: "holder", password: "correct horse battery"}) { accessToken }
			b: login(input: {identifier: "holder", password: "correct horse battery"}) @skip(if: $skip) { accessToken }
		}`, vars{"skip": false})
		wantHashLimitRefusal(t, ts, r, before, 2, 1)
	})
	t.Run("a JSON array (a batch) is not accepted", func(t *testing.T) {
		// The POST transport takes one operation per request; the limit
		// counts per operation, which is per request only while it does.
		one := func(u string) string {
			return `{"query":"mutation { signup(input: {username: \"` + u + `\", password: \"correct horse battery\"}) { user { id } } }"}`
		}
		r := postChecked(t, ts, "application/json", "["+one("batch1")+","+one("batch2")+"]")
		if r.Status != http.StatusBadRequest || r.code() != "BAD_USER_INPUT" {
			t.Errorf("batch: status %d, code %q; want 400 BAD_USER_INPUT", r.Status, r.code())
		}
		for _, u := range []string{"batch1", "batch2"} {
			if usernameTaken(t, ts, u) {
				t.Errorf("account %s was created by a batch", u)
			}
		}
	})
}

// createUser and updateUser hash only when given a password: the limit
// reads their arguments, literals and variables alike.
func TestHashLimitAdminPasswords(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	created := func(u string) bool { t.Helper(); return usernameTaken(t, ts, u) }

	t.Run("without passwords any number pass", func(t *testing.T) {
		r := ts.gql(t, root, aliasedFields(3, `createUser(input: {username: "nopw%d"}) { id }`), nil)
		if len(r.Errors) > 0 || !created("nopw0") || !created("nopw2") {
			t.Fatalf("createUser without passwords: errors %+v", r.Errors)
		}
	})
	t.Run("one password among them passes", func(t *testing.T) {
		r := ts.gql(t, root, `mutation {
			a: createUser(input: {username: "onepw", password: "correct horse battery"}) { id }
			b: createUser(input: {username: "onepwnot", password: null}) { id }
		}`, nil)
		if len(r.Errors) > 0 || !created("onepw") || !created("onepwnot") {
			t.Fatalf("errors %+v", r.Errors)
		}
		ts.login(t, "onepw", testPassword)
	})
	t.Run("two literal passwords are refused", func(t *testing.T) {
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		r := ts.gql(t, root, aliasedFields(2, `createUser(input: {username: "twopw%d", password: "correct horse battery"}) { id }`), nil)
		wantHashLimitRefusal(t, ts, r, before, 2, 1)
		if created("twopw0") || created("twopw1") {
			t.Error("a refused createUser created an account")
		}
	})
	t.Run("two passwords in variables are refused", func(t *testing.T) {
		q := `mutation($a: CreateUserInput!, $b: CreateUserInput!) { a: createUser(input: $a) { id } b: createUser(input: $b) { id } }`
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		r := ts.gql(t, root, q, vars{"a": vars{"username": "varpw1", "password": testPassword}, "b": vars{"username": "varpw2", "password": testPassword}})
		wantHashLimitRefusal(t, ts, r, before, 2, 1)
		r = ts.gql(t, root, q, vars{"a": vars{"username": "varpw1", "password": testPassword}, "b": vars{"username": "varpw2", "password": nil}})
		if len(r.Errors) > 0 || !created("varpw1") || !created("varpw2") {
			t.Fatalf("one password in variables: errors %+v", r.Errors)
		}
	})
	t.Run("updateUser counts only with a password", func(t *testing.T) {
		id := ts.signup(t, "target", testPassword).User.ID
		q := `mutation($id: ID!, $pw: String) {
			a: updateUser(id: $id, input: {password: $pw}) { id }
			b: updateUser(id: $id, input: {firstName: "T", password: "another secret phrase"}) { id }
		}`
		before := metricValue(t, ts, "usergraph_password_hashes_total")
		wantHashLimitRefusal(t, ts, ts.gql(t, root, q, vars{"id": id, "pw": "a third secret phrase"}), before, 2, 1)
		// password: null hashes nothing (it is refused as too short), so
		// only b counts and the request runs.
		r := ts.gql(t, root, q, vars{"id": id, "pw": nil})
		if len(r.Errors) != 1 || r.code() != "WEAK_PASSWORD" {
			t.Fatalf("one password and a null: errors %+v, want only a's WEAK_PASSWORD", r.Errors)
		}
		ts.login(t, "target", "another secret phrase")
	})
}

// The limit is a setting: with 3, three aliased sign-ups run and four do not.
func TestHashLimitSetting(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.HTTP.MaxHashes = 3 }))
	const signup = `signup(input: {username: "set%d", password: "correct horse battery"}) { user { id } }`
	if r := ts.gql(t, "", aliasedFields(3, signup), nil); len(r.Errors) > 0 {
		t.Fatalf("3 sign-ups with a limit of 3: %+v", r.Errors)
	}
	before := metricValue(t, ts, "usergraph_password_hashes_total")
	r := ts.gql(t, "", strings.ReplaceAll(aliasedFields(4, signup), `"set`, `"more`), nil)
	wantHashLimitRefusal(t, ts, r, before, 4, 3)
}

// Fields that set the access-token cookie may repeat in one request; the
// response sets the cookie once, with the value of the last.
func TestCookieSetOncePerResponse(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	name := ts.cfg.HTTP.CookieName
	ts.signup(t, "twotabs", testPassword)
	first, second := ts.login(t, "twotabs", testPassword), ts.login(t, "twotabs", testPassword)
	r := ts.gql(t, "", `mutation($a: String!, $b: String!) {
		a: refreshSession(refreshToken: $a) { accessToken }
		b: refreshSession(refreshToken: $b) { accessToken }
	}`, vars{"a": first.RefreshToken, "b": second.RefreshToken})
	if len(r.Errors) > 0 {
		t.Fatalf("errors: %+v", r.Errors)
	}
	var out struct {
		A, B struct {
			AccessToken string `json:"accessToken"`
		}
	}
	r.decode(t, &out)
	var values []string
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == name {
			values = append(values, c.Value)
		}
	}
	if len(values) != 1 {
		t.Fatalf("%d Set-Cookie %s headers, want 1: %q", len(values), name, r.Header.Values("Set-Cookie"))
	}
	if values[0] != out.B.AccessToken {
		t.Errorf("the cookie holds %.20s…, want the last field's access token %.20s…", values[0], out.B.AccessToken)
	}
}

// A burst of sign-ins larger than the hash queue can start within the
// queue timeout: the excess is answered RATE_LIMITED with a retryAfter,
// for known and unknown users alike, every request gets an answer, and
// /metrics counts each refusal. (One hashing slot and a queue timeout of a
// millisecond make refusals certain under a burst; how fast they come is
// not tested here.)
func TestHashQueueRefusesBurst(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.Passwords.Concurrency = 1
		c.Passwords.QueueTimeout = time.Millisecond
		c.Passwords.Params.Memory, c.Passwords.Params.Iterations = 4096, 2
	}))
	ts.signup(t, "burst", testPassword)
	refusedBefore := metricValue(t, ts, "usergraph_password_hash_refusals_total")

	const n = 24
	type answer struct {
		known bool
		r     *gqlResponse
		err   error
	}
	answers := make([]answer, n)
	client := &http.Client{Timeout: 2 * time.Minute} // a bound on a hang, not a speed test
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		known := i%2 == 0
		id := "burst"
		if !known {
			id = fmt.Sprintf("nobody%d", i)
		}
		wg.Go(func() {
			<-start
			r, err := postWith(client, ts, loginMutation, vars{"id": id, "pw": testPassword})
			answers[i] = answer{known, r, err}
		})
	}
	close(start)
	wg.Wait()

	refused := 0
	var messages []string
	for i, a := range answers {
		if a.err != nil {
			t.Fatalf("login %d got no answer: %v", i, a.err)
		}
		switch code := a.r.code(); {
		case code == "RATE_LIMITED":
			refused++
			messages = append(messages, a.r.Errors[0].Message)
			if ra, _ := a.r.Errors[0].Extensions["retryAfter"].(float64); ra < 1 {
				t.Errorf("login %d: RATE_LIMITED with retryAfter %v, want ≥ 1 second", i, a.r.Errors[0].Extensions["retryAfter"])
			}
		case a.known && code == "":
		case !a.known && code == "INVALID_CREDENTIALS":
		default:
			t.Errorf("login %d (known user %v): answered %q %+v", i, a.known, code, a.r.Errors)
		}
	}
	if refused == 0 {
		t.Fatalf("none of %d concurrent logins through one slot with a 1 ms queue timeout was refused", n)
	}
	// The retry hint follows the queue's length at each refusal, for known
	// and unknown users alike; apart from its number the words must match.
	seconds := regexp.MustCompile(`[0-9]+`)
	for _, m := range messages {
		if seconds.ReplaceAllString(m, "N") != seconds.ReplaceAllString(messages[0], "N") {
			t.Errorf("refusals differ (known and unknown users must look alike): %q vs %q", m, messages[0])
		}
	}
	if got := metricValue(t, ts, "usergraph_password_hash_refusals_total") - refusedBefore; int(got) != refused {
		t.Errorf("usergraph_password_hash_refusals_total grew by %v, want %d (the RATE_LIMITED answers)", got, refused)
	}
	t.Logf("%d of %d logins refused", refused, n)
}
