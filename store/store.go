// Package store defines usergraph's records and the Store interface that the
// storage backends (store/sqlite, store/mongo) implement.
//
// The store keeps data and enforces uniqueness; it holds no policy about who
// may do what. Times are stored at millisecond precision in UTC (see Trunc);
// a zero time means "never" and compares earlier than every other time.
// Records returned are the caller's to change. Every backend passes the
// conformance suite in store/storetest.
//
// Services do not take a whole Store: each takes the narrow interface
// declared for it in consumers.go (AccountStore, SessionManagerStore,
// AccessStore) or the one record interface it needs (KeyStore,
// SettingStore).
package store

import (
	"context"
	"time"
)

// Store is the storage of users, sessions, roles, keys, the outbox, the
// secrets of account recovery and the identities of social sign-in.
//
// Methods that write a record (Create*, Update*) normalize it first (see
// User.Normalize), and the record an Update* returns is the record as
// stored, equal to what a later Get returns.
type Store interface {
	UserStore
	UsernameKeyStore
	SessionStore
	DeviceStore
	AvatarStore
	ApplicationStore
	RoleStore
	KeyStore
	SettingStore
	OutboxStore
	RecoveryTokenStore
	ThrottleStore
	EventStore
	WebhookStore
	IdentityStore
	OAuthStateStore

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Close releases the database.
	Close() error
}

// UserStore keeps users.
type UserStore interface {
	// CreateUser inserts u. The caller sets ID (NewID), keys and times.
	// Returns an error matching ErrAlreadyExists (a *ConflictError naming
	// FieldID, FieldUsername, FieldEmail or FieldPhone) if a unique key is taken.
	CreateUser(ctx context.Context, u *User) error
	// CreateUsers inserts many users, for imports and seeding. On a conflict it
	// returns the ErrAlreadyExists error; users before the conflicting one may
	// have been inserted.
	CreateUsers(ctx context.Context, users []*User) error
	// GetUser returns ErrNotFound if no user has the id.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUsers returns the users with the given ids that exist, in no
	// particular order.
	GetUsers(ctx context.Context, ids []string) ([]*User, error)
	// GetUserByKey finds a user by a normalized key (UsernameKey, EmailKey or
	// PhoneKey). Returns ErrNotFound if none matches (always for "").
	GetUserByKey(ctx context.Context, field KeyField, key string) (*User, error)
	// UpdateUser reads the user, calls update on it and writes the result,
	// atomically with respect to other updates of that user: concurrent
	// updates never lose one another (backends retry or lock). update may be
	// called more than once; an error from it aborts and is returned as is.
	// Returns ErrNotFound, or ErrAlreadyExists if a changed key is taken.
	UpdateUser(ctx context.Context, id string, update func(*User) error) (*User, error)
	// DeleteUser removes the user with its sessions, refresh tokens,
	// devices, avatars and identities. Returns ErrNotFound if no user has the id.
	DeleteUser(ctx context.Context, id string) error

	// ListUsers returns one page of the users matching q.Filter in q.Order.
	// Returns ErrInvalid for a filter or order that does not validate.
	ListUsers(ctx context.Context, q UserQuery) (*UserPage, error)
	// CountUsers counts the users matching f. Returns ErrInvalid for a
	// filter that does not validate.
	CountUsers(ctx context.Context, f *UserFilter) (int, error)
	// PatchUsers applies p (see ApplyPatch) to every user matching f and
	// returns how many matched. Each user is changed atomically; the users
	// the patch changes get a new Version and UpdatedAt, the others stay as
	// they are. Returns ErrInvalid (and 0) for a filter that does not
	// validate or a patch that does not apply; the embedded backend then
	// changes nobody, backends without transactions may have changed some.
	PatchUsers(ctx context.Context, f *UserFilter, p UserPatch) (int, error)
	// DeleteUsers hard-deletes every user matching f (with sessions,
	// refresh tokens, devices, avatars and identities) and returns how many. Returns ErrInvalid for a filter
	// that does not validate, deleting nobody.
	DeleteUsers(ctx context.Context, f *UserFilter) (int, error)
	// PurgeGuests deletes at most limit guests (IsGuest) idle since before
	// idleBefore — their LastRequestAt, or CreatedAt if they never made a
	// request, is before it — with their sessions, refresh tokens,
	// devices and avatars, and returns how many it deleted. It finds them by index, not
	// by reading every user; a guest upgraded or active meanwhile stays.
	// With WithEventFor, each guest's deletion stores the event made for
	// it, as a write with WithEvents would.
	PurgeGuests(ctx context.Context, idleBefore time.Time, limit int) (int, error)

	// RecordActivity applies a batch of observed requests: each session's
	// LastSeenAt, each user's LastRequestAt and each device's LastUsedAt
	// move forward to At (never back). Unknown ids are ignored. It changes
	// no record's Version.
	RecordActivity(ctx context.Context, batch []Activity) error

	// RecordLoginFailure replaces the user's Lockout with next(stored
	// Lockout) and returns the Lockout as stored, atomically with respect to
	// every other write of that user: of concurrent calls each one's next
	// sees the result of the one before, so no failure is lost. next may be
	// called more than once (backends retry) and must have no side effects.
	// It increases Version, so that a concurrent UpdateUser rereads, and
	// leaves UpdatedAt. Returns ErrNotFound if no user has the id.
	RecordLoginFailure(ctx context.Context, id string, next func(Lockout) Lockout) (Lockout, error)
	// ClearLockout resets the user's Lockout to the zero value (no failures,
	// not locked) in one atomic write that increases Version. Returns
	// ErrNotFound if no user has the id.
	ClearLockout(ctx context.Context, id string) error
}

