package apps

import (
	"context"
	"errors"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

var errBadCredentials = apperr.New(apperr.InvalidCredentials, "the client id or the client secret is wrong")

// Bounds of what applicationSession reads: longer values are no
// credentials this service made, answered like wrong ones.
const (
	maxClientIDBytes = 64
	maxSecretBytes   = 128
)

// OpenSession exchanges an application's credentials for an APP session
// (applicationSession). An unknown client id and a wrong secret get the
// same answer, INVALID_CREDENTIALS, after the same work: a hash and a
// constant-time comparison. Attempts are limited per client IP, like
// logins, since each one tries a secret.
func (s *Service) OpenSession(ctx context.Context, clientID, secret string) (*session.Tokens, error) {
	if ok, retry := s.limit.Allow(session.ClientFrom(ctx).IP); !ok {
		return nil, apperr.Limited(retry)
	}
	if len(clientID) > maxClientIDBytes || len(secret) > maxSecretBytes {
		return nil, errBadCredentials
	}
	a, err := s.store.GetApplicationByClientID(ctx, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		secretMatches(secret, dummyHash)
		return nil, errBadCredentials
	case err != nil:
		return nil, err
	case !secretMatches(secret, a.SecretHash):
		return nil, errBadCredentials
	}
	tokens, err := s.sessions.OpenApp(ctx, a)
	if err != nil {
		return nil, err
	}
	s.recordUse(ctx, a.ID, tokens.Session.CreatedAt)
	return tokens, nil
}

// recordUse moves the application's lastUsedAt to its newest session. It
// is bookkeeping: a failure is logged, and the session stands.
func (s *Service) recordUse(ctx context.Context, id string, at time.Time) {
	_, err := s.store.UpdateApplication(ctx, id, func(a *store.Application) error {
		a.LastUsedAt = at
		return nil
	})
	if err != nil {
		s.log.Warn("recording an application's use", "application", id, "err", err)
	}
}
