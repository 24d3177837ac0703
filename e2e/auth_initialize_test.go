package e2e

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// End-to-end tests of the first start: the initialize mutation and the
// `usergraph init` command.

const initializeMutation = `mutation($in: InitializeInput!) { initialize(input: $in) {
	user { id username email status roles { name } }
	auth { ` + authFields + ` } } }`

// initializePayload is what initialize returns.
type initializePayload struct {
	User struct {
		ID       string
		Username *string
		Email    *string
		Status   string
		Roles    []struct{ Name string }
	}
	Auth auth
}

// initializeInput is an InitializeInput.
func initializeInput(token, username, password string) vars {
	return vars{"in": vars{"bootstrapToken": token, "username": username, "password": password}}
}

// roleNames returns the sorted role names of an initialize payload.
func (p initializePayload) roleNames() []string {
	var names []string
	for _, r := range p.User.Roles {
		names = append(names, r.Name)
	}
	slices.Sort(names)
	return names
}

// adminCount counts the administrators as token sees them.
func adminCount(t *testing.T, ts *testServer, token string) int {
	t.Helper()
	r := ts.mustGQL(t, token, `{ users(filter: {roles: {any: ["admin"]}}) { totalCount } }`, nil)
	return dataField[struct{ TotalCount int }](t, r, "users").TotalCount
}

func TestInitializeWithWrongTokenCreatesNothing(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	good := ts.bootstrapToken(t)
	for _, c := range []struct{ name, token string }{
		{"wrong", "ugb_not-the-token"},
		{"empty", ""},
		{"token with a suffix", good + "x"},
		{"token in other case", strings.ToUpper(good)},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, "", initializeMutation, initializeInput(c.token, "boss", "a good admin password"))
			wantCode(t, r, "FORBIDDEN", 609)
			if string(r.Data) != "null" && len(r.Data) != 0 {
				t.Errorf("data = %s, want null", r.Data)
			}
		})
	}
	// No account was made and the token still works.
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "boss", "pw": "a good admin password"}), "INVALID_CREDENTIALS", 603)
	r := ts.mustGQL(t, "", `{ usernameExists(username: "boss") }`, nil)
	if dataField[bool](t, r, "usernameExists") {
		t.Fatal("a refused initialize left the username taken")
	}
	ts.mustGQL(t, "", initializeMutation, initializeInput(good, "boss", "a good admin password"))
}

func TestInitializeCreatesFirstAdministrator(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	token := ts.bootstrapToken(t)
	r := ts.mustGQL(t, "", initializeMutation, vars{"in": vars{"bootstrapToken": token, "username": "Boss", "email": "Boss@Example.com", "password": "a good admin password"}})
	p := dataField[initializePayload](t, r, "initialize")
	if p.User.Username == nil || *p.User.Username != "Boss" || p.User.Email == nil || *p.User.Email != "Boss@Example.com" || p.User.Status != "ACTIVE" {
		t.Fatalf("initialize user = %+v", p.User)
	}
	if got := p.roleNames(); !slices.Equal(got, []string{"admin", "user"}) {
		t.Fatalf("roles = %v, want [admin user]", got)
	}
	if p.Auth.AccessToken == "" || p.Auth.User.ID != p.User.ID || !p.Auth.Session.Current {
		t.Fatalf("auth = %+v", p.Auth)
	}
	if got := ts.meID(t, p.Auth.AccessToken); got != p.User.ID {
		t.Fatalf("me = %s, want %s", got, p.User.ID)
	}

	roles := dataField[[]apiRole](t, ts.mustGQL(t, p.Auth.AccessToken, `{ roles { name builtIn } }`, nil), "roles")
	if len(roles) != 2 || roles[0].Name != "admin" || roles[1].Name != "user" || !roles[0].BuiltIn || !roles[1].BuiltIn {
		t.Fatalf("roles = %+v, want built-in admin and user", roles)
	}
	// The administrator can sign in with the password and administer.
	again := ts.login(t, "boss@example.com", "a good admin password")
	if n := adminCount(t, ts, again.AccessToken); n != 1 {
		t.Fatalf("%d administrators, want 1", n)
	}

	for _, c := range []struct{ name, token string }{
		{"right token", token},
		{"wrong token", "ugb_wrong"},
	} {
		t.Run("second initialize with "+c.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, "", initializeMutation, initializeInput(c.token, "intruder", "another good password")), "FORBIDDEN", 609)
		})
	}

	// After a restart nothing is logged and the used token stays dead.
	ts2 := ts.restart()
	if strings.Contains(ts2.logs.String(), "bootstrap_token") {
		t.Errorf("an initialized server logged a bootstrap token:\n%s", ts2.logs.String())
	}
	wantCode(t, ts2.gql(t, "", initializeMutation, initializeInput(token, "intruder", "another good password")), "FORBIDDEN", 609)
	if n := adminCount(t, ts2, ts2.login(t, "boss", "a good admin password").AccessToken); n != 1 {
		t.Fatalf("%d administrators after the refused calls, want 1", n)
	}
	wantCode(t, ts2.gql(t, "", loginMutation, vars{"id": "intruder", "pw": "another good password"}), "INVALID_CREDENTIALS", 603)
}

