package account_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The sign-in lockout as the account service applies it (lockout.go):
// strangers' failures lock the account for strangers; a client with the
// account's device cookie is no stranger.

func withLockout(p lockout.Policy) func(*options) {
	return func(o *options) { o.cfg.Lockout = p }
}

// lockoutOf reads a user's stored lockout.
func (e *env) lockoutOf(t *testing.T, id string) store.Lockout { return e.stored(t, id).Lockout }

// Threshold failures of strangers lock the account for strangers, the
// right password included and without a hash; the owner's device cookie
// (sent as the cookie or in LoginInput) still signs in, its failures do not
// count against the account, and its success does not clear the strangers'
// count; another account's or a forged cookie is a stranger's.
// Administrators unlock.
func TestLockoutSparesKnownDevices(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLockout(lockout.Policy{Threshold: 3, Base: time.Hour, Max: 24 * time.Hour}))
	owner, ownerTok := e.signup(t, "owner", "")
	_, bobTok := e.signup(t, "bob", "")
	stranger := func(pw string) account.Credentials { return account.Credentials{Identifier: "owner", Password: pw} }
	known := func(pw string) account.Credentials {
		return account.Credentials{Identifier: "owner", Password: pw, DeviceCookie: ownerTok.DeviceCookie}
	}

	for i := range 3 {
		if _, err := e.login(t, stranger("wrong password")); apperr.CodeOf(err) != apperr.InvalidCredentials {
			t.Fatalf("stranger's failure %d: %v, want INVALID_CREDENTIALS", i+1, err)
		}
	}
	st := e.lockoutOf(t, owner.ID)
	if st.Failures != 3 || !st.LockedUntil.Equal(st.LastFailure.Add(time.Hour)) {
		t.Fatalf("stored lockout %+v, want 3 failures locked for Base (1 h) from the last", st)
	}
	hashes, err := e.login(t, stranger(goodPassword))
	wantCode(t, "a stranger with the right password while locked", err, apperr.RateLimited, "")
	if ae, _ := apperr.As(err); ae == nil || ae.RetryAfter < 3500 || ae.RetryAfter > 3600 {
		t.Errorf("RetryAfter of a fresh 1 h lock: %v, want about 3600 s", err)
	}
	if hashes != 0 {
		t.Errorf("a refused locked sign-in ran %d hashes, want none", hashes)
	}

	if _, err := e.login(t, known("wrong password")); apperr.CodeOf(err) != apperr.InvalidCredentials {
		t.Errorf("the owner's device, wrong password: %v, want INVALID_CREDENTIALS (not locked)", err)
	}
	if _, err := e.login(t, known(goodPassword)); err != nil {
		t.Errorf("the owner's device (LoginInput.deviceCookie) while locked: %v", err)
	}
	asCookie := session.WithClient(e.ctx, session.Client{IP: "192.0.2.1", DeviceCookie: ownerTok.DeviceCookie})
	if _, err := e.accounts.Login(asCookie, stranger(goodPassword)); err != nil {
		t.Errorf("the owner's device (the cookie itself) while locked: %v", err)
	}
	if got := e.lockoutOf(t, owner.ID); got.Failures != 3 || !got.LockedUntil.Equal(st.LockedUntil) {
		t.Errorf("after the owner's device's sign-ins the lockout is %+v, want the strangers' %+v kept", got, st)
	}
	for name, cookie := range map[string]string{
		"another account's cookie": bobTok.DeviceCookie,
		"a forged cookie":          tamper(ownerTok.DeviceCookie),
	} {
		_, err := e.login(t, account.Credentials{Identifier: "owner", Password: goodPassword, DeviceCookie: cookie})
		wantCode(t, name, err, apperr.RateLimited, "")
	}

	if err := e.accounts.Unlock(e.ctx, owner.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.login(t, stranger(goodPassword)); err != nil {
		t.Errorf("a stranger after unlockAccount: %v", err)
	}
	if got := e.lockoutOf(t, owner.ID); got != (store.Lockout{}) {
		t.Errorf("lockout after unlock and sign-in %+v, want cleared", got)
	}
	wantCode(t, "unlock an unknown user", e.accounts.Unlock(e.ctx, "no-such-user"), apperr.NotFound, "")
}

// Each lockout lasts twice as long as the one before, up to Max; a state
// Max past its lock's end is forgotten, and a stranger's success after a
// lock ends clears it. States are written to the store as the arrange
// step, so no test waits out a lock.
func TestLockoutPeriodsGrow(t *testing.T) {
	t.Parallel()
	policy := lockout.Policy{Threshold: 1, Base: time.Minute, Max: time.Hour}
	e := newEnv(t, withLockout(policy))
	u, _ := e.signup(t, "owner", "")
	bad := account.Credentials{Identifier: "owner", Password: "wrong password"}
	ago := func(d time.Duration) time.Time { return store.Now().Add(-d) }
	cases := []struct {
		name     string
		before   store.Lockout // a lock that has ended
		failures int
		period   time.Duration
	}{
		{"first lock", store.Lockout{}, 1, time.Minute},
		{"second lock", store.Lockout{Failures: 1, LastFailure: ago(3 * time.Minute), LockedUntil: ago(2 * time.Minute)}, 2, 2 * time.Minute},
		{"third lock", store.Lockout{Failures: 2, LastFailure: ago(5 * time.Minute), LockedUntil: ago(3 * time.Minute)}, 3, 4 * time.Minute},
		{"capped at Max", store.Lockout{Failures: 9, LastFailure: ago(3 * time.Hour), LockedUntil: ago(59 * time.Minute)}, 10, time.Hour},
		{"forgotten a Max after the lock", store.Lockout{Failures: 5, LastFailure: ago(2 * time.Hour), LockedUntil: ago(time.Hour)}, 1, time.Minute},
	}
	for _, c := range cases {
		e.setLockout(t, u.ID, c.before)
		if _, err := e.login(t, bad); apperr.CodeOf(err) != apperr.InvalidCredentials {
			t.Fatalf("%s: %v, want INVALID_CREDENTIALS", c.name, err)
		}
		st := e.lockoutOf(t, u.ID)
		if st.Failures != c.failures || st.LockedUntil.Sub(st.LastFailure) != c.period {
			t.Errorf("%s: %d failures locked for %v, want %d for %v", c.name, st.Failures, st.LockedUntil.Sub(st.LastFailure), c.failures, c.period)
		}
	}

	e.setLockout(t, u.ID, store.Lockout{Failures: 4, LastFailure: ago(20 * time.Minute), LockedUntil: ago(time.Second)})
	if _, err := e.login(t, account.Credentials{Identifier: "owner", Password: goodPassword}); err != nil {
		t.Fatalf("a stranger after the lock ended: %v", err)
	}
	if got := e.lockoutOf(t, u.ID); got != (store.Lockout{}) {
		t.Errorf("after a stranger's success the lockout is %+v, want cleared", got)
	}
}

