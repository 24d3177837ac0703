package social

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"

	"golang.org/x/oauth2"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// The state of a redirect flow: 256 random bits the client holds and the
// provider hands back, stored only as its SHA-256 (a leaked database
// yields no state anyone can complete), with what its completion is
// bound to: the action, the provider, the PKCE verifier and the OpenID
// Connect nonce, the redirect URI and, for LINK, the caller. It is
// consumed by the first completion that presents it, whatever happens
// next, so a state works once; and it expires after Config.StateTTL.
// A state that is unknown, used, expired, or presented on the other flow
// (oauthComplete for one that ends at /oauth/callback, or the other way
// round) is OAUTH_FAILED, and nothing is created.

var errBadState = apperr.New(apperr.OAuthFailed, "the sign-in could not be completed: start it again (its state is unknown, used or expired)")

// maxStateBytes bounds a presented state before it is hashed: ours are 43
// characters.
const maxStateBytes = 128

// newSecret is 256 random bits, base64url: states and nonces.
func newSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashState is how states are kept: the SHA-256 of 256 random bits can be
// neither reversed nor guessed, so no slow hash is needed.
func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

// bind makes st the record of state: its hash, a fresh PKCE verifier and
// nonce, and its lifetime. The caller stores it once the provider's page
// is known.
func (s *Service) bind(st *store.OAuthState, state string) {
	now := store.Now()
	st.Hash, st.Verifier, st.Nonce = hashState(state), oauth2.GenerateVerifier(), newSecret()
	st.CreatedAt, st.ExpiresAt = now, now.Add(s.cfg.StateTTL)
}

// takeState consumes the state presented for a completion.
func (s *Service) takeState(ctx context.Context, state string) (*store.OAuthState, error) {
	if state == "" || len(state) > maxStateBytes {
		return nil, errBadState
	}
	st, err := s.store.ConsumeOAuthState(ctx, hashState(state))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errBadState
	case err != nil:
		return nil, err
	case !store.Now().Before(st.ExpiresAt):
		return nil, errBadState
	}
	return st, nil
}
