package session_test

import (
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// A refresh consumes its token and hands out a successor in the same
// session; without a reuse window any repeat of a consumed token ends the
// session, tokens issued since included.
func TestRefreshRotatesAndReuseEndsTheSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(t, config()) // ReuseWindow 0
	alice := e.user(t, "alice")
	first := open(t, m, alice)
	bystander := open(t, m, alice)

	next := mustRefresh(t, m, "the first refresh", first.Refresh)
	if next.Refresh == first.Refresh || next.Access == first.Access {
		t.Fatal("a refresh handed out the tokens it was given")
	}
	if next.Session.ID != first.Session.ID || next.User.ID != alice.ID {
		t.Fatalf("refresh gave session %s of user %s, want session %s of alice", next.Session.ID, next.User.ID, first.Session.ID)
	}
	mustAuthenticate(t, m, "the successor's access token", next.Access)
	mustAuthenticate(t, m, "the old access token, within its lifetime", first.Access)

	_, err := m.Refresh(t.Context(), first.Refresh)
	wantUnauthenticated(t, "a repeat of the consumed token", err, ended)
	wantAuthFails(t, m, "access token issued after the stolen one", next.Access, ended)
	_, err = m.Refresh(t.Context(), next.Refresh)
	wantUnauthenticated(t, "refresh token issued after the stolen one", err, ended)
	mustAuthenticate(t, m, "the user's other session", bystander.Access)

	_, err = m.Refresh(t.Context(), "ugr_never-issued")
	wantUnauthenticated(t, "an unknown refresh token", err, ended)
	mustAuthenticate(t, m, "the other session after an unknown token", bystander.Access)
}

// The reuse window (refresh.go): a repeat of the just-rotated token within
// the window gets a sibling successor in the same session, and both
// successors stay valid. A repeat after the window, or of an older token
// (whose successor was used), ends the session; an ended session gets no
// sibling.
func TestRefreshReuseWindow(t *testing.T) {
	t.Parallel()
	const window = 30 * time.Second
	cfg := config()
	cfg.ReuseWindow = window
	cases := []struct {
		name    string
		before  func(t *testing.T, m *session.Manager, first, next *session.Tokens) // after the first rotation
		wait    time.Duration
		sibling bool // else the repeat ends the session
	}{
		{"at once", nil, 0, true},
		{"at the end of the window", nil, window, true},
		{"just after the window", nil, window + time.Millisecond, false},
		{"of an older token", func(t *testing.T, m *session.Manager, _, next *session.Tokens) {
			mustRefresh(t, m, "the successor's own refresh", next.Refresh)
		}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			m := e.manager(t, cfg)
			first := open(t, m, e.user(t, "alice"))
			next := mustRefresh(t, m, "the first rotation", first.Refresh)
			if c.before != nil {
				c.before(t, m, first, next)
			}
			e.clock.Advance(c.wait)
			repeat, err := m.Refresh(t.Context(), first.Refresh)
			if !c.sibling {
				wantUnauthenticated(t, "the repeat", err, ended)
				wantAuthFails(t, m, "the successor's access token", next.Access, ended)
				return
			}
			if err != nil {
				t.Fatalf("the repeat: %v, want a sibling successor", err)
			}
			if repeat.Session.ID != first.Session.ID || repeat.Refresh == next.Refresh {
				t.Fatalf("the repeat got session %s and the first successor's token: %t; want a new token of session %s",
					repeat.Session.ID, repeat.Refresh == next.Refresh, first.Session.ID)
			}
			for _, tok := range []*session.Tokens{next, repeat} {
				mustAuthenticate(t, m, "a successor's access token", tok.Access)
				after := mustRefresh(t, m, "a successor's own refresh", tok.Refresh)
				mustAuthenticate(t, m, "after a successor's own refresh", after.Access)
			}
		})
	}
}

// A repeat within the window of a token whose session has ended (logout)
// gets nothing.
func TestRefreshWindowGivesAnEndedSessionNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.ReuseWindow = time.Minute
	m := e.manager(t, cfg)
	first := open(t, m, e.user(t, "alice"))
	mustRefresh(t, m, "the rotation", first.Refresh)
	if err := m.Revoke(t.Context(), first.Session.ID); err != nil {
		t.Fatal(err)
	}
	tok, err := m.Refresh(t.Context(), first.Refresh)
	wantUnauthenticated(t, "a repeat within the window after logout", err, ended)
	if tok != nil {
		t.Fatal("an ended session got new tokens")
	}
}

// Tabs that refresh with one token at the same instant all get tokens of
// the same session, each its own, and each rotates on its own afterwards:
// the store lets one consume the token, the window serves the others.
func TestRefreshConcurrentSameToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.ReuseWindow = time.Minute
	a, b := e.manager(t, cfg), e.manager(t, cfg) // two instances behind a load balancer
	first := open(t, a, e.user(t, "alice"))

	const tabs = 8
	got := make([]*session.Tokens, tabs)
	errs := make([]error, tabs)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range tabs {
		wg.Go(func() {
			<-start
			got[i], errs[i] = []*session.Manager{a, b}[i%2].Refresh(t.Context(), first.Refresh)
		})
	}
	close(start)
	wg.Wait()

	seen := map[string]bool{}
	for i := range tabs {
		if errs[i] != nil {
			t.Fatalf("tab %d: %v, want every tab to get tokens", i, errs[i])
		}
		if got[i].Session.ID != first.Session.ID || seen[got[i].Refresh] {
			t.Fatalf("tab %d: session %s, token seen before %t; want its own token of session %s",
				i, got[i].Session.ID, seen[got[i].Refresh], first.Session.ID)
		}
		seen[got[i].Refresh] = true
	}
	for i, tok := range got {
		m := []*session.Manager{a, b}[(i+1)%2]
		mustAuthenticate(t, m, "a tab's access token", mustRefresh(t, m, "a tab's own refresh", tok.Refresh).Access)
	}
}

// A refresh signs in no user who may no longer be signed in: a suspended
// user's token answers USER_NOT_ACTIVE, a deleted user's is unknown.
func TestRefreshNeedsAnActiveUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(t, config())
	alice, bob := e.user(t, "alice"), e.user(t, "bob")
	// A refresh caches what it read of the session and user (CacheTTL 1 h):
	// the suspension below is heard of through ForgetUsers.
	ta := mustRefresh(t, m, "alice's first refresh", open(t, m, alice).Refresh)
	tb := open(t, m, bob)

	e.setStatus(t, alice.ID, store.StatusSuspended)
	m.ForgetUsers(alice.ID)
	if _, err := m.Refresh(t.Context(), ta.Refresh); apperr.CodeOf(err) != apperr.UserNotActive {
		t.Errorf("refresh of a suspended user: %v, want USER_NOT_ACTIVE", err)
	}
	if err := e.db.DeleteUser(t.Context(), bob.ID); err != nil {
		t.Fatal(err)
	}
	_, err := m.Refresh(t.Context(), tb.Refresh)
	wantUnauthenticated(t, "refresh of a deleted user", err, ended)
}
