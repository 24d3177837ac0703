package store

import "time"

// SessionKind says what a session was opened for.
type SessionKind string

const (
	SessionUser  SessionKind = "USER"
	SessionGuest SessionKind = "GUEST"
	SessionApp   SessionKind = "APP"
)

// ExpiredRetention is how long an expired session and its refresh tokens
// are kept before they are purged: long enough that a late replay of a
// rotated token is still recognized as such, short enough that the store
// does not grow with every sign-in and refresh forever.
const ExpiredRetention = 7 * 24 * time.Hour

// Session is one sign-in of a user, or of an application (Kind APP:
// ApplicationID set, UserID empty). It lives until RevokedAt is set, until
// ExpiresAt (the absolute lifetime), or until it is idle for longer than the
// configured idle timeout after LastSeenAt; the session service decides.
type Session struct {
	ID            string
	UserID        string // "" for an APP session
	ApplicationID string // the application of an APP session; "" otherwise
	Kind          SessionKind
	DeviceID      string
	UserAgent     string
	IP            string
	CreatedAt     time.Time
	LastSeenAt    time.Time
	ExpiresAt     time.Time
	RevokedAt     time.Time // zero: not revoked
	Version       int64
}

// Normalize puts s in its stored form (times in UTC, milliseconds; a new
// session gets version 1).
func (s *Session) Normalize() {
	if s.Version == 0 {
		s.Version = 1
	}
	for _, t := range []*time.Time{&s.CreatedAt, &s.LastSeenAt, &s.ExpiresAt, &s.RevokedAt} {
		*t = Trunc(*t)
	}
}

// Revoked reports whether the session was ended explicitly.
func (s *Session) Revoked() bool { return !s.RevokedAt.IsZero() }

// RefreshToken is a refresh token of a session, kept by the hash of the
// opaque value the client holds. Each refresh consumes the current token and
// issues the next; a consumed token presented again reveals a stolen or
// replayed token, and the session service then revokes the session (unless
// it is a repeat of the just-rotated token within the reuse window: see
// session/refresh.go).
type RefreshToken struct {
	Hash       string // hex SHA-256 of the token; the token itself is never stored
	SessionID  string
	UserID     string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	ConsumedAt time.Time // zero: still current
	// Successor is the hash of the token RotateRefreshToken issued when it
	// consumed this one: empty while the token is current (and on tokens
	// consumed before successors were recorded). It tells the just-rotated
	// token (its successor still current) from an older one.
	Successor string
}

// Consumed reports whether the token was already exchanged.
func (t *RefreshToken) Consumed() bool { return !t.ConsumedAt.IsZero() }

// SessionRevocation selects sessions to end at once.
type SessionRevocation struct {
	UserIDs   []string  // sessions of these users
	DeviceIDs []string  // only those opened on these devices; none: on any device or none
	ExceptID  string    // keep this session (the caller's own)
	At        time.Time // the revocation time recorded
}

// SigningKey is a key that signs access tokens. Private is the key in the
// algorithm's standard encoding (Ed25519: the 32-byte seed), Public what the
// JWKS publishes. A key signs while it is the newest one not retired, and
// verifies until its retirement plus the longest token lifetime has passed.
type SigningKey struct {
	ID        string // the JWT "kid"
	Algorithm string // "EdDSA"
	Private   []byte
	Public    []byte
	CreatedAt time.Time
	RetiredAt time.Time // zero: may still sign
}
