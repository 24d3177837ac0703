// Package outbox delivers what the store's outbox holds: a worker claims
// due messages of each registered kind under a lease, hands each to its
// kind's Sender, and records the outcome — sent, retried later with
// exponential backoff and jitter, or dead — then tells the kind's
// Observer. Producers only enqueue (Worker.Enqueue), so no request waits
// on a mail server or a webhook receiver, and a message survives any
// crash: an unfinished claim runs out and the message is claimed again.
//
// Delivery is at-least-once: a worker that dies after the receiver took a
// message but before recording it leaves the message to be delivered
// again. Senders make repeats recognisable (a mail keeps its Message-ID,
// a webhook its webhook-id).
package outbox

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/usergraph/usergraph/store"
)

// Config sets up a Worker. Only Store is required.
type Config struct {
	Store store.OutboxStore
	// Log receives failures of the worker itself (nil: discarded);
	// delivery failures go to the observers.
	Log *slog.Logger
	// Owner names this worker in leases; default host:pid:random, unique
	// per worker, which claims rely on.
	Owner string
	// PollInterval is how often the worker looks at the store for what it
	// was not told about (other processes' enqueues and retries); default
	// 5s. Between polls it sleeps until the earliest due time it knows of
	// (its own retries, and what the last look found: schedule.go) when
	// that comes sooner, and an Enqueue through this worker wakes it at
	// once.
	PollInterval time.Duration
	// Retention is how long sent and dead messages are kept before they
	// are purged (default 7 days); PurgeInterval how often (default 1h).
	Retention     time.Duration
	PurgeInterval time.Duration
	// Tracer gives each delivery attempt a span (deliverSpan); nil: none.
	Tracer trace.Tracer
}

// Defaults of Config.
const (
	DefaultPollInterval  = 5 * time.Second
	DefaultRetention     = 7 * 24 * time.Hour
	DefaultPurgeInterval = time.Hour
)

// maxErrorText bounds the failure text kept with a message.
const maxErrorText = 1000

// Worker delivers the outbox. Register the kinds, then Run it once.
type Worker struct {
	cfg   Config
	log   *slog.Logger
	wake  chan struct{}
	next  schedule // the earliest due time known
	mu    sync.Mutex
	kinds map[string]*kind
}

// kind is one registered kind and its deliveries in flight.
type kind struct {
	name    string
	sender  Sender
	policy  Policy
	observe Observer
	busy    atomic.Int64
}

// New returns a worker on cfg.Store.
func New(cfg Config) *Worker {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Owner == "" {
		cfg.Owner = defaultOwner()
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.Retention <= 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.PurgeInterval <= 0 {
		cfg.PurgeInterval = DefaultPurgeInterval
	}
	return &Worker{cfg: cfg, log: cfg.Log, wake: make(chan struct{}, 1), kinds: map[string]*kind{}}
}

func defaultOwner() string {
	host, _ := os.Hostname()
	id := store.NewID()
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), id[len(id)-8:])
}

// Owner is the name this worker's leases carry.
func (w *Worker) Owner() string { return w.cfg.Owner }

// Register makes the worker deliver messages of kind name with sender
// under policy (zero fields take the defaults), telling observe (may be
// nil) each outcome. Register before Run; registering a name twice
// replaces it.
func (w *Worker) Register(name string, sender Sender, policy Policy, observe Observer) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.kinds[name] = &kind{name: name, sender: sender, policy: policy.withDefaults(), observe: observe}
	w.Notify()
}

// Enqueue stores messages in the outbox (store.OutboxStore.EnqueueOutbox:
// idempotent by ID) and wakes the worker, so this process delivers them
// at once. Other processes' workers find them at their next poll.
func (w *Worker) Enqueue(ctx context.Context, msgs ...*store.OutboxMessage) error {
	if err := w.cfg.Store.EnqueueOutbox(ctx, msgs...); err != nil {
		return err
	}
	w.Notify()
	return nil
}

// Notify wakes the worker to look for due messages now. It never blocks.
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the deliveries in flight
// (each bounded by its kind's Timeout) to finish and be recorded, and
// returns nil. A message claimed but not recorded (the process died) is
// claimed again when its lease runs out.
func (w *Worker) Run(ctx context.Context) error {
	var inflight sync.WaitGroup
	defer inflight.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	purge := time.NewTicker(w.cfg.PurgeInterval)
	defer purge.Stop()
	w.purge(ctx)
	var pollAt time.Time // the next look at the store; zero: at once
	for {
		if now := time.Now(); !now.Before(pollAt) || w.next.passed(now) {
			w.lookAhead(ctx, now)
			pollAt = now.Add(w.cfg.PollInterval)
		}
		for _, k := range w.registered() {
			w.fill(ctx, k, &inflight)
		}
		timer.Reset(w.next.until(pollAt))
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-timer.C:
		case <-purge.C:
			w.purge(ctx)
		}
	}
}

// lookAhead asks the store when each kind's next pending message comes
// due after now, so that the worker sleeps until then: what other
// processes enqueued or deferred, what a process that stopped (or died)
// left to retry, a lease of a dead worker running out.
func (w *Worker) lookAhead(ctx context.Context, now time.Time) {
	w.next.forget()
	for _, k := range w.registered() {
		at, err := w.cfg.Store.NextOutboxDue(ctx, k.name, now)
		if err != nil {
			if ctx.Err() == nil {
				w.log.Error("outbox: looking for the next due message failed; looking again at the next poll", "kind", k.name, "err", err)
			}
			continue
		}
		w.next.note(at)
	}
}

