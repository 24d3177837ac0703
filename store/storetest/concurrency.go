package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var concurrencyTests = []subTest{
	{"ConcurrentCreateUserSameEmail", testConcurrentCreateUser},
	{"ConcurrentUpdateUserNoLostUpdate", testConcurrentUpdateUser},
	{"ConcurrentRotateRefreshToken", testConcurrentRotate},
	{"ConcurrentCreateSetting", testConcurrentCreateSetting},
	{"ConcurrentActivityKeepsUserUpdates", testConcurrentActivityUser},
	{"ConcurrentActivityKeepsRevocation", testConcurrentActivityRevoke},
}

// race runs f(0..n-1) in n goroutines released together, and returns the
// errors in index order.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

// oneWinner checks that exactly one error is nil and every other one
// satisfies loser; it returns the winner's index (-1 if none).
func oneWinner(t *testing.T, what string, errs []error, loser func(error) bool) int {
	t.Helper()
	winner, wins := -1, 0
	var bad []error
	for i, err := range errs {
		switch {
		case err == nil:
			winner, wins = i, wins+1
		case !loser(err):
			bad = append(bad, fmt.Errorf("goroutine %d: %w", i, err))
		}
	}
	if wins != 1 {
		t.Errorf("%s: %d of %d calls succeeded, want exactly 1", what, wins, len(errs))
	}
	if len(bad) > 0 {
		t.Errorf("%s: unexpected errors from the losers:%s", what, fmtErrs(bad))
	}
	return winner
}

// 50 sign-ups racing for one email: the unique key admits exactly one.
func testConcurrentCreateUser(t *testing.T, s store.Store) {
	const n = 50
	users := make([]*store.User, n)
	for i := range users {
		users[i] = prepUser(&store.User{Username: fmt.Sprintf("racer%02d", i), Email: "Same@Example.com"})
	}
	errs := race(n, func(i int) error { return s.CreateUser(t.Context(), users[i]) })
	winner := oneWinner(t, "CreateUser with one email", errs, func(err error) bool {
		return errors.Is(err, store.ErrAlreadyExists) && store.ConflictField(err) == store.FieldEmail
	})
	if n := mustCount(t, s, nil); n != 1 {
		t.Errorf("CountUsers after the race: got %d, want 1", n)
	}
	if winner >= 0 {
		got, err := s.GetUserByKey(t.Context(), store.KeyEmail, "same@example.com")
		if err != nil || got.ID != users[winner].ID {
			t.Errorf("GetUserByKey(email): got %v, %v; want the winner %s", got, err, users[winner].ID)
		}
	}
}

// 20 read-modify-write updates of one user, each adding its own tag: none
// may be lost (UpdateUser retries or locks).
func testConcurrentUpdateUser(t *testing.T, s store.Store) {
	const n = 20
	u := newUser("hot")
	mustCreateUsers(t, s, u)
	before := mustGetUser(t, s, u.ID)
	errs := race(n, func(i int) error {
		_, err := s.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
			u.Tags = append(u.Tags, fmt.Sprintf("t%02d", i))
			return nil
		})
		return err
	})
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("goroutine %d: %w", i, err))
		}
	}
	if len(failed) > 0 {
		t.Errorf("concurrent UpdateUser failed:%s", fmtErrs(failed))
	}
	after := mustGetUser(t, s, u.ID)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	if got := set(after.Tags); !slices.Equal(got, want) {
		t.Errorf("tags after %d concurrent updates: got %v (%d), want %v", n, got, len(got), want)
	}
	if after.Version < before.Version+n {
		t.Errorf("Version after %d updates: got %d, want at least %d", n, after.Version, before.Version+n)
	}
}

