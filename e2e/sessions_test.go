package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// Sessions end access at once: after logout, revocation, a password change,
// account deletion, refresh-token reuse, idleness or the absolute lifetime,
// the same access token answers UNAUTHENTICATED on the very next request.

const refreshMutation = `mutation($t: String!) { refreshSession(refreshToken: $t) { ` + authFields + ` } }`

// refreshSession exchanges a refresh token.
func refreshSession(t *testing.T, ts *testServer, refresh string) *gqlResponse {
	t.Helper()
	return ts.gql(t, "", refreshMutation, vars{"t": refresh})
}

// mustRefreshSession exchanges a refresh token and returns the new tokens.
func mustRefreshSession(t *testing.T, ts *testServer, refresh string) auth {
	t.Helper()
	r := refreshSession(t, ts, refresh)
	if len(r.Errors) > 0 {
		t.Fatalf("refreshSession: %+v", r.Errors)
	}
	var out struct{ RefreshSession auth }
	r.decode(t, &out)
	return out.RefreshSession
}

// wantSessionEnded fails unless a's access token answers 607 and its refresh
// token is refused. The refresh check runs last: on a live session it would
// rotate the token.
func wantSessionEnded(t *testing.T, ts *testServer, what string, a auth) {
	t.Helper()
	r := ts.gql(t, a.AccessToken, `{ me { id } }`, nil)
	if r.code() != "UNAUTHENTICATED" || r.status() != 607 {
		t.Fatalf("%s: access token answered code %q status %d, want UNAUTHENTICATED 607 (data %s)", what, r.code(), r.status(), r.Data)
	}
	if r := refreshSession(t, ts, a.RefreshToken); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("%s: refresh token answered code %q (errors %+v, data %s), want UNAUTHENTICATED", what, r.code(), r.Errors, r.Data)
	}
}

// wantSignedIn fails unless a's access token still signs its user in.
func wantSignedIn(t *testing.T, ts *testServer, what string, a auth) {
	t.Helper()
	r := ts.gql(t, a.AccessToken, `{ me { id } }`, nil)
	if len(r.Errors) > 0 {
		t.Fatalf("%s: session ended: %+v", what, r.Errors)
	}
	var out struct{ Me struct{ ID string } }
	r.decode(t, &out)
	if out.Me.ID != a.User.ID {
		t.Fatalf("%s: me = %q, want %q", what, out.Me.ID, a.User.ID)
	}
}

// warmSessionCache uses each token twice, so the server's session cache holds them
// and "at once" is tested against the cache too.
func warmSessionCache(t *testing.T, ts *testServer, as ...auth) {
	t.Helper()
	for _, a := range as {
		wantSignedIn(t, ts, "warm-up", a)
		wantSignedIn(t, ts, "warm-up", a)
	}
}

// loginWithUserAgent logs in sending a User-Agent.
func loginWithUserAgent(t *testing.T, ts *testServer, identifier, userAgent string) auth {
	t.Helper()
	r := ts.post(t, loginMutation, vars{"id": identifier, "pw": testPassword}, "User-Agent", userAgent)
	if len(r.Errors) > 0 {
		t.Fatalf("login: %+v", r.Errors)
	}
	var out struct{ Login auth }
	r.decode(t, &out)
	return out.Login
}

