package e2e

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// Session.expiresAt is when the session ends unless it is used again: the
// idle timeout counts, not only the absolute lifetime.

const loginSessionMutation = `mutation($id: String!, $pw: String!) { login(input: {identifier: $id, password: $pw}) {
	accessToken session { id createdAt lastSeenAt expiresAt } } }`

// signInClocked signs in and returns the access token and the session as
// the payload shows it, with the client's clock around the request.
func signInClocked(t *testing.T, ts *testServer, username string) (token string, s apiSession, before, after time.Time) {
	t.Helper()
	ts.signup(t, username, testPassword)
	before = time.Now().Truncate(time.Millisecond) // the server keeps milliseconds
	r := ts.mustGQL(t, "", loginSessionMutation, vars{"id": username, "pw": testPassword})
	after = time.Now()
	var out struct {
		Login struct {
			AccessToken string
			Session     apiSession
		}
	}
	r.decode(t, &out)
	return out.Login.AccessToken, out.Login.Session, before, after
}

// currentSession returns the caller's own session from User.sessions, with
// the client's clock after the request.
func currentSession(t *testing.T, ts *testServer, token string) (apiSession, time.Time) {
	t.Helper()
	list := listSessions(t, ts, token)
	after := time.Now()
	for _, s := range list {
		if s.Current {
			return s, after
		}
	}
	t.Fatalf("no current session among %v", sessionIDs(list))
	return apiSession{}, after
}

// wantBetween fails unless lo <= got <= hi.
func wantBetween(t *testing.T, what string, got, lo, hi time.Time) {
	t.Helper()
	if got.Before(lo) || got.After(hi) {
		t.Errorf("%s = %v, want between %v and %v", what, got, lo, hi)
	}
}

func TestSessionExpiresAtCountsIdleTimeout(t *testing.T) {
	t.Parallel()
	t.Run("idle timeout before the lifetime", func(t *testing.T) {
		const idle = 2 * time.Hour
		ts := startServer(t, withConfig(func(c *app.Config) {
			c.Sessions.IdleTimeout, c.Sessions.Lifetime = idle, 30*24*time.Hour
		}))
		token, s, before, after := signInClocked(t, ts, "sessendsidle")
		wantBetween(t, "login: session.expiresAt", s.ExpiresAt, before.Add(idle), after.Add(idle))

		listed, listedAfter := currentSession(t, ts, token)
		// The listing request is itself a use of the session; lastSeenAt is
		// written in batches, so it may show the sign-in still.
		wantBetween(t, "User.sessions: expiresAt", listed.ExpiresAt, listed.LastSeenAt.Add(idle), listedAfter.Add(idle))
	})
	t.Run("lifetime before the idle timeout", func(t *testing.T) {
		const lifetime = time.Hour
		ts := startServer(t, withConfig(func(c *app.Config) {
			c.Sessions.IdleTimeout, c.Sessions.Lifetime = 2*time.Hour, lifetime
		}))
		token, s, _, _ := signInClocked(t, ts, "sessendslife")
		if want := s.CreatedAt.Add(lifetime); !s.ExpiresAt.Equal(want) {
			t.Errorf("login: session.expiresAt = %v, want createdAt + lifetime = %v", s.ExpiresAt, want)
		}
		listed, _ := currentSession(t, ts, token)
		if want := listed.CreatedAt.Add(lifetime); !listed.ExpiresAt.Equal(want) {
			t.Errorf("User.sessions: expiresAt = %v, want createdAt + lifetime = %v", listed.ExpiresAt, want)
		}
	})
}
