package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var sessionTests = []subTest{
	{"SessionCreateGet", testSessionCreateGet},
	{"SessionCreateWithTokens", testSessionCreateWithTokens},
	{"SessionNotFound", testSessionNotFound},
	{"ListSessions", testListSessions},
	{"UpdateSession", testUpdateSession},
	{"UpdateSessionReturnsStoredForm", testUpdateSessionStoredForm},
	{"RevokeSession", testRevokeSession},
	{"RevokeSessions", testRevokeSessions},
	{"DeleteUserRemovesSessionsAndTokens", testDeleteUserCascade},
}

var tokenTests = []subTest{
	{"RefreshTokenCreateGet", testTokenCreateGet},
	{"RefreshTokenDuplicateHash", testTokenDuplicate},
	{"RotateRefreshToken", testRotateToken},
	{"RefreshTokenNotFound", testTokenNotFound},
}

func mustGetSession(t *testing.T, s store.Store, id string) *store.Session {
	t.Helper()
	ss, err := s.GetSession(t.Context(), id)
	if err != nil {
		t.Fatalf("GetSession(%s): %v", id, err)
	}
	return ss
}

func checkSession(t *testing.T, what string, got, want *store.Session) {
	t.Helper()
	strs := []struct{ field, got, want string }{
		{"ID", got.ID, want.ID},
		{"UserID", got.UserID, want.UserID},
		{"ApplicationID", got.ApplicationID, want.ApplicationID},
		{"Kind", string(got.Kind), string(want.Kind)},
		{"DeviceID", got.DeviceID, want.DeviceID},
		{"UserAgent", got.UserAgent, want.UserAgent},
		{"IP", got.IP, want.IP},
	}
	for _, f := range strs {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": LastSeenAt", got.LastSeenAt, want.LastSeenAt)
	checkTime(t, what+": ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, what+": RevokedAt", got.RevokedAt, want.RevokedAt)
}

// sessionUser creates a user for sessions to belong to.
func sessionUser(t *testing.T, s store.Store, name string) string {
	t.Helper()
	u := newUser(name)
	mustCreateUsers(t, s, u)
	return u.ID
}

func testSessionCreateGet(t *testing.T, s store.Store) {
	zone := time.FixedZone("UTC-3", -3*3600)
	want := &store.Session{
		ID:         store.NewID(),
		UserID:     sessionUser(t, s, "owner"),
		Kind:       store.SessionGuest,
		DeviceID:   "device-1",
		UserAgent:  "Mozilla/5.0 (X11; Linux x86_64) ünïcode",
		IP:         "2001:db8::1",
		CreatedAt:  time.Date(2024, 5, 1, 10, 0, 0, 123456789, zone),
		LastSeenAt: time.Date(2024, 5, 1, 11, 0, 0, 999999999, zone),
		ExpiresAt:  time.Date(2024, 6, 1, 10, 0, 0, 1, zone),
	}
	mustCreateSession(t, s, want)
	checkSession(t, "GetSession", mustGetSession(t, s, want.ID), want)
	revoked := newSession(want.UserID, day(1))
	revoked.Kind = store.SessionApp
	revoked.RevokedAt = day(2)
	mustCreateSession(t, s, revoked)
	checkSession(t, "GetSession of a revoked session", mustGetSession(t, s, revoked.ID), revoked)
}

func testSessionNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateSession(t, s, newSession(sessionUser(t, s, "owner"), day(1)))
	missing := store.NewID()
	_, err := s.GetSession(ctx, missing)
	wantErrIs(t, "GetSession", err, store.ErrNotFound)
	_, err = s.UpdateSession(ctx, missing, func(ss *store.Session) error { ss.IP = "x"; return nil })
	wantErrIs(t, "UpdateSession", err, store.ErrNotFound)
	wantErrIs(t, "RevokeSession", s.RevokeSession(ctx, missing, day(2)), store.ErrNotFound)
}