type apiSession struct {
	ID         string
	Kind       string
	UserAgent  *string
	IP         *string
	Current    bool
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// listSessions returns the caller's sessions as User.sessions lists them.
func listSessions(t *testing.T, ts *testServer, token string) []apiSession {
	t.Helper()
	var out struct {
		Me struct{ Sessions []apiSession }
	}
	ts.mustGQL(t, token, `{ me { sessions { id kind userAgent ip current createdAt lastSeenAt expiresAt } } }`, nil).decode(t, &out)
	return out.Me.Sessions
}

func sessionIDs(list []apiSession) []string {
	ids := make([]string, len(list))
	for i, s := range list {
		ids[i] = s.ID
	}
	return ids
}

// With the reuse window off, any repeat of a consumed refresh token ends
// the session, even one of the token just rotated (sessions_refresh_window_test.go
// has the window).
func TestRefreshRotationAndReuse(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Sessions.ReuseWindow = 0 }))
	ts.signup(t, "sessrot", testPassword)
	other := ts.login(t, "sessrot", testPassword)
	first := ts.login(t, "sessrot", testPassword)

	second := mustRefreshSession(t, ts, first.RefreshToken)
	if second.Session.ID != first.Session.ID || second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken {
		t.Fatalf("refresh should rotate both tokens within the session: %+v", second)
	}
	wantSignedIn(t, ts, "refreshed access token", second)
	third := mustRefreshSession(t, ts, second.RefreshToken)
	warmSessionCache(t, ts, third)

	t.Run("a consumed refresh token is refused", func(t *testing.T) {
		wantCode(t, refreshSession(t, ts, second.RefreshToken), "UNAUTHENTICATED", 607)
	})
	t.Run("its reuse ended the whole session", func(t *testing.T) {
		wantSessionEnded(t, ts, "newest tokens of the session", third)
		wantCode(t, ts.gql(t, first.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 607)
		wantCode(t, refreshSession(t, ts, first.RefreshToken), "UNAUTHENTICATED", 607)
	})
	t.Run("other sessions of the user are untouched", func(t *testing.T) {
		wantSignedIn(t, ts, "other session", other)
		mustRefreshSession(t, ts, other.RefreshToken)
	})
}

func TestRefreshUnknownToken(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	for _, tok := range []string{"ugr_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not-a-refresh-token", ""} {
		t.Run("token "+tok, func(t *testing.T) {
			wantCode(t, refreshSession(t, ts, tok), "UNAUTHENTICATED", 607)
		})
	}
	t.Run("an access token is not a refresh token", func(t *testing.T) {
		a := ts.signup(t, "sessunknown", testPassword)
		wantCode(t, refreshSession(t, ts, a.AccessToken), "UNAUTHENTICATED", 607)
		wantSignedIn(t, ts, "session after the failed refresh", a)
	})
}

func TestLogoutEndsSessionAtOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.signup(t, "sesslogout", testPassword)
	b := ts.login(t, "sesslogout", testPassword)
	warmSessionCache(t, ts, a, b)

	var out struct{ Logout bool }
	ts.mustGQL(t, a.AccessToken, `mutation { logout }`, nil).decode(t, &out)
	if !out.Logout {
		t.Fatal("logout = false")
	}
	wantSessionEnded(t, ts, "logged-out session", a)
	wantSignedIn(t, ts, "the user's other session", b)
	wantCode(t, ts.gql(t, a.AccessToken, `mutation { logout }`, nil), "UNAUTHENTICATED", 607)
}

func TestLogoutAllEndsEverySession(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	gone := ts.signup(t, "sesslogoutall", testPassword)
	ts.mustGQL(t, gone.AccessToken, `mutation { logout }`, nil) // already ended: not counted
	var mine []auth
	for range 3 {
		mine = append(mine, ts.login(t, "sesslogoutall", testPassword))
	}
	stranger := ts.signup(t, "sessstranger", testPassword)
	warmSessionCache(t, ts, append(mine, stranger)...)

	var out struct{ LogoutAll int }
	ts.mustGQL(t, mine[1].AccessToken, `mutation { logoutAll }`, nil).decode(t, &out)
	if out.LogoutAll != 3 {
		t.Errorf("logoutAll = %d, want 3 (the caller's live sessions)", out.LogoutAll)
	}
	for i, a := range mine {
		wantSessionEnded(t, ts, "session "+string(rune('0'+i)), a)
	}
	wantSignedIn(t, ts, "another user's session", stranger)
}

