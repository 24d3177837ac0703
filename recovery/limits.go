package recovery

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
)

// limitRequest counts a request (reset, SMS, verification, forgotten
// username) against the client's IP and against key, what the client
// typed or the caller's account.
func (s *Service) limitRequest(ctx context.Context, key string) error {
	return limit(ctx, s.limits.RequestPerIP, s.limits.RequestPerAccount, key)
}

// limitCheck counts a presented token or code against the client's IP
// and, when known, key (what was typed, or the token's subject).
func (s *Service) limitCheck(ctx context.Context, key string) error {
	return limit(ctx, s.limits.CheckPerIP, s.limits.CheckPerAccount, key)
}

func limit(ctx context.Context, perIP, perAccount *ratelimit.Limiter, key string) error {
	if ok, retry := perIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return apperr.Limited(retry)
	}
	if key == "" {
		return nil
	}
	if ok, retry := perAccount.Allow(key); !ok {
		return apperr.Limited(retry)
	}
	return nil
}
