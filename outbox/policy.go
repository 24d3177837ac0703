package outbox

import (
	"math/rand/v2"
	"time"
)

// Policy is how the worker treats one kind of message.
type Policy struct {
	// Timeout bounds one delivery (default 30s). The lease on a message is
	// 2 × Timeout + 10s, so it outlives the delivery and its bookkeeping.
	Timeout time.Duration
	// Concurrency is how many deliveries of the kind one worker runs at
	// once (default 4).
	Concurrency int
	// BaseDelay is the wait before the first retry (default 30s); each
	// retry waits twice as long as the one before, up to MaxDelay
	// (default 1h), less a random part of up to half (jitter), so that
	// messages that failed together do not retry together.
	BaseDelay time.Duration
	MaxDelay  time.Duration
	// MaxAttempts gives up after this many attempts (default 12: about
	// five hours with the default delays).
	MaxAttempts int
	// MaxAge, if set, also gives up once a retry would start more than
	// MaxAge after the message was queued.
	MaxAge time.Duration
}

// Defaults of Policy.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultConcurrency = 4
	DefaultBaseDelay   = 30 * time.Second
	DefaultMaxDelay    = time.Hour
	DefaultMaxAttempts = 12
)

func (p Policy) withDefaults() Policy {
	if p.Timeout <= 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Concurrency <= 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultMaxDelay
	}
	if p.MaxDelay < p.BaseDelay {
		p.MaxDelay = p.BaseDelay
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
	}
	return p
}

// lease is how long a claim holds.
func (p Policy) lease() time.Duration { return 2*p.Timeout + 10*time.Second }

// delay is the wait before the retry that follows attempt (1-based):
// BaseDelay·2^(attempt-1), capped at MaxDelay, then reduced by a random
// part of up to half, so it lies in (d/2, d].
func (p Policy) delay(attempt int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < attempt && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	return d - time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAt returns when to try again a message that failed its attempt-th
// attempt at now, or false if the policy gives up on it.
func (p Policy) retryAt(attempt int, created, now time.Time) (time.Time, bool) {
	if attempt >= p.MaxAttempts {
		return time.Time{}, false
	}
	next := now.Add(p.delay(attempt))
	if p.MaxAge > 0 && next.After(created.Add(p.MaxAge)) {
		return time.Time{}, false
	}
	return next, true
}
