package apps

import (
	"context"
	"errors"
	"log/slog"
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
// logins, since each one tries a secret. Each attempt's outcome is logged.
func (s *Service) OpenSession(ctx context.Context, clientID, secret string) (*session.Tokens, error) {
	tokens, a, err := s.openSession(ctx, clientID, secret)
	s.observeSession(ctx, a, err)
	return tokens, err
}

// openSession is OpenSession; a is the application the client id named,
// nil when none.
func (s *Service) openSession(ctx context.Context, clientID, secret string) (_ *session.Tokens, a *store.Application, _ error) {
	if ok, retry := s.limit.Allow(session.ClientFrom(ctx).IP); !ok {
		return nil, nil, apperr.LimitedBy(apperr.RuleApplicationIP, retry)
	}
	if len(clientID) > maxClientIDBytes || len(secret) > maxSecretBytes {
		return nil, nil, errBadCredentials
	}
	a, err := s.store.GetApplicationByClientID(ctx, clientID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		secretMatches(secret, dummyHash)
		return nil, nil, errBadCredentials
	case err != nil:
		return nil, nil, err
	case !secretMatches(secret, a.SecretHash):
		return nil, a, errBadCredentials
	}
	tokens, err := s.sessions.OpenApp(ctx, a)
	if err != nil {
		return nil, a, err
	}
	s.recordUse(ctx, a.ID, tokens.Session.CreatedAt)
	return tokens, a, nil
}

// observeSession logs how an application's sign-in ended, for operators:
// a success or a refusal at info, with why it was refused (the client is
// told only INVALID_CREDENTIALS), a fault at warn. Never the client id or
// the secret: a secret pasted into the id field is a common slip.
func (s *Service) observeSession(ctx context.Context, a *store.Application, err error) {
	attrs := []slog.Attr{slog.String("client_ip", session.ClientFrom(ctx).IP)}
	if a != nil {
		attrs = append(attrs, slog.String("application", a.ID))
	}
	e, coded := apperr.As(err)
	switch {
	case err == nil:
		s.log.LogAttrs(ctx, slog.LevelInfo, "application_session.succeeded", attrs...)
	case !coded || e.Code == apperr.Internal:
		s.log.LogAttrs(ctx, slog.LevelWarn, "application_session.failed", append(attrs, slog.String("reason", "fault"))...)
	default:
		s.log.LogAttrs(ctx, slog.LevelInfo, "application_session.failed", append(attrs, slog.String("reason", refusalReason(e, a)))...)
	}
}

// refusalReason tells apart what the client's answer does not.
func refusalReason(e *apperr.Error, a *store.Application) string {
	switch {
	case e.Code == apperr.RateLimited:
		return e.Rule
	case e.Code != apperr.InvalidCredentials:
		return string(e.Code)
	case a == nil:
		return "unknown_client"
	}
	return "wrong_secret"
}

// recordUse moves the application's lastUsedAt to its newest session. It
// is bookkeeping: a failure is logged, and the session stands.
func (s *Service) recordUse(ctx context.Context, id string, at time.Time) {
	_, err := s.store.UpdateApplication(ctx, id, func(a *store.Application) error {
		a.LastUsedAt = at
		return nil
	})
	if err != nil {
		s.log.WarnContext(ctx, "recording an application's use", "application", id, "err", err)
	}
}
