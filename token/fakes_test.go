package token_test

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/usergraph/usergraph/store"
)

// memKeys is an in-memory store.KeyStore: the token service only persists
// keys through it, so the real backends add nothing to these tests.
type memKeys struct {
	mu    sync.Mutex
	keys  map[string]store.SigningKey
	lists int // ListSigningKeys calls
}

func newMemKeys() *memKeys { return &memKeys{keys: map[string]store.SigningKey{}} }

func (m *memKeys) CreateSigningKey(_ context.Context, k *store.SigningKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[k.ID]; ok {
		return store.AlreadyExists(store.FieldID)
	}
	m.keys[k.ID] = *k
	return nil
}

func (m *memKeys) ListSigningKeys(context.Context) ([]*store.SigningKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lists++
	var out []*store.SigningKey
	for _, k := range m.keys {
		out = append(out, &k)
	}
	slices.SortFunc(out, func(a, b *store.SigningKey) int { return b.CreatedAt.Compare(a.CreatedAt) })
	return out, nil
}

func (m *memKeys) RetireSigningKey(_ context.Context, id string, at time.Time) error {
	return m.change(id, func(k *store.SigningKey) { k.RetiredAt = at })
}

func (m *memKeys) DeleteSigningKey(_ context.Context, id string) error {
	return m.change(id, nil)
}

// change applies f to the key with the id, or deletes it if f is nil.
func (m *memKeys) change(id string, f func(*store.SigningKey)) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	k, ok := m.keys[id]
	switch {
	case !ok:
		return store.ErrNotFound
	case f == nil:
		delete(m.keys, id)
	default:
		f(&k)
		m.keys[id] = k
	}
	return nil
}

func (m *memKeys) count() (keys, lists int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.keys), m.lists
}

// clock is a settable time source shared by the services of a test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
