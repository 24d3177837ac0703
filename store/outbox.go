package store

import (
	"context"
	"time"
)

// The outbox: everything that leaves the process (mail, SMS, webhooks) is
// first written here, so no request waits on a remote server and no crash
// loses a message. Workers claim due messages under a lease, deliver them,
// and record the outcome; delivery is at-least-once.

// OutboxState is where a message is in its life.
type OutboxState string

const (
	// OutboxPending: waiting for delivery, or being delivered under a lease.
	OutboxPending OutboxState = "pending"
	// OutboxSent: delivered; kept until purged.
	OutboxSent OutboxState = "sent"
	// OutboxDead: given up on (refused for good, or out of retries); kept
	// until purged.
	OutboxDead OutboxState = "dead"
)

// OutboxMessage is one message to deliver.
//
// The producer sets ID (NewID: time-ordered, which the order-key rule
// relies on), Kind, Payload, and optionally OrderKey, Ref, CreatedAt and
// NextAttemptAt; the store keeps the rest.
type OutboxMessage struct {
	ID string
	// Kind says which sender delivers it ("mail", "sms", "webhook", …).
	Kind string
	// Payload is the sender's input, opaque to the store (JSON by
	// convention); emptied when the message is sent or dead. Never nil.
	Payload []byte
	// OrderKey, when not empty, puts the message in a sequence: of the
	// pending messages sharing a key, only the one with the smallest ID is
	// claimable, so they are delivered one at a time in ID order (a
	// webhook's events of one subject). Empty: no ordering.
	OrderKey string
	// Ref is the producer's own reference ("verify:<userID>"), handed back
	// with the outcome so the producer can record it. Opaque to the store.
	Ref string

	State OutboxState
	// Attempts counts claims: a delivery that crashed its worker counts too,
	// so a message that kills workers cannot be retried forever.
	Attempts int
	// NextAttemptAt is when the message becomes due (zero at enqueue: at once).
	NextAttemptAt time.Time
	// Lease is the current or last claim (zero before the first claim;
	// Owner empty and Until zero once released).
	Lease     OutboxLease
	LastError string
	CreatedAt time.Time
	DoneAt    time.Time // when it became sent or dead; zero while pending
}

// OutboxLease identifies one claim of a message. Seq counts the claims of
// the message, so a holder whose lease ran out and was claimed again, even
// by the same owner, is told apart from the new holder.
type OutboxLease struct {
	Owner string
	Seq   int64
	Until time.Time
}

// Normalize puts m in the form Enqueue stores: pending, not attempted, not
// leased, times in UTC milliseconds, due at CreatedAt unless NextAttemptAt
// says later.
func (m *OutboxMessage) Normalize() {
	m.State = OutboxPending
	m.Attempts = 0
	m.Lease = OutboxLease{}
	m.LastError = ""
	m.DoneAt = time.Time{}
	m.CreatedAt = Trunc(m.CreatedAt)
	m.NextAttemptAt = Trunc(m.NextAttemptAt)
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = m.CreatedAt
	}
	if m.Payload == nil {
		m.Payload = []byte{}
	}
}

// OutboxClaim asks for up to Limit due messages of one kind.
type OutboxClaim struct {
	Kind  string
	Owner string // the worker's id, unique per worker instance
	Limit int
	// Now decides what is due (NextAttemptAt <= Now) and which leases ran
	// out (Until <= Now).
	Now time.Time
	// Lease is how long the claim holds: longer than a delivery may take.
	Lease time.Duration
}

// OutboxStore keeps the outbox.
type OutboxStore interface {
	// EnqueueOutbox stores messages (normalized first, see Normalize) as
	// pending. It is idempotent by ID: a message whose ID is stored already
	// is left as it is, so a producer that is unsure whether an enqueue
	// happened (a relay after a crash) can repeat it. Returns ErrInvalid
	// (storing none) if a message has no ID or no Kind. The embedded
	// backend stores all or none; a backend without transactions may have
	// stored some when it fails otherwise.
	EnqueueOutbox(ctx context.Context, msgs ...*OutboxMessage) error

	// ClaimOutbox leases up to c.Limit (none if < 1) claimable messages of
	// c.Kind to c.Owner until c.Now + c.Lease and returns them as stored
	// after the claim: Lease{Owner, Seq raised by one, Until}, Attempts
	// raised by one. Claimable: pending, NextAttemptAt <= Now, no lease or
	// one whose Until <= Now, and no older pending message (smaller ID)
	// with the same non-empty OrderKey. Oldest due first (NextAttemptAt,
	// then ID). Atomic per message: of concurrent claims (also from other
	// processes on the same database) at most one gets a given message
	// while its lease holds. Returns ErrInvalid if Kind or Owner is empty
	// or Lease is not positive.
	ClaimOutbox(ctx context.Context, c OutboxClaim) ([]*OutboxMessage, error)

	// CompleteOutbox marks a message sent at at, releases its lease and
	// empties its Payload: what left the process may carry a live secret
	// (a reset link), which the store must not keep once it is delivered.
	// Only the holder of lease (same Owner and Seq; Until is not compared)
	// may: returns ErrConflict if the message was claimed since (its lease
	// ran out and someone else took it) or is no longer pending, and
	// ErrNotFound if no message has the id. A lease that ran out but was
	// not claimed again still completes.
	CompleteOutbox(ctx context.Context, id string, lease OutboxLease, at time.Time) error
	// RetryOutbox releases the lease and makes the message due again at
	// next, recording errText as LastError. Holder only, errors as
	// CompleteOutbox.
	RetryOutbox(ctx context.Context, id string, lease OutboxLease, next time.Time, errText string) error
	// DropOutbox marks a message dead at at (delivery given up), recording
	// errText as LastError and emptying Payload like CompleteOutbox.
	// Holder only, errors as CompleteOutbox.
	DropOutbox(ctx context.Context, id string, lease OutboxLease, at time.Time, errText string) error

	// NextOutboxDue returns the earliest moment after after at which a
	// pending message of kind comes due (its NextAttemptAt) or its lease
	// runs out (Lease.Until), so that a worker can sleep until then
	// rather than a whole poll interval; zero if there is none. Moments
	// at or before after are not reported: what is due already is the
	// claim's business (or waits on its order key, or on a lease).
	NextOutboxDue(ctx context.Context, kind string, after time.Time) (time.Time, error)

	// GetOutbox returns ErrNotFound if no message has the id.
	GetOutbox(ctx context.Context, id string) (*OutboxMessage, error)
	// PurgeOutbox deletes the sent and dead messages whose DoneAt is before
	// t and returns how many it deleted. Pending messages are never purged.
	PurgeOutbox(ctx context.Context, t time.Time) (int, error)
}