// UsernameKeyStore lets the services move stored username keys to a new
// normalization (how keys are computed is the services' rule): read every
// user's username and key in batches, and replace keys one by one.
type UsernameKeyStore interface {
	// ListUsernameKeys returns the users that have a username, in ascending
	// id order, starting after the id after ("" starts at the first), at
	// most limit of them (none if limit < 1). A read of a few fields, not
	// of whole records; users created or renamed meanwhile may or may not
	// be seen.
	ListUsernameKeys(ctx context.Context, after string, limit int) ([]UsernameKey, error)
	// SetUsernameKey replaces a user's UsernameKey with key if it is still
	// old, atomically, raising Version and changing nothing else (UpdatedAt
	// included). Returns ErrNotFound if no user has the id, ErrConflict if
	// the key is no longer old (nothing written), ErrAlreadyExists (a
	// *ConflictError naming FieldUsername) if another user holds key
	// (nothing written), and ErrInvalid if key is empty.
	SetUsernameKey(ctx context.Context, id, old, key string) error
}

// SessionStore keeps sessions and their refresh tokens.
type SessionStore interface {
	// CreateSession inserts s (caller sets ID and times) and, in the same
	// write, its first refresh tokens, so that no session is stored without
	// the token its client was given. Returns ErrAlreadyExists if the id or
	// a token's hash is taken, and then stores neither.
	CreateSession(ctx context.Context, s *Session, tokens ...*RefreshToken) error
	// GetSession returns ErrNotFound if no session has the id.
	GetSession(ctx context.Context, id string) (*Session, error)
	// ListSessions returns the sessions of the given users that are not
	// revoked and whose ExpiresAt is after now, oldest first.
	ListSessions(ctx context.Context, userIDs []string, now time.Time) ([]*Session, error)
	// UpdateSession is UpdateUser for sessions. Returns ErrNotFound.
	UpdateSession(ctx context.Context, id string, update func(*Session) error) (*Session, error)
	// RevokeSession sets RevokedAt on one session if it is not revoked yet.
	// Returns ErrNotFound if no session has the id.
	RevokeSession(ctx context.Context, id string, at time.Time) error
	// RevokeSessions ends every unrevoked session of r.UserIDs except
	// r.ExceptID (only those on r.DeviceIDs, if any are given), and returns
	// the ids it revoked.
	RevokeSessions(ctx context.Context, r SessionRevocation) ([]string, error)
	// PurgeSessions deletes the sessions whose ExpiresAt is before t, with
	// their refresh tokens, and returns how many sessions it deleted. The
	// session manager calls it with now - ExpiredRetention.
	PurgeSessions(ctx context.Context, t time.Time) (int, error)

	// CreateRefreshToken inserts t. Returns ErrAlreadyExists on a hash collision.
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// GetRefreshToken returns ErrNotFound if no token has the hash.
	GetRefreshToken(ctx context.Context, hash string) (*RefreshToken, error)
	// RotateRefreshToken exchanges a session's current refresh token for the
	// next one: it marks the token with hash consumed at at, records nextHash
	// as its Successor (in the same write as the consumption), and inserts a
	// token with nextHash for the same session and user, expiring with it,
	// if and only if the old one is still current — of concurrent calls with
	// one hash exactly one succeeds. It returns the new token. Returns
	// ErrNotFound if no token has hash, ErrConflict if it was consumed
	// already (the new one is then not created, the recorded Successor not
	// changed). A backend without transactions inserts the successor after
	// the consumption is visible: a reader may find a Successor that
	// GetRefreshToken does not find yet (or, if that insert failed, ever).
	RotateRefreshToken(ctx context.Context, hash, nextHash string, at time.Time) (*RefreshToken, error)
}

