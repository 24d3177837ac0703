// Package events carries the events the services record (package audit)
// to where they go: administrators' queries of the audit trail, and
// webhooks. The store writes each event's delivery to every webhook that
// subscribes to its type, with the event (store.WebhookMessage); this
// package delivers them signed per Standard Webhooks with retries from the
// outbox (deliver.go), refuses private addresses unless allowed (ssrf.go),
// administers the webhooks (webhooks.go) and keeps the trail for its
// retention (janitor.go).
package events

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Config holds what a deployment chooses.
type Config struct {
	// Retention is how long the trail keeps an event
	// (USERGRAPH_AUDIT_RETENTION, default 90 days); deliveries' records
	// are kept as long.
	Retention time.Duration
	// AllowPrivate lets webhooks reach loopback and private addresses
	// (USERGRAPH_WEBHOOK_ALLOW_PRIVATE); off, such a URL is refused when a
	// webhook is saved and every connection to such an address is refused
	// when it is delivered (a name may resolve elsewhere later).
	AllowPrivate bool
	// Timeout bounds one delivery (default 10s).
	Timeout time.Duration
	// DisableAfter is how long a webhook may fail without a success
	// before it is disabled (default 24h).
	DisableAfter time.Duration
	// BaseDelay is the wait before the first retry (default 10s: the first
	// two retries come within 30 seconds); each doubles, up to an hour,
	// for a day.
	BaseDelay time.Duration
	// JanitorInterval is how often the janitor relays pending events and
	// purges (default 1m).
	JanitorInterval time.Duration
}

// Defaults of Config.
const (
	DefaultRetention       = 90 * 24 * time.Hour
	DefaultTimeout         = 10 * time.Second
	DefaultDisableAfter    = 24 * time.Hour
	DefaultBaseDelay       = 10 * time.Second
	DefaultJanitorInterval = time.Minute
)

// Queue enqueues outbox messages (outbox.Worker).
type Queue interface {
	Enqueue(ctx context.Context, msgs ...*store.OutboxMessage) error
}

// Deps are what the service builds on.
type Deps struct {
	Store store.EventsStore
	Queue Queue
	Log   *slog.Logger
}

// Service serves the trail and the webhooks, and delivers to them.
type Service struct {
	store  store.EventsStore
	queue  Queue
	cfg    Config
	log    *slog.Logger
	sender *sender
}

// New returns the service.
func New(d Deps, cfg Config) *Service {
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.DisableAfter <= 0 {
		cfg.DisableAfter = DefaultDisableAfter
	}
	if cfg.BaseDelay <= 0 {
		cfg.BaseDelay = DefaultBaseDelay
	}
	if cfg.JanitorInterval <= 0 {
		cfg.JanitorInterval = DefaultJanitorInterval
	}
	if d.Log == nil {
		d.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Service{store: d.Store, queue: d.Queue, cfg: cfg, log: d.Log}
	s.sender = newSender(s)
	return s
}
