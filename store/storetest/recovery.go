package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var recoveryTests = []subTest{
	{"RecoveryTokenPutGetFind", testRecoveryTokenPutGetFind},
	{"RecoveryTokenSupersede", testRecoveryTokenSupersede},
	{"RecoveryTokenRefused", testRecoveryTokenRefused},
	{"RecoveryTokenUseOnce", testRecoveryTokenUseOnce},
	{"RecoveryTokenFailures", testRecoveryTokenFailures},
	{"RecoveryTokenPurge", testRecoveryTokenPurge},
	{"ConcurrentUseRecoveryToken", testConcurrentUseRecoveryToken},
	{"ConcurrentFailRecoveryToken", testConcurrentFailRecoveryToken},
	{"TakeTurn", testTakeTurn},
	{"TakeTurnRefused", testTakeTurnRefused},
	{"PurgeTurns", testPurgeTurns},
	{"ConcurrentTakeTurn", testConcurrentTakeTurn},
}

// newRecoveryToken returns a token of purpose for subject, issued at
// created and valid for an hour, with a hash made of name.
func newRecoveryToken(purpose store.TokenPurpose, subject, name string, created time.Time) *store.RecoveryToken {
	return &store.RecoveryToken{ID: store.NewID(), Purpose: purpose, Subject: subject, Hash: "hash-" + name,
		UserID: subject, Email: name + "@example.com", CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
}

func mustPutRecoveryToken(t *testing.T, s store.Store, toks ...*store.RecoveryToken) {
	t.Helper()
	for _, tok := range toks {
		if err := s.PutRecoveryToken(t.Context(), tok); err != nil {
			t.Fatalf("PutRecoveryToken(%s %s): %v", tok.Purpose, tok.Subject, err)
		}
	}
}

// checkRecoveryToken compares a token as read with what was stored.
func checkRecoveryToken(t *testing.T, what string, got, want *store.RecoveryToken) {
	t.Helper()
	strs := []struct{ field, got, want string }{
		{"ID", got.ID, want.ID}, {"Purpose", string(got.Purpose), string(want.Purpose)},
		{"Subject", got.Subject, want.Subject}, {"Hash", got.Hash, want.Hash},
		{"UserID", got.UserID, want.UserID}, {"Email", got.Email, want.Email},
	}
	for _, f := range strs {
		if f.got != f.want {
			t.Errorf("%s: %s got %q, want %q", what, f.field, f.got, f.want)
		}
	}
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	checkTime(t, what+": UsedAt", got.UsedAt, want.UsedAt)
	if got.Failures != want.Failures {
		t.Errorf("%s: Failures got %d, want %d", what, got.Failures, want.Failures)
	}
}

// A token is read back by purpose and subject, and by purpose and hash,
// as stored (times in UTC milliseconds); a use or a failure given to Put
// is not stored.
func testRecoveryTokenPutGetFind(t *testing.T, s store.Store) {
	ctx := t.Context()
	tok := newRecoveryToken(store.PurposeReset, "u1", "ann", t0.Add(1500*time.Microsecond))
	tok.UsedAt, tok.Failures = t0, 3 // never the caller's to set
	mustPutRecoveryToken(t, s, tok)
	want := *tok
	want.CreatedAt, want.ExpiresAt = store.Trunc(want.CreatedAt), store.Trunc(want.ExpiresAt)
	want.UsedAt, want.Failures = time.Time{}, 0

	got, err := s.GetRecoveryToken(ctx, store.PurposeReset, "u1")
	if err != nil {
		t.Fatalf("GetRecoveryToken: %v", err)
	}
	checkRecoveryToken(t, "GetRecoveryToken", got, &want)
	got, err = s.FindRecoveryToken(ctx, store.PurposeReset, "hash-ann")
	if err != nil {
		t.Fatalf("FindRecoveryToken: %v", err)
	}
	checkRecoveryToken(t, "FindRecoveryToken", got, &want)

	for _, c := range []struct {
		what string
		get  func() (*store.RecoveryToken, error)
	}{
		{"another purpose's subject", func() (*store.RecoveryToken, error) { return s.GetRecoveryToken(ctx, store.PurposeVerify, "u1") }},
		{"another subject", func() (*store.RecoveryToken, error) { return s.GetRecoveryToken(ctx, store.PurposeReset, "u2") }},
		{"another purpose's hash", func() (*store.RecoveryToken, error) { return s.FindRecoveryToken(ctx, store.PurposeVerify, "hash-ann") }},
		{"an unknown hash", func() (*store.RecoveryToken, error) { return s.FindRecoveryToken(ctx, store.PurposeReset, "hash-bob") }},
		{"the empty hash", func() (*store.RecoveryToken, error) { return s.FindRecoveryToken(ctx, store.PurposeReset, "") }},
	} {
		if _, err := c.get(); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: got %v, want ErrNotFound", c.what, err)
		}
	}
}

