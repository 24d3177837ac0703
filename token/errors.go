package token

import (
	"errors"

	"github.com/golang-jwt/jwt/v5"
)

// Verification errors. The API answers UNAUTHENTICATED with status 608 for
// ErrExpired and 607 for ErrInvalid; the cause of ErrInvalid is not told.
var (
	// ErrExpired: the token is genuine and valid except that it expired.
	ErrExpired = errors.New("token: expired")
	// ErrInvalid: anything else (malformed, bad signature, other algorithm,
	// wrong type, issuer or audience, unknown key, missing claims).
	ErrInvalid = errors.New("token: invalid")
)

// classify maps a jwt parse error to ErrExpired or ErrInvalid. A token is
// expired only if the signature verified (claims were checked at all) and
// expiry is the sole failed check: an expired token with a wrong audience,
// say, is invalid.
func classify(err error) error {
	if !errors.Is(err, jwt.ErrTokenInvalidClaims) {
		return ErrInvalid
	}
	for _, leaf := range leaves(err, nil) {
		if leaf != jwt.ErrTokenInvalidClaims && leaf != jwt.ErrTokenExpired {
			return ErrInvalid
		}
	}
	if !errors.Is(err, jwt.ErrTokenExpired) {
		return ErrInvalid
	}
	return ErrExpired
}

// leaves appends the errors at the ends of err's wrap tree. Walking the
// standard Unwrap protocol, rather than listing jwt's sentinels, keeps any
// check a future jwt version adds from being mistaken for plain expiry.
func leaves(err error, acc []error) []error {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		for _, inner := range e.Unwrap() {
			acc = leaves(inner, acc)
		}
		return acc
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return leaves(inner, acc)
		}
	}
	return append(acc, err)
}