// ListSessions keeps the live sessions of the given users only: not
// revoked, ExpiresAt strictly after now; oldest first.
func testListSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := sessionUser(t, s, "a"), sessionUser(t, s, "b"), sessionUser(t, s, "c")
	now := day(10)
	sess := func(user string, created, expires time.Time) *store.Session {
		ss := newSession(user, created)
		ss.ExpiresAt = expires
		return ss
	}
	a1 := sess(a, day(3), day(40))
	a2 := sess(a, day(1), day(40))
	a3 := sess(a, day(2), day(40))
	a3.RevokedAt = day(4)
	a4 := sess(a, day(0), now)                       // expires exactly now: not live
	a5 := sess(a, day(0), day(9))                    // expired
	a6 := sess(a, day(5), now.Add(time.Millisecond)) // live for one more millisecond
	b1 := sess(b, day(2), day(40))
	c1 := sess(c, day(0), day(40))
	// Inserted out of order, so insertion order cannot pass for "oldest first".
	mustCreateSession(t, s, a6, a1, b1, a3, a4, c1, a5, a2)

	cases := []struct {
		name  string
		users []string
		want  []*store.Session
	}{
		{"users a and b", []string{a, b}, []*store.Session{a2, b1, a1, a6}},
		{"user c", []string{c}, []*store.Session{c1}},
		{"unknown user", []string{store.NewID()}, nil},
		{"no users", []string{}, nil},
	}
	// now in another zone: the same instant must give the same answer.
	nowElsewhere := now.In(time.FixedZone("UTC+9", 9*3600))
	for _, tc := range cases {
		got, err := s.ListSessions(ctx, tc.users, nowElsewhere)
		if err != nil {
			t.Errorf("ListSessions %s: %v", tc.name, err)
			continue
		}
		var gotIDs, wantIDs []string
		for _, ss := range got {
			gotIDs = append(gotIDs, ss.ID)
		}
		for _, ss := range tc.want {
			wantIDs = append(wantIDs, ss.ID)
		}
		if !slices.Equal(gotIDs, wantIDs) {
			t.Errorf("ListSessions %s: got %v, want %v (oldest first)", tc.name, gotIDs, wantIDs)
		}
	}
}

func testUpdateSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := newSession(sessionUser(t, s, "owner"), day(1))
	mustCreateSession(t, s, ss)
	before := mustGetSession(t, s, ss.ID)
	want := *before
	want.DeviceID, want.UserAgent, want.IP, want.ExpiresAt = "dev-2", "curl/8", "10.0.0.2", day(60)
	got, err := s.UpdateSession(ctx, ss.ID, func(s *store.Session) error {
		s.DeviceID, s.UserAgent, s.IP, s.ExpiresAt = "dev-2", "curl/8", "10.0.0.2", day(60)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	checkSession(t, "UpdateSession result", got, &want)
	after := mustGetSession(t, s, ss.ID)
	checkSession(t, "GetSession after update", after, &want)
	if after.Version <= before.Version {
		t.Errorf("Version after UpdateSession: got %d, want > %d", after.Version, before.Version)
	}

	_, err = s.UpdateSession(ctx, ss.ID, func(s *store.Session) error {
		s.IP = "6.6.6.6"
		return errBoom
	})
	wantErrIs(t, "UpdateSession with failing callback", err, errBoom)
	aborted := mustGetSession(t, s, ss.ID)
	checkSession(t, "session after aborted update", aborted, &want)
	if aborted.Version != after.Version {
		t.Errorf("Version after aborted update: got %d, want %d", aborted.Version, after.Version)
	}
}

// The record UpdateSession returns is the stored one: times Trunc'ed to UTC
// milliseconds, as GetSession reads them (see testUpdateUserStoredForm).
func testUpdateSessionStoredForm(t *testing.T, s store.Store) {
	ss := newSession(sessionUser(t, s, "owner"), day(1))
	mustCreateSession(t, s, ss)
	want := *ss
	want.ExpiresAt = time.Date(2024, 3, 1, 0, 0, 0, 999999999, time.FixedZone("UTC-2", -2*3600))
	got, err := s.UpdateSession(t.Context(), ss.ID, func(s *store.Session) error {
		s.ExpiresAt = want.ExpiresAt
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	checkSession(t, "GetSession after UpdateSession", mustGetSession(t, s, ss.ID), &want)
	checkSession(t, "UpdateSession result", got, &want)
}

// RevokeSession sets RevokedAt only if the session is not revoked yet, so a
// second revocation keeps the first time.
func testRevokeSession(t *testing.T, s store.Store) {
	ctx := t.Context()
	user := sessionUser(t, s, "owner")
	ss, other := newSession(user, day(1)), newSession(user, day(1))
	mustCreateSession(t, s, ss, other)
	if err := s.RevokeSession(ctx, ss.ID, day(2)); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	checkTime(t, "RevokedAt", mustGetSession(t, s, ss.ID).RevokedAt, day(2))
	if err := s.RevokeSession(ctx, ss.ID, day(3)); err != nil {
		t.Errorf("second RevokeSession: %v", err)
	}
	checkTime(t, "RevokedAt after a second revoke", mustGetSession(t, s, ss.ID).RevokedAt, day(2))
	if got := mustGetSession(t, s, other.ID); got.Revoked() {
		t.Errorf("the other session of the user: got RevokedAt %v, want not revoked", got.RevokedAt)
	}
}

func testRevokeSessions(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b, c := sessionUser(t, s, "a"), sessionUser(t, s, "b"), sessionUser(t, s, "c")
	a1, a2, a3 := newSession(a, day(1)), newSession(a, day(2)), newSession(a, day(3))
	a3.RevokedAt = day(4)
	b1, b2 := newSession(b, day(1)), newSession(b, day(2))
	c1 := newSession(c, day(1))
	mustCreateSession(t, s, a1, a2, a3, b1, b2, c1)

	got, err := s.RevokeSessions(ctx, store.SessionRevocation{UserIDs: []string{a, b}, ExceptID: a1.ID, At: day(5)})
	if err != nil {
		t.Fatalf("RevokeSessions: %v", err)
	}
	if want := []string{a2.ID, b1.ID, b2.ID}; !sameSet(got, want) {
		t.Errorf("RevokeSessions returned %v, want %v (not the excepted a1, not the already revoked a3)", got, want)
	}
	for _, id := range []string{a2.ID, b1.ID, b2.ID} {
		checkTime(t, "RevokedAt of a revoked session", mustGetSession(t, s, id).RevokedAt, day(5))
	}
	checkTime(t, "RevokedAt of the session revoked before", mustGetSession(t, s, a3.ID).RevokedAt, day(4))
	for _, id := range []string{a1.ID, c1.ID} {
		if ss := mustGetSession(t, s, id); ss.Revoked() {
			t.Errorf("session %s (excepted or of another user): got revoked at %v, want live", id, ss.RevokedAt)
		}
	}

	again, err := s.RevokeSessions(ctx, store.SessionRevocation{UserIDs: []string{a, b}, ExceptID: a1.ID, At: day(6)})
	if err != nil || len(again) != 0 {
		t.Errorf("second RevokeSessions: got %v, %v; want no ids", again, err)
	}
	// An empty user list never widens into "everyone".
	none, err := s.RevokeSessions(ctx, store.SessionRevocation{UserIDs: []string{}, At: day(7)})
	if err != nil || len(none) != 0 {
		t.Errorf("RevokeSessions for no users: got %v, %v; want no ids", none, err)
	}
	if ss := mustGetSession(t, s, c1.ID); ss.Revoked() {
		t.Errorf("c1 after RevokeSessions for no users: got revoked, want live")
	}
}

func testDeleteUserCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	u, v := sessionUser(t, s, "doomed"), sessionUser(t, s, "keeper")
	u1, u2, v1 := newSession(u, day(1)), newSession(u, day(2)), newSession(v, day(1))
	mustCreateSession(t, s, u1, u2, v1)
	tu1, tu2, tv1 := newToken(u1), newToken(u2), newToken(v1)
	mustCreateToken(t, s, tu1, tu2, tv1)

	if err := s.DeleteUser(ctx, u); err != nil {
		t.Fatalf("DeleteUser: %v", err)
	}
	for _, ss := range []*store.Session{u1, u2} {
		_, err := s.GetSession(ctx, ss.ID)
		wantErrIs(t, "GetSession of a deleted user's session", err, store.ErrNotFound)
	}
	for _, tok := range []*store.RefreshToken{tu1, tu2} {
		_, err := s.GetRefreshToken(ctx, tok.Hash)
		wantErrIs(t, "GetRefreshToken of a deleted user's token", err, store.ErrNotFound)
	}
	_, err := s.RotateRefreshToken(ctx, tu1.Hash, "after-delete", day(3))
	wantErrIs(t, "RotateRefreshToken of a deleted user's token", err, store.ErrNotFound)
	if got, err := s.ListSessions(ctx, []string{u}, day(0)); err != nil || len(got) != 0 {
		t.Errorf("ListSessions of the deleted user: got %d sessions, %v; want none", len(got), err)
	}
	mustGetSession(t, s, v1.ID)
	if _, err := s.GetRefreshToken(ctx, tv1.Hash); err != nil {
		t.Errorf("GetRefreshToken of the other user's token: %v", err)
	}
}

// newToken returns a current refresh token of ss with a random hash.
func newToken(ss *store.Session) *store.RefreshToken {
	return &store.RefreshToken{
		Hash:      store.NewID() + store.NewID(), // 64 hex digits, like a SHA-256
		SessionID: ss.ID,
		UserID:    ss.UserID,
		CreatedAt: ss.CreatedAt,
		ExpiresAt: ss.ExpiresAt,
	}
}

func mustCreateToken(t *testing.T, s store.Store, tokens ...*store.RefreshToken) {
	t.Helper()
	for _, tok := range tokens {
		if err := s.CreateRefreshToken(t.Context(), tok); err != nil {
			t.Fatalf("CreateRefreshToken: %v", err)
		}
	}
}

func mustGetToken(t *testing.T, s store.Store, hash string) *store.RefreshToken {
	t.Helper()
	tok, err := s.GetRefreshToken(t.Context(), hash)
	if err != nil {
		t.Fatalf("GetRefreshToken: %v", err)
	}
	return tok
}

func checkToken(t *testing.T, what string, got, want *store.RefreshToken) {
	t.Helper()
	if got.Hash != want.Hash || got.SessionID != want.SessionID || got.UserID != want.UserID {
		t.Errorf("%s: got hash/session/user %q/%q/%q, want %q/%q/%q", what, got.Hash, got.SessionID, got.UserID, want.Hash, want.SessionID, want.UserID)
	}
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, what+": ConsumedAt", got.ConsumedAt, want.ConsumedAt)
	if got.Successor != want.Successor {
		t.Errorf("%s: Successor got %q, want %q", what, got.Successor, want.Successor)
	}
}

// tokenSession creates a user and a session for tokens to belong to.
func tokenSession(t *testing.T, s store.Store) *store.Session {
	t.Helper()
	ss := newSession(sessionUser(t, s, "owner"), day(1))
	mustCreateSession(t, s, ss)
	return ss
}

func testTokenCreateGet(t *testing.T, s store.Store) {
	ss := tokenSession(t, s)
	want := newToken(ss)
	want.CreatedAt = time.Date(2024, 1, 2, 3, 4, 5, 678901234, time.FixedZone("UTC+1", 3600))
	want.ExpiresAt = want.CreatedAt.Add(time.Hour)
	mustCreateToken(t, s, want)
	got := mustGetToken(t, s, want.Hash)
	checkToken(t, "GetRefreshToken", got, want)
	if got.Consumed() {
		t.Errorf("new token: got ConsumedAt %v, want zero", got.ConsumedAt)
	}
	consumed := newToken(ss)
	consumed.ConsumedAt, consumed.Successor = day(2), want.Hash
	mustCreateToken(t, s, consumed)
	checkToken(t, "GetRefreshToken of a consumed token", mustGetToken(t, s, consumed.Hash), consumed)
}

func testTokenDuplicate(t *testing.T, s store.Store) {
	ss := tokenSession(t, s)
	first := newToken(ss)
	mustCreateToken(t, s, first)
	dupe := newToken(ss)
	dupe.Hash = first.Hash
	dupe.ExpiresAt = day(99)
	wantErrIs(t, "CreateRefreshToken with a taken hash", s.CreateRefreshToken(t.Context(), dupe), store.ErrAlreadyExists)
	checkToken(t, "token after the duplicate", mustGetToken(t, s, first.Hash), first)
}

func testRotateToken(t *testing.T, s store.Store) {
	ctx := t.Context()
	ss := tokenSession(t, s)
	tok, other := newToken(ss), newToken(ss)
	mustCreateToken(t, s, tok, other)
	at := time.Date(2024, 1, 5, 0, 0, 0, 555555555, time.FixedZone("UTC+4", 4*3600))
	next, err := s.RotateRefreshToken(ctx, tok.Hash, "next-hash", at)
	if err != nil {
		t.Fatalf("RotateRefreshToken: %v", err)
	}
	consumed := *tok
	consumed.ConsumedAt, consumed.Successor = at, "next-hash"
	checkToken(t, "the consumed token", mustGetToken(t, s, tok.Hash), &consumed)
	want := &store.RefreshToken{Hash: "next-hash", SessionID: tok.SessionID, UserID: tok.UserID,
		CreatedAt: store.Trunc(at), ExpiresAt: tok.ExpiresAt}
	checkToken(t, "returned successor", next, want)
	checkToken(t, "stored successor", mustGetToken(t, s, "next-hash"), want)

	_, err = s.RotateRefreshToken(ctx, tok.Hash, "second-next", day(9))
	wantErrIs(t, "second RotateRefreshToken", err, store.ErrConflict)
	checkToken(t, "the consumed token after a refused rotation", mustGetToken(t, s, tok.Hash), &consumed)
	if _, err := s.GetRefreshToken(ctx, "second-next"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a refused rotation created its successor (GetRefreshToken: %v)", err)
	}
	if got := mustGetToken(t, s, other.Hash); got.Consumed() {
		t.Errorf("the session's other token: got consumed at %v, want current", got.ConsumedAt)
	}

	// The chain goes on: the successor records its own successor, and the
	// first token keeps pointing at the one it was exchanged for.
	if _, err := s.RotateRefreshToken(ctx, "next-hash", "third-hash", day(10)); err != nil {
		t.Fatalf("RotateRefreshToken of the successor: %v", err)
	}
	want.ConsumedAt, want.Successor = day(10), "third-hash"
	checkToken(t, "the successor after its rotation", mustGetToken(t, s, "next-hash"), want)
	checkToken(t, "the first token after the successor's rotation", mustGetToken(t, s, tok.Hash), &consumed)
}

func testTokenNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateToken(t, s, newToken(tokenSession(t, s)))
	_, err := s.GetRefreshToken(ctx, "0000")
	wantErrIs(t, "GetRefreshToken", err, store.ErrNotFound)
	_, err = s.RotateRefreshToken(ctx, "0000", "0001", day(2))
	wantErrIs(t, "RotateRefreshToken", err, store.ErrNotFound)
}