func (w *Worker) registered() []*kind {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]*kind, 0, len(w.kinds))
	for _, k := range w.kinds {
		out = append(out, k)
	}
	return out
}

// fill claims as many due messages of k as it has free delivery slots
// and starts a delivery for each. A delivery that ends wakes the worker,
// so a backlog drains without waiting for the poll.
func (w *Worker) fill(ctx context.Context, k *kind, inflight *sync.WaitGroup) {
	free := k.policy.Concurrency - int(k.busy.Load())
	if free <= 0 || ctx.Err() != nil {
		return
	}
	msgs, err := w.cfg.Store.ClaimOutbox(ctx, store.OutboxClaim{
		Kind: k.name, Owner: w.cfg.Owner, Limit: free, Now: store.Now(), Lease: k.policy.lease(),
	})
	if err != nil {
		if ctx.Err() == nil {
			w.log.Error("outbox: claiming messages failed; trying again at the next poll", "kind", k.name, "err", err)
		}
		return
	}
	for _, m := range msgs {
		k.busy.Add(1)
		inflight.Go(func() {
			defer w.Notify()
			defer k.busy.Add(-1)
			// A delivery outlives ctx: it is bounded by the timeout, and
			// finishing it (and recording the result) beats leaving the
			// message to be sent again after the lease runs out.
			w.deliver(context.WithoutCancel(ctx), k, m)
		})
	}
}

// deliver makes one attempt at m, records its outcome in the store and
// reports it.
func (w *Worker) deliver(ctx context.Context, k *kind, m *store.OutboxMessage) {
	ctx, span := w.deliverSpan(ctx, k, m)
	err := w.send(ctx, k, m)
	o := Outcome{Message: m, At: store.Now()}
	var recErr error
	switch {
	case err == nil:
		o.Status = Delivered
		recErr = w.cfg.Store.CompleteOutbox(ctx, m.ID, m.Lease, o.At)
	case IsPermanent(err):
		o.Status, o.Error = Bounced, errorText(err)
		recErr = w.cfg.Store.DropOutbox(ctx, m.ID, m.Lease, o.At, o.Error)
	default:
		o.Error = errorText(err)
		if next, ok := k.policy.retryAt(m.Attempts, m.CreatedAt, o.At); ok {
			o.Status, o.NextAttemptAt = Deferred, next
			recErr = w.cfg.Store.RetryOutbox(ctx, m.ID, m.Lease, next, o.Error)
			w.next.note(next) // the delivery's end wakes the loop, which then sleeps until next at most
		} else {
			o.Status = Dropped
			recErr = w.cfg.Store.DropOutbox(ctx, m.ID, m.Lease, o.At, o.Error)
		}
	}
	if recErr != nil {
		// Lost lease (the delivery outlasted it and another worker took
		// the message) or a store failure: the message will be tried again.
		w.log.Warn("outbox: recording a delivery failed; the message will be tried again",
			"kind", k.name, "id", m.ID, "status", o.Status, "err", recErr)
	}
	if k.observe != nil {
		k.observe(ctx, o)
	}
	if span != nil {
		span.SetAttributes(attribute.String("outbox.outcome", string(o.Status)))
		if o.Status != Delivered {
			span.SetStatus(codes.Error, string(o.Status))
		}
		span.End()
	}
}

// deliverSpan starts the span of one delivery attempt, a trace of its
// own (the message was queued by a request long done): its kind and
// attempt, never the recipient or the content. nil without a tracer.
func (w *Worker) deliverSpan(ctx context.Context, k *kind, m *store.OutboxMessage) (context.Context, trace.Span) {
	if w.cfg.Tracer == nil {
		return ctx, nil
	}
	return w.cfg.Tracer.Start(ctx, "outbox.deliver "+k.name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attribute.String("outbox.kind", k.name), attribute.Int("outbox.attempt", m.Attempts)))
}

// send calls the sender under the kind's timeout. A panicking sender is
// a failed attempt, not a dead process.
func (w *Worker) send(ctx context.Context, k *kind, m *store.OutboxMessage) (err error) {
	ctx, cancel := context.WithTimeout(ctx, k.policy.Timeout)
	defer cancel()
	defer func() {
		if r := recover(); r != nil {
			w.log.Error("outbox: sender panicked", "kind", k.name, "id", m.ID, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("outbox: sender panicked: %v", r)
		}
	}()
	return k.sender.Deliver(ctx, m)
}

// purge deletes sent and dead messages older than the retention.
func (w *Worker) purge(ctx context.Context) {
	n, err := w.cfg.Store.PurgeOutbox(ctx, store.Now().Add(-w.cfg.Retention))
	switch {
	case err != nil && ctx.Err() == nil:
		w.log.Error("outbox: purging old messages failed", "err", err)
	case n > 0:
		w.log.Debug("outbox: purged old messages", "count", n)
	}
}

func errorText(err error) string {
	s := err.Error()
	if len(s) <= maxErrorText {
		return s
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
