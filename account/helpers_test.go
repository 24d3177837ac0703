package account_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The rules of package account, against a real SQLite store in a temporary
// directory, with the services wired as the server wires them. Passwords
// are hashed with argon2id at the smallest parameters Params.Validate
// allows: the same code path, a fraction of a millisecond per hash. Work
// is compared by counting the hasher's calls (Hasher.Stats), never by
// timing.

// goodPassword passes the default password policy.
const goodPassword = "correct horse battery staple"

// cheapParams are argon2id parameters for tests: valid, and cheap.
var cheapParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// env is an account service on its own database.
type env struct {
	ctx      context.Context // a request from 192.0.2.1
	db       *sqlite.DB
	accounts *account.Service
	sessions *session.Manager
	access   *access.Service
	hasher   *password.Hasher
	devices  *devices.Service
}

// options are what a test may change in the wiring.
type options struct {
	cfg          account.Config
	limits       account.Limits
	defaultRole  string
	deviceBudget ratelimit.Rule // failed sign-ins of one device cookie
	devices      devices.Config
}

// newEnv wires the services on a fresh database. The session cache and the
// role catalogue are trusted for an hour, so a change the account service
// makes is seen at the next request only if it says so (ForgetUsers).
func newEnv(t *testing.T, opts ...func(*options)) *env {
	t.Helper()
	o := options{defaultRole: "user", deviceBudget: ratelimit.Rule{Burst: 1000, Per: time.Hour}}
	for _, f := range opts {
		f(&o)
	}
	ctx := session.WithClient(t.Context(), session.Client{IP: "192.0.2.1", UserAgent: "test"})
	role := o.defaultRole
	if role == "" {
		role = "-" // none
	}
	c := servicetest.New(t, ctx, servicetest.Options{DefaultRole: role})
	db, sessions, roles, log := c.DB, c.Sessions, c.Roles, c.Log
	devices, err := lockout.LoadDevices(ctx, db, o.deviceBudget)
	if err != nil {
		t.Fatal(err)
	}
	deviceTokens := devicesService(db, sessions, roles, o.devices, log)
	hasher := password.NewHasher(cheapParams, 2)
	accounts := account.New(account.Deps{Store: db, Hasher: hasher, Policy: password.Policy{},
		Sessions: sessions, Access: roles, Limits: o.limits, Devices: devices, DeviceTokens: deviceTokens, Log: log}, o.cfg)
	return &env{ctx: ctx, db: db, accounts: accounts, sessions: sessions, access: roles, hasher: hasher, devices: deviceTokens}
}

// devicesService wires the device rules as the server does: the session
// check asks them about each session's device.
func devicesService(db store.Store, sessions *session.Manager, roles *access.Service, cfg devices.Config, log *slog.Logger) *devices.Service {
	d := devices.New(devices.Deps{Store: db, Sessions: sessions, Access: roles, Log: log}, cfg)
	sessions.GateDevices(d)
	return d
}

// from is a request from another client IP.
func (e *env) from(ip string) context.Context {
	return session.WithClient(e.ctx, session.Client{IP: ip})
}

// signup signs a user up with goodPassword and fails the test on error.
func (e *env) signup(t *testing.T, username, email string) (*store.User, *session.Tokens) {
	t.Helper()
	u, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: username, Email: email, Password: goodPassword})
	if err != nil {
		t.Fatalf("sign up %q %q: %v", username, email, err)
	}
	return u, tok
}

// principal is the caller a request with tok's access token has.
func (e *env) principal(t *testing.T, tok *session.Tokens) *session.Principal {
	t.Helper()
	p, err := e.sessions.Authenticate(e.ctx, tok.Access)
	if err != nil {
		t.Fatalf("authenticate: %v", err)
	}
	return p
}

// member signs a user up and returns them signed in.
func (e *env) member(t *testing.T, username string) *session.Principal {
	t.Helper()
	_, tok := e.signup(t, username, "")
	return e.principal(t, tok)
}

// admin creates the first administrator (as `usergraph init` does) and
// returns them signed in.
func (e *env) admin(t *testing.T) *session.Principal {
	t.Helper()
	if _, _, err := e.accounts.InitializeTrusted(e.ctx, account.Admin{Username: "root", Password: goodPassword}); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	tok, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "root", Password: goodPassword})
	if err != nil {
		t.Fatalf("admin login: %v", err)
	}
	return e.principal(t, tok)
}

// withRole creates a role granting verbs on resource, if it is missing.
func (e *env) withRole(t *testing.T, role, resource string, verbs ...store.Verb) {
	t.Helper()
	if _, err := e.access.CreateRole(e.ctx, role, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.access.AddPermission(e.ctx, role, access.PermissionInput{Name: resource, Pattern: resource, Verbs: verbs}); err != nil {
		t.Fatal(err)
	}
}

// stored reads a user from the store.
func (e *env) stored(t *testing.T, id string) *store.User {
	t.Helper()
	u, err := e.db.GetUser(e.ctx, id)
	if err != nil {
		t.Fatalf("read user %s: %v", id, err)
	}
	return u
}

// count counts the users f selects in the store.
func (e *env) count(t *testing.T, f *store.UserFilter) int {
	t.Helper()
	n, err := e.db.CountUsers(e.ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// hashes is how many hashes and verifications the hasher has run.
func (e *env) hashes() uint64 { return e.hasher.Stats().Hashes }

// login tries a sign-in and returns the hashes it ran and its error.
func (e *env) login(t *testing.T, c account.Credentials) (hashes uint64, err error) {
	t.Helper()
	before := e.hashes()
	_, err = e.accounts.Login(e.ctx, c)
	return e.hashes() - before, err
}

// wantCode fails unless err carries code and, when field is not empty,
// names field.
func wantCode(t *testing.T, what string, err error, code apperr.Code, field string) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || (field != "" && e.Field != field) {
		t.Errorf("%s: got %v, want %s on field %q", what, err, code, field)
	}
}

// wantLive fails unless tok's access token still signs its user in.
func (e *env) wantLive(t *testing.T, what string, tok *session.Tokens) {
	t.Helper()
	if _, err := e.sessions.Authenticate(e.ctx, tok.Access); err != nil {
		t.Errorf("%s: the session ended (%v), want it live", what, err)
	}
}

// wantEnded fails unless tok's access token is refused at once.
func (e *env) wantEnded(t *testing.T, what string, tok *session.Tokens) {
	t.Helper()
	if _, err := e.sessions.Authenticate(e.ctx, tok.Access); apperr.CodeOf(err) != apperr.Unauthenticated {
		t.Errorf("%s: Authenticate gave %v, want the session ended", what, err)
	}
}

// jsonEqual reports whether two JSON documents are equal as values.
func jsonEqual(t *testing.T, got json.RawMessage, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("stored JSON %s: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(g)
	wb, _ := json.Marshal(w)
	return string(gb) == string(wb)
}

func ptr[T any](v T) *T { return &v }

// newStore opens a fresh database (servicetest.Store).
func newStore(tb testing.TB) *sqlite.DB { return servicetest.Store(tb) }