// A new token of the same purpose and subject replaces the old one, which
// is then found neither by hash nor by id; other subjects and purposes
// keep theirs.
func testRecoveryTokenSupersede(t *testing.T, s store.Store) {
	ctx := t.Context()
	old := newRecoveryToken(store.PurposeReset, "u1", "old", t0)
	otherPurpose := newRecoveryToken(store.PurposeVerify, "u1", "verify", t0)
	otherSubject := newRecoveryToken(store.PurposeReset, "u2", "other", t0)
	mustPutRecoveryToken(t, s, old, otherPurpose, otherSubject)
	newer := newRecoveryToken(store.PurposeReset, "u1", "new", t0.Add(time.Minute))
	mustPutRecoveryToken(t, s, newer)

	if _, err := s.FindRecoveryToken(ctx, store.PurposeReset, "hash-old"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FindRecoveryToken(replaced): got %v, want ErrNotFound", err)
	}
	if err := s.UseRecoveryToken(ctx, old.ID, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UseRecoveryToken(replaced): got %v, want ErrNotFound", err)
	}
	if _, err := s.FailRecoveryToken(ctx, old.ID, t0, 6); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FailRecoveryToken(replaced): got %v, want ErrNotFound", err)
	}
	got, err := s.GetRecoveryToken(ctx, store.PurposeReset, "u1")
	if err != nil || got.ID != newer.ID {
		t.Fatalf("GetRecoveryToken after replace: got %+v, %v; want the newer token %s", got, err, newer.ID)
	}
	for _, tok := range []*store.RecoveryToken{otherPurpose, otherSubject} {
		if _, err := s.FindRecoveryToken(ctx, tok.Purpose, tok.Hash); err != nil {
			t.Errorf("%s of %s after another's replace: %v", tok.Purpose, tok.Subject, err)
		}
	}
	// The newer token starts afresh: the old one's state is not inherited.
	if err := s.UseRecoveryToken(ctx, newer.ID, t0.Add(2*time.Minute)); err != nil {
		t.Errorf("UseRecoveryToken(newer): %v", err)
	}
}

// Put refuses tokens without their keys, and a hash or id another
// subject's token holds, writing nothing.
func testRecoveryTokenRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := newRecoveryToken(store.PurposeReset, "u1", "ann", t0)
	mustPutRecoveryToken(t, s, first)
	for _, c := range []struct {
		what string
		edit func(*store.RecoveryToken)
	}{
		{"no id", func(tok *store.RecoveryToken) { tok.ID = "" }},
		{"no purpose", func(tok *store.RecoveryToken) { tok.Purpose = "" }},
		{"no subject", func(tok *store.RecoveryToken) { tok.Subject = "" }},
		{"no hash", func(tok *store.RecoveryToken) { tok.Hash = "" }},
	} {
		tok := newRecoveryToken(store.PurposeReset, "u2", "bob", t0)
		c.edit(tok)
		if err := s.PutRecoveryToken(ctx, tok); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("PutRecoveryToken(%s): got %v, want ErrInvalid", c.what, err)
		}
	}
	sameHash := newRecoveryToken(store.PurposeReset, "u2", "ann", t0)
	if err := s.PutRecoveryToken(ctx, sameHash); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("PutRecoveryToken(another subject's hash): got %v, want ErrAlreadyExists", err)
	}
	sameID := newRecoveryToken(store.PurposeReset, "u3", "cat", t0)
	sameID.ID = first.ID
	if err := s.PutRecoveryToken(ctx, sameID); !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("PutRecoveryToken(another token's id): got %v, want ErrAlreadyExists", err)
	}
	for _, subject := range []string{"u2", "u3"} {
		if _, err := s.GetRecoveryToken(ctx, store.PurposeReset, subject); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("after a refused put for %s: GetRecoveryToken got %v, want ErrNotFound", subject, err)
		}
	}
	got, err := s.GetRecoveryToken(ctx, store.PurposeReset, "u1")
	if err != nil || got.ID != first.ID || got.Hash != first.Hash {
		t.Errorf("the first token after refused puts: got %+v, %v; want it unchanged", got, err)
	}
}

