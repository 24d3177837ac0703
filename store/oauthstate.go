package store

import (
	"context"
	"time"
)

// OAuthAction is what a completed sign-in with a provider does.
type OAuthAction string

// The actions of API.md's OAuthAction.
const (
	OAuthSignUp OAuthAction = "SIGN_UP"
	OAuthSignIn OAuthAction = "SIGN_IN"
	OAuthLink   OAuthAction = "LINK"
)

// OAuthState is one redirect flow that was started and not completed yet:
// what its completion must be bound to. Only the hash of the state the
// client holds is stored.
type OAuthState struct {
	// Hash is the state's hash (the service's choice of function); unique.
	Hash     string
	Provider string
	Action   OAuthAction
	// Verifier is the PKCE code verifier (RFC 7636) the token request
	// must present; Nonce is the OpenID Connect nonce the ID token must
	// carry.
	Verifier string
	Nonce    string
	// RedirectURI is where the provider sends the browser back: the
	// app's, or usergraph's own /oauth/callback.
	RedirectURI string
	// UserID is the signed-in caller a LINK adds the identity to; "" for
	// the other actions.
	UserID string
	// DeviceToken is the client's device token for the callback flow,
	// where the completion has no arguments of its own; "" if none.
	DeviceToken string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// Normalize truncates the times as the store keeps them.
func (s *OAuthState) Normalize() {
	s.CreatedAt, s.ExpiresAt = Trunc(s.CreatedAt), Trunc(s.ExpiresAt)
}

// OAuthStateStore keeps the states of redirect flows.
type OAuthStateStore interface {
	// CreateOAuthState stores s. Returns ErrInvalid if Hash is empty and
	// ErrAlreadyExists if another state has the Hash.
	CreateOAuthState(ctx context.Context, s *OAuthState) error
	// ConsumeOAuthState takes the state with hash: it returns it and it is
	// never returned again. Atomic: of concurrent calls with one hash
	// (also from other processes on the same database) exactly one gets
	// it. Returns ErrNotFound if no state has the hash, or it was consumed
	// or purged. Expiry is the caller's to check.
	ConsumeOAuthState(ctx context.Context, hash string) (*OAuthState, error)
	// PurgeOAuthStates deletes the states whose ExpiresAt is before t and
	// returns how many.
	PurgeOAuthStates(ctx context.Context, t time.Time) (int, error)
}
