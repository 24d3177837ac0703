package account

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/password"
)

// Every hash and verification of the account service goes through these
// three methods, so the hasher's errors are translated in one place:
// a full hashing queue (password.ErrBusy) is RATE_LIMITED with a retry
// hint, so that clients back off instead of hanging; a stored hash out of
// bounds (password.ErrInvalidHash) stays a fault, answered INTERNAL
// without detail and logged with the user it belongs to.

func (s *Service) hash(ctx context.Context, plain string) (string, error) {
	h, err := s.hasher.Hash(ctx, plain)
	return h, s.hashErr(err, "")
}

func (s *Service) verify(ctx context.Context, userID, plain, encoded string) (ok, rehash bool, err error) {
	ok, rehash, err = s.hasher.Verify(ctx, plain, encoded)
	return ok, rehash, s.hashErr(err, userID)
}

// verifyDummy spends a verification's work when there is no hash to check
// (see password.Hasher.VerifyDummy).
func (s *Service) verifyDummy(ctx context.Context, plain string) error {
	return s.hashErr(s.hasher.VerifyDummy(ctx, plain), "")
}

func (s *Service) hashErr(err error, userID string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, password.ErrBusy):
		e := apperr.LimitedBy(apperr.RuleHashQueue, int(math.Ceil(max(s.hasher.RetryAfter().Seconds(), 1))))
		e.Message = fmt.Sprintf("the server is busy signing others in, try again in %d seconds", e.RetryAfter)
		return e
	case errors.Is(err, password.ErrInvalidHash):
		return fmt.Errorf("stored password hash of user %s: %w", userID, err)
	}
	return err
}
