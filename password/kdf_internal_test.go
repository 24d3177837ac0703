package password

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// recordingKDF passes computations on to the hasher's own kdf and records
// the parameters of each, with SaltLength set to the salt actually given:
// what the computation costs.
type recordingKDF struct {
	kdf
	mu    sync.Mutex
	calls []Params
}

func record(h *Hasher) *recordingKDF {
	r := &recordingKDF{kdf: h.kdf}
	h.kdf = r
	return r
}

func (r *recordingKDF) idKey(plain string, salt []byte, p Params) []byte {
	p.SaltLength = uint32(len(salt))
	r.mu.Lock()
	r.calls = append(r.calls, p)
	r.mu.Unlock()
	return r.kdf.idKey(plain, salt, p)
}

// take returns the calls recorded since the last take.
func (r *recordingKDF) take() []Params {
	r.mu.Lock()
	defer r.mu.Unlock()
	calls := r.calls
	r.calls = nil
	return calls
}

// An unknown user (VerifyDummy) costs what a wrong password (Verify of a
// hash made at the hasher's parameters) costs: one argon2id computation,
// counted as one hash, at the same parameters, salt and key lengths
// included. Counting, not timing, so that a loaded machine cannot fail it.
func TestVerifyDummyCostsAVerify(t *testing.T) {
	ctx := context.Background()
	for _, p := range []Params{
		cheapParams,
		{Memory: 256, Iterations: 3, Parallelism: 2, SaltLength: 24, KeyLength: 48},
	} {
		h := NewHasher(p, 1)
		enc, err := h.Hash(ctx, "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		rec := record(h)

		before := h.Stats().Hashes
		if ok, _, err := h.Verify(ctx, "wrong", enc); ok || err != nil {
			t.Fatalf("%+v: Verify(wrong password) = %v, %v; want false, nil", p, ok, err)
		}
		wrongPassword, wrongHashes := rec.take(), h.Stats().Hashes-before

		before = h.Stats().Hashes
		if err := h.VerifyDummy(ctx, "wrong"); err != nil {
			t.Fatalf("%+v: VerifyDummy = %v", p, err)
		}
		unknownUser, unknownHashes := rec.take(), h.Stats().Hashes-before

		if want := []Params{p}; !slices.Equal(wrongPassword, want) {
			t.Errorf("wrong password computed %+v, want %+v", wrongPassword, want)
		}
		if !slices.Equal(unknownUser, wrongPassword) {
			t.Errorf("unknown user (VerifyDummy) computed %+v, wrong password %+v: want the same work", unknownUser, wrongPassword)
		}
		if wrongHashes != 1 || unknownHashes != 1 {
			t.Errorf("hashes counted: wrong password %d, unknown user %d; want 1 and 1", wrongHashes, unknownHashes)
		}
	}
}

// gateKDF holds every computation at a gate until the test opens it, and
// counts how many are inside at once.
type gateKDF struct {
	kdf
	gate         chan struct{}
	inside, peak atomic.Int64
}

func (g *gateKDF) idKey(plain string, salt []byte, p Params) []byte {
	n := g.inside.Add(1)
	for old := g.peak.Load(); n > old && !g.peak.CompareAndSwap(old, n); old = g.peak.Load() {
	}
	<-g.gate
	g.inside.Add(-1)
	return g.kdf.idKey(plain, salt, p)
}

// A storm of hashes runs at most maxConcurrent at once: with every running
// computation held, exactly that many are in, the rest queue, and none
// runs once all are let through but those queued.
func TestConcurrencyBound(t *testing.T) {
	const storm = 12
	for _, limit := range []int{1, 3} {
		h := NewHasher(cheapParams, limit)
		g := &gateKDF{kdf: h.kdf, gate: make(chan struct{})}
		h.kdf = g
		var wg sync.WaitGroup
		for range storm {
			wg.Go(func() { _, _ = h.Hash(context.Background(), "storm") })
		}
		// Wait until every hash is either computing (held at the gate) or
		// queued for a slot: none can move on while the gate is shut.
		for s := h.Stats(); s.InFlight+s.Waiting != storm || g.inside.Load() != int64(s.InFlight); s = h.Stats() {
			runtime.Gosched()
		}
		if s := h.Stats(); s.InFlight != limit || s.Waiting != storm-limit {
			t.Errorf("limit %d: %d in flight, %d waiting; want %d and %d", limit, s.InFlight, s.Waiting, limit, storm-limit)
		}
		close(g.gate)
		wg.Wait()
		if got := g.peak.Load(); got != int64(limit) {
			t.Errorf("limit %d: peak computations at once = %d, want %d", limit, got, limit)
		}
		if s := h.Stats(); s.InFlight != 0 || s.Waiting != 0 || s.Hashes != storm {
			t.Errorf("limit %d: after the storm %+v, want nothing in flight or waiting and %d hashes", limit, s, storm)
		}
	}
}