// Refresh token rotation: of concurrent rotations of one token exactly one
// wins and creates its successor; the others learn it was consumed
// (ErrConflict) and create nothing.
func testConcurrentRotate(t *testing.T, s store.Store) {
	const n = 20
	tok := newToken(tokenSession(t, s))
	mustCreateToken(t, s, tok)
	errs := race(n, func(i int) error {
		_, err := s.RotateRefreshToken(t.Context(), tok.Hash, fmt.Sprintf("next-%02d", i), day(2+i))
		return err
	})
	winner := oneWinner(t, "RotateRefreshToken", errs, func(err error) bool { return errors.Is(err, store.ErrConflict) })
	if winner < 0 {
		return
	}
	checkTime(t, "ConsumedAt is the winner's time", mustGetToken(t, s, tok.Hash).ConsumedAt, day(2+winner))
	for i := range n {
		_, err := s.GetRefreshToken(t.Context(), fmt.Sprintf("next-%02d", i))
		if exists := err == nil; exists != (i == winner) {
			t.Errorf("successor of rotation %d exists = %v, want %v (winner %d)", i, exists, i == winner, winner)
		}
	}
}

func testConcurrentCreateSetting(t *testing.T, s store.Store) {
	const n = 20
	errs := race(n, func(i int) error { return s.CreateSetting(t.Context(), "initialized", fmt.Sprint(i)) })
	winner := oneWinner(t, "CreateSetting", errs, func(err error) bool { return errors.Is(err, store.ErrAlreadyExists) })
	if winner >= 0 {
		wantSetting(t, s, "the winner's value", "initialized", fmt.Sprint(winner))
	}
}

// Activity recorded while the user is updated undoes no update, and the
// updates move no last-request time back: RecordActivity and UpdateUser
// each change only their own fields, whatever the interleaving.
func testConcurrentActivityUser(t *testing.T, s store.Store) {
	const n = 20
	u := newUser("busy")
	mustCreateUsers(t, s, u)
	before := mustGetUser(t, s, u.ID)
	errs := race(2*n, func(i int) error {
		if i%2 == 0 {
			_, err := s.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
				u.Tags = append(u.Tags, fmt.Sprintf("t%02d", i/2))
				return nil
			})
			return err
		}
		return s.RecordActivity(t.Context(), []store.Activity{{UserID: u.ID, At: day(1 + i/2)}})
	})
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("goroutine %d: %w", i, err))
		}
	}
	if len(failed) > 0 {
		t.Errorf("concurrent writes failed:%s", fmtErrs(failed))
	}
	after := mustGetUser(t, s, u.ID)
	var want []string
	for i := range n {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	if got := set(after.Tags); !slices.Equal(got, want) {
		t.Errorf("tags after %d updates beside activity: got %v (%d), want %v", n, got, len(got), want)
	}
	checkTime(t, "LastRequestAt: the latest activity", after.LastRequestAt, day(n))
	if after.Version != before.Version+n {
		t.Errorf("Version after %d updates and activity: got %d, want %d (activity changes no version)", n, after.Version, before.Version+n)
	}
}

// A revocation made while the session's activity is recorded stays: no
// activity write brings the session back.
func testConcurrentActivityRevoke(t *testing.T, s store.Store) {
	const n = 20
	ss := newSession(sessionUser(t, s, "owner"), day(1))
	mustCreateSession(t, s, ss)
	errs := race(n+1, func(i int) error {
		if i == n {
			return s.RevokeSession(t.Context(), ss.ID, day(3))
		}
		return s.RecordActivity(t.Context(), []store.Activity{{SessionID: ss.ID, At: day(2).Add(time.Duration(i) * time.Minute)}})
	})
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("goroutine %d: %w", i, err))
		}
	}
	if len(failed) > 0 {
		t.Errorf("concurrent writes failed:%s", fmtErrs(failed))
	}
	got := mustGetSession(t, s, ss.ID)
	checkTime(t, "RevokedAt after activity beside the revocation", got.RevokedAt, day(3))
	checkTime(t, "LastSeenAt: the latest activity", got.LastSeenAt, day(2).Add((n-1)*time.Minute))
}
