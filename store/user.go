package store

import (
	"encoding/json"
	"strings"
	"time"
)

// Status is an account's lifecycle state.
type Status string

const (
	StatusActive    Status = "ACTIVE"
	StatusPending   Status = "PENDING"   // signed up, not yet activated
	StatusSuspended Status = "SUSPENDED" // blocked by an administrator, or soft-deleted
)

// Valid reports whether s is one of the defined statuses.
func (s Status) Valid() bool {
	return s == StatusActive || s == StatusPending || s == StatusSuspended
}

// User is an account. The store keeps it as given; which fields a caller may
// change, and how keys are normalized, is decided by the services.
type User struct {
	ID string

	Username string
	Email    string
	Phone    string // E.164 when set

	// Keys are the normalized forms of Username, Email and Phone that unique
	// indexes and lookups use; the services compute them (usernames with
	// PRECIS in package account, emails with FoldKey). Empty keys are not
	// unique.
	UsernameKey string
	EmailKey    string
	PhoneKey    string

	EmailVerified bool
	// PendingEmail is a new address waiting for its owner to confirm it
	// (email verification on); Email stays until then. Not a unique key:
	// the address is claimed when it is confirmed.
	PendingEmail string
	// EmailVerification is where the latest verification mail is (zero
	// Status: none was sent).
	EmailVerification EmailVerification

	FirstName      string
	LastName       string
	FullName       string
	Website        string
	AvatarURL      string
	Address        string
	AdditionalInfo string
	Tags           []string // never nil when read back

	// Metadata is the user's own schemaless data; AppMetadata is written by
	// administrators only. Both hold a JSON object; nil is stored as {}.
	Metadata    json.RawMessage
	AppMetadata json.RawMessage

	Status  Status
	IsGuest bool
	Roles   []string // role names; never nil when read back

	PasswordHash string // PHC string; empty for accounts without a password

	// DeletedAt is set by a soft delete: the account stays, suspended, and its
	// keys stay reserved.
	DeletedAt time.Time

	CreatedAt     time.Time
	UpdatedAt     time.Time
	LastLoginAt   time.Time // zero: never
	LastRequestAt time.Time // zero: never

	// Lockout counts failed sign-ins against the account (see Lockout).
	Lockout Lockout

	// Version increases with every update; backends without transactions use
	// it for optimistic concurrency. Callers never set it.
	Version int64
}

// Lockout is an account's sign-in lockout state. The store keeps it as
// given; the schedule that fills it in is the account service's (package
// lockout). The zero value is an account with no failures, not locked.
type Lockout struct {
	Failures    int       // failed sign-ins counted since the count last started over
	LastFailure time.Time // the latest of them; zero: none
	LockedUntil time.Time // strangers are refused until then; zero or past: not locked
}

// EmailVerification is the state of a user's latest verification mail,
// in Kinvey's words (VerificationStatus). The recovery service writes it;
// the store keeps it as given.
type EmailVerification struct {
	Status VerificationStatus
	At     time.Time // when Status last changed
	// MessageID is the outbox message of the latest verification mail:
	// outcomes of older mails are ignored.
	MessageID string
}

// VerificationStatus is User.emailVerification.status.
type VerificationStatus string

// The statuses of a verification mail (API.md's EmailVerificationStatus).
const (
	VerificationSent      VerificationStatus = "SENT"
	VerificationResent    VerificationStatus = "RESENT"
	VerificationDelivered VerificationStatus = "DELIVERED"
	VerificationDeferred  VerificationStatus = "DEFERRED"
	VerificationBounced   VerificationStatus = "BOUNCED"
	VerificationDropped   VerificationStatus = "DROPPED"
	VerificationConfirmed VerificationStatus = "CONFIRMED"
)

// Normalize truncates the times as the store keeps them (see Trunc).
func (l *Lockout) Normalize() {
	l.LastFailure, l.LockedUntil = Trunc(l.LastFailure), Trunc(l.LockedUntil)
}

// Deleted reports whether the account was soft-deleted.
func (u *User) Deleted() bool { return !u.DeletedAt.IsZero() }

// Active reports whether the account may be used: ACTIVE and not deleted.
func (u *User) Active() bool { return u.Status == StatusActive && !u.Deleted() }

// HasRole reports whether the user holds the named role.
func (u *User) HasRole(name string) bool {
	for _, r := range u.Roles {
		if r == name {
			return true
		}
	}
	return false
}

// Normalize puts u in the form every backend stores and reads back: times
// in UTC at millisecond precision, lists and JSON objects never nil.
// Backends call it before writing, so what a write returns equals what a
// later read returns. A record without a version is new: it gets version 1.
func (u *User) Normalize() {
	if u.Version == 0 {
		u.Version = 1
	}
	for _, t := range []*time.Time{&u.DeletedAt, &u.CreatedAt, &u.UpdatedAt, &u.LastLoginAt, &u.LastRequestAt} {
		*t = Trunc(*t)
	}
	u.Lockout.Normalize()
	u.EmailVerification.At = Trunc(u.EmailVerification.At)
	if u.Tags == nil {
		u.Tags = []string{}
	}
	if u.Roles == nil {
		u.Roles = []string{}
	}
	if len(u.Metadata) == 0 {
		u.Metadata = json.RawMessage(`{}`)
	}
	if len(u.AppMetadata) == 0 {
		u.AppMetadata = json.RawMessage(`{}`)
	}
}

// Clone returns a deep copy, so a caller may change it without touching a
// record shared through a cache.
func (u *User) Clone() *User {
	c := *u
	c.Tags = append([]string{}, u.Tags...)
	c.Roles = append([]string{}, u.Roles...)
	c.Metadata = append(json.RawMessage(nil), u.Metadata...)
	c.AppMetadata = append(json.RawMessage(nil), u.AppMetadata...)
	return &c
}

// FoldKey is the normalization behind email keys (and usernames before
// PRECIS): Unicode lower case of the trimmed string. Backends compare keys
// byte for byte (no collation: docs/ARCHITECTURE.md, "Stores"), so every key written and
// every key looked up must pass through the same function.
func FoldKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// DisplayFullName is the full name User.fullName shows: the stored one, or
// the first and last names joined by a space when none is stored.
func (u *User) DisplayFullName() string {
	if u.FullName != "" {
		return u.FullName
	}
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// SearchText is what the filter's case-insensitive search looks in: the
// folded username, email, first and last names and the full name as shown
// (DisplayFullName, so "john smith" finds John Smith without a stored full
// name), joined by a separator no needle contains. Backends store it beside
// the user and match a folded needle as a plain substring, so search
// behaves the same with or without ICU or collations. Changing what goes in
// means rewriting it for stored users: each backend does that once at start
// (store/sqlite/refold.go, store/mongo/refold.go).
func SearchText(u *User) string {
	parts := []string{u.Username, u.Email, u.FirstName, u.LastName, u.DisplayFullName()}
	return strings.ToLower(strings.Join(parts, "\x00"))
}

// UsernameKey is a user's username with the key stored for it, as
// ListUsernameKeys reads them.
type UsernameKey struct {
	ID       string
	Username string
	Key      string
}

// KeyField names a unique lookup key of a user.
type KeyField string

const (
	KeyUsername KeyField = "username"
	KeyEmail    KeyField = "email"
	KeyPhone    KeyField = "phone"
)

// Activity is one observed request of a session, applied in batches so that
// authenticated requests do not write to the store one by one.
type Activity struct {
	SessionID string
	UserID    string
	DeviceID  string // "": the session has no device
	At        time.Time
}
