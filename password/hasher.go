// Package password hashes and verifies passwords (argon2id in PHC string
// form; bcrypt, PBKDF2 and Firebase's scrypt accepted for imported users,
// who are rehashed at their next sign-in) and checks new passwords against
// the password policy.
//
// Hashing is deliberately expensive in memory and time, so every hash and
// verification runs under a FIFO concurrency bound: a login storm queues
// instead of exhausting memory, and waiters are served in arrival order.
// A caller that cannot start within the queue timeout gets ErrBusy at once
// rather than waiting behind the whole storm.
//
// argon2id is computed by the project's copy of x/crypto's argon2, which
// reuses its working memory (password/internal/argon2), or by x/crypto's
// own (Argon2Impl); both give the same keys.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"
)

// ErrBusy is returned when a hash or verification could not start within
// the hasher's queue timeout. Nothing was computed; the caller should answer
// at once and have the client come back after RetryAfter.
var ErrBusy = errors.New("password: too many hashes queued")

// Hasher hashes and verifies passwords. It is safe for concurrent use.
type Hasher struct {
	params       Params
	stored       storedLimits // bounds of hashes read from storage
	slots        int
	queueTimeout time.Duration       // 0: wait as long as the caller's context allows
	sem          *semaphore.Weighted // FIFO: waiters acquire in arrival order
	inFlight     atomic.Int64
	waiting      atomic.Int64
	hashes       atomic.Uint64
	refused      atomic.Uint64 // ErrBusy answers
	workNS       atomic.Int64  // time spent hashing
	waitNS       atomic.Int64  // time spent queued for a slot
	impl         Impl
	kdf          kdf // computes the keys: impl's implementation
	// dummy is a hash at params with random salt and key, verified by
	// VerifyDummy. Verification costs the same whatever the key bytes are,
	// so it needs no real password behind it.
	dummy string
}

// Option changes a Hasher made by NewHasher.
type Option func(*Hasher)

// DefaultQueueTimeout is USERGRAPH_HASH_QUEUE_TIMEOUT's default: a sign-in
// waits at most this long for a hashing slot before it is refused.
const DefaultQueueTimeout = 2 * time.Second

// QueueTimeout bounds how long a hash or verification waits for a slot
// before it returns ErrBusy (d <= 0: as long as its context allows).
func QueueTimeout(d time.Duration) Option {
	return func(h *Hasher) { h.queueTimeout = max(d, 0) }
}

// NewHasher returns a hasher that creates hashes with p and runs at most
// maxConcurrent hashes or verifications at once (<= 0: GOMAXPROCS), so
// hashing never holds more than about maxConcurrent × p.Memory KiB (and a
// stored hash may ask for at most storedFactor times that, see limitsFor).
// It panics if p does not Validate: callers that take p from configuration
// validate it first to report the error.
func NewHasher(p Params, maxConcurrent int, opts ...Option) *Hasher {
	if err := p.Validate(); err != nil {
		panic("password: invalid params: " + err.Error())
	}
	if maxConcurrent <= 0 {
		maxConcurrent = runtime.GOMAXPROCS(0)
	}
	h := &Hasher{
		params: p,
		stored: limitsFor(p),
		slots:  maxConcurrent,
		sem:    semaphore.NewWeighted(int64(maxConcurrent)),
		impl:   ImplCopy,
		dummy:  encodePHC(p, random(p.SaltLength), random(p.KeyLength)),
	}
	for _, o := range opts {
		o(h)
	}
	h.kdf = newKDF(h.impl, p, maxConcurrent)
	return h
}

// Params returns the parameters new hashes are made with.
func (h *Hasher) Params() Params { return h.params }

// Impl returns the argon2 implementation the hasher computes with.
func (h *Hasher) Impl() Impl { return h.impl }

// InFlight returns how many hashes or verifications are running now (not
// waiting). It never exceeds the hasher's concurrency bound.
func (h *Hasher) InFlight() int { return int(h.inFlight.Load()) }

// Hash returns the argon2id PHC string of plain with a fresh random salt.
// It returns ctx.Err() if ctx ends before the hash starts, and ErrBusy if
// it could not start within the queue timeout.
func (h *Hasher) Hash(ctx context.Context, plain string) (string, error) {
	p := h.params
	salt := random(p.SaltLength)
	var key []byte
	err := h.bounded(ctx, func() {
		key = h.kdf.idKey(plain, salt, p)
	})
	if err != nil {
		return "", err
	}
	return encodePHC(p, salt, key), nil
}

// Verify reports whether plain matches encoded: an argon2id PHC string, or
// one of the schemes accepted to migrate users (bcrypt, PBKDF2, Firebase's
// scrypt: imported.go). rehash is true when plain matched and the hash
// should be replaced by Hash(plain): it is not argon2id, or argon2id with
// parameters other than the hasher's. A wrong password is ok == false with a nil error; a
// malformed or out-of-bounds hash is an error matching ErrInvalidHash; an
// ended ctx returns ctx.Err(); a full queue returns ErrBusy.
func (h *Hasher) Verify(ctx context.Context, plain, encoded string) (ok, rehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, argon2idPrefix):
		return h.verifyArgon2id(ctx, plain, encoded)
	case isBcrypt(encoded):
		return h.verifyBcrypt(ctx, plain, encoded)
	case strings.HasPrefix(encoded, pbkdf2Prefix):
		return h.verifyPBKDF2(ctx, plain, encoded)
	case strings.HasPrefix(encoded, firebasePrefix):
		return h.verifyFirebase(ctx, plain, encoded)
	}
	return false, false, invalidHash("unknown scheme")
}

