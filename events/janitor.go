package events

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// relayBatch is how many records' pending events one relay call moves.
const relayBatch = 100

// Run is the events' janitor, until ctx ends: every JanitorInterval it
// relays the events a crashed write left pending (a backend without
// transactions keeps them in the changed record; store.EventStore.
// RelayEvents), and every hour it purges the trail and the delivery
// records older than the retention.
func (s *Service) Run(ctx context.Context) error {
	relay := time.NewTicker(s.cfg.JanitorInterval)
	defer relay.Stop()
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	s.relay(ctx)
	s.purgeTrail(ctx, store.Now())
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-relay.C:
			s.relay(ctx)
		case <-purge.C:
			s.purgeTrail(ctx, store.Now())
		}
	}
}

func (s *Service) relay(ctx context.Context) {
	for range 100 {
		n, err := s.store.RelayEvents(ctx, relayBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("events: relaying pending events failed", "err", err)
			}
			return
		}
		if n > 0 {
			s.log.Info("events: relayed events a write left pending", "count", n)
		}
		if n == 0 {
			return
		}
	}
}
