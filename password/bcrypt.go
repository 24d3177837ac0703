package password

import (
	"context"
	"errors"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// maxBcryptCost bounds imported bcrypt hashes. Each step doubles the work:
// cost 10-12 is what systems commonly used (a tenth to a quarter of a
// second), 14 about a second, and bcrypt accepts up to 31 (days).
const maxBcryptCost = 14

// isBcrypt reports whether encoded uses a bcrypt prefix we accept. $2a$,
// $2b$ and $2y$ differ only in historical bugs of other implementations and
// verify the same way.
func isBcrypt(encoded string) bool {
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		if strings.HasPrefix(encoded, prefix) {
			return true
		}
	}
	return false
}

// verifyBcrypt checks a password against an imported bcrypt hash. A match
// always asks for a rehash: bcrypt is accepted only to migrate users.
// bcrypt reads at most 72 bytes of the password, as the system that made
// the hash did.
func (h *Hasher) verifyBcrypt(ctx context.Context, plain, encoded string) (ok, rehash bool, err error) {
	if err := checkBcrypt(encoded); err != nil {
		return false, false, err
	}
	var cmp error
	if err := h.bounded(ctx, func() {
		cmp = bcrypt.CompareHashAndPassword([]byte(encoded), []byte(plain))
	}); err != nil {
		return false, false, err
	}
	switch {
	case cmp == nil:
		return true, true, nil
	case errors.Is(cmp, bcrypt.ErrMismatchedHashAndPassword):
		return false, false, nil
	}
	return false, false, invalidHash("bcrypt: %v", cmp)
}

// checkBcrypt parses a bcrypt hash's cost and bounds it.
func checkBcrypt(encoded string) error {
	cost, err := bcrypt.Cost([]byte(encoded))
	if err != nil {
		return invalidHash("bcrypt: %v", err)
	}
	if cost > maxBcryptCost {
		return invalidHash("bcrypt cost %d above %d", cost, maxBcryptCost)
	}
	return nil
}
