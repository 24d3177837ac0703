// Package lockout holds the rules of the sign-in lockout (API.md, "Sign-in
// lockout"), after OWASP's device-cookie scheme
// (https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies):
//
//   - Policy: failed sign-ins from strangers lock an account, for them
//     only, for periods that grow with each lockout (policy.go);
//   - Unknown: the same schedule, in memory, for identifiers that match no
//     account, so that the answers never tell whether an account exists
//     (unknown.go);
//   - Devices: the signed usergraph_device cookie that a client gets at
//     each sign-in and that makes it no stranger to that account: its
//     failures count against its own budget, and it may sign in while the
//     account is locked for strangers (device.go).
//
// The account service applies these rules at sign-in; the lockout state of
// accounts lives in the store (store.Lockout), shared by every instance.
package lockout

import (
	"time"

	"github.com/usergraph/usergraph/store"
)

// Policy is the lockout schedule. Every Threshold-th failure counted against
// an account locks it for strangers: for Base the first time, twice as long
// each further time, never longer than Max. A state is forgotten, and the
// count starts over, Max after its latest failure or the end of its lock,
// whichever is later. The zero Policy never locks.
type Policy struct {
	Threshold int
	Base      time.Duration
	Max       time.Duration // less than Base counts as Base
}

// DefaultPolicy is the lockout of USERGRAPH_LOGIN_LIMIT_ACCOUNT's and
// USERGRAPH_LOGIN_LOCKOUT_MAX's defaults: the 10th consecutive failure
// locks for 15 minutes, each further lockout twice as long, at most a day
// (README, "Sign-in lockout", says why).
func DefaultPolicy() Policy {
	return Policy{Threshold: 10, Base: 15 * time.Minute, Max: 24 * time.Hour}
}

// Off reports whether the policy never locks.
func (p Policy) Off() bool { return p.Threshold <= 0 || p.Base <= 0 }

// Fail returns st after one more failure at now.
func (p Policy) Fail(st store.Lockout, now time.Time) store.Lockout {
	if p.Off() {
		return st
	}
	if p.forgotten(st, now) {
		st = store.Lockout{}
	}
	st.Failures++
	st.LastFailure = now
	if st.Failures%p.Threshold == 0 {
		st.LockedUntil = now.Add(p.period(st.Failures / p.Threshold))
	}
	return st
}

// RetryAfter returns how long st still refuses strangers at now: 0 when it
// does not.
func (p Policy) RetryAfter(st store.Lockout, now time.Time) time.Duration {
	if p.Off() || !st.LockedUntil.After(now) {
		return 0
	}
	return st.LockedUntil.Sub(now)
}

// period is the length of the k-th lockout (k ≥ 1).
func (p Policy) period(k int) time.Duration {
	d, limit := p.Base, p.max()
	for i := 1; i < k && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

func (p Policy) max() time.Duration { return max(p.Max, p.Base) }

// forgotten reports whether st is old enough to start over at now. Keeping
// a state a full Max after its lock ends lets the periods grow against a
// guesser who waits out each lock, and bounds how long Unknown must keep it.
func (p Policy) forgotten(st store.Lockout, now time.Time) bool {
	end := st.LastFailure
	if st.LockedUntil.After(end) {
		end = st.LockedUntil
	}
	return !end.IsZero() && now.Sub(end) >= p.max()
}
