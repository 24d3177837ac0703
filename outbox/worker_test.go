package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	usermail "github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/store"
)

const ann = "ann@example.com"

// A queued mail is delivered once and recorded as sent; the poll is an
// hour, so only the wake-up of Enqueue can have started it.
func TestDeliversOnce(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	st := openStore(t, newDBPath(t))
	m := newMailer(t, srv)
	var obs outcomes
	r := start(t, st, outbox.Config{PollInterval: time.Hour}, m, fast, &obs)
	msg := enqueueMail(t, r.w, m, ann)

	if got := obs.waitStatus(t, msg.ID, outbox.Delivered); !slices.Equal(got, []outbox.Status{outbox.Delivered}) {
		t.Errorf("reports: got %v, want [DELIVERED]", got)
	}
	stored := mustGet(t, st, msg.ID)
	if stored.State != store.OutboxSent || stored.Attempts != 1 || len(stored.Payload) != 0 {
		t.Errorf("stored: state %s, attempts %d, payload %q; want sent, 1, none", stored.State, stored.Attempts, stored.Payload)
	}
	if o := obs.last(msg.ID); o.Message.Ref != "reset:"+ann || o.Error != "" {
		t.Errorf("outcome: ref %q, error %q; want the producer's ref and no error", o.Message.Ref, o.Error)
	}
	got := srv.Wait(t, 1, within)
	if len(got) != 1 || got[0].MessageID() != "<"+msg.ID+"@acme.example>" {
		t.Errorf("received %d mails, first Message-ID %q; want 1 with <%s@acme.example>", len(got), got[0].MessageID(), msg.ID)
	}
}

// A 4xx refusal defers the mail and it is retried; once the server takes
// it again, it is delivered with the Message-ID it was queued with.
func TestTemporaryFailureIsRetried(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	st := openStore(t, newDBPath(t))
	m := newMailer(t, srv)
	var obs outcomes
	srv.Refuse(ann, 451)
	r := start(t, st, outbox.Config{}, m, fast, &obs)
	msg := enqueueMail(t, r.w, m, ann)

	obs.waitStatus(t, msg.ID, outbox.Deferred)
	deferred := obs.last(msg.ID)
	if !strings.Contains(deferred.Error, "451") || deferred.NextAttemptAt.Before(deferred.At) {
		t.Errorf("deferred outcome: error %q, next attempt %v after %v; want the 451 and a later retry", deferred.Error, deferred.NextAttemptAt, deferred.At)
	}
	srv.Accept(ann)
	reports := obs.waitStatus(t, msg.ID, outbox.Delivered)
	for _, s := range reports[:len(reports)-1] {
		if s != outbox.Deferred {
			t.Errorf("reports before the delivery: %v, want only DEFERRED", reports)
			break
		}
	}
	got := srv.Wait(t, 1, within)
	if len(got) != 1 || got[0].MessageID() != "<"+msg.ID+"@acme.example>" {
		t.Errorf("received %d mails, Message-ID %q; want one with the queued <%s@acme.example>", len(got), got[0].MessageID(), msg.ID)
	}
	stored := mustGet(t, st, msg.ID)
	if stored.State != store.OutboxSent || stored.Attempts != len(reports) || srv.Attempts(ann) != len(reports) {
		t.Errorf("stored: state %s, attempts %d; server saw %d tries; want sent and %d attempts (one per report)",
			stored.State, stored.Attempts, srv.Attempts(ann), len(reports))
	}
}

// A 5xx refusal bounces the mail at once: dead, no retry.
func TestPermanentFailureBouncesAtOnce(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	st := openStore(t, newDBPath(t))
	m := newMailer(t, srv)
	var obs outcomes
	srv.Refuse(ann, 550)
	r := start(t, st, outbox.Config{}, m, fast, &obs)
	msg := enqueueMail(t, r.w, m, ann)

	if got := obs.waitStatus(t, msg.ID, outbox.Bounced); !slices.Equal(got, []outbox.Status{outbox.Bounced}) {
		t.Errorf("reports: got %v, want [BOUNCED]", got)
	}
	r.stop() // nothing may try it again afterwards
	stored := mustGet(t, st, msg.ID)
	if stored.State != store.OutboxDead || stored.Attempts != 1 || !strings.Contains(stored.LastError, "550") {
		t.Errorf("stored: state %s, attempts %d, last error %q; want dead after 1 attempt with the 550", stored.State, stored.Attempts, stored.LastError)
	}
	if n := srv.Attempts(ann); n != 1 {
		t.Errorf("the server saw %d tries, want 1", n)
	}
}

