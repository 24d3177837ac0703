package recovery

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

// The same work whether or not an account exists. A request that names an
// account by what a client typed (requestPasswordReset, forgotUsername,
// requestPasswordResetBySms) does, in either case, the same store reads
// and writes in the same order: one look-up, one throttle turn, a token
// (for a reset) and one outbox message. Where there is no account to mail:
//   - the token is a decoy: its subject is a digest of what was typed, it
//     has no user and no secret was ever sent, so nothing redeems it;
//   - the outbox message is of DecoyKind, which the worker completes
//     without sending anything (DiscardDecoy).
// recovery's package tests count the store calls of both cases through a
// counting store.

// DecoyKind is the outbox kind of messages that go nowhere.
const DecoyKind = "decoy"

// DiscardDecoy is the outbox sender of DecoyKind: it delivers nothing.
func DiscardDecoy(context.Context, *store.OutboxMessage) error { return nil }

// newDecoy returns the outbox message queued where there is no one to
// mail.
func newDecoy() *store.OutboxMessage {
	return &store.OutboxMessage{ID: store.NewID(), Kind: DecoyKind, Payload: []byte(`{}`), Ref: "decoy", CreatedAt: store.Now()}
}
