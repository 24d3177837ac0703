package account

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/store"
)

// Look-ups by what a client typed, for the recovery service: it answers
// the same whether or not an account matches, so it must also do the same
// work and count its limits per typed identifier, never per account found.

// FindUsername returns the user a typed username names (store.ErrNotFound
// if none). Unlike a sign-in's look-up it reads every key the name may be
// stored under (lookupKeys) even after a match, so the number of reads
// does not tell whether the account exists.
func (s *Service) FindUsername(ctx context.Context, typed string) (*store.User, error) {
	var found *store.User
	for _, k := range s.lookupKeys(typed) {
		u, err := s.store.GetUserByKey(ctx, store.KeyUsername, k)
		switch {
		case err == nil && found == nil:
			found = u
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if found == nil {
		return nil, store.ErrNotFound
	}
	return found, nil
}

// IdentifierKey normalizes a typed username, email or phone number as the
// look-ups do ("Bob" and "bob", "+1 415 555 0123" and "+14155550123" give
// one key), prefixed with its kind: the key of per-identifier limits.
func (s *Service) IdentifierKey(identifier string) string { return s.unknownKey(identifier) }

// CheckEmail validates an email address as sign-up does and returns it
// trimmed; INVALID_EMAIL otherwise.
func CheckEmail(email string) (string, error) { return checkEmail(email) }