// Temporary failures until the policy's attempts run out: deferred each
// time, then dropped, dead.
func TestRetriesExhaustedDrops(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	st := openStore(t, newDBPath(t))
	m := newMailer(t, srv)
	var obs outcomes
	srv.Refuse(ann, 421)
	policy := fast
	policy.MaxAttempts = 3
	r := start(t, st, outbox.Config{}, m, policy, &obs)
	msg := enqueueMail(t, r.w, m, ann)

	want := []outbox.Status{outbox.Deferred, outbox.Deferred, outbox.Dropped}
	if got := obs.waitStatus(t, msg.ID, outbox.Dropped); !slices.Equal(got, want) {
		t.Errorf("reports: got %v, want %v", got, want)
	}
	r.stop()
	stored := mustGet(t, st, msg.ID)
	if stored.State != store.OutboxDead || stored.Attempts != 3 || !strings.Contains(stored.LastError, "421") {
		t.Errorf("stored: state %s, attempts %d, last error %q; want dead after 3 attempts with the 421", stored.State, stored.Attempts, stored.LastError)
	}
	if n := srv.Attempts(ann); n != 3 {
		t.Errorf("the server saw %d tries, want 3", n)
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("received %d mails, want none", n)
	}
}

// Two workers (each with its own connection to one database file, as two
// processes would have) share a queue: every mail is delivered exactly
// once.
func TestTwoWorkersDeliverEachOnce(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	path := newDBPath(t)
	st1, st2 := openStore(t, path), openStore(t, path)
	m := newMailer(t, srv)
	var obs outcomes
	policy := fast
	policy.Concurrency = 3
	r1 := start(t, st1, outbox.Config{}, m, policy, &obs)
	r2 := start(t, st2, outbox.Config{}, m, policy, &obs)

	const n = 40
	var want []string
	for i := range n {
		w := r1.w
		if i%2 == 1 {
			w = r2.w
		}
		msg := enqueueMail(t, w, m, fmt.Sprintf("user%02d@example.com", i))
		want = append(want, "<"+msg.ID+"@acme.example>")
	}
	slices.Sort(want)
	waitFor(t, fmt.Sprintf("%d deliveries reported", n), func() bool { return obs.count(outbox.Delivered) >= n })
	r1.stop()
	r2.stop()
	got := messageIDs(srv.Messages())
	if !slices.Equal(got, want) {
		t.Errorf("received %d mails for %d queued; want each exactly once\ngot  %v\nwant %v", len(got), n, got, want)
	}
	if d := obs.count(outbox.Delivered); d != n {
		t.Errorf("DELIVERED reported %d times for %d mails", d, n)
	}
}

// A worker stopped with mail still queued leaves nothing half-done: a new
// worker on the reopened file delivers the rest, and nothing twice.
func TestRestartDeliversTheRest(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	path := newDBPath(t)
	st := openStore(t, path)
	m := newMailer(t, srv)
	var obs outcomes
	policy := fast
	policy.Concurrency = 1
	r := start(t, st, outbox.Config{}, m, policy, &obs)

	const n = 20
	var msgs []*store.OutboxMessage
	var want []string
	for i := range n {
		msg, err := m.NewMessage(fmt.Sprintf("user%02d@example.com", i), "reset_password", mailData(), "")
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, msg)
		want = append(want, "<"+msg.ID+"@acme.example>")
	}
	slices.Sort(want)
	if err := r.w.Enqueue(t.Context(), msgs...); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a few deliveries before the stop", func() bool { return obs.count(outbox.Delivered) >= 3 })
	r.stop()
	closeStore(st)
	before := obs.count(outbox.Delivered)
	if before == n {
		t.Logf("all %d mails went out before the stop; the restart has nothing left to do", n)
	}

	st = openStore(t, path)
	start(t, st, outbox.Config{}, m, policy, &obs)
	waitFor(t, fmt.Sprintf("%d deliveries after the restart", n), func() bool { return obs.count(outbox.Delivered) >= n })
	if got := messageIDs(srv.Messages()); !slices.Equal(got, want) {
		t.Errorf("received %d mails for %d queued (%d before the stop); want each exactly once", len(got), n, before)
	}
}

func mailData() usermail.Data { return usermail.Data{Name: "Ann", Link: "https://acme.example/x"} }

// A worker that died holding a claim leaves it to run out; then another
// worker delivers the message.
func TestExpiredClaimIsDelivered(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	st := openStore(t, newDBPath(t))
	m := newMailer(t, srv)
	msg, err := m.NewMessage(ann, "reset_password", mailData(), "")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.EnqueueOutbox(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	claimed, err := st.ClaimOutbox(t.Context(), store.OutboxClaim{Kind: "mail", Owner: "crashed", Limit: 1, Now: store.Now(), Lease: 300 * time.Millisecond})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim by the worker that dies: %v, %v", claimed, err)
	}
	var obs outcomes
	start(t, st, outbox.Config{}, m, fast, &obs)
	obs.waitStatus(t, msg.ID, outbox.Delivered)
	stored := mustGet(t, st, msg.ID)
	if stored.State != store.OutboxSent || stored.Attempts != 2 || stored.Lease.Seq != 2 {
		t.Errorf("stored: state %s, attempts %d, lease seq %d; want sent on the second claim", stored.State, stored.Attempts, stored.Lease.Seq)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("received %d mails, want 1", n)
	}
}

