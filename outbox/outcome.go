package outbox

import (
	"context"
	"errors"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Sender delivers the messages of one kind: mail.Mailer for "mail", an
// HTTP sender for SMS and webhooks. Deliver returns nil once the receiver
// took the message. An error that has a Permanent() bool method returning
// true (see Permanent) means no retry can help; any other error is
// retried under the kind's Policy.
type Sender interface {
	Deliver(ctx context.Context, m *store.OutboxMessage) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, m *store.OutboxMessage) error

// Deliver calls f.
func (f SenderFunc) Deliver(ctx context.Context, m *store.OutboxMessage) error { return f(ctx, m) }

// Permanent marks err as a failure that retrying cannot fix (the receiver
// refused the message for good).
func Permanent(err error) error { return &permanent{err} }

type permanent struct{ err error }

func (p *permanent) Error() string   { return p.err.Error() }
func (p *permanent) Unwrap() error   { return p.err }
func (p *permanent) Permanent() bool { return true }

// IsPermanent reports whether err, or an error it wraps, says it is permanent.
func IsPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// Status is what became of one delivery attempt, in the words of Kinvey's
// email states that User.emailVerification reports.
type Status string

const (
	// Delivered: the receiver took the message (an SMTP server accepted
	// the mail). The message is sent.
	Delivered Status = "DELIVERED"
	// Deferred: a temporary failure; the message is retried at
	// Outcome.NextAttemptAt.
	Deferred Status = "DEFERRED"
	// Bounced: the receiver refused the message for good (a 5xx reply):
	// the message is dead at once, without retries.
	Bounced Status = "BOUNCED"
	// Dropped: temporary failures until the policy gave up: the message
	// is dead.
	Dropped Status = "DROPPED"
)

// Outcome reports one delivery attempt to the kind's observer.
type Outcome struct {
	// Message is the message as claimed for this attempt (Attempts counts
	// it; Ref is the producer's reference).
	Message *store.OutboxMessage
	Status  Status
	// Error is the failure's text ("" when Delivered).
	Error string
	// NextAttemptAt is when a Deferred message is tried again.
	NextAttemptAt time.Time
	// At is when the attempt ended.
	At time.Time
}

// Observer learns the outcome of every delivery attempt of a kind, after
// the outbox recorded it. It runs on the delivery's goroutine and should
// be quick; a later attempt of the same message may report again (the
// delivery is at-least-once).
type Observer func(ctx context.Context, o Outcome)