// A token is used once: the use is recorded, a second use is a conflict,
// and an id no token has is not found.
func testRecoveryTokenUseOnce(t *testing.T, s store.Store) {
	ctx := t.Context()
	tok := newRecoveryToken(store.PurposeVerify, "u1", "ann", t0)
	mustPutRecoveryToken(t, s, tok)
	at := t0.Add(time.Minute + 700*time.Microsecond)
	if err := s.UseRecoveryToken(ctx, tok.ID, at); err != nil {
		t.Fatalf("UseRecoveryToken: %v", err)
	}
	got, err := s.FindRecoveryToken(ctx, store.PurposeVerify, tok.Hash)
	if err != nil {
		t.Fatal(err)
	}
	checkTime(t, "UsedAt", got.UsedAt, store.Trunc(at))
	if err := s.UseRecoveryToken(ctx, tok.ID, at.Add(time.Second)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second UseRecoveryToken: got %v, want ErrConflict", err)
	}
	if err := s.UseRecoveryToken(ctx, store.NewID(), at); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UseRecoveryToken(unknown id): got %v, want ErrNotFound", err)
	}
}

// Wrong tries are counted; the limit-th burns the token, after which the
// right secret is refused and further tries count nothing.
func testRecoveryTokenFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	const limit = 3
	tok := newRecoveryToken(store.PurposeResetSMS, "u1", "ann", t0)
	mustPutRecoveryToken(t, s, tok)
	for want := 1; want < limit; want++ {
		n, err := s.FailRecoveryToken(ctx, tok.ID, t0.Add(time.Duration(want)*time.Second), limit)
		if err != nil || n != want {
			t.Fatalf("wrong try %d: got %d, %v; want %d", want, n, err, want)
		}
	}
	got, _ := s.GetRecoveryToken(ctx, store.PurposeResetSMS, "u1")
	if got.Failures != limit-1 || !got.UsedAt.IsZero() {
		t.Fatalf("before the limit: Failures %d, UsedAt %v; want %d and not used", got.Failures, got.UsedAt, limit-1)
	}
	burnt := t0.Add(time.Minute)
	if n, err := s.FailRecoveryToken(ctx, tok.ID, burnt, limit); err != nil || n != limit {
		t.Fatalf("wrong try %d: got %d, %v; want %d", limit, n, err, limit)
	}
	got, _ = s.GetRecoveryToken(ctx, store.PurposeResetSMS, "u1")
	if got.Failures != limit {
		t.Errorf("at the limit: Failures got %d, want %d", got.Failures, limit)
	}
	checkTime(t, "UsedAt of a burnt token", got.UsedAt, burnt)
	if err := s.UseRecoveryToken(ctx, tok.ID, burnt.Add(time.Second)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UseRecoveryToken after the limit: got %v, want ErrConflict", err)
	}
	if n, err := s.FailRecoveryToken(ctx, tok.ID, burnt.Add(time.Second), limit); err != nil || n != limit {
		t.Errorf("a try past the limit: got %d, %v; want %d", n, err, limit)
	}
	if _, err := s.FailRecoveryToken(ctx, store.NewID(), t0, limit); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("FailRecoveryToken(unknown id): got %v, want ErrNotFound", err)
	}
	if _, err := s.FailRecoveryToken(ctx, tok.ID, t0, 0); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("FailRecoveryToken(limit 0): got %v, want ErrInvalid", err)
	}
}

// The purge deletes the tokens that expired before its time, and only
// those.
func testRecoveryTokenPurge(t *testing.T, s store.Store) {
	ctx := t.Context()
	expired := newRecoveryToken(store.PurposeReset, "u1", "ann", t0)               // expires t0+1h
	live := newRecoveryToken(store.PurposeReset, "u2", "bob", t0.Add(2*time.Hour)) // expires t0+3h
	mustPutRecoveryToken(t, s, expired, live)
	n, err := s.PurgeRecoveryTokens(ctx, t0.Add(2*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeRecoveryTokens: got %d, %v; want 1", n, err)
	}
	if _, err := s.GetRecoveryToken(ctx, store.PurposeReset, "u1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired token after the purge: got %v, want ErrNotFound", err)
	}
	if err := s.UseRecoveryToken(ctx, live.ID, t0.Add(2*time.Hour)); err != nil {
		t.Errorf("live token after the purge: %v", err)
	}
}

// Ten callers redeem one token at once: exactly one succeeds, the others
// are told it was used.
func testConcurrentUseRecoveryToken(t *testing.T, s store.Store) {
	tok := newRecoveryToken(store.PurposeReset, "u1", "ann", t0)
	mustPutRecoveryToken(t, s, tok)
	const callers = 10
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { errs[i] = s.UseRecoveryToken(t.Context(), tok.ID, t0.Add(time.Minute)) })
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrConflict):
			t.Errorf("caller %d: got %v, want nil or ErrConflict", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent uses succeeded, want exactly 1", won, callers)
	}
}

