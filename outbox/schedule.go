package outbox

import (
	"sync"
	"time"
)

// schedule is the earliest moment the worker knows a message comes due:
// noted when it defers a delivery of its own, and from the store when it
// looks ahead (Worker.lookAhead: at start, at each poll, and when the
// moment it knew of has passed). The worker sleeps until then when that
// is sooner than its next poll, so a retry is tried when it is due, not
// up to a poll interval later, also after a restart.
type schedule struct {
	mu   sync.Mutex
	next time.Time // zero: none known
}

// note records that a message comes due at t (zero: nothing).
func (s *schedule) note(t time.Time) {
	if t.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next.IsZero() || t.Before(s.next) {
		s.next = t
	}
}

// forget drops what is known, before the store is asked again: a
// deferral noted meanwhile is in the store by then (note follows the
// store's write), so the answer covers it.
func (s *schedule) forget() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = time.Time{}
}

// passed reports whether the moment known has come: time to look ahead
// for the one after it.
func (s *schedule) passed(now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.next.IsZero() && !now.Before(s.next)
}

// until is how long to sleep: until the moment known, or until pollAt if
// that is sooner or nothing is known.
func (s *schedule) until(pollAt time.Time) time.Duration {
	s.mu.Lock()
	at := pollAt
	if !s.next.IsZero() && s.next.Before(at) {
		at = s.next
	}
	s.mu.Unlock()
	return max(0, time.Until(at))
}
