package recovery_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/internal/servicetest"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/sms"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The rules of package recovery, against a real SQLite store with the
// services wired as the server wires them. The outbox worker is not run:
// the tests read what was queued from the store. Every store call the
// account and recovery services (and the outbox's enqueue) make goes
// through a counting store, so "the same work" is compared by counting
// calls, never by timing.

const goodPassword = "correct horse battery staple"

var cheapParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// smsSecret signs the SMS webhooks of the tests (nothing receives them
// here: the worker does not run).
const smsSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

type env struct {
	ctx      context.Context // a request from 192.0.2.1
	db       *sqlite.DB
	calls    *counting
	accounts *account.Service
	recovery *recovery.Service
}

// newEnv wires the services; limits, if given, are the recovery limits
// (none otherwise).
func newEnv(t *testing.T, cfg recovery.Config, limits ...recovery.Limits) *env {
	t.Helper()
	ctx := session.WithClient(t.Context(), session.Client{IP: "192.0.2.1", UserAgent: "test"})
	c := servicetest.New(t, ctx, servicetest.Options{})
	db, sessions, roles, log := c.DB, c.Sessions, c.Roles, c.Log
	calls := &counting{Store: db}
	cookies, err := lockout.LoadDevices(ctx, db, ratelimit.Rule{Burst: 1000, Per: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	deviceTokens := devices.New(devices.Deps{Store: db, Sessions: sessions, Access: roles, Log: log}, devices.Config{})
	sessions.GateDevices(deviceTokens)
	accounts := account.New(account.Deps{Store: calls, Hasher: password.NewHasher(cheapParams, 2),
		Sessions: sessions, Access: roles, Devices: cookies, DeviceTokens: deviceTokens, Log: log}, account.Config{})
	mailer, err := mail.New(mail.Config{PublicURL: "http://test", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	texts, err := sms.New(sms.Config{URL: "http://127.0.0.1:9/sms", Secret: smsSecret})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://test"
	}
	cfg.ResetByEmail = true
	rec := recovery.New(recovery.Deps{Store: calls, Accounts: accounts, Queue: outbox.New(outbox.Config{Store: calls}),
		Mail: mailer, SMS: texts, Limits: append(limits, recovery.Limits{})[0], Log: log}, cfg)
	return &env{ctx: ctx, db: db, calls: calls, accounts: accounts, recovery: rec}
}

// signup creates an ACTIVE account.
func (e *env) signup(t *testing.T, in account.NewUser) *store.User {
	t.Helper()
	in.Password = goodPassword
	u, _, err := e.accounts.Signup(e.ctx, in)
	if err != nil {
		t.Fatalf("sign up %q: %v", in.Username, err)
	}
	return u
}

// work runs f and returns the store calls it made, in order.
func (e *env) work(t *testing.T, f func() error) []string {
	t.Helper()
	e.calls.start()
	if err := f(); err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	return e.calls.stop()
}

// queued returns the outbox messages stored, oldest first.
func (e *env) queued(t *testing.T, kind string) []*store.OutboxMessage {
	t.Helper()
	msgs, err := e.db.ClaimOutbox(e.ctx, store.OutboxClaim{Kind: kind, Owner: "test-" + store.NewID(), Limit: 100,
		Now: time.Now().Add(time.Hour), Lease: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// lastSMS returns the code of the latest SMS queued.
func (e *env) lastSMS(t *testing.T) sms.Message {
	t.Helper()
	msgs := e.queued(t, sms.Kind)
	if len(msgs) == 0 {
		t.Fatal("no SMS was queued")
	}
	var m sms.Message
	if err := json.Unmarshal(msgs[len(msgs)-1].Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func wantCode(t *testing.T, what string, err error, code apperr.Code, status int) {
	t.Helper()
	e, ok := apperr.As(err)
	if !ok || e.Code != code || (status != 0 && e.Status != status) {
		t.Errorf("%s: got %v, want %s (%d)", what, err, code, status)
	}
}

// counting is a store that records the name of every call of the
// interfaces the account and recovery services and the outbox's enqueue
// use, while recording is on. Every method of those interfaces is
// listed, so no call escapes the count.
type counting struct {
	store.Store
	mu    sync.Mutex
	on    bool
	calls []string
}

func (c *counting) start() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on, c.calls = true, nil
}

func (c *counting) stop() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = false
	return c.calls
}

func (c *counting) count(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.on {
		c.calls = append(c.calls, name)
	}
}

// The services' narrow interfaces: each is satisfied by counted methods.
var (
	_ store.AccountStore  = (*counting)(nil)
	_ store.RecoveryStore = (*counting)(nil)
	_ store.OutboxStore   = (*counting)(nil)
)

func (c *counting) CreateUser(ctx context.Context, u *store.User) error {
	c.count("CreateUser")
	return c.Store.CreateUser(ctx, u)
}

func (c *counting) CreateUsers(ctx context.Context, users []*store.User) error {
	c.count("CreateUsers")
	return c.Store.CreateUsers(ctx, users)
}

func (c *counting) GetUser(ctx context.Context, id string) (*store.User, error) {
	c.count("GetUser")
	return c.Store.GetUser(ctx, id)
}

func (c *counting) GetUsers(ctx context.Context, ids []string) ([]*store.User, error) {
	c.count("GetUsers")
	return c.Store.GetUsers(ctx, ids)
}

func (c *counting) GetUserByKey(ctx context.Context, field store.KeyField, key string) (*store.User, error) {
	c.count("GetUserByKey")
	return c.Store.GetUserByKey(ctx, field, key)
}

func (c *counting) UpdateUser(ctx context.Context, id string, update func(*store.User) error) (*store.User, error) {
	c.count("UpdateUser")
	return c.Store.UpdateUser(ctx, id, update)
}

func (c *counting) DeleteUser(ctx context.Context, id string) error {
	c.count("DeleteUser")
	return c.Store.DeleteUser(ctx, id)
}

func (c *counting) ListUsers(ctx context.Context, q store.UserQuery) (*store.UserPage, error) {
	c.count("ListUsers")
	return c.Store.ListUsers(ctx, q)
}

func (c *counting) CountUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	c.count("CountUsers")
	return c.Store.CountUsers(ctx, f)
}

func (c *counting) PatchUsers(ctx context.Context, f *store.UserFilter, p store.UserPatch) (int, error) {
	c.count("PatchUsers")
	return c.Store.PatchUsers(ctx, f, p)
}

func (c *counting) DeleteUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	c.count("DeleteUsers")
	return c.Store.DeleteUsers(ctx, f)
}

func (c *counting) RecordActivity(ctx context.Context, batch []store.Activity) error {
	c.count("RecordActivity")
	return c.Store.RecordActivity(ctx, batch)
}

func (c *counting) RecordLoginFailure(ctx context.Context, id string, next func(store.Lockout) store.Lockout) (store.Lockout, error) {
	c.count("RecordLoginFailure")
	return c.Store.RecordLoginFailure(ctx, id, next)
}

func (c *counting) ClearLockout(ctx context.Context, id string) error {
	c.count("ClearLockout")
	return c.Store.ClearLockout(ctx, id)
}

func (c *counting) ListUsernameKeys(ctx context.Context, after string, limit int) ([]store.UsernameKey, error) {
	c.count("ListUsernameKeys")
	return c.Store.ListUsernameKeys(ctx, after, limit)
}

func (c *counting) SetUsernameKey(ctx context.Context, id, old, key string) error {
	c.count("SetUsernameKey")
	return c.Store.SetUsernameKey(ctx, id, old, key)
}

func (c *counting) GetSetting(ctx context.Context, name string) (string, error) {
	c.count("GetSetting")
	return c.Store.GetSetting(ctx, name)
}

func (c *counting) CreateSetting(ctx context.Context, name, value string) error {
	c.count("CreateSetting")
	return c.Store.CreateSetting(ctx, name, value)
}

func (c *counting) PutSetting(ctx context.Context, name, value string) error {
	c.count("PutSetting")
	return c.Store.PutSetting(ctx, name, value)
}

func (c *counting) DeleteSetting(ctx context.Context, name string) error {
	c.count("DeleteSetting")
	return c.Store.DeleteSetting(ctx, name)
}

func (c *counting) PutRecoveryToken(ctx context.Context, t *store.RecoveryToken) error {
	c.count("PutRecoveryToken")
	return c.Store.PutRecoveryToken(ctx, t)
}

func (c *counting) GetRecoveryToken(ctx context.Context, purpose store.TokenPurpose, subject string) (*store.RecoveryToken, error) {
	c.count("GetRecoveryToken")
	return c.Store.GetRecoveryToken(ctx, purpose, subject)
}

func (c *counting) FindRecoveryToken(ctx context.Context, purpose store.TokenPurpose, hash string) (*store.RecoveryToken, error) {
	c.count("FindRecoveryToken")
	return c.Store.FindRecoveryToken(ctx, purpose, hash)
}

func (c *counting) UseRecoveryToken(ctx context.Context, id string, at time.Time) error {
	c.count("UseRecoveryToken")
	return c.Store.UseRecoveryToken(ctx, id, at)
}

func (c *counting) FailRecoveryToken(ctx context.Context, id string, at time.Time, limit int) (int, error) {
	c.count("FailRecoveryToken")
	return c.Store.FailRecoveryToken(ctx, id, at, limit)
}

func (c *counting) PurgeRecoveryTokens(ctx context.Context, t time.Time) (int, error) {
	c.count("PurgeRecoveryTokens")
	return c.Store.PurgeRecoveryTokens(ctx, t)
}

func (c *counting) TakeTurn(ctx context.Context, key string, now time.Time, interval time.Duration) (bool, time.Time, error) {
	c.count("TakeTurn")
	return c.Store.TakeTurn(ctx, key, now, interval)
}

func (c *counting) PurgeTurns(ctx context.Context, t time.Time) (int, error) {
	c.count("PurgeTurns")
	return c.Store.PurgeTurns(ctx, t)
}

func (c *counting) EnqueueOutbox(ctx context.Context, msgs ...*store.OutboxMessage) error {
	c.count("EnqueueOutbox")
	return c.Store.EnqueueOutbox(ctx, msgs...)
}

func (c *counting) ClaimOutbox(ctx context.Context, cl store.OutboxClaim) ([]*store.OutboxMessage, error) {
	c.count("ClaimOutbox")
	return c.Store.ClaimOutbox(ctx, cl)
}

func (c *counting) CompleteOutbox(ctx context.Context, id string, lease store.OutboxLease, at time.Time) error {
	c.count("CompleteOutbox")
	return c.Store.CompleteOutbox(ctx, id, lease, at)
}

func (c *counting) RetryOutbox(ctx context.Context, id string, lease store.OutboxLease, next time.Time, errText string) error {
	c.count("RetryOutbox")
	return c.Store.RetryOutbox(ctx, id, lease, next, errText)
}

func (c *counting) DropOutbox(ctx context.Context, id string, lease store.OutboxLease, at time.Time, errText string) error {
	c.count("DropOutbox")
	return c.Store.DropOutbox(ctx, id, lease, at, errText)
}

func (c *counting) GetOutbox(ctx context.Context, id string) (*store.OutboxMessage, error) {
	c.count("GetOutbox")
	return c.Store.GetOutbox(ctx, id)
}

func (c *counting) NextOutboxDue(ctx context.Context, kind string, after time.Time) (time.Time, error) {
	c.count("NextOutboxDue")
	return c.Store.NextOutboxDue(ctx, kind, after)
}

func (c *counting) PurgeOutbox(ctx context.Context, t time.Time) (int, error) {
	c.count("PurgeOutbox")
	return c.Store.PurgeOutbox(ctx, t)
}