func TestRevokeSession(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a1 := ts.signup(t, "sessrevoke", testPassword)
	a2 := ts.login(t, "sessrevoke", testPassword)
	m := ts.signup(t, "sessmallory", testPassword)
	warmSessionCache(t, ts, a1, a2, m)
	const revoke = `mutation($id: ID!) { revokeSession(id: $id) }`

	t.Run("another user's session is NOT_FOUND and keeps working", func(t *testing.T) {
		wantCode(t, ts.gql(t, m.AccessToken, revoke, vars{"id": a2.Session.ID}), "NOT_FOUND", 605)
		wantSignedIn(t, ts, "victim session", a2)
	})
	t.Run("unknown id is NOT_FOUND", func(t *testing.T) {
		wantCode(t, ts.gql(t, a1.AccessToken, revoke, vars{"id": "0190f1a0-0000-7000-8000-000000000000"}), "NOT_FOUND", 605)
	})
	t.Run("own other session", func(t *testing.T) {
		var out struct{ RevokeSession bool }
		ts.mustGQL(t, a1.AccessToken, revoke, vars{"id": a2.Session.ID}).decode(t, &out)
		if !out.RevokeSession {
			t.Fatal("revokeSession = false")
		}
		wantSessionEnded(t, ts, "revoked session", a2)
		wantSignedIn(t, ts, "caller", a1)
		wantSignedIn(t, ts, "other user", m)
	})
	t.Run("an ended session is NOT_FOUND", func(t *testing.T) {
		wantCode(t, ts.gql(t, a1.AccessToken, revoke, vars{"id": a2.Session.ID}), "NOT_FOUND", 605)
	})
	t.Run("own current session", func(t *testing.T) {
		ts.mustGQL(t, a1.AccessToken, revoke, vars{"id": a1.Session.ID})
		wantSessionEnded(t, ts, "caller after revoking itself", a1)
	})
}

func TestSessionChangePassword(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	const newPassword = "a brand new passphrase"
	cur := ts.signup(t, "sesspw", testPassword)
	other := ts.login(t, "sesspw", testPassword)
	stranger := ts.signup(t, "sesspwother", testPassword)
	warmSessionCache(t, ts, cur, other, stranger)
	const change = `mutation($old: String!, $new: String!) { changePassword(oldPassword: $old, newPassword: $new) }`

	t.Run("wrong old password", func(t *testing.T) {
		wantCode(t, ts.gql(t, cur.AccessToken, change, vars{"old": "not my password", "new": newPassword}), "WRONG_PASSWORD", 604)
		wantSignedIn(t, ts, "other session after a refused change", other)
	})
	t.Run("weak new password", func(t *testing.T) {
		for _, weak := range []string{"short", "password123", "SessPW@example.com"} {
			wantCode(t, ts.gql(t, cur.AccessToken, change, vars{"old": testPassword, "new": weak}), "WEAK_PASSWORD", 0)
		}
		wantSignedIn(t, ts, "other session after a refused change", other)
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "sesspw", "pw": "short"}), "INVALID_CREDENTIALS", 603)
	})
	t.Run("success", func(t *testing.T) {
		var out struct{ ChangePassword bool }
		ts.mustGQL(t, cur.AccessToken, change, vars{"old": testPassword, "new": newPassword}).decode(t, &out)
		if !out.ChangePassword {
			t.Fatal("changePassword = false")
		}
		wantSignedIn(t, ts, "the caller's session", cur)
		wantSessionEnded(t, ts, "the user's other session", other)
		wantSignedIn(t, ts, "another user's session", stranger)
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "sesspw", "pw": testPassword}), "INVALID_CREDENTIALS", 603)
		if a := ts.login(t, "sesspw", newPassword); a.User.ID != cur.User.ID {
			t.Fatalf("login with the new password is user %s, want %s", a.User.ID, cur.User.ID)
		}
		// The caller's refresh token still works too.
		mustRefreshSession(t, ts, cur.RefreshToken)
	})
}

func TestSessionDeleteAccount(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.signup(t, "sessdelete", testPassword)
	b := ts.login(t, "sessdelete", testPassword)
	stranger := ts.signup(t, "sessdeleteother", testPassword)
	warmSessionCache(t, ts, a, b, stranger)
	const del = `mutation($pw: String!) { deleteAccount(password: $pw) }`

	t.Run("wrong password", func(t *testing.T) {
		wantCode(t, ts.gql(t, a.AccessToken, del, vars{"pw": "not my password"}), "WRONG_PASSWORD", 604)
		wantSignedIn(t, ts, "after a refused deletion", a)
	})
	t.Run("right password", func(t *testing.T) {
		var out struct{ DeleteAccount bool }
		ts.mustGQL(t, a.AccessToken, del, vars{"pw": testPassword}).decode(t, &out)
		if !out.DeleteAccount {
			t.Fatal("deleteAccount = false")
		}
		wantSessionEnded(t, ts, "the caller's session", a)
		wantSessionEnded(t, ts, "the user's other session", b)
		wantSignedIn(t, ts, "another user's session", stranger)
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "sessdelete", "pw": testPassword}), "INVALID_CREDENTIALS", 603)
	})
	t.Run("the username is free again", func(t *testing.T) {
		again := ts.signup(t, "sessdelete", testPassword)
		if again.User.ID == a.User.ID {
			t.Fatal("the new account reused the deleted account's id")
		}
		// The deleted account's token does not come back to life.
		wantCode(t, ts.gql(t, a.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 607)
	})
}

func TestSessionListShowsLiveSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "sesslist", testPassword)
	laptop := loginWithUserAgent(t, ts, "sesslist", "sess-test/1.0 (laptop)")
	phone := loginWithUserAgent(t, ts, "sesslist", "sess-test/2.0 (phone)")
	stranger := ts.signup(t, "sessliststranger", testPassword)

	list := listSessions(t, ts, laptop.AccessToken)
	if len(list) != 3 {
		t.Fatalf("sessions = %v, want 3 (sign-up, laptop, phone)", sessionIDs(list))
	}
	var current []string
	agents := map[string]string{}
	for _, s := range list {
		if s.Current {
			current = append(current, s.ID)
		}
		if s.IP == nil || *s.IP != "127.0.0.1" {
			t.Errorf("session %s: ip = %v, want 127.0.0.1", s.ID, s.IP)
		}
		if s.Kind != "USER" {
			t.Errorf("session %s: kind = %s, want USER", s.ID, s.Kind)
		}
		if !s.ExpiresAt.After(s.CreatedAt) || s.LastSeenAt.Before(s.CreatedAt) {
			t.Errorf("session %s: times out of order: %+v", s.ID, s)
		}
		if s.UserAgent != nil {
			agents[s.ID] = *s.UserAgent
		}
	}
	if len(current) != 1 || current[0] != laptop.Session.ID {
		t.Errorf("current sessions = %v, want exactly [%s]", current, laptop.Session.ID)
	}
	if agents[laptop.Session.ID] != "sess-test/1.0 (laptop)" || agents[phone.Session.ID] != "sess-test/2.0 (phone)" {
		t.Errorf("user agents = %v", agents)
	}

	t.Run("current follows the caller", func(t *testing.T) {
		for _, s := range listSessions(t, ts, phone.AccessToken) {
			if s.Current != (s.ID == phone.Session.ID) {
				t.Errorf("seen from the phone, session %s current = %v", s.ID, s.Current)
			}
		}
	})
	t.Run("another user sees none", func(t *testing.T) {
		var out struct {
			User struct{ Sessions []apiSession }
		}
		ts.mustGQL(t, stranger.AccessToken, `query($id: ID!) { user(id: $id) { sessions { id } } }`, vars{"id": laptop.User.ID}).decode(t, &out)
		if len(out.User.Sessions) != 0 {
			t.Errorf("another user sees sessions %v", sessionIDs(out.User.Sessions))
		}
	})
	t.Run("a revoked session is gone", func(t *testing.T) {
		ts.mustGQL(t, laptop.AccessToken, `mutation($id: ID!) { revokeSession(id: $id) }`, vars{"id": phone.Session.ID})
		for _, s := range listSessions(t, ts, laptop.AccessToken) {
			if s.ID == phone.Session.ID {
				t.Fatalf("revoked session %s still listed", s.ID)
			}
		}
		if n := len(listSessions(t, ts, laptop.AccessToken)); n != 2 {
			t.Fatalf("%d sessions listed after one revoke, want 2", n)
		}
	})
}