// With an hour between polls, a message is still tried when it comes due:
// a retry of the worker's own, one that another process (or this one
// before a restart) left in the store to be tried later, and one a dead
// worker's lease held. Only the schedule can wake the worker in time.
func TestDueTimesWakeTheWorker(t *testing.T) {
	hourly := outbox.Config{PollInterval: time.Hour}
	slow := fast
	slow.BaseDelay, slow.MaxDelay = 300*time.Millisecond, 300*time.Millisecond

	t.Run("its own retry", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		st := openStore(t, newDBPath(t))
		m := newMailer(t, srv)
		var obs outcomes
		srv.Refuse(ann, 451)
		r := start(t, st, hourly, m, slow, &obs)
		msg := enqueueMail(t, r.w, m, ann)
		obs.waitStatus(t, msg.ID, outbox.Deferred)
		srv.Accept(ann)
		obs.waitStatus(t, msg.ID, outbox.Delivered)
	})
	t.Run("a retry left in the store", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		st := openStore(t, newDBPath(t))
		m := newMailer(t, srv)
		msg, err := m.NewMessage(ann, "reset_password", mailData(), "")
		if err != nil {
			t.Fatal(err)
		}
		msg.NextAttemptAt = store.Now().Add(time.Second)
		if err := st.EnqueueOutbox(t.Context(), msg); err != nil { // not through the worker: no wake-up
			t.Fatal(err)
		}
		var obs outcomes
		start(t, st, hourly, m, fast, &obs)
		obs.waitStatus(t, msg.ID, outbox.Delivered)
		if got := obs.first(msg.ID).At; got.Before(msg.NextAttemptAt) {
			t.Errorf("tried at %v, before it was due at %v", got, msg.NextAttemptAt)
		}
	})
	t.Run("a dead worker's lease", func(t *testing.T) {
		srv := mailtest.Start(t, mailtest.Options{})
		st := openStore(t, newDBPath(t))
		m := newMailer(t, srv)
		msg, err := m.NewMessage(ann, "reset_password", mailData(), "")
		if err != nil {
			t.Fatal(err)
		}
		if err := st.EnqueueOutbox(t.Context(), msg); err != nil {
			t.Fatal(err)
		}
		claimed, err := st.ClaimOutbox(t.Context(), store.OutboxClaim{Kind: "mail", Owner: "crashed", Limit: 1, Now: store.Now(), Lease: time.Second})
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim by the worker that dies: %v, %v", claimed, err)
		}
		var obs outcomes
		start(t, st, hourly, m, fast, &obs)
		obs.waitStatus(t, msg.ID, outbox.Delivered)
	})
}

// Stopping the worker lets the delivery in flight finish and be recorded
// before Run returns; nothing is claimed after the stop.
func TestStopFinishesInFlight(t *testing.T) {
	path := newDBPath(t)
	st := openStore(t, path)
	entered, release := make(chan string, 10), make(chan struct{})
	sender := outbox.SenderFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		entered <- m.ID
		<-release
		return nil
	})
	w := outbox.New(outbox.Config{Store: st, PollInterval: 10 * time.Millisecond})
	w.Register("sms", sender, outbox.Policy{Concurrency: 1}, nil)
	first := &store.OutboxMessage{ID: store.NewID(), Kind: "sms", Payload: []byte(`{}`), CreatedAt: store.Now()}
	second := &store.OutboxMessage{ID: store.NewID(), Kind: "sms", Payload: []byte(`{}`), CreatedAt: store.Now()}
	if err := w.Enqueue(t.Context(), first, second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	if id := <-entered; id != first.ID {
		t.Fatalf("first delivery: %s, want the older message %s", id, first.ID)
	}
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a delivery was in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	closeStore(st)
	st = openStore(t, path)
	if got := mustGet(t, st, first.ID); got.State != store.OutboxSent {
		t.Errorf("the delivery in flight at the stop: state %s, want sent (recorded before Run returned)", got.State)
	}
	if got := mustGet(t, st, second.ID); got.State != store.OutboxPending || got.Attempts != 0 {
		t.Errorf("the message queued behind it: state %s, attempts %d; want pending and never claimed", got.State, got.Attempts)
	}
}