// DeviceStore keeps the devices users sign in from, one per user and token.
type DeviceStore interface {
	// CreateDevice inserts d (caller sets ID and CreatedAt). Returns
	// ErrAlreadyExists naming FieldToken if d.UserID already has a device
	// with d.Token (of concurrent calls with one user and token exactly one
	// succeeds), FieldID if the id is taken.
	CreateDevice(ctx context.Context, d *Device) error
	// GetDevice returns ErrNotFound if no device has the id.
	GetDevice(ctx context.Context, id string) (*Device, error)
	// GetDeviceByToken returns the user's device with the token, compared
	// byte for byte. Returns ErrNotFound if the user has none.
	GetDeviceByToken(ctx context.Context, userID, token string) (*Device, error)
	// ListDevices returns the devices of the given users, oldest first
	// (CreatedAt, then id); with canAccess set, only those whose CanAccess
	// equals it.
	ListDevices(ctx context.Context, userIDs []string, canAccess *bool) ([]*Device, error)
	// UpdateDevice is UpdateUser for devices (UserID and Token stay as
	// stored; LastUsedAt only moves forward). Returns ErrNotFound.
	UpdateDevice(ctx context.Context, id string, update func(*Device) error) (*Device, error)
	// DeleteDevice removes a device; it does not touch sessions opened on
	// it. Returns ErrNotFound if no device has the id.
	DeleteDevice(ctx context.Context, id string) error
	// TrimDevices deletes the user's devices DevicesToTrim names, so that at
	// most keep are left and except (may be "") stays, and returns their
	// ids. It does not touch sessions opened on them.
	TrimDevices(ctx context.Context, userID string, keep int, except string) ([]string, error)
}

// RoleStore keeps roles. Names are unique as given (callers normalize).
type RoleStore interface {
	// CreateRole returns ErrAlreadyExists (FieldName) if the name is taken.
	CreateRole(ctx context.Context, r *Role) error
	// GetRole returns ErrNotFound if no role has the name.
	GetRole(ctx context.Context, name string) (*Role, error)
	// ListRoles returns every role ordered by name.
	ListRoles(ctx context.Context) ([]*Role, error)
	// UpdateRole is UpdateUser for roles; a rename that collides returns
	// ErrAlreadyExists (FieldName).
	UpdateRole(ctx context.Context, name string, update func(*Role) error) (*Role, error)
	// DeleteRole returns ErrNotFound if no role has the name. It does not
	// touch users holding the role; the caller patches them.
	DeleteRole(ctx context.Context, name string) error
}

// KeyStore keeps token signing keys.
type KeyStore interface {
	// CreateSigningKey returns ErrAlreadyExists if the id is taken.
	CreateSigningKey(ctx context.Context, k *SigningKey) error
	// ListSigningKeys returns every key, newest first.
	ListSigningKeys(ctx context.Context) ([]*SigningKey, error)
	// RetireSigningKey sets RetiredAt on a key. Returns ErrNotFound.
	RetireSigningKey(ctx context.Context, id string, at time.Time) error
	// DeleteSigningKey removes a key. Returns ErrNotFound.
	DeleteSigningKey(ctx context.Context, id string) error
}

// SettingStore keeps small named values the server needs across restarts
// (the bootstrap token's hash, whether the service was initialized).
type SettingStore interface {
	// GetSetting returns ErrNotFound if the name was never set.
	GetSetting(ctx context.Context, name string) (string, error)
	// CreateSetting sets a value once: ErrAlreadyExists if the name is set.
	// It is the store's one "first writer wins" primitive.
	CreateSetting(ctx context.Context, name, value string) error
	// PutSetting sets or replaces a value.
	PutSetting(ctx context.Context, name, value string) error
	// DeleteSetting removes a value; a missing name is not an error.
	DeleteSetting(ctx context.Context, name string) error
}
