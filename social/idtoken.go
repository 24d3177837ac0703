package social

import (
	"context"

	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// maxIDTokenBytes bounds an ID token before it is parsed; real ones are a
// few kilobytes. maxNonceBytes bounds a nonce.
const (
	maxIDTokenBytes = 16 << 10
	maxNonceBytes   = 512
)

// LoginWithIDToken signs in, up or links (action "" is SIGN_IN) with an ID
// token a native app got from the provider's own SDK: its signature
// against the provider's keys, its issuer, its audience (the client id or
// one of the file's audiences), its expiry and, when the app gives one,
// its nonce. An app that sets a nonce when it asks the provider for the
// token and passes it here cannot have the token replayed by someone who
// saw it. The decision is the redirect flow's (decide.go).
func (s *Service) LoginWithIDToken(ctx context.Context, caller *session.Principal, providerName, idToken, nonce string, action store.OAuthAction, deviceToken string) (*session.Tokens, error) {
	if err := s.limit(ctx); err != nil {
		return nil, err
	}
	p, err := s.provider(providerName)
	if err != nil {
		return nil, err
	}
	if action == "" {
		action = store.OAuthSignIn
	}
	linkTo, err := s.linkTarget(ctx, caller, action)
	if err != nil {
		return nil, err
	}
	if len(idToken) > maxIDTokenBytes || len(nonce) > maxNonceBytes {
		return nil, s.refused(ctx, providerName, failed("id token", "too long"))
	}
	if err := s.devices.CheckToken(deviceToken); err != nil {
		return nil, err
	}
	prof, err := p.verifyIDToken(ctx, idToken, nonce)
	if err != nil {
		return nil, s.refused(ctx, providerName, err)
	}
	return s.decide(ctx, providerName, action, prof, linkTo, deviceToken)
}
