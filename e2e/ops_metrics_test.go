package e2e

import (
	"bytes"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/apperr"
)

// The metrics operators alert on (docs/OPERATIONS.md, docs/alerts.yml),
// read from /metrics after the events they count.

// metricsAfterActivity starts a server and gives it something of each
// kind to count: sign-ins that succeed and fail, a lockout, a rate limit,
// GraphQL operations of several codes. It returns the exposition text.
func metricsAfterActivity(t *testing.T) (*testServer, string) {
	t.Helper()
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.Limits.LoginPerAccount = rule("2/1m")
		c.Limits.LookupPerIP = rule("1/1h")
		c.Limits.GuestPerIP = rule("1/1h")
	}))
	ts.signup(t, "counted", testPassword)
	ts.login(t, "counted", testPassword)
	for range 3 { // wrong, wrong (locks), locked
		loginCode(t, ts, "counted", "wrong-password-1")
	}
	loginCode(t, ts, "nobody-at-all", "wrong-password-1")
	usernameTaken(t, ts, "counted")
	ts.post(t, `{ usernameExists(username: "counted") }`, nil) // over the limit
	loginAsGuest(t, ts, nil)
	ts.post(t, guestMutation, nil) // over the limit
	ts.post(t, `query ChosenByTheClient123 { me { id } }`, nil)
	ts.post(t, `{ me `, nil)
	ts.post(t, `{ noSuchField }`, nil)
	_, body := getPath(t, ts, "/metrics")
	return ts, body
}

func TestOperatorMetrics(t *testing.T) {
	t.Parallel()
	_, body := metricsAfterActivity(t)
	for _, c := range []struct {
		sample string
		want   float64
	}{
		{`usergraph_signins_total{outcome="success"}`, 1},
		{`usergraph_signins_total{outcome="invalid_credentials"}`, 3},
		{`usergraph_signins_total{outcome="locked"}`, 1},
		{`usergraph_signins_total{outcome="not_active"}`, 0},
		{`usergraph_rate_limited_total{rule="lockout"}`, 1},
		{`usergraph_rate_limited_total{rule="lookup_ip"}`, 1},
		{`usergraph_rate_limited_total{rule="signup_ip"}`, 0},
		{`usergraph_rate_limited_total{rule="guest_ip"}`, 1},
		{`usergraph_rate_limited_total{rule="application_ip"}`, 0},
		{`usergraph_graphql_operations_total{code="OK",operation="signup"}`, 1},
		{`usergraph_graphql_operations_total{code="INVALID_CREDENTIALS",operation="login"}`, 3},
		{`usergraph_graphql_operations_total{code="RATE_LIMITED",operation="login"}`, 1},
		{`usergraph_graphql_operations_total{code="UNAUTHENTICATED",operation="me"}`, 1},
		{`usergraph_graphql_operations_total{code="GRAPHQL_PARSE_FAILED",operation="anonymous"}`, 1},
		{`usergraph_graphql_operations_total{code="GRAPHQL_VALIDATION_FAILED",operation="anonymous"}`, 1},
	} {
		if got := sampleIn(t, body, c.sample); got != c.want {
			t.Errorf("%s = %v, want %v", c.sample, got, c.want)
		}
	}
	if strings.Contains(body, "ChosenByTheClient123") || strings.Contains(body, "noSuchField") {
		t.Errorf("a name the client chose became a label value")
	}
	if got := sampleIn(t, body, `usergraph_store_duration_seconds_count{op="CreateUser"}`); got < 1 {
		t.Errorf("usergraph_store_duration_seconds_count{op=\"CreateUser\"} = %v, want at least the sign-up's", got)
	}
	info := regexp.MustCompile(`(?m)^usergraph_build_info\{revision="[^"]+",version="[^"]+"\} 1$`)
	if !info.MatchString(body) {
		t.Errorf("no usergraph_build_info{revision,version} 1 in /metrics")
	}
}

// sampleIn returns the value of one sample of an exposition, failing the
// test when it is missing.
func sampleIn(t *testing.T, body, sample string) float64 {
	t.Helper()
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, sample+" "); ok {
			var f float64
			if _, err := fmt.Sscan(v, &f); err != nil {
				t.Fatalf("sample %q: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("no sample %s in /metrics", sample)
	return 0
}

// The exposition passes Prometheus's own lint: client_golang's promlint
// always, and promtool check metrics where promtool is installed (Debian's
// prometheus package; .ci/run installs it).
func TestMetricsLint(t *testing.T) {
	t.Parallel()
	_, body := metricsAfterActivity(t)
	problems, err := promlint.New(strings.NewReader(body)).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}

	promtool, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (apt-get install prometheus): promtool check metrics not run; promlint passed")
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = strings.NewReader(body)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out.String())
	}
}

// docs/OPERATIONS.md's table of limits has a row for every rule label, so
// that an operator who sees one on a dashboard finds the setting behind it.
func TestOperationsNamesEveryLimitRule(t *testing.T) {
	t.Parallel()
	doc := readRepoFile(t, "docs/OPERATIONS.md")
	_, table, ok := strings.Cut(doc, "The rules of `usergraph_rate_limited_total` and their settings:")
	if !ok {
		t.Fatal("docs/OPERATIONS.md no longer introduces the table of limits as this test expects")
	}
	// the rows: the lines that start with | after the introduction
	var rows []string
	for _, line := range strings.Split(strings.TrimLeft(table, "\n"), "\n") {
		if !strings.HasPrefix(line, "|") {
			break
		}
		rule, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
		rows = append(rows, rule)
	}
	firstColumns := strings.Join(rows, "\n")
	for _, r := range apperr.LimitRules() {
		if !strings.Contains(firstColumns, "`"+r+"`") {
			t.Errorf("the table of limits in docs/OPERATIONS.md has no row for rule %q", r)
		}
	}
}