// A sender that panics costs an attempt, not the process; Permanent
// errors of any sender bounce.
func TestSenderErrors(t *testing.T) {
	st := openStore(t, newDBPath(t))
	var calls atomic.Int32
	sender := outbox.SenderFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		n := calls.Add(1)
		switch string(m.Payload) {
		case "panic-once":
			if n == 1 {
				panic("boom")
			}
			return nil
		default:
			return outbox.Permanent(errors.New("410 gone"))
		}
	})
	var obs outcomes
	w := outbox.New(outbox.Config{Store: st, PollInterval: 10 * time.Millisecond})
	w.Register("webhook", sender, outbox.Policy{Concurrency: 1, BaseDelay: time.Millisecond, MaxDelay: time.Millisecond}, obs.observe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	p := &store.OutboxMessage{ID: store.NewID(), Kind: "webhook", Payload: []byte("panic-once"), CreatedAt: store.Now()}
	if err := w.Enqueue(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	if got := obs.waitStatus(t, p.ID, outbox.Delivered); !slices.Equal(got, []outbox.Status{outbox.Deferred, outbox.Delivered}) {
		t.Errorf("a sender that panicked once: reports %v, want [DEFERRED DELIVERED]", got)
	}
	if o := obs.first(p.ID); !strings.Contains(o.Error, "panicked: boom") {
		t.Errorf("the panic's outcome error %q, want it named", o.Error)
	}
	g := &store.OutboxMessage{ID: store.NewID(), Kind: "webhook", Payload: []byte("gone"), CreatedAt: store.Now()}
	if err := w.Enqueue(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	if got := obs.waitStatus(t, g.ID, outbox.Bounced); !slices.Equal(got, []outbox.Status{outbox.Bounced}) {
		t.Errorf("a Permanent error: reports %v, want [BOUNCED]", got)
	}
}

// Sent and dead messages are purged after the retention; pending ones stay.
func TestPurgesDoneMessages(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	st := openStore(t, newDBPath(t))
	m := newMailer(t, srv)
	var obs outcomes
	r := start(t, st, outbox.Config{Retention: time.Millisecond, PurgeInterval: 10 * time.Millisecond}, m, fast, &obs)
	msg := enqueueMail(t, r.w, m, ann)
	obs.waitStatus(t, msg.ID, outbox.Delivered)
	waitFor(t, "the delivered message purged", func() bool {
		_, err := st.GetOutbox(t.Context(), msg.ID)
		return errors.Is(err, store.ErrNotFound)
	})
	future := &store.OutboxMessage{ID: store.NewID(), Kind: "mail", Payload: []byte(`{}`), CreatedAt: store.Now(),
		NextAttemptAt: store.Now().Add(time.Hour)}
	if err := r.w.Enqueue(t.Context(), future); err != nil {
		t.Fatal(err)
	}
	// Two purges later the pending message is still there.
	n := 0
	waitFor(t, "purges to run", func() bool { n++; time.Sleep(10 * time.Millisecond); return n > 3 })
	mustGet(t, st, future.ID)
}

// A delivery that hangs is cut off at the kind's timeout and deferred,
// and meanwhile Enqueue (all a request does) does not wait for it.
func TestHungDeliveryTimesOutAndNeverBlocksEnqueue(t *testing.T) {
	st := openStore(t, newDBPath(t))
	entered := make(chan struct{}, 10)
	sender := outbox.SenderFunc(func(ctx context.Context, m *store.OutboxMessage) error {
		entered <- struct{}{}
		<-ctx.Done() // a receiver that never answers
		return ctx.Err()
	})
	var obs outcomes
	w := outbox.New(outbox.Config{Store: st, PollInterval: 10 * time.Millisecond})
	w.Register("sms", sender, outbox.Policy{Timeout: 200 * time.Millisecond, Concurrency: 1, BaseDelay: time.Hour}, obs.observe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	first := &store.OutboxMessage{ID: store.NewID(), Kind: "sms", Payload: []byte(`{}`), CreatedAt: store.Now()}
	if err := w.Enqueue(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	<-entered
	queued := make(chan error, 1)
	go func() {
		queued <- w.Enqueue(t.Context(), &store.OutboxMessage{ID: store.NewID(), Kind: "sms", Payload: []byte(`{}`), CreatedAt: store.Now()})
	}()
	select {
	case err := <-queued:
		if err != nil {
			t.Fatalf("Enqueue while a delivery hangs: %v", err)
		}
	case <-time.After(within):
		t.Fatal("Enqueue waited for a hung delivery")
	}
	obs.waitStatus(t, first.ID, outbox.Deferred)
	if o := obs.last(first.ID); !strings.Contains(o.Error, "deadline exceeded") {
		t.Errorf("hung delivery's outcome error %q, want the timeout", o.Error)
	}
}
