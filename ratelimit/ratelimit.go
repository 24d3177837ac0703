// Package ratelimit counts attempts per key (an IP, an account) with token
// buckets, to slow down password guessing and enumeration.
package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rule allows Burst attempts at once, refilled at Burst per Per. The zero
// Rule allows everything.
type Rule struct {
	Burst int
	Per   time.Duration
}

// Off reports whether the rule limits nothing.
func (r Rule) Off() bool { return r.Burst <= 0 || r.Per <= 0 }

func (r Rule) String() string {
	if r.Off() {
		return "off"
	}
	return fmt.Sprintf("%d/%s", r.Burst, r.Per)
}

// ParseRule reads "10/15m" (10 attempts per 15 minutes) or "off".
func ParseRule(s string) (Rule, error) {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" || s == "" {
		return Rule{}, nil
	}
	n, per, ok := strings.Cut(s, "/")
	burst, err1 := strconv.Atoi(n)
	d, err2 := time.ParseDuration(per)
	if !ok || err1 != nil || err2 != nil || burst <= 0 || d <= 0 {
		return Rule{}, fmt.Errorf("rate limit %q: want N/duration, e.g. 10/15m, or off", s)
	}
	return Rule{Burst: burst, Per: d}, nil
}

// Limiter holds one bucket per key.
type Limiter struct {
	rule    Rule
	mu      sync.Mutex
	buckets map[string]*rate.Limiter
	calls   int
}

// New returns a limiter for rule.
func New(rule Rule) *Limiter {
	return &Limiter{rule: rule, buckets: make(map[string]*rate.Limiter)}
}

// Allow takes one attempt for key. When none is left it returns false and
// how many whole seconds until the next one.
func (l *Limiter) Allow(key string) (bool, int) {
	if l == nil || l.rule.Off() {
		return true, 0
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	b, ok := l.buckets[key]
	if !ok {
		b = rate.NewLimiter(rate.Limit(float64(l.rule.Burst)/l.rule.Per.Seconds()), l.rule.Burst)
		l.buckets[key] = b
	}
	r := b.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, int(math.Ceil(d.Seconds()))
	}
	return true, 0
}

// sweep drops full buckets now and then, so memory follows the number of
// recently active keys rather than every key ever seen.
func (l *Limiter) sweep(now time.Time) {
	l.calls++
	if l.calls%1024 != 0 {
		return
	}
	for k, b := range l.buckets {
		if b.TokensAt(now) >= float64(l.rule.Burst) {
			delete(l.buckets, k)
		}
	}
}

// Exhausted reports whether key has no attempt left now, without taking
// one: for budgets that only failures spend (Allow takes one per failure).
func (l *Limiter) Exhausted(key string) bool {
	if l == nil || l.rule.Off() {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	return ok && b.TokensAt(time.Now()) < 1
}
