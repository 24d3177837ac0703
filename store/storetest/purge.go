package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var purgeTests = []subTest{
	{"PurgeSessions", testPurgeSessions},
	{"PurgeSessionsMany", testPurgeSessionsMany},
}

// expiring returns a session of userID expiring at expires, with two
// refresh tokens (one consumed, one current) that expire with it.
func expiring(t *testing.T, s store.Store, userID string, expires time.Time) (*store.Session, []*store.RefreshToken) {
	t.Helper()
	ss := newSession(userID, expires.Add(-30*24*time.Hour))
	ss.ExpiresAt = expires
	mustCreateSession(t, s, ss)
	old, cur := newToken(ss), newToken(ss)
	old.ConsumedAt = ss.CreatedAt.Add(time.Hour)
	mustCreateToken(t, s, old, cur)
	return ss, []*store.RefreshToken{old, cur}
}

func testPurgeSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := sessionUser(t, s, "alice"), sessionUser(t, s, "bob")
	cutoff := day(50)
	gone1, goneTokens1 := expiring(t, s, a, day(40))
	gone2, goneTokens2 := expiring(t, s, b, cutoff.Add(-time.Millisecond))
	live, liveTokens := expiring(t, s, a, day(60))
	revoked, revokedTokens := expiring(t, s, a, day(60)) // ended, not yet expired
	if err := s.RevokeSession(ctx, revoked.ID, day(45)); err != nil {
		t.Fatal(err)
	}
	edge, edgeTokens := expiring(t, s, b, cutoff) // not before the cutoff

	n, err := s.PurgeSessions(ctx, cutoff)
	if err != nil || n != 2 {
		t.Fatalf("PurgeSessions = %d, %v; want 2 sessions", n, err)
	}
	for _, ss := range []*store.Session{gone1, gone2} {
		if _, err := s.GetSession(ctx, ss.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("purged session %s: GetSession error %v, want ErrNotFound", ss.ID, err)
		}
	}
	for _, tok := range append(goneTokens1, goneTokens2...) {
		if _, err := s.GetRefreshToken(ctx, tok.Hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("token of a purged session: GetRefreshToken error %v, want ErrNotFound", err)
		}
	}
	for _, ss := range []*store.Session{live, revoked, edge} {
		mustGetSession(t, s, ss.ID)
	}
	for _, tok := range append(append(liveTokens, revokedTokens...), edgeTokens...) {
		checkToken(t, "token of a kept session", mustGetToken(t, s, tok.Hash), tok)
	}
	if n, err := s.PurgeSessions(ctx, cutoff); err != nil || n != 0 {
		t.Errorf("second PurgeSessions = %d, %v; want 0", n, err)
	}
}

// More expired sessions than a backend may delete in one go, over a few
// users, all go, and a later session of the same users stays.
func testPurgeSessionsMany(t *testing.T, s store.Store) {
	ctx := t.Context()
	users := []string{sessionUser(t, s, "u1"), sessionUser(t, s, "u2"), sessionUser(t, s, "u3")}
	const expired = 1100
	var last *store.RefreshToken
	for i := range expired {
		_, toks := expiring(t, s, users[i%3], day(1).Add(time.Duration(i)*time.Minute))
		last = toks[1]
	}
	keep, keepTokens := expiring(t, s, users[0], day(90))
	n, err := s.PurgeSessions(ctx, day(30))
	if err != nil || n != expired {
		t.Fatalf("PurgeSessions = %d, %v; want %d", n, err, expired)
	}
	if _, err := s.GetRefreshToken(ctx, last.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the last expired session's token: GetRefreshToken error %v, want ErrNotFound", err)
	}
	mustGetSession(t, s, keep.ID)
	for _, tok := range keepTokens {
		mustGetToken(t, s, tok.Hash)
	}
}