// Check reports whether Verify could check passwords against encoded: its
// scheme is known and its parameters are within this hasher's bounds. It
// computes nothing, so an importer can refuse a hash that would never
// verify before storing it. The error matches ErrInvalidHash.
func (h *Hasher) Check(encoded string) error {
	var err error
	switch {
	case strings.HasPrefix(encoded, argon2idPrefix):
		_, _, _, err = decodePHC(encoded, h.stored)
	case isBcrypt(encoded):
		err = checkBcrypt(encoded)
	case strings.HasPrefix(encoded, pbkdf2Prefix):
		_, err = decodePBKDF2(encoded)
	case strings.HasPrefix(encoded, firebasePrefix):
		_, err = decodeFirebase(encoded, h.stored)
	default:
		err = invalidHash("unknown scheme: want argon2id, bcrypt, pbkdf2-sha1/sha256/sha512 or firebase-scrypt")
	}
	return err
}

// VerifyDummy spends the work of a real Verify and discards the result.
// Sign-in calls it when no user matches, so that "unknown user" and "wrong
// password" take the same time and cannot be told apart. Its error is
// Verify's (ctx.Err() or ErrBusy), so that under load both get the same
// refusal too.
func (h *Hasher) VerifyDummy(ctx context.Context, plain string) error {
	_, _, err := h.verifyArgon2id(ctx, plain, h.dummy)
	return err
}

func (h *Hasher) verifyArgon2id(ctx context.Context, plain, encoded string) (ok, rehash bool, err error) {
	// Decoding checks the bounds before any memory is spent on the hash.
	p, salt, want, err := decodePHC(encoded, h.stored)
	if err != nil {
		return false, false, err
	}
	var got []byte
	err = h.bounded(ctx, func() {
		got = h.kdf.idKey(plain, salt, p)
	})
	if err != nil {
		return false, false, err
	}
	ok = subtle.ConstantTimeCompare(got, want) == 1
	return ok, ok && p != h.params, nil
}

// bounded runs work under the concurrency bound. ctx is checked before
// queueing, while queued, and once more after the wait, which may have been
// long, so no work is spent for a caller that has already gone.
func (h *Hasher) bounded(ctx context.Context, work func()) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	queued := time.Now()
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.sem.Release(1)
	if err := ctx.Err(); err != nil {
		return err
	}
	h.inFlight.Add(1)
	defer h.inFlight.Add(-1)
	start := time.Now()
	work()
	h.waitNS.Add(int64(start.Sub(queued)))
	h.workNS.Add(int64(time.Since(start)))
	h.hashes.Add(1)
	return nil
}

// acquire takes a slot: at once if one is free and nobody waits, else in
// arrival order within the queue timeout. It returns ctx.Err() if the caller
// went away first, and ErrBusy (counted) if the timeout passed.
func (h *Hasher) acquire(ctx context.Context) error {
	if h.sem.TryAcquire(1) {
		return nil
	}
	h.waiting.Add(1)
	defer h.waiting.Add(-1)
	wait := ctx
	if h.queueTimeout > 0 {
		var cancel context.CancelFunc
		wait, cancel = context.WithTimeout(ctx, h.queueTimeout)
		defer cancel()
	}
	err := h.sem.Acquire(wait, 1)
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	}
	h.refused.Add(1)
	return ErrBusy
}

// RetryAfter estimates when a hash asked for now could start: the time for
// the work queued now to drain through the slots at the average hash time,
// and never less than the queue timeout (a refusal means the queue was at
// least that long). Callers answering ErrBusy pass it on to the client.
func (h *Hasher) RetryAfter() time.Duration {
	s := h.Stats()
	if s.Hashes == 0 {
		return h.queueTimeout
	}
	perHash := s.Work / time.Duration(s.Hashes)
	rounds := (s.InFlight + s.Waiting + h.slots - 1) / h.slots
	return max(h.queueTimeout, time.Duration(rounds)*perHash)
}

// Stats are the hasher's running totals, for metrics: how many hashes and
// verifications ran, the time they took and the time they waited for a
// slot, how many were refused with ErrBusy, and how many run or wait now.
type Stats struct {
	Hashes   uint64
	Refused  uint64
	Work     time.Duration
	Wait     time.Duration
	InFlight int
	Waiting  int
}

// Stats returns the running totals.
func (h *Hasher) Stats() Stats {
	return Stats{
		Hashes:   h.hashes.Load(),
		Refused:  h.refused.Load(),
		Work:     time.Duration(h.workNS.Load()),
		Wait:     time.Duration(h.waitNS.Load()),
		InFlight: int(h.inFlight.Load()),
		Waiting:  int(h.waiting.Load()),
	}
}

// Benchmark returns the average time of one Hash at the hasher's params
// over n runs (at least one), queueing like any other hash. The load tool
// uses it to print how many sign-ins per second the bound allows.
func (h *Hasher) Benchmark(n int) time.Duration {
	n = max(n, 1)
	start := time.Now()
	for range n {
		_, _ = h.Hash(context.Background(), "correct horse battery staple")
	}
	return time.Since(start) / time.Duration(n)
}

// random returns n bytes from crypto/rand, which never fails (Go 1.24+).
func random(n uint32) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
