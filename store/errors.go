package store

import (
	"errors"
	"fmt"
)

// Sentinel errors every backend returns. Callers test with errors.Is; the
// services translate them into the API's error codes. Backends never let a
// driver error through: anything that is not one of these is a fault.
var (
	// ErrNotFound: no record matches the id, key or token given.
	ErrNotFound = errors.New("store: not found")
	// ErrAlreadyExists: a unique field is taken. The error is a
	// *ConflictError naming the field.
	ErrAlreadyExists = errors.New("store: already exists")
	// ErrConflict: a compare-and-swap lost, e.g. a refresh token that was
	// consumed by someone else first.
	ErrConflict = errors.New("store: conflict")
	// ErrInvalid: the request cannot be expressed (bad filter path, unknown
	// order field). Services validate first, so this means a bug or hostile input.
	ErrInvalid = errors.New("store: invalid request")
)

// Unique fields named by ConflictError.
const (
	FieldID       = "id"
	FieldUsername = "username"
	FieldEmail    = "email"
	FieldPhone    = "phone"
	FieldName     = "name"
	FieldToken    = "token" // a device token, unique per user
	FieldClientID = "clientId"
	FieldIdentity = "identity" // a provider account, linked to one user at most
	FieldProvider = "provider" // a user's identity of a provider, one per user
)

// ConflictError reports which unique field a write collided on. It matches
// ErrAlreadyExists under errors.Is.
type ConflictError struct {
	Field string
}

func (e *ConflictError) Error() string { return fmt.Sprintf("store: %s already exists", e.Field) }

// Is makes errors.Is(err, ErrAlreadyExists) true.
func (e *ConflictError) Is(target error) bool { return target == ErrAlreadyExists }

// AlreadyExists returns the conflict error for field.
func AlreadyExists(field string) error { return &ConflictError{Field: field} }

// ConflictField returns the field named by a *ConflictError in err's chain, or "".
func ConflictField(err error) string {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return ce.Field
	}
	return ""
}

// Invalidf returns an error wrapping ErrInvalid.
func Invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}
