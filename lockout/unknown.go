package lockout

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Unknown keeps lockout states, in memory, for sign-in identifiers that
// match no account, under the same Policy as accounts: an unknown
// identifier answers INVALID_CREDENTIALS and then RATE_LIMITED exactly when
// an account would, so the lockout tells no one which accounts exist.
//
// Identifiers are kept as 64-bit hashes (a mistyped password in the
// identifier field is not held in memory), at most maxUnknown of them;
// states the policy has forgotten are swept. Each instance keeps its own:
// behind a load balancer an unknown identifier may take up to one
// threshold per instance to lock, which still reveals far less than
// usernameExists, which answers the question outright (rate-limited).
type Unknown struct {
	policy Policy
	seed   maphash.Seed
	mu     sync.Mutex
	states map[uint64]store.Lockout
	calls  int
}

// maxUnknown bounds the memory: a state is about 100 bytes with its map
// entry, so at most some 10 MB.
const maxUnknown = 100_000

// NewUnknown returns an empty set of states under p.
func NewUnknown(p Policy) *Unknown {
	return &Unknown{policy: p, seed: maphash.MakeSeed(), states: make(map[uint64]store.Lockout)}
}

// RetryAfter returns how long the identifier key is still locked at now.
func (u *Unknown) RetryAfter(key string, now time.Time) time.Duration {
	if u == nil || u.policy.Off() {
		return 0
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.policy.RetryAfter(u.states[maphash.String(u.seed, key)], now)
}

// Fail counts a failed sign-in with the identifier key at now.
func (u *Unknown) Fail(key string, now time.Time) {
	if u == nil || u.policy.Off() {
		return
	}
	h := maphash.String(u.seed, key)
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls++
	if _, ok := u.states[h]; !ok && (len(u.states) >= maxUnknown || u.calls%1024 == 0) {
		u.sweep(now)
	}
	u.states[h] = u.policy.Fail(u.states[h], now)
}

// sweep drops forgotten states and, if the map is still full, arbitrary
// ones (map order is random) until there is room: a flood of made-up
// identifiers then costs their early states, never unbounded memory.
func (u *Unknown) sweep(now time.Time) {
	for h, st := range u.states {
		if u.policy.forgotten(st, now) {
			delete(u.states, h)
		}
	}
	for h := range u.states {
		if len(u.states) < maxUnknown {
			break
		}
		delete(u.states, h)
	}
}
