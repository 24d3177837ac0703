package e2e

import (
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// The refresh-token reuse window (USERGRAPH_REFRESH_REUSE_WINDOW): a repeat
// of the just-rotated token within it gets a sibling successor; a repeat
// after it, or of an older token, ends the session.

// twoInstances starts two servers on one database, as two instances
// behind a load balancer (startInstances).
func twoInstances(t *testing.T, opts ...option) (*testServer, *testServer) {
	t.Helper()
	s := startInstances(t, 2, opts...)
	return s[0], s[1]
}

// refreshConcurrently refreshes with the same token from every goroutine at once,
// round-robin over the servers, and returns the responses.
func refreshConcurrently(t *testing.T, servers []*testServer, refresh string, n int) []*gqlResponse {
	t.Helper()
	results := make([]*gqlResponse, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			results[i] = refreshSession(t, servers[i%len(servers)], refresh)
		})
	}
	close(start)
	wg.Wait()
	return results
}

// Tabs that refresh with the same token at the same instant, through two
// instances, all get working tokens of the same session, and each of those
// rotates on its own afterwards.
func TestRefreshConcurrentSameToken(t *testing.T) {
	t.Parallel()
	a, b := twoInstances(t)
	a.signup(t, "sessrace", testPassword)
	first := a.login(t, "sessrace", testPassword)
	warmSessionCache(t, a, first)
	warmSessionCache(t, b, first)

	const n = 6
	servers := []*testServer{a, b}
	seen := map[string]bool{first.RefreshToken: true}
	var tabs []auth
	for i, r := range refreshConcurrently(t, servers, first.RefreshToken, n) {
		if len(r.Errors) > 0 {
			t.Fatalf("refresh %d (on instance %d): %+v; want every tab to get tokens", i, i%2, r.Errors)
		}
		var out struct{ RefreshSession auth }
		r.decode(t, &out)
		tab := out.RefreshSession
		if tab.Session.ID != first.Session.ID {
			t.Fatalf("refresh %d: session %s, want the same session %s", i, tab.Session.ID, first.Session.ID)
		}
		if seen[tab.RefreshToken] {
			t.Fatalf("refresh %d: got a refresh token handed out before; want a fresh one per tab", i)
		}
		seen[tab.RefreshToken] = true
		tabs = append(tabs, tab)
	}
	for i, tab := range tabs {
		srv := servers[i%2]
		wantSignedIn(t, srv, "access token of a tab", tab)
		next := mustRefreshSession(t, srv, tab.RefreshToken)
		wantSignedIn(t, servers[(i+1)%2], "access token after the tab's own refresh", next)
	}
}

// A repeat after the window is a replay: the session ends, tokens issued
// since included.
func TestRefreshRepeatAfterWindowEndsSession(t *testing.T) {
	t.Parallel()
	const window = time.Second
	ts := startServer(t, withConfig(func(c *app.Config) { c.Sessions.ReuseWindow = window }))
	ts.signup(t, "sesslate", testPassword)
	first := ts.login(t, "sesslate", testPassword)
	next := mustRefreshSession(t, ts, first.RefreshToken)
	rotated := time.Now()

	time.Sleep(time.Until(rotated.Add(window + 500*time.Millisecond)))
	wantCode(t, refreshSession(t, ts, first.RefreshToken), "UNAUTHENTICATED", 607)
	wantSessionEnded(t, ts, "the successor after a late repeat", next)
}

// Only the just-rotated token gets a sibling: once its successor was used,
// it is an older token, and a repeat ends the session even within the
// window.
func TestRefreshRepeatOfOlderTokenEndsSession(t *testing.T) {
	t.Parallel()
	longWindow := withConfig(func(c *app.Config) { c.Sessions.ReuseWindow = time.Hour }) // no timing in these cases

	t.Run("two rotations back", func(t *testing.T) {
		ts := startServer(t, longWindow)
		ts.signup(t, "sessold", testPassword)
		first := ts.login(t, "sessold", testPassword)
		second := mustRefreshSession(t, ts, first.RefreshToken)
		third := mustRefreshSession(t, ts, second.RefreshToken)
		wantCode(t, refreshSession(t, ts, first.RefreshToken), "UNAUTHENTICATED", 607)
		wantSessionEnded(t, ts, "the newest tokens after an old repeat", third)
	})
	t.Run("a repeat after the successor rotated", func(t *testing.T) {
		ts := startServer(t, longWindow)
		ts.signup(t, "sesssibling", testPassword)
		first := ts.login(t, "sesssibling", testPassword)
		second := mustRefreshSession(t, ts, first.RefreshToken)
		sibling := mustRefreshSession(t, ts, first.RefreshToken) // the other tab
		if sibling.Session.ID != first.Session.ID || sibling.RefreshToken == second.RefreshToken {
			t.Fatalf("repeat within the window: session %s, same token as the successor %v; want a sibling in session %s",
				sibling.Session.ID, sibling.RefreshToken == second.RefreshToken, first.Session.ID)
		}
		third := mustRefreshSession(t, ts, second.RefreshToken)
		wantCode(t, refreshSession(t, ts, first.RefreshToken), "UNAUTHENTICATED", 607)
		wantSessionEnded(t, ts, "the successor's successor", third)
		wantSessionEnded(t, ts, "the sibling", sibling)
	})
}
