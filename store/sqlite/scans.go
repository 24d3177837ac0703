package sqlite

import (
	"context"

	"golang.org/x/sync/semaphore"
)

// scans admits the heavy reads (a page of users, a count) to the read pool
// in arrival order. database/sql hands a freed connection to a random
// waiter, so under a burst of admin pages some waited behind dozens of
// later ones: at 32 clients on 2 cores the page's p99 was 5 times its p50,
// and the FIFO admission halved the p99 at the same throughput
// (docs/PERFORMANCE.md). Scans also never hold the last reader connection,
// which keeps point reads — a sign-in's user, a session check — from
// queueing behind a listing storm.
type scans struct{ sem *semaphore.Weighted }

func newScans(readers int) *scans {
	return &scans{sem: semaphore.NewWeighted(int64(max(1, readers-1)))}
}

// do runs a scan when its turn comes; ctx ending first returns its error.
func (s *scans) do(ctx context.Context, scan func() error) error {
	if err := s.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer s.sem.Release(1)
	return scan()
}