// initialize signs the administrator in, so that is their first sign-in:
// lastLoginAt is set, in the payload and in the stored account.
func TestInitializeSetsLastLoginAt(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	before := time.Now().Truncate(time.Millisecond) // the server keeps milliseconds
	r := ts.mustGQL(t, "", `mutation($in: InitializeInput!) { initialize(input: $in) {
		user { createdAt lastLoginAt } auth { accessToken } } }`, initializeInput(ts.bootstrapToken(t), "boss", "a good admin password"))
	after := time.Now()
	type times struct {
		CreatedAt   time.Time
		LastLoginAt *time.Time
	}
	p := dataField[struct {
		User times
		Auth struct{ AccessToken string }
	}](t, r, "initialize")
	if p.User.LastLoginAt == nil {
		t.Fatal("initialize: user.lastLoginAt is null, want the sign-in it made")
	}
	if got := *p.User.LastLoginAt; got.Before(before) || got.After(after) || !got.Equal(p.User.CreatedAt) {
		t.Errorf("initialize: lastLoginAt = %v, want the creation time %v (between %v and %v)", got, p.User.CreatedAt, before, after)
	}
	me := dataField[times](t, ts.mustGQL(t, p.Auth.AccessToken, `{ me { createdAt lastLoginAt } }`, nil), "me")
	if me.LastLoginAt == nil || !me.LastLoginAt.Equal(*p.User.LastLoginAt) {
		t.Errorf("me.lastLoginAt = %v, want the stored %v", me.LastLoginAt, *p.User.LastLoginAt)
	}
}

func TestInitializeConcurrentCallsOneWins(t *testing.T) {
	t.Parallel()
	// A costlier hash widens the window between the checks and the insert,
	// where concurrent calls overlap.
	ts := startServer(t, withConfig(func(c *app.Config) { c.Passwords.Params.Memory = 8192 }))
	token := ts.bootstrapToken(t)
	const n = 20
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			r := ts.gql(t, "", initializeMutation, initializeInput(token, fmt.Sprintf("boss%02d", i), "a good admin password"))
			codes[i] = r.code()
		})
	}
	wg.Wait()
	won, refused := 0, 0
	winner := ""
	for i, c := range codes {
		switch c {
		case "":
			won++
			winner = fmt.Sprintf("boss%02d", i)
		case "FORBIDDEN":
			refused++
		default:
			t.Errorf("call %d: code %q", i, c)
		}
	}
	if won != 1 || refused != n-1 {
		t.Fatalf("%d succeeded, %d refused; want 1 and %d (codes %q)", won, refused, n-1, codes)
	}
	a := ts.login(t, winner, "a good admin password")
	if got := adminCount(t, ts, a.AccessToken); got != 1 {
		t.Fatalf("%d administrators, want 1", got)
	}
	r := ts.mustGQL(t, a.AccessToken, `{ users { totalCount } }`, nil)
	if got := dataField[struct{ TotalCount int }](t, r, "users").TotalCount; got != 1 {
		t.Fatalf("%d users after the race, want 1", got)
	}
}

func TestInitializeWithConfiguredToken(t *testing.T) {
	t.Parallel()
	const configured = "s3cret-bootstrap-token-value"
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.BootstrapToken = configured }))
	logs := ts.logs.String()
	if strings.Contains(logs, "bootstrap_token=") || strings.Contains(logs, configured) {
		t.Fatalf("with a configured token nothing may be logged:\n%s", logs)
	}
	wantCode(t, ts.gql(t, "", initializeMutation, initializeInput("ugb_generated-looking", "boss", "a good admin password")), "FORBIDDEN", 609)
	wantCode(t, ts.gql(t, "", initializeMutation, initializeInput(configured+" ", "boss", "a good admin password")), "FORBIDDEN", 609)
	r := ts.mustGQL(t, "", initializeMutation, initializeInput(configured, "boss", "a good admin password"))
	p := dataField[initializePayload](t, r, "initialize")
	if got := p.roleNames(); !slices.Equal(got, []string{"admin", "user"}) {
		t.Fatalf("roles = %v", got)
	}
	wantCode(t, ts.gql(t, "", initializeMutation, initializeInput(configured, "boss2", "a good admin password")), "FORBIDDEN", 609)
	if strings.Contains(ts.logs.String(), configured) {
		t.Fatal("the configured token appeared in the logs")
	}
}

