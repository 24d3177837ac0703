package store

import (
	"context"
	"time"
)

// Account recovery and email verification keep short-lived secrets (reset
// links, verification links, SMS codes) and a per-address mail throttle.
// The rules (lifetimes, how many wrong tries, how often a mail may go) are
// the recovery service's; the store keeps the records and makes the two
// races that matter atomic on every backend: a secret is used once, and
// one turn of a throttle is taken once, whichever instance asks.

// TokenPurpose says what a recovery token is for.
type TokenPurpose string

const (
	// PurposeReset: a password reset link sent by mail.
	PurposeReset TokenPurpose = "reset"
	// PurposeResetSMS: a password reset code sent by SMS.
	PurposeResetSMS TokenPurpose = "reset_sms"
	// PurposeVerify: an email verification link.
	PurposeVerify TokenPurpose = "verify"
)

// RecoveryToken is one issued secret. Only its hash is stored.
//
// Each Subject holds at most one token per Purpose: storing a new one
// replaces the earlier one, which then stops working (the newest request
// supersedes the older ones).
type RecoveryToken struct {
	// ID is new for every token issued (NewID): uses and failures are
	// counted against it, so a token that replaced another starts afresh.
	ID      string
	Purpose TokenPurpose
	// Subject is whom the token is for: a user id, or a stand-in key for
	// a request that matched no account (the service's decoy, which no
	// secret redeems).
	Subject string
	// Hash is the secret's hash (the service's choice of function);
	// unique across all tokens.
	Hash string
	// UserID is the account the token acts on; "" for a decoy.
	UserID string
	// Email is the address the token was sent to (a verification token
	// confirms exactly this address); "" when none applies.
	Email     string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is when the token was redeemed, or burnt by its last allowed
	// wrong try; zero while it can still be used.
	UsedAt time.Time
	// Failures counts wrong tries (SMS codes).
	Failures int
}

// Normalize truncates the times as the store keeps them.
func (t *RecoveryToken) Normalize() {
	t.CreatedAt, t.ExpiresAt, t.UsedAt = Trunc(t.CreatedAt), Trunc(t.ExpiresAt), Trunc(t.UsedAt)
}

// RecoveryTokenStore keeps recovery tokens.
type RecoveryTokenStore interface {
	// PutRecoveryToken stores t (caller sets ID, Purpose, Subject, Hash and
	// the times; UsedAt and Failures are stored as zero) as the only token
	// of its Purpose and Subject, replacing any earlier one in the same
	// write: from then on the earlier token is not found, by hash or by
	// id. Returns ErrInvalid if ID, Purpose, Subject or Hash is empty, and
	// ErrAlreadyExists if another token has the same Hash or ID (nothing
	// is written then).
	PutRecoveryToken(ctx context.Context, t *RecoveryToken) error
	// GetRecoveryToken returns the token of purpose and subject, or
	// ErrNotFound.
	GetRecoveryToken(ctx context.Context, purpose TokenPurpose, subject string) (*RecoveryToken, error)
	// FindRecoveryToken returns the token of purpose whose Hash is hash,
	// or ErrNotFound (also for "" and for a hash of another purpose).
	FindRecoveryToken(ctx context.Context, purpose TokenPurpose, hash string) (*RecoveryToken, error)
	// UseRecoveryToken marks the token with id used at at, if it is not
	// used yet. Atomic: of concurrent calls with one id (also from other
	// processes on the same database) exactly one succeeds. Returns
	// ErrConflict if the token was used or burnt already, and ErrNotFound
	// if no stored token has the id (never stored, replaced, or purged).
	// Expiry is the caller's to check.
	UseRecoveryToken(ctx context.Context, id string, at time.Time) error
	// FailRecoveryToken counts one wrong try against the token with id and
	// returns the count after it. The limit-th wrong try also burns the
	// token (UsedAt = at), in the same atomic step, so the right secret
	// is refused afterwards (UseRecoveryToken returns ErrConflict). Atomic:
	// concurrent calls each count once, never past limit; a call once
	// limit is reached counts nothing and returns limit. Returns
	// ErrNotFound if no stored token has the id, ErrInvalid if limit < 1.
	FailRecoveryToken(ctx context.Context, id string, at time.Time, limit int) (int, error)
	// PurgeRecoveryTokens deletes the tokens whose ExpiresAt is before t
	// and returns how many.
	PurgeRecoveryTokens(ctx context.Context, t time.Time) (int, error)
}

// ThrottleStore spaces out events per key across every process on the
// database: the recovery service allows one mail per address and kind of
// request per interval with it.
type ThrottleStore interface {
	// TakeTurn grants key a turn at now if its last granted turn was at
	// least interval before now (or it never had one), recording now as
	// its last turn. It returns whether the turn was granted and, if not,
	// when the next one can be. Atomic per key: of concurrent calls
	// (also from other processes) at most one is granted within an
	// interval. A turn recorded at a later time than now (another
	// instance's clock) counts from that time. Returns ErrInvalid if key
	// is empty or interval is not positive.
	TakeTurn(ctx context.Context, key string, now time.Time, interval time.Duration) (granted bool, next time.Time, err error)
	// PurgeTurns forgets the keys whose last turn was before t and returns
	// how many. A forgotten key's next turn is granted.
	PurgeTurns(ctx context.Context, t time.Time) (int, error)
}
