package session

import (
	"context"
	"sync"
	"time"

	"github.com/usergraph/usergraph/store"
)

// activity collects the latest request time per session in memory, so an
// authenticated request costs a map write instead of a store write. The
// session manager flushes it in batches (Run) and consults it for idle
// timeouts, so a session in use never looks idle. The same batch moves
// the users' last requests and the devices' last uses (Device.LastUsedAt).
type activity struct {
	mu      sync.Mutex
	pending map[string]store.Activity // by session id
}

func newActivity() *activity {
	return &activity{pending: make(map[string]store.Activity)}
}

// record notes a request of session s at at: the session's last request,
// its user's, and its device's last use.
func (a *activity) record(s *store.Session, at time.Time) {
	a.mu.Lock()
	if cur, ok := a.pending[s.ID]; !ok || at.After(cur.At) {
		a.pending[s.ID] = store.Activity{SessionID: s.ID, UserID: s.UserID, DeviceID: s.DeviceID, At: at}
	}
	a.mu.Unlock()
}

func (a *activity) seen(sessionID string) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	cur, ok := a.pending[sessionID]
	return cur.At, ok
}

// snapshot returns every pending record. They stay pending (and keep
// counting for idle checks) until written is called with them.
func (a *activity) snapshot() []store.Activity {
	a.mu.Lock()
	defer a.mu.Unlock()
	batch := make([]store.Activity, 0, len(a.pending))
	for _, act := range a.pending {
		batch = append(batch, act)
	}
	return batch
}

// written drops records the store now has, keeping any newer ones.
func (a *activity) written(batch []store.Activity) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, act := range batch {
		if cur, ok := a.pending[act.SessionID]; ok && !cur.At.After(act.At) {
			delete(a.pending, act.SessionID)
		}
	}
}

// Run writes observed activity to the store every FlushEvery and, beside
// it, purges long-expired sessions at once and every PurgeEvery, until ctx
// ends; then it writes what is left. A long first purge (a backlog after an
// upgrade) does not hold up the flushes.
func (m *Manager) Run(ctx context.Context) {
	var purging sync.WaitGroup
	purging.Go(func() { m.purgeEvery(ctx, orDefault(m.cfg.PurgeEvery, time.Hour)) })
	defer purging.Wait()
	flush := time.NewTicker(orDefault(m.cfg.FlushEvery, 5*time.Second))
	defer flush.Stop()
	for {
		select {
		case <-flush.C:
			m.Flush(context.WithoutCancel(ctx))
		case <-ctx.Done():
			m.Flush(context.WithoutCancel(ctx))
			return
		}
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Flush writes pending activity now.
func (m *Manager) Flush(ctx context.Context) {
	batch := m.activity.snapshot()
	if len(batch) == 0 {
		return
	}
	if err := m.store.RecordActivity(ctx, batch); err != nil {
		m.log.Error("recording session activity", "err", err, "sessions", len(batch))
		return
	}
	m.activity.written(batch)
}
