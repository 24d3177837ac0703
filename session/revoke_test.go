package session_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Ending sessions takes effect at the next request, cached tokens included
// (CacheTTL is an hour here): logout ends one session, logoutAll every
// session of the user but the caller's, and nobody else's.
func TestRevokeEndsSessionsAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(t, config())
	alice, bob := e.user(t, "alice"), e.user(t, "bob")
	a1, a2, a3, b1 := open(t, m, alice), open(t, m, alice), open(t, m, alice), open(t, m, bob)
	idle := e.storedSession(t, alice, e.clock.Now().Add(-2*time.Hour)) // idle past IdleTimeout (1 h)
	for _, tok := range []*session.Tokens{a1, a2, a3, b1} {
		mustAuthenticate(t, m, "warm the cache", tok.Access)
	}

	if err := m.Revoke(t.Context(), a1.Session.ID); err != nil {
		t.Fatal(err)
	}
	wantAuthFails(t, m, "the revoked session's access token", a1.Access, ended)
	_, err := m.Refresh(t.Context(), a1.Refresh)
	wantUnauthenticated(t, "the revoked session's refresh token", err, ended)
	mustAuthenticate(t, m, "another session of the user", a2.Access)
	if err := m.Revoke(t.Context(), "no-such-session"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Revoke of an unknown session: %v, want store.ErrNotFound", err)
	}

	// logoutAll from a2: a3 ends; a1 had ended and the idle one was over,
	// so one live session ended.
	n, err := m.RevokeUser(t.Context(), alice.ID, a2.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("RevokeUser counted %d sessions, want 1 (the live ones it ended)", n)
	}
	wantAuthFails(t, m, "a session logoutAll ended", a3.Access, ended)
	mustAuthenticate(t, m, "the caller's own session", a2.Access)
	mustAuthenticate(t, m, "another user's session", b1.Access)
	if s, err := e.db.GetSession(t.Context(), idle); err != nil || !s.Revoked() {
		t.Errorf("the idle session after RevokeUser: revoked %v (%v), want revoked too", s != nil && s.Revoked(), err)
	}

	if _, err := m.RevokeUsers(t.Context(), []string{alice.ID, bob.ID}, ""); err != nil {
		t.Fatal(err)
	}
	wantAuthFails(t, m, "alice after RevokeUsers", a2.Access, ended)
	wantAuthFails(t, m, "bob after RevokeUsers", b1.Access, ended)
}

// List shows a user's live sessions only, oldest first; Get finds one only
// for its own user and while it is live.
func TestListAndGetShowLiveSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(t, config())
	alice, bob := e.user(t, "alice"), e.user(t, "bob")
	first := open(t, m, alice)
	e.clock.Advance(time.Second)
	second := open(t, m, alice)
	revoked := open(t, m, alice)
	if err := m.Revoke(t.Context(), revoked.Session.ID); err != nil {
		t.Fatal(err)
	}
	idle := e.storedSession(t, alice, e.clock.Now().Add(-2*time.Hour))
	bobs := open(t, m, bob)

	var got []string
	for _, s := range listOrFail(t, m, alice.ID) {
		got = append(got, s.ID)
	}
	if want := []string{first.Session.ID, second.Session.ID}; !slices.Equal(got, want) {
		t.Errorf("List(alice) = %v, want the live sessions oldest first %v", got, want)
	}
	if n := len(listOrFail(t, m, alice.ID, bob.ID)); n != 3 {
		t.Errorf("List(alice, bob) has %d sessions, want 3", n)
	}

	if _, err := m.Get(t.Context(), alice.ID, first.Session.ID); err != nil {
		t.Errorf("Get of the user's live session: %v", err)
	}
	for _, c := range []struct{ name, user, session string }{
		{"another user's session", alice.ID, bobs.Session.ID},
		{"a revoked session", alice.ID, revoked.Session.ID},
		{"an idle session", alice.ID, idle},
		{"an unknown session", alice.ID, "no-such-session"},
	} {
		if _, err := m.Get(t.Context(), c.user, c.session); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get of %s: %v, want store.ErrNotFound", c.name, err)
		}
	}
}

