package lockout_test

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/store"
)

var t0 = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// fail applies n failures one second apart from at and returns the state
// and the time of the last one.
func fail(p lockout.Policy, st store.Lockout, at time.Time, n int) (store.Lockout, time.Time) {
	for i := range n {
		at = at.Add(time.Duration(min(i, 1)) * time.Second)
		st = p.Fail(st, at)
	}
	return st, at
}

func TestPolicyGrowingPeriods(t *testing.T) {
	p := lockout.Policy{Threshold: 3, Base: time.Minute, Max: 5 * time.Minute}
	var st store.Lockout
	at := t0
	for i, want := range []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5 * time.Minute} {
		st, at = fail(p, st, at, p.Threshold-1)
		if got := p.RetryAfter(st, at); got != 0 {
			t.Fatalf("lockout %d: locked for %v after %d failures, want not yet", i+1, got, p.Threshold-1)
		}
		at = at.Add(time.Second)
		st = p.Fail(st, at)
		if got := p.RetryAfter(st, at); got != want {
			t.Fatalf("lockout %d: RetryAfter = %v, want %v (state %+v)", i+1, got, want, st)
		}
		at = st.LockedUntil // the guesser waits the lock out
	}
}

func TestPolicyForgetsAfterMax(t *testing.T) {
	p := lockout.Policy{Threshold: 2, Base: time.Minute, Max: time.Hour}
	st, _ := fail(p, store.Lockout{}, t0, 2) // first lockout, 1m
	end := st.LockedUntil
	kept := p.Fail(st, end.Add(p.Max-time.Second))
	if kept.Failures != 3 {
		t.Errorf("a failure within Max of the lock's end: Failures = %d, want 3", kept.Failures)
	}
	fresh := p.Fail(st, end.Add(p.Max))
	if fresh.Failures != 1 || !fresh.LockedUntil.IsZero() {
		t.Errorf("a failure Max after the lock's end: got %+v, want a fresh count of 1, unlocked", fresh)
	}
}

func TestPolicyOff(t *testing.T) {
	var p lockout.Policy
	st, at := fail(p, store.Lockout{}, t0, 100)
	if st != (store.Lockout{}) || p.RetryAfter(st, at) != 0 {
		t.Errorf("the zero Policy recorded %+v", st)
	}
}

// An unknown identifier follows exactly the schedule an account does.
func TestUnknownFollowsThePolicy(t *testing.T) {
	p := lockout.Policy{Threshold: 3, Base: time.Minute, Max: time.Hour}
	u := lockout.NewUnknown(p)
	var st store.Lockout
	at := t0
	for i := range 3 * p.Threshold {
		at = at.Add(time.Second)
		if got, want := u.RetryAfter("nobody", at), p.RetryAfter(st, at); got != want {
			t.Fatalf("attempt %d: unknown RetryAfter %v, account %v", i+1, got, want)
		}
		if p.RetryAfter(st, at) > 0 {
			at = st.LockedUntil
		}
		u.Fail("nobody", at)
		st = p.Fail(st, at)
	}
	if u.RetryAfter("somebody else", at) != 0 {
		t.Error("another identifier is locked too")
	}
}
