package session

import (
	"hash/maphash"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
)

// cache remembers principals by access token for a short time.
//
// Invalidation uses generation counters in stripes instead of an index from
// users to tokens: forgetting a user or a session bumps its stripe, and an
// entry is served only while the stripes it was stamped with are unchanged.
// Bumping is O(1), memory is fixed, and a collision merely costs a re-read.
type cache struct {
	entries *lru.Cache[string, *entry]
	seed    maphash.Seed
	userGen [stripes]atomic.Uint64
	sessGen [stripes]atomic.Uint64
}

const stripes = 4096

type entry struct {
	p     *Principal
	st    stamp
	until time.Time
}

type stamp struct{ user, sess uint64 }

func newCache(size int) *cache {
	entries, _ := lru.New[string, *entry](size)
	return &cache{entries: entries, seed: maphash.MakeSeed()}
}

func (c *cache) stripe(id string) uint64 { return maphash.String(c.seed, id) % stripes }

func (c *cache) stamp(userID, sessionID string) stamp {
	return stamp{c.userGen[c.stripe(userID)].Load(), c.sessGen[c.stripe(sessionID)].Load()}
}

func (c *cache) get(token string, now time.Time) (*Principal, bool) {
	e, ok := c.entries.Get(token)
	if !ok {
		return nil, false
	}
	if !now.Before(e.until) || e.st != c.stamp(e.p.subject(), e.p.SessionID) {
		c.entries.Remove(token)
		return nil, false
	}
	return e.p, true
}

func (c *cache) put(token string, p *Principal, st stamp, until time.Time) {
	c.entries.Add(token, &entry{p: p, st: st, until: until})
}

func (c *cache) forgetUser(userID string)       { c.userGen[c.stripe(userID)].Add(1) }
func (c *cache) forgetSession(sessionID string) { c.sessGen[c.stripe(sessionID)].Add(1) }