// A user changed through this instance is re-read at the next request once
// the service says so (ForgetUsers); a change made elsewhere (another
// instance, here the store directly) is seen within CacheTTL.
func TestCacheForgetsChangedUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.CacheTTL = time.Minute
	m, other := e.manager(t, cfg), e.manager(t, cfg)
	alice, bob := e.user(t, "alice"), e.user(t, "bob")
	ta, tb := open(t, m, alice), open(t, m, bob)
	mustAuthenticate(t, m, "alice, to cache", ta.Access)
	mustAuthenticate(t, m, "bob, to cache", tb.Access)

	// Roles changed by this instance: re-read at once.
	if _, err := e.db.UpdateUser(t.Context(), alice.ID, func(u *store.User) error {
		u.Roles = []string{"user", "editor"}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m.ForgetUsers(alice.ID)
	if p := mustAuthenticate(t, m, "alice after ForgetUsers", ta.Access); !slices.Equal(p.User.Roles, []string{"user", "editor"}) {
		t.Errorf("roles after ForgetUsers = %v, want the stored [user editor]", p.User.Roles)
	}
	e.setStatus(t, alice.ID, store.StatusSuspended)
	m.ForgetUsers(alice.ID)
	wantAuthFails(t, m, "suspended, ForgetUsers", ta.Access, ended)

	// Suspended elsewhere: served from the cache until CacheTTL passes.
	e.setStatus(t, bob.ID, store.StatusSuspended)
	mustAuthenticate(t, m, "bob suspended elsewhere, within CacheTTL", tb.Access)
	wantAuthFails(t, other, "bob on an instance without a cached entry", tb.Access, ended)
	e.clock.Advance(cfg.CacheTTL)
	wantAuthFails(t, m, "bob suspended elsewhere, after CacheTTL", tb.Access, ended)
}

// A session revoked by another instance ends here within CacheTTL, and at
// once on the instance that revoked it.
func TestCacheSeesOtherInstancesRevocationsWithinTTL(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.CacheTTL = time.Minute
	a, b := e.manager(t, cfg), e.manager(t, cfg)
	tok := open(t, a, e.user(t, "alice"))
	mustAuthenticate(t, a, "on a, to cache", tok.Access)
	mustAuthenticate(t, b, "on b, to cache", tok.Access)

	if err := b.Revoke(t.Context(), tok.Session.ID); err != nil {
		t.Fatal(err)
	}
	wantAuthFails(t, b, "on the instance that revoked it", tok.Access, ended)
	mustAuthenticate(t, a, "on the other instance, within CacheTTL", tok.Access)
	e.clock.Advance(cfg.CacheTTL)
	wantAuthFails(t, a, "on the other instance, after CacheTTL", tok.Access, ended)
}

// With CacheTTL 0 nothing is cached: a revocation or a suspension made by
// another instance is seen by this one at its very next request, the clock standing still, on both paths that would
// otherwise trust what they read (Authenticate and Refresh).
func TestCacheTTLZeroSeesOtherInstancesAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.CacheTTL = 0
	a, b := e.manager(t, cfg), e.manager(t, cfg)

	revoked := open(t, a, e.user(t, "alice"))
	mustAuthenticate(t, a, "alice on a, twice", revoked.Access)
	mustAuthenticate(t, a, "alice on a, twice", revoked.Access)
	if err := b.Revoke(t.Context(), revoked.Session.ID); err != nil {
		t.Fatal(err)
	}
	wantAuthFails(t, a, "a session b revoked, on a at once", revoked.Access, ended)

	bob := e.user(t, "bob")
	suspended := open(t, a, bob)
	mustAuthenticate(t, a, "bob on a", suspended.Access)
	next := mustRefresh(t, a, "bob's refresh on a", suspended.Refresh)
	e.setStatus(t, bob.ID, store.StatusSuspended) // another instance's write
	wantAuthFails(t, a, "bob suspended elsewhere, on a at once", next.Access, ended)
	if _, err := a.Refresh(t.Context(), next.Refresh); err == nil {
		t.Error("bob suspended elsewhere: a refresh on a succeeded, want it refused at once")
	}
}

// storedSession stores a session of u, opened a day ago, last seen at
// lastSeen and expiring in a day.
func (e *env) storedSession(t *testing.T, u *store.User, lastSeen time.Time) string {
	t.Helper()
	now := e.clock.Now()
	s := &store.Session{ID: store.NewID(), UserID: u.ID, Kind: store.SessionUser,
		CreatedAt: now.Add(-24 * time.Hour), LastSeenAt: lastSeen, ExpiresAt: now.Add(24 * time.Hour)}
	if err := e.db.CreateSession(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	return s.ID
}