// Ten wrong tries at once against a limit of six: each of the first six
// counts once (the counts 1..6, each returned once), the rest count
// nothing, and the token ends burnt.
func testConcurrentFailRecoveryToken(t *testing.T, s store.Store) {
	const limit, callers = 6, 10
	tok := newRecoveryToken(store.PurposeResetSMS, "u1", "ann", t0)
	mustPutRecoveryToken(t, s, tok)
	counts := make([]int, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			n, err := s.FailRecoveryToken(t.Context(), tok.ID, t0.Add(time.Minute), limit)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			counts[i] = n
		})
	}
	wg.Wait()
	slices.Sort(counts)
	want := []int{1, 2, 3, 4, 5, 6, 6, 6, 6, 6}
	if !slices.Equal(counts, want) {
		t.Errorf("counts returned: got %v, want %v", counts, want)
	}
	if err := s.UseRecoveryToken(t.Context(), tok.ID, t0.Add(time.Hour)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("UseRecoveryToken after the limit: got %v, want ErrConflict", err)
	}
}

func mustTakeTurn(t *testing.T, s store.Store, key string, now time.Time, interval time.Duration) (bool, time.Time) {
	t.Helper()
	ok, next, err := s.TakeTurn(t.Context(), key, now, interval)
	if err != nil {
		t.Fatalf("TakeTurn(%s, %v): %v", key, now, err)
	}
	return ok, next
}

// A key gets a turn, none within the interval (told when the next one
// is), and one again once the interval has passed; keys are apart.
func testTakeTurn(t *testing.T, s store.Store) {
	const every = time.Minute
	if ok, _ := mustTakeTurn(t, s, "mail:a", t0, every); !ok {
		t.Fatal("first turn: refused")
	}
	ok, next := mustTakeTurn(t, s, "mail:a", t0.Add(59*time.Second), every)
	if ok {
		t.Fatal("a turn within the interval was granted")
	}
	checkTime(t, "next turn", next, t0.Add(every))
	if ok, _ := mustTakeTurn(t, s, "mail:b", t0.Add(time.Second), every); !ok {
		t.Error("another key's first turn: refused")
	}
	if ok, _ := mustTakeTurn(t, s, "mail:a", t0.Add(every), every); !ok {
		t.Fatal("a turn after the interval: refused")
	}
	// The refusal did not move the last turn: the interval counts from
	// the granted one.
	ok, next = mustTakeTurn(t, s, "mail:a", t0.Add(every+30*time.Second), every)
	if ok {
		t.Error("a turn 30s after the second: granted")
	}
	checkTime(t, "next turn after the second", next, t0.Add(2*every))
	// A turn recorded ahead of this caller's clock counts from its time.
	if ok, _ := mustTakeTurn(t, s, "mail:c", t0.Add(time.Hour), every); !ok {
		t.Fatal("first turn of mail:c: refused")
	}
	if ok, _ := mustTakeTurn(t, s, "mail:c", t0.Add(time.Hour-time.Second), every); ok {
		t.Error("a turn before the recorded one was granted")
	}
}

// TakeTurn refuses a request it cannot express.
func testTakeTurnRefused(t *testing.T, s store.Store) {
	if _, _, err := s.TakeTurn(t.Context(), "", t0, time.Minute); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("TakeTurn(no key): got %v, want ErrInvalid", err)
	}
	if _, _, err := s.TakeTurn(t.Context(), "k", t0, 0); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("TakeTurn(no interval): got %v, want ErrInvalid", err)
	}
}

// The purge forgets keys whose last turn is older than its time (their
// next turn is granted at once) and keeps the others.
func testPurgeTurns(t *testing.T, s store.Store) {
	const every = 24 * time.Hour
	mustTakeTurn(t, s, "old", t0, every)
	mustTakeTurn(t, s, "new", t0.Add(2*time.Hour), every)
	n, err := s.PurgeTurns(t.Context(), t0.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeTurns: got %d, %v; want 1", n, err)
	}
	if ok, _ := mustTakeTurn(t, s, "old", t0.Add(3*time.Hour), every); !ok {
		t.Error("a purged key's turn: refused")
	}
	if ok, _ := mustTakeTurn(t, s, "new", t0.Add(3*time.Hour), every); ok {
		t.Error("a kept key's turn within its interval: granted")
	}
}

// Ten callers ask for one key's turn at once: exactly one gets it.
func testConcurrentTakeTurn(t *testing.T, s store.Store) {
	const callers = 10
	granted := make([]bool, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			ok, _, err := s.TakeTurn(t.Context(), "mail:x", t0, time.Minute)
			if err != nil {
				t.Errorf("caller %d: %v", i, err)
			}
			granted[i] = ok
		})
	}
	wg.Wait()
	if n := len(slices.DeleteFunc(granted, func(ok bool) bool { return !ok })); n != 1 {
		t.Errorf("%d of %d concurrent callers got the turn, want exactly 1", n, callers)
	}
}
