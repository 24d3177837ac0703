package outbox

import (
	"testing"
	"time"
)

// Each retry waits twice as long as the one before up to the cap, less a
// random part of at most half: within (d/2, d].
func TestPolicyDelay(t *testing.T) {
	p := Policy{BaseDelay: time.Second, MaxDelay: 10 * time.Second}.withDefaults()
	caps := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}
	for i, d := range caps {
		attempt := i + 1
		lo, hi := d, time.Duration(0)
		for range 200 {
			got := p.delay(attempt)
			lo, hi = min(lo, got), max(hi, got)
		}
		if lo < d/2 || hi > d {
			t.Errorf("delay after attempt %d: seen %v..%v, want within [%v, %v]", attempt, lo, hi, d/2, d)
		}
		if lo == hi {
			t.Errorf("delay after attempt %d: always %v, want jitter", attempt, lo)
		}
	}
	if got := p.delay(500); got > p.MaxDelay || got < p.MaxDelay/2 {
		t.Errorf("delay after attempt 500: %v, want the capped delay", got)
	}
}

func TestPolicyGivesUp(t *testing.T) {
	created := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	p := Policy{BaseDelay: time.Minute, MaxDelay: time.Hour, MaxAttempts: 3}.withDefaults()
	for attempt, want := range map[int]bool{1: true, 2: true, 3: false, 4: false} {
		if _, ok := p.retryAt(attempt, created, created); ok != want {
			t.Errorf("MaxAttempts 3, after attempt %d: retry %v, want %v", attempt, ok, want)
		}
	}
	p = Policy{BaseDelay: time.Hour, MaxDelay: time.Hour, MaxAttempts: 100, MaxAge: 24 * time.Hour}.withDefaults()
	if _, ok := p.retryAt(5, created, created.Add(22*time.Hour)); !ok {
		t.Errorf("MaxAge 24h, 22h old with at most an hour to wait: gave up, want a retry")
	}
	if _, ok := p.retryAt(5, created, created.Add(24*time.Hour)); ok {
		t.Errorf("MaxAge 24h, 24h old: retries, want to give up")
	}
	if d := (Policy{Timeout: time.Second}).withDefaults().lease(); d <= time.Second {
		t.Errorf("lease %v is not longer than the delivery timeout", d)
	}
}