func TestIdleTimeoutEndsUnusedSessions(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.Sessions.IdleTimeout = time.Second
		c.Sessions.CacheTTL = 0
	}))
	ts.signup(t, "sessidle", testPassword)
	active := ts.login(t, "sessidle", testPassword)
	idle := ts.login(t, "sessidle", testPassword)

	// The active session is used every 300 ms for 1.5 s: longer than the
	// idle timeout in total, never idle for as long.
	start := time.Now()
	for time.Since(start) < 1500*time.Millisecond {
		time.Sleep(300 * time.Millisecond)
		wantSignedIn(t, ts, "active session at "+time.Since(start).Round(time.Millisecond).String(), active)
	}

	t.Run("idle session answers 608", func(t *testing.T) {
		wantCode(t, ts.gql(t, idle.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 608)
	})
	t.Run("idle session cannot be refreshed", func(t *testing.T) {
		wantCode(t, refreshSession(t, ts, idle.RefreshToken), "UNAUTHENTICATED", 0)
		wantCode(t, ts.gql(t, idle.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
	})
	t.Run("active session lives on", func(t *testing.T) {
		wantSignedIn(t, ts, "active session", active)
		if ids := sessionIDs(listSessions(t, ts, active.AccessToken)); len(ids) != 1 || ids[0] != active.Session.ID {
			t.Errorf("listed sessions = %v, want only the active one %s", ids, active.Session.ID)
		}
		active = mustRefreshSession(t, ts, active.RefreshToken)
	})
	t.Run("logoutAll counts only sessions it ended", func(t *testing.T) {
		// The sign-up and idle sessions were already over: not counted.
		var out struct{ LogoutAll int }
		ts.mustGQL(t, active.AccessToken, `mutation { logoutAll }`, nil).decode(t, &out)
		if out.LogoutAll != 1 {
			t.Errorf("logoutAll = %d, want 1 (the one live session; idle ones had ended already)", out.LogoutAll)
		}
		wantSessionEnded(t, ts, "active session after logoutAll", active)
	})
}

func TestSessionLifetimeEndsActiveSessions(t *testing.T) {
	t.Parallel()
	// The session cache stays on (default TTL 5 s, longer than the
	// lifetime): a cached session must still end on time.
	ts := startServer(t, withConfig(func(c *app.Config) { c.Sessions.Lifetime = 2 * time.Second }))
	ts.signup(t, "sesslife", testPassword)
	a := ts.login(t, "sesslife", testPassword)
	start := time.Now()

	// The refresh comes early, so that a loaded machine's delays cannot push
	// it past the 2 s lifetime (it would then be refused, rightly).
	refreshed := false
	for time.Since(start) < 1200*time.Millisecond {
		wantSignedIn(t, ts, "session at "+time.Since(start).Round(time.Millisecond).String(), a)
		if !refreshed && time.Since(start) > 250*time.Millisecond {
			// A refresh gives new tokens but does not extend the session.
			a = mustRefreshSession(t, ts, a.RefreshToken)
			refreshed = true
		}
		time.Sleep(300 * time.Millisecond)
	}
	time.Sleep(time.Until(start.Add(2500 * time.Millisecond)))

	wantCode(t, ts.gql(t, a.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 608)
	wantCode(t, refreshSession(t, ts, a.RefreshToken), "UNAUTHENTICATED", 0)
	wantCode(t, ts.gql(t, a.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 0)
	// Signing in again is possible: the account is fine, the session ended.
	wantSignedIn(t, ts, "new session", ts.login(t, "sesslife", testPassword))
}

func TestRestartKeepsSessionsAndKeys(t *testing.T) {
	t.Parallel()
	// Activity is flushed only on Close: the periodic flush never runs here.
	ts := startServer(t, withConfig(func(c *app.Config) {
		c.HTTP.Listen = freeAddr(t)
		c.Sessions.ActivityFlush = time.Hour
	}))
	ts.signup(t, "sessrestart1", testPassword)
	ts.signup(t, "sessrestart2", testPassword)
	a := ts.login(t, "sessrestart1", testPassword)
	time.Sleep(10 * time.Millisecond) // the request below is seen strictly after sign-in
	wantSignedIn(t, ts, "before restart", a)
	kids := map[string]bool{}
	for _, k := range fetchJWKS(t, ts) {
		kids[k.Kid] = true
	}

	ts2 := ts.restart()
	if ts2.url != ts.url {
		t.Fatalf("restarted on %s, want %s", ts2.url, ts.url)
	}

	t.Run("users can log in", func(t *testing.T) {
		ts2.login(t, "sessrestart1", testPassword)
		ts2.login(t, "sessrestart2", testPassword)
	})
	t.Run("signing keys persisted", func(t *testing.T) {
		keys := fetchJWKS(t, ts2)
		if len(keys) != len(kids) {
			t.Fatalf("JWKS has %d keys after restart, want %d", len(keys), len(kids))
		}
		for _, k := range keys {
			if !kids[k.Kid] {
				t.Fatalf("new key %s after restart", k.Kid)
			}
		}
	})
	t.Run("activity was written on close", func(t *testing.T) {
		var out struct {
			Me struct {
				LastRequestAt *time.Time
				Sessions      []apiSession
			}
		}
		ts2.mustGQL(t, a.AccessToken, `{ me { lastRequestAt sessions { id createdAt lastSeenAt } } }`, nil).decode(t, &out)
		if out.Me.LastRequestAt == nil {
			t.Fatal("lastRequestAt is null after restart: activity was not flushed on Close")
		}
		found := false
		for _, s := range out.Me.Sessions {
			if s.ID == a.Session.ID {
				found = true
				if !s.LastSeenAt.After(s.CreatedAt) {
					t.Errorf("lastSeenAt %v is not after createdAt %v: activity was not flushed on Close", s.LastSeenAt, s.CreatedAt)
				}
			}
		}
		if !found {
			t.Fatalf("session %s not listed after restart", a.Session.ID)
		}
	})
	t.Run("old tokens still work", func(t *testing.T) {
		wantSignedIn(t, ts2, "old access token", a)
		next := mustRefreshSession(t, ts2, a.RefreshToken)
		if next.Session.ID != a.Session.ID {
			t.Fatalf("refresh after restart opened session %s, want %s", next.Session.ID, a.Session.ID)
		}
		wantSignedIn(t, ts2, "refreshed access token", next)
	})
}

func TestCookieAuthentication(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	name := ts.cfg.HTTP.CookieName
	if name != "usergraph_token" {
		t.Fatalf("default cookie name = %q, want usergraph_token", name)
	}
	ts.signup(t, "sesscookie", testPassword)
	r := ts.mustGQL(t, "", loginMutation, vars{"id": "sesscookie", "pw": testPassword})
	var login struct{ Login auth }
	r.decode(t, &login)
	c := cookieNamed(t, r.Header, name)
	if c.Value != login.Login.AccessToken {
		t.Errorf("cookie value is not the access token")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.MaxAge <= 0 {
		t.Errorf("cookie = %+v, want HttpOnly, SameSite=Lax, Path=/ and a positive Max-Age", c)
	}
	cookie := "Cookie"
	jar := name + "=" + c.Value
	me := func(t *testing.T) *gqlResponse {
		t.Helper()
		return ts.post(t, `{ me { id } }`, nil, cookie, jar)
	}

	t.Run("the cookie alone authenticates", func(t *testing.T) {
		r := me(t)
		if len(r.Errors) > 0 {
			t.Fatalf("me with the cookie: %+v", r.Errors)
		}
		var out struct{ Me struct{ ID string } }
		r.decode(t, &out)
		if out.Me.ID != login.Login.User.ID {
			t.Fatalf("me = %q, want %q", out.Me.ID, login.Login.User.ID)
		}
	})
	t.Run("a simple cross-site request is refused before it runs", func(t *testing.T) {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded"} {
			r := ts.post(t, `mutation { logout }`, nil, "Content-Type", ct, cookie, jar)
			if r.Status != http.StatusUnsupportedMediaType {
				t.Errorf("%s: status %d, want 415", ct, r.Status)
			}
			if len(r.Data) > 0 && string(r.Data) != "null" {
				t.Errorf("%s: the operation ran: %s", ct, r.Data)
			}
		}
		if r := me(t); len(r.Errors) > 0 {
			t.Fatalf("the refused logout ended the session: %+v", r.Errors)
		}
	})
	t.Run("logout clears the cookie", func(t *testing.T) {
		r := ts.post(t, `mutation { logout }`, nil, cookie, jar)
		if len(r.Errors) > 0 {
			t.Fatalf("logout with the cookie: %+v", r.Errors)
		}
		cleared := cookieNamed(t, r.Header, name)
		if cleared.MaxAge >= 0 || cleared.Value != "" {
			t.Errorf("logout cookie = %+v, want an empty value and Max-Age<0", cleared)
		}
		wantCode(t, me(t), "UNAUTHENTICATED", 607)
	})
}
