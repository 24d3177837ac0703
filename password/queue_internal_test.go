package password

import (
	"context"
	"errors"
	"testing"
	"time"
)

var cheapParams = Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// holdSlots takes every slot of h, as hashes in progress would, and
// returns the function that gives them back.
func holdSlots(t *testing.T, h *Hasher) (release func()) {
	t.Helper()
	if err := h.sem.Acquire(context.Background(), int64(h.slots)); err != nil {
		t.Fatal(err)
	}
	return func() { h.sem.Release(int64(h.slots)) }
}

// A hash that cannot get a slot within the queue timeout is refused with
// ErrBusy and counted; once a slot is free, hashing works again.
func TestQueueTimeoutRefusesWithErrBusy(t *testing.T) {
	h := NewHasher(cheapParams, 1, QueueTimeout(20*time.Millisecond))
	release := holdSlots(t, h)
	for _, call := range []struct {
		name string
		run  func() error
	}{
		{"Hash", func() error { _, err := h.Hash(context.Background(), "pw"); return err }},
		{"Verify", func() error { _, _, err := h.Verify(context.Background(), "pw", h.dummy); return err }},
		{"VerifyDummy", func() error { return h.VerifyDummy(context.Background(), "pw") }},
	} {
		if err := call.run(); !errors.Is(err, ErrBusy) {
			t.Errorf("%s with the only slot held = %v, want ErrBusy", call.name, err)
		}
	}
	s := h.Stats()
	if s.Refused != 3 || s.Hashes != 0 || s.Waiting != 0 || s.InFlight != 0 {
		t.Errorf("stats after 3 refusals = %+v, want Refused 3 and nothing hashed, waiting or in flight", s)
	}
	if got, want := h.RetryAfter(), 20*time.Millisecond; got < want {
		t.Errorf("RetryAfter() = %v, want at least the queue timeout %v", got, want)
	}
	release()
	if _, err := h.Hash(context.Background(), "pw"); err != nil {
		t.Fatalf("Hash after the slot was released = %v, want success", err)
	}
	if got := h.Stats().Refused; got != 3 {
		t.Errorf("Refused = %d after a successful hash, want still 3", got)
	}
}

// A caller that leaves while queued gets its own context's error, not
// ErrBusy: it was not refused, it went away, and is not counted.
func TestQueueCallerGoneIsNotBusy(t *testing.T) {
	h := NewHasher(cheapParams, 1, QueueTimeout(time.Hour))
	release := holdSlots(t, h)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash whose caller's deadline passed while queued = %v, want context.DeadlineExceeded", err)
	}
	if got := h.Stats().Refused; got != 0 {
		t.Errorf("Refused = %d, want 0", got)
	}
}

// Without a queue timeout a caller whose context ends while it waits for a
// slot also gets its context's error, and nothing is computed for it.
func TestCancelWhileWaiting(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	release := holdSlots(t, h)
	defer release()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Millisecond)
	defer cancel()
	if _, err := h.Hash(ctx, "waits"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Hash while the slot is held = %v, want context.DeadlineExceeded", err)
	}
	if s := h.Stats(); s.Hashes != 0 || s.Refused != 0 || s.Waiting != 0 {
		t.Errorf("stats after the caller left = %+v, want no hash, refusal or waiter", s)
	}
}

// Without a queue timeout a waiting hash waits: it starts once the slot is
// given back, however long that takes.
func TestNoQueueTimeoutWaits(t *testing.T) {
	h := NewHasher(cheapParams, 1)
	release := holdSlots(t, h)
	done := make(chan error, 1)
	go func() { _, err := h.Hash(context.Background(), "pw"); done <- err }()
	for h.Stats().Waiting == 0 {
		time.Sleep(time.Millisecond)
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("queued Hash = %v, want success", err)
	}
}
