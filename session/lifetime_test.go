package session_test

import (
	"testing"
	"time"
)

// A session ends IdleTimeout after its last request. Requests this instance
// saw but has not written yet count; another instance sees them once they
// are flushed to the store.
func TestIdleTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.IdleTimeout = 10 * time.Minute
	cfg.CacheTTL = 0 // every request checks the session, as after a cache expiry
	a, b := e.manager(t, cfg), e.manager(t, cfg)
	tok := open(t, a, e.user(t, "alice"))
	signIn := e.clock.Now()

	e.clock.Advance(9 * time.Minute)
	mustAuthenticate(t, a, "9 min after sign-in", tok.Access)
	if got, want := a.EndsAt(tok.Session), e.clock.Now().Add(cfg.IdleTimeout); !got.Equal(want) {
		t.Errorf("EndsAt after a request = %v, want the request plus the idle timeout, %v", got, want)
	}
	e.clock.Advance(9 * time.Minute) // 18 min after sign-in, 9 after the request
	mustAuthenticate(t, a, "9 min after the last request (not written yet)", tok.Access)
	wantAuthFails(t, b, "another instance, before the activity is written", tok.Access, expired)

	a.Flush(t.Context())
	s, err := e.db.GetSession(t.Context(), tok.Session.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.LastSeenAt, e.clock.Now(); !got.Equal(want) {
		t.Errorf("stored LastSeenAt after Flush = %v, want the last request %v", got, want)
	}
	mustAuthenticate(t, b, "another instance, after the activity is written", tok.Access)

	e.clock.Advance(cfg.IdleTimeout)
	wantAuthFails(t, a, "idle for the whole timeout", tok.Access, expired)
	wantAuthFails(t, b, "idle for the whole timeout, other instance", tok.Access, expired)
	_, err = a.Refresh(t.Context(), tok.Refresh)
	wantUnauthenticated(t, "refresh of an idle session", err, expired)
	if n := len(listOrFail(t, a, tok.Session.UserID)); n != 0 {
		t.Errorf("List shows %d sessions of a user whose only session is idle, want 0", n)
	}
	if signIn.Add(cfg.Lifetime).Before(e.clock.Now()) {
		t.Fatal("the test outran the lifetime: it no longer tests the idle timeout")
	}
}

// A session ends Lifetime after sign-in however busy it is: refreshes and
// requests do not extend it.
func TestLifetimeEndsBusySessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.IdleTimeout, cfg.Lifetime = 30*time.Minute, time.Hour
	m := e.manager(t, cfg)
	tok := open(t, m, e.user(t, "alice"))
	end := tok.Session.ExpiresAt

	for range 2 {
		e.clock.Advance(20 * time.Minute)
		mustAuthenticate(t, m, "a busy session", tok.Access)
		tok = mustRefresh(t, m, "a busy session", tok.Refresh)
		if !tok.Session.ExpiresAt.Equal(end) {
			t.Fatalf("a refresh moved the session's end from %v to %v", end, tok.Session.ExpiresAt)
		}
		if tok.AccessExpiresAt.After(end.Add(time.Second)) {
			t.Fatalf("access token expires at %v, after the session (%v)", tok.AccessExpiresAt, end)
		}
		if got := m.EndsAt(tok.Session); !got.Equal(minTime(end, e.clock.Now().Add(cfg.IdleTimeout))) {
			t.Errorf("EndsAt = %v, want the earlier of the lifetime's end and idle timeout", got)
		}
	}
	e.clock.Advance(19 * time.Minute) // 59 min
	mustAuthenticate(t, m, "a minute before the end", tok.Access)
	e.clock.Advance(time.Minute) // 60 min
	wantAuthFails(t, m, "at the end of the lifetime", tok.Access, expired)
	_, err := m.Refresh(t.Context(), tok.Refresh)
	wantUnauthenticated(t, "refresh at the end of the lifetime", err, expired)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
