package account_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// admins counts the users holding the admin role.
func (e *env) admins(t *testing.T) int {
	t.Helper()
	return e.count(t, &store.UserFilter{Roles: &store.SetMatch{Any: []string{"admin"}}})
}

// Without a configured token, the first start generates one and returns it
// (to be printed) once; it initializes once, for its holder only, signing
// the first administrator in; after that nothing initializes again.
func TestBootstrapTokenGeneratedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	token, initialized, err := e.accounts.PrepareBootstrap(e.ctx)
	if err != nil || initialized || !strings.HasPrefix(token, "ugb_") {
		t.Fatalf("first start: %q, initialized %v, %v; want a ugb_ token", token, initialized, err)
	}
	if again, initialized, err := e.accounts.PrepareBootstrap(e.ctx); err != nil || initialized || again != "" {
		t.Fatalf("second start: %q, initialized %v, %v; want nothing new to print", again, initialized, err)
	}

	admin := account.Admin{Username: "root", Email: "root@example.com", Password: goodPassword}
	for _, wrong := range []string{"", "ugb_wrong", token + "x", strings.Repeat("t", 257)} {
		_, _, err := e.accounts.Initialize(e.ctx, wrong, admin)
		code := apperr.Forbidden
		if len(wrong) > 256 {
			code = apperr.BadUserInput
		}
		wantCode(t, fmt.Sprintf("token %.12q", wrong), err, code, "bootstrapToken")
	}
	if n := e.count(t, nil); n != 0 {
		t.Fatalf("%d users after refused initializations, want none", n)
	}

	tok, _, err := e.accounts.Initialize(e.ctx, token, admin)
	if err != nil {
		t.Fatal(err)
	}
	got := e.stored(t, tok.User.ID)
	if !slices.Equal(got.Roles, []string{"admin", "user"}) || !got.Active() {
		t.Errorf("first administrator: roles %v active %v, want [admin user], active", got.Roles, got.Active())
	}
	if got.LastLoginAt.IsZero() || !got.LastLoginAt.Equal(got.CreatedAt) {
		t.Errorf("lastLoginAt %v, want the sign-in that initialize is, at creation %v", got.LastLoginAt, got.CreatedAt)
	}
	e.wantLive(t, "the administrator's session", tok)

	_, _, err = e.accounts.Initialize(e.ctx, token, account.Admin{Username: "second", Password: goodPassword})
	wantCode(t, "initialize again", err, apperr.Forbidden, "")
	if _, initialized, _ := e.accounts.PrepareBootstrap(e.ctx); !initialized {
		t.Error("PrepareBootstrap after initialization: not initialized")
	}
	if n := e.admins(t); n != 1 {
		t.Errorf("%d administrators, want 1", n)
	}
}

// A configured token is used as given, and nothing is generated.
func TestBootstrapWithConfiguredToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.BootstrapToken = "configured secret" })
	if token, initialized, err := e.accounts.PrepareBootstrap(e.ctx); token != "" || initialized || err != nil {
		t.Fatalf("PrepareBootstrap: %q, %v, %v; want nothing generated", token, initialized, err)
	}
	_, _, err := e.accounts.Initialize(e.ctx, "configured secreT", account.Admin{Username: "root", Password: goodPassword})
	wantCode(t, "a wrong token", err, apperr.Forbidden, "bootstrapToken")
	if _, _, err := e.accounts.Initialize(e.ctx, "configured secret", account.Admin{Username: "root", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
}

// Of concurrent initializations with the right token exactly one wins.
func TestInitializeConcurrentOneWins(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.BootstrapToken = "secret" })
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			_, _, errs[i] = e.accounts.Initialize(e.ctx, "secret", account.Admin{Username: fmt.Sprintf("root%d", i), Password: goodPassword})
		})
	}
	close(start)
	wg.Wait()
	wins := 0
	for i, err := range errs {
		switch {
		case err == nil:
			wins++
		case apperr.CodeOf(err) != apperr.Forbidden:
			t.Errorf("initialization %d: %v, want FORBIDDEN for a loser", i, err)
		}
	}
	if wins != 1 || e.admins(t) != 1 || e.count(t, nil) != 1 {
		t.Errorf("%d winners, %d administrators, %d users; want exactly one of each", wins, e.admins(t), e.count(t, nil))
	}
}

// A refused administrator, however late it is refused, leaves the service
// uninitialized, so a corrected retry succeeds; an administrator made any other way also closes
// initialization.
func TestInitializeRetriesAfterBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.BootstrapToken = "secret" })
	e.signup(t, "taken", "")
	for _, c := range []struct {
		name  string
		a     account.Admin
		code  apperr.Code
		field string
	}{
		// Found only when the administrator is stored, after the service
		// was marked initialized: the mark is undone.
		{"a taken username", account.Admin{Username: "TAKEN", Password: goodPassword}, apperr.AlreadyExists, "username"},
		{"weak password", account.Admin{Username: "root", Password: "short"}, apperr.WeakPassword, "password"},
		{"mixed scripts", account.Admin{Username: "r\u043eot", Password: goodPassword}, apperr.InvalidUsername, "username"},
		{"no identifier", account.Admin{Password: goodPassword}, apperr.BadUserInput, "username"},
	} {
		_, _, err := e.accounts.Initialize(e.ctx, "secret", c.a)
		wantCode(t, c.name, err, c.code, c.field)
	}
	if _, _, err := e.accounts.Initialize(e.ctx, "secret", account.Admin{Username: "root", Password: goodPassword}); err != nil {
		t.Fatalf("the corrected retry: %v", err)
	}

	other := newEnv(t, func(o *options) { o.cfg.BootstrapToken = "secret" })
	now := store.Now()
	if err := other.db.CreateUser(other.ctx, &store.User{ID: store.NewID(), Username: "imported", UsernameKey: "imported",
		Status: store.StatusActive, Roles: []string{"admin"}, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	_, _, err := other.accounts.Initialize(other.ctx, "secret", account.Admin{Username: "root", Password: goodPassword})
	wantCode(t, "with an administrator already stored", err, apperr.Forbidden, "")
}

// The command line initializes without a token and signs nobody in.
func TestInitializeTrusted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, _, err := e.accounts.InitializeTrusted(e.ctx, account.Admin{Username: "root", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.stored(t, u.ID); !got.LastLoginAt.IsZero() || !got.HasRole("admin") {
		t.Errorf("lastLoginAt %v, admin %v; want never signed in, admin", got.LastLoginAt, got.HasRole("admin"))
	}
	_, _, err = e.accounts.InitializeTrusted(e.ctx, account.Admin{Username: "again", Password: goodPassword})
	wantCode(t, "a second trusted initialization", err, apperr.Forbidden, "")
}
