package session

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Purge deletes the sessions that expired more than store.ExpiredRetention
// ago, with their refresh tokens; until then a replayed token of theirs is
// still recognized. Every sign-in adds a session and every refresh a token,
// so without this the store only grows.
func (m *Manager) Purge(ctx context.Context) {
	n, err := m.store.PurgeSessions(ctx, m.now().Add(-store.ExpiredRetention))
	switch {
	case err != nil && ctx.Err() == nil:
		m.log.Warn("purging expired sessions", "err", err, "purged", n)
	case err != nil: // the server is stopping
	case n > 0:
		m.log.Info("purged expired sessions", "sessions", n)
	default: // at debug level, so a purge that found nothing shows it ran
		m.log.Debug("purged expired sessions", "sessions", 0)
	}
}

// AlsoPurge adds a job the janitor runs after each purge of sessions (at
// Run's start, then every PurgeEvery): other services' clean-up on the same
// schedule, such as the account service's deletion of idle guests. A job
// logs its own failures. Call it before Run.
func (m *Manager) AlsoPurge(job func(context.Context)) { m.janitor = append(m.janitor, job) }

// purgeEvery purges now and then every interval until ctx ends.
func (m *Manager) purgeEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		m.Purge(ctx)
		for _, job := range m.janitor {
			job(ctx)
		}
		select {
		case <-t.C:
		case <-ctx.Done():
			return
		}
	}
}