func TestInitializeRejectsBadInputThenRetries(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	token := ts.bootstrapToken(t)
	cases := []struct {
		name   string
		in     vars
		code   string
		status int
		field  string
	}{
		{"short password", vars{"username": "boss", "password": "short"}, "WEAK_PASSWORD", 0, "password"},
		{"common password", vars{"username": "boss", "password": "password123"}, "WEAK_PASSWORD", 0, "password"},
		{"password is the username", vars{"username": "bossboss", "password": "BOSSBOSS"}, "WEAK_PASSWORD", 0, "password"},
		{"no identifier", vars{"password": "a good admin password"}, "BAD_USER_INPUT", 0, "username"},
		{"bad username", vars{"username": "a b", "password": "a good admin password"}, "INVALID_USERNAME", 900, "username"},
		{"bad email", vars{"email": "nope", "password": "a good admin password"}, "INVALID_EMAIL", 901, "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in["bootstrapToken"] = token
			r := ts.gql(t, "", initializeMutation, vars{"in": c.in})
			wantCode(t, r, c.code, c.status)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
			}
		})
	}
	// Nothing was half-written: the same token still initializes.
	r := ts.mustGQL(t, "", initializeMutation, initializeInput(token, "boss", "a good admin password"))
	p := dataField[initializePayload](t, r, "initialize")
	a := ts.login(t, "boss", "a good admin password")
	if a.User.ID != p.User.ID {
		t.Fatalf("login as %s, want %s", a.User.ID, p.User.ID)
	}
	if n := adminCount(t, ts, a.AccessToken); n != 1 {
		t.Fatalf("%d administrators, want 1", n)
	}
}

func TestInitCommandLine(t *testing.T) {
	t.Parallel()
	bin := usergraphBinary(t)
	db := filepath.Join(t.TempDir(), "cli.db")
	args := []string{"init", "-database-url", "sqlite:" + db, "-argon2-memory-kib", "64", "-argon2-iterations", "1",
		"-username", "boss", "-email", "boss@example.com"}

	t.Run("weak password", func(t *testing.T) {
		_, stderr, err := runBinary(t, bin, []string{"USERGRAPH_ADMIN_PASSWORD=short"}, args...)
		if err == nil {
			t.Fatal("init with a weak password succeeded")
		}
		if !strings.Contains(strings.ToLower(stderr), "password") {
			t.Errorf("stderr does not say why: %q", stderr)
		}
	})
	t.Run("first init", func(t *testing.T) {
		stdout, stderr, err := runBinary(t, bin, []string{"USERGRAPH_ADMIN_PASSWORD=a good admin password"}, args...)
		if err != nil {
			t.Fatalf("init: %v\nstdout: %s\nstderr: %s", err, stdout, stderr)
		}
		if !strings.Contains(stdout, "boss") {
			t.Errorf("stdout = %q, want a line naming the administrator", stdout)
		}
		if strings.Contains(stdout+stderr, "a good admin password") {
			t.Error("init printed the password")
		}
	})

	ts := startWith(t, testConfig(t, db))
	if strings.Contains(ts.logs.String(), "bootstrap_token=") {
		t.Errorf("a server on an initialized database logged a bootstrap token")
	}
	a := ts.login(t, "boss", "a good admin password")
	r := ts.mustGQL(t, a.AccessToken, `{ me { username email roles { name } } }`, nil)
	me := dataField[struct {
		Username, Email string
		Roles           []struct{ Name string }
	}](t, r, "me")
	var names []string
	for _, role := range me.Roles {
		names = append(names, role.Name)
	}
	slices.Sort(names)
	if me.Username != "boss" || me.Email != "boss@example.com" || !slices.Equal(names, []string{"admin", "user"}) {
		t.Fatalf("me = %+v, want boss with admin and user", me)
	}
	wantCode(t, ts.gql(t, "", initializeMutation, initializeInput("anything", "other", "a good admin password")), "FORBIDDEN", 609)
	ts.stop()

	t.Run("second init fails", func(t *testing.T) {
		stdout, stderr, err := runBinary(t, bin, []string{"USERGRAPH_ADMIN_PASSWORD=another good password"},
			"init", "-database-url", "sqlite:"+db, "-username", "boss2")
		if err == nil {
			t.Fatalf("second init succeeded: %s", stdout)
		}
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 {
			t.Fatalf("second init: %v, want a non-zero exit", err)
		}
		if !strings.Contains(stderr, "initialized") {
			t.Errorf("stderr = %q, want it to say the database is initialized", stderr)
		}
	})
	ts = startWith(t, testConfig(t, db))
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "boss2", "pw": "another good password"}), "INVALID_CREDENTIALS", 603)
	ts.login(t, "boss", "a good admin password")
}
