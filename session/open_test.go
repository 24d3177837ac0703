package session_test

import (
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Open records the session as the request describes it and signs an
// access token that expires no later than the session; Authenticate turns
// that token into the principal of its session and user.
func TestOpenAndAuthenticate(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.Lifetime = 10 * time.Minute
	m := e.manager(t, cfg)
	alice := e.user(t, "alice")
	longUA := strings.Repeat("u", 600)
	ctx := withClient(t.Context(), "192.0.2.7", longUA)

	tok, err := m.Open(ctx, alice, store.SessionGuest)
	if err != nil {
		t.Fatal(err)
	}
	s, err := e.db.GetSession(t.Context(), tok.Session.ID)
	if err != nil {
		t.Fatalf("the session is not stored: %v", err)
	}
	now := e.clock.Now()
	if s.UserID != alice.ID || s.Kind != store.SessionGuest || s.IP != "192.0.2.7" {
		t.Errorf("stored session: user %s kind %s ip %q; want %s GUEST 192.0.2.7", s.UserID, s.Kind, s.IP, alice.ID)
	}
	if got, want := len(s.UserAgent), 512; got != want {
		t.Errorf("user agent of %d bytes stored as %d, want truncated to %d", len(longUA), got, want)
	}
	if got, want := s.ExpiresAt, now.Add(cfg.Lifetime); !got.Equal(want) {
		t.Errorf("session expires at %v, want the lifetime after the sign-in, %v", got, want)
	}
	// The token's expiry has whole seconds, rounded up, never later.
	if d := tok.AccessExpiresAt.Sub(s.ExpiresAt); d < 0 || d >= time.Second {
		t.Errorf("access token expires %v after the session (AccessTTL 48 h); want within [0, 1s)", d)
	}
	if !strings.HasPrefix(tok.Refresh, "ugr_") {
		t.Errorf("refresh token %q lacks the ugr_ prefix", tok.Refresh)
	}

	p := mustAuthenticate(t, m, "a fresh access token", tok.Access)
	if p.UserID != alice.ID || p.SessionID != s.ID || p.Kind != store.SessionGuest || p.User.Username != "alice" {
		t.Errorf("principal = %+v, want alice's GUEST session %s", p, s.ID)
	}
}

// Anything but a live token of this service is refused as "sign in again".
func TestAuthenticateRefusesBadTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.manager(t, config())
	alice := e.user(t, "alice")
	tok := open(t, m, alice)

	other := newEnv(t).manager(t, config()) // another deployment: other signing keys
	foreign := open(t, other, alice)

	for _, c := range []struct{ name, token string }{
		{"empty", ""},
		{"garbage", "not a token"},
		{"refresh token as access token", tok.Refresh},
		{"tampered signature", tamper(tok.Access, len(tok.Access)-10)},
		{"signed by another deployment", foreign.Access},
	} {
		wantAuthFails(t, m, c.name, c.token, ended)
	}
}

// A token whose user is gone, or no longer active, signs no one in.
func TestAuthenticateNeedsAnActiveUser(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := config()
	cfg.CacheTTL = 0 // read the store every time: this is about the rule, not the cache
	m := e.manager(t, cfg)
	for _, c := range []struct {
		name   string
		change func(t *testing.T, u *store.User)
	}{
		{"suspended", func(t *testing.T, u *store.User) { e.setStatus(t, u.ID, store.StatusSuspended) }},
		{"pending", func(t *testing.T, u *store.User) { e.setStatus(t, u.ID, store.StatusPending) }},
		{"soft-deleted", func(t *testing.T, u *store.User) {
			if _, err := e.db.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
				u.DeletedAt = e.clock.Now()
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}},
		{"deleted", func(t *testing.T, u *store.User) {
			if err := e.db.DeleteUser(t.Context(), u.ID); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		u := e.user(t, "user-"+strings.ReplaceAll(c.name, " ", "-"))
		tok := open(t, m, u)
		mustAuthenticate(t, m, c.name+", before", tok.Access)
		c.change(t, u)
		wantAuthFails(t, m, c.name, tok.Access, ended)
	}
}

// tamper changes the character of s at i.
func tamper(s string, i int) string {
	c := byte('A')
	if s[i] == c {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
