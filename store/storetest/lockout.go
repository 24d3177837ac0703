package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var lockoutTests = []subTest{
	{"RecordLoginFailure", testRecordLoginFailure},
	{"RecordLoginFailureNotFound", testRecordLoginFailureNotFound},
	{"ClearLockout", testClearLockout},
	{"UpdateUserKeepsAndClearsLockout", testUpdateUserLockout},
	{"ConcurrentRecordLoginFailure", testConcurrentRecordLoginFailure},
}

// countFailure is the kind of next a caller passes: one more failure at at,
// and a lock until until.
func countFailure(at, until time.Time) func(store.Lockout) store.Lockout {
	return func(l store.Lockout) store.Lockout {
		return store.Lockout{Failures: l.Failures + 1, LastFailure: at, LockedUntil: until}
	}
}

// next sees the stored state; the result is stored (times truncated) and
// returned as stored; Version moves on, UpdatedAt and the rest do not.
func testRecordLoginFailure(t *testing.T, s store.Store) {
	u := fullUser()
	u.Lockout = store.Lockout{}
	mustCreateUsers(t, s, u.Clone())
	before := mustGetUser(t, s, u.ID)

	at := time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.FixedZone("UTC+2", 7200))
	got, err := s.RecordLoginFailure(t.Context(), u.ID, countFailure(at, time.Time{}))
	if err != nil {
		t.Fatalf("RecordLoginFailure: %v", err)
	}
	checkLockout(t, "first failure, returned", got, store.Lockout{Failures: 1, LastFailure: at})

	var seen store.Lockout
	got, err = s.RecordLoginFailure(t.Context(), u.ID, func(l store.Lockout) store.Lockout {
		seen = l
		return countFailure(at.Add(time.Second), at.Add(time.Hour))(l)
	})
	if err != nil {
		t.Fatalf("RecordLoginFailure: %v", err)
	}
	checkLockout(t, "second failure: next saw", seen, store.Lockout{Failures: 1, LastFailure: at})
	want := store.Lockout{Failures: 2, LastFailure: at.Add(time.Second), LockedUntil: at.Add(time.Hour)}
	checkLockout(t, "second failure, returned", got, want)

	after := mustGetUser(t, s, u.ID)
	wantUser := before.Clone()
	wantUser.Lockout = want
	checkUser(t, "GetUser after two failures", after, wantUser)
	if after.Version != before.Version+2 {
		t.Errorf("Version after two failures: got %d, want %d", after.Version, before.Version+2)
	}
}

func testRecordLoginFailureNotFound(t *testing.T, s store.Store) {
	_, err := s.RecordLoginFailure(t.Context(), store.NewID(), countFailure(day(1), time.Time{}))
	wantErrIs(t, "RecordLoginFailure of an unknown id", err, store.ErrNotFound)
}

func testClearLockout(t *testing.T, s store.Store) {
	u := fullUser() // locked, with failures
	mustCreateUsers(t, s, u.Clone())
	before := mustGetUser(t, s, u.ID)
	if err := s.ClearLockout(t.Context(), u.ID); err != nil {
		t.Fatalf("ClearLockout: %v", err)
	}
	after := mustGetUser(t, s, u.ID)
	wantUser := before.Clone()
	wantUser.Lockout = store.Lockout{}
	checkUser(t, "GetUser after ClearLockout", after, wantUser)
	if after.Version <= before.Version {
		t.Errorf("Version after ClearLockout: got %d, want more than %d", after.Version, before.Version)
	}
	wantErrIs(t, "ClearLockout of an unknown id", s.ClearLockout(t.Context(), store.NewID()), store.ErrNotFound)
}

// UpdateUser writes the Lockout like any field: kept when the update does
// not touch it, cleared when it sets the zero value (as a successful
// sign-in does together with LastLoginAt).
func testUpdateUserLockout(t *testing.T, s store.Store) {
	u := fullUser()
	mustCreateUsers(t, s, u.Clone())
	got, err := s.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
		u.FirstName = "Alicia"
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	checkLockout(t, "UpdateUser of another field", got.Lockout, u.Lockout)
	checkLockout(t, "GetUser after it", mustGetUser(t, s, u.ID).Lockout, u.Lockout)

	got, err = s.UpdateUser(t.Context(), u.ID, func(u *store.User) error {
		u.LastLoginAt = day(9)
		u.Lockout = store.Lockout{}
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	checkLockout(t, "UpdateUser clearing it", got.Lockout, store.Lockout{})
	checkLockout(t, "GetUser after it", mustGetUser(t, s, u.ID).Lockout, store.Lockout{})
}

// 20 failures recorded at once, raced by 10 updates of another field: no
// failure and no update is lost.
func testConcurrentRecordLoginFailure(t *testing.T, s store.Store) {
	const failures, updates = 20, 10
	u := newUser("guessed")
	mustCreateUsers(t, s, u)
	errs := race(failures+updates, func(i int) error {
		if i < failures {
			_, err := s.RecordLoginFailure(t.Context(), u.ID, countFailure(day(1), time.Time{}))
			return err
		}
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
		t.Errorf("concurrent writes failed:%s", fmtErrs(failed))
	}
	after := mustGetUser(t, s, u.ID)
	if after.Lockout.Failures != failures {
		t.Errorf("Failures after %d concurrent calls: got %d, want %d", failures, after.Lockout.Failures, failures)
	}
	var want []string
	for i := failures; i < failures+updates; i++ {
		want = append(want, fmt.Sprintf("t%02d", i))
	}
	if got := set(after.Tags); !slices.Equal(got, want) {
		t.Errorf("tags after %d concurrent updates: got %v, want %v", updates, got, want)
	}
}
