package recovery

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
)

// Each function counts one attempt in each limiter it names, so a call is
// counted once per limit however it is reached.

// limitRequest counts a request (reset, SMS, verification, forgotten
// username) against the client's IP and against key, what the client
// typed or the caller's account.
func (s *Service) limitRequest(ctx context.Context, key string) error {
	if err := allow(s.limits.RequestPerIP, apperr.RuleRecoveryIP, session.ClientFrom(ctx).IP); err != nil {
		return err
	}
	return allow(s.limits.RequestPerAccount, apperr.RuleRecoveryAccount, key)
}

// limitCheck counts a presented token or code against the client's IP.
func (s *Service) limitCheck(ctx context.Context) error {
	return allow(s.limits.CheckPerIP, apperr.RuleRecoveryIP, session.ClientFrom(ctx).IP)
}

// limitCheckOf counts a presented token or code against key: what the
// client typed (a username), or the subject of the token it found.
func (s *Service) limitCheckOf(key string) error {
	return allow(s.limits.CheckPerAccount, apperr.RuleRecoveryAccount, key)
}

// allow takes one attempt for key from l, refused as rule (apperr.Rule…).
func allow(l *ratelimit.Limiter, rule, key string) error {
	if ok, retry := l.Allow(key); !ok {
		return apperr.LimitedBy(rule, retry)
	}
	return nil
}