// An identifier that matches no account answers exactly as an account
// does under the same attempts, hashes included, so the lockout tells no
// one which accounts exist; spellings that would find one account count as
// one.
func TestLockoutUnknownIdentifiersAnswerAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLockout(lockout.Policy{Threshold: 2, Base: time.Hour, Max: time.Hour}))
	e.signup(t, "alice", "alice@example.com")
	type answer struct {
		code   apperr.Code
		hashes uint64
	}
	run := func(ids ...string) []answer {
		var out []answer
		for _, id := range ids {
			hashes, err := e.login(t, account.Credentials{Identifier: id, Password: "wrong password"})
			out = append(out, answer{apperr.CodeOf(err), hashes})
		}
		return out
	}
	want := run("alice", "ALICE", "alice", "Alice")
	if want[0] != (answer{apperr.InvalidCredentials, 1}) || want[2] != (answer{apperr.RateLimited, 0}) {
		t.Fatalf("an account's answers %v, want two INVALID_CREDENTIALS (1 hash) then RATE_LIMITED (none)", want)
	}
	for _, ids := range [][]string{
		{"ghost", "GHOST", "ghost", "Ghost"},
		{"ghost@example.com", "Ghost@Example.com", "GHOST@EXAMPLE.COM", "ghost@example.com"},
		{"+14155550199", "+1 415 555 0199", "+1 (415) 555-0199", "+14155550199"},
	} {
		if got := run(ids...); !slices.Equal(got, want) {
			t.Errorf("unknown %v: %v, want the account's %v", ids, got, want)
		}
	}
}

// A device cookie has its own budget of failures; spent, its client is a
// stranger again and the account's lockout applies.
func TestLockoutDeviceBudget(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLockout(lockout.Policy{Threshold: 1, Base: time.Hour, Max: time.Hour}),
		func(o *options) { o.deviceBudget = ratelimit.Rule{Burst: 2, Per: time.Hour} })
	_, tok := e.signup(t, "owner", "")
	if _, err := e.login(t, account.Credentials{Identifier: "owner", Password: "wrong password"}); apperr.CodeOf(err) != apperr.InvalidCredentials {
		t.Fatalf("stranger: %v", err)
	}
	known := func(pw string) account.Credentials {
		return account.Credentials{Identifier: "owner", Password: pw, DeviceCookie: tok.DeviceCookie}
	}
	for i := range 2 {
		if _, err := e.login(t, known("wrong password")); apperr.CodeOf(err) != apperr.InvalidCredentials {
			t.Fatalf("device failure %d: %v, want INVALID_CREDENTIALS", i+1, err)
		}
	}
	_, err := e.login(t, known(goodPassword))
	wantCode(t, "the device after spending its budget, locked account", err, apperr.RateLimited, "")
}

// Only administrators see when a lockout ends, and only while it runs.
func TestLockedUntilShownToAdministrators(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withLockout(lockout.Policy{Threshold: 1, Base: time.Hour, Max: time.Hour}))
	admin := e.admin(t)
	owner := e.member(t, "owner")
	running := store.Lockout{Failures: 1, LastFailure: store.Now(), LockedUntil: store.Now().Add(time.Hour)}
	over := store.Lockout{Failures: 1, LastFailure: store.Now().Add(-2 * time.Hour), LockedUntil: store.Now().Add(-time.Hour)}
	for _, c := range []struct {
		name   string
		viewer *session.Principal
		l      store.Lockout
		shown  bool
	}{
		{"administrator, running", admin, running, true},
		{"the owner, running", owner, running, false},
		{"administrator, over", admin, over, false},
	} {
		got, err := e.accounts.LockedUntil(e.ctx, c.viewer, c.l)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]time.Time{true: c.l.LockedUntil}[c.shown]; !got.Equal(want) {
			t.Errorf("%s: LockedUntil = %v, want %v", c.name, got, want)
		}
	}
}

// setLockout replaces a user's stored lockout.
func (e *env) setLockout(t *testing.T, id string, l store.Lockout) {
	t.Helper()
	if _, err := e.db.RecordLoginFailure(e.ctx, id, func(store.Lockout) store.Lockout { return l }); err != nil {
		t.Fatal(err)
	}
}

// tamper changes one character of a device cookie's MAC.
func tamper(cookie string) string {
	i := strings.LastIndexByte(cookie, '.') + 5
	c := byte('A')
	if cookie[i] == c {
		c = 'B'
	}
	return cookie[:i] + string(c) + cookie[i+1:]
}
