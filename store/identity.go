package store

import (
	"context"
	"time"
)

// Social sign-in (package social) keeps two kinds of record: the provider
// identities linked to users, and the short-lived state of a redirect
// flow between oauthStart and its completion. The rules (which provider,
// who may link what, the lifetime of a state) are the service's; the store
// makes the races that matter atomic on every backend: a provider account
// belongs to one user at most, and a state is consumed once.

// Identity is an account at an OAuth 2.0 / OpenID Connect provider linked
// to a user, who can then sign in with it. A provider account (Provider
// and Subject) belongs to one user at most, and a user has at most one
// identity of each provider (unlinkIdentity names the provider only).
type Identity struct {
	UserID string
	// Provider is the configured provider's name (e.g. "google").
	Provider string
	// Subject is the provider's stable id of the account: an ID token's
	// sub, GitHub's numeric user id. Never an email, which can change hands.
	Subject string
	// Email is the address the provider gave when the identity was linked,
	// "" if none; shown to its user, never used to find an account.
	Email    string
	LinkedAt time.Time
}

// Normalize truncates the time as the store keeps it.
func (i *Identity) Normalize() { i.LinkedAt = Trunc(i.LinkedAt) }

// IdentityStore keeps the identities linked to users. Deleting a user
// (DeleteUser, DeleteUsers) deletes its identities: a provider account
// whose user was deleted can be linked again.
type IdentityStore interface {
	// CreateIdentity links id to id.UserID (the caller sets every field).
	// Returns ErrInvalid if UserID, Provider or Subject is empty,
	// ErrNotFound if no user has UserID (nothing is stored then), and
	// ErrAlreadyExists (a *ConflictError) naming FieldIdentity if some
	// user, this one included, has the provider account already (of
	// concurrent calls for one account exactly one succeeds), FieldProvider
	// if the user has another identity of that provider.
	CreateIdentity(ctx context.Context, id *Identity) error
	// GetIdentity returns the identity of the provider account, or
	// ErrNotFound.
	GetIdentity(ctx context.Context, provider, subject string) (*Identity, error)
	// ListIdentities returns the identities of the given users, ordered by
	// user id, then LinkedAt, then provider.
	ListIdentities(ctx context.Context, userIDs []string) ([]*Identity, error)
	// DeleteIdentity unlinks the user's identity of provider, after check
	// agrees, atomically with respect to every other write of the user's
	// identities and of the user itself: check gets the user as stored and
	// the identities that would remain, and an error from it aborts (and
	// is returned as is), so that "never the last way to sign in" holds
	// against concurrent unlinks. check may be called more than once.
	// Returns ErrNotFound if the user has no identity of provider (or
	// there is no such user).
	DeleteIdentity(ctx context.Context, userID, provider string, check func(u *User, remaining []*Identity) error) error
}
