package password

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Default length bounds, in Unicode code points (NIST 800-63B: at least 8,
// accept long passphrases).
const (
	DefaultMinLength = 8
	DefaultMaxLength = 1024
	// MaxPasswordBytes bounds a password in bytes (4 per code point, UTF-8's
	// widest) before anything counts, compares or hashes it.
	MaxPasswordBytes = 4 * DefaultMaxLength
)

// Policy decides which new passwords are accepted. Following NIST 800-63B
// it has no composition rules: length, a blocklist of common passwords, and
// no reuse of the account's own identifiers. Zero fields take the defaults.
type Policy struct {
	MinLength, MaxLength int
}

// WeakPasswordError says why a password was rejected. Reason is a complete
// sentence meant for the end user (the API's WEAK_PASSWORD message).
type WeakPasswordError struct {
	Reason string
}

func (e *WeakPasswordError) Error() string { return e.Reason }

// Check returns a *WeakPasswordError if pw is too short, too long, a common
// password, or equal (ignoring case) to one of related, the account's own
// identifiers such as username and email. Lengths count code points, so
// multi-byte characters count once each.
func (p Policy) Check(pw string, related ...string) error {
	minLen, maxLen := p.bounds()
	if len(pw) > 4*maxLen {
		return weak("password must be at most %d characters", maxLen)
	}
	n := utf8.RuneCountInString(pw)
	switch {
	case n < minLen:
		return weak("password must be at least %d characters", minLen)
	case n > maxLen:
		return weak("password must be at most %d characters", maxLen)
	}
	for _, r := range related {
		if r != "" && strings.EqualFold(pw, r) {
			return weak("password must not be the same as your username or email")
		}
	}
	if isCommon(pw) {
		return weak("password is too common")
	}
	return nil
}

func (p Policy) bounds() (minLen, maxLen int) {
	minLen, maxLen = p.MinLength, p.MaxLength
	if minLen <= 0 {
		minLen = DefaultMinLength
	}
	if maxLen <= 0 {
		maxLen = DefaultMaxLength
	}
	return minLen, maxLen
}

func weak(format string, args ...any) error {
	return &WeakPasswordError{Reason: fmt.Sprintf(format, args...)}
}