// A session created with its first tokens stores all of them; a token whose
// hash is taken stores none of them, the session included.
func testSessionCreateWithTokens(t *testing.T, s store.Store) {
	ctx := t.Context()
	user := sessionUser(t, s, "owner")
	ss := newSession(user, day(1))
	first, second := newToken(ss), newToken(ss)
	if err := s.CreateSession(ctx, ss, first, second); err != nil {
		t.Fatalf("CreateSession with tokens: %v", err)
	}
	mustGetSession(t, s, ss.ID)
	checkToken(t, "first token", mustGetToken(t, s, first.Hash), first)
	checkToken(t, "second token", mustGetToken(t, s, second.Hash), second)

	other := newSession(user, day(2))
	fresh, taken := newToken(other), newToken(other)
	taken.Hash = second.Hash
	wantErrIs(t, "CreateSession with a taken token hash", s.CreateSession(ctx, other, fresh, taken), store.ErrAlreadyExists)
	if _, err := s.GetSession(ctx, other.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused session was stored (GetSession: %v)", err)
	}
	if _, err := s.GetRefreshToken(ctx, fresh.Hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused session's other token was stored (GetRefreshToken: %v)", err)
	}
	checkToken(t, "the taken hash's token", mustGetToken(t, s, second.Hash), second)
}
