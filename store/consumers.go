package store

import "context"

// What each service may touch of a Store. A service takes the narrowest of
// these interfaces that serves it, never all of Store, so that its
// signature says which records it reads and writes, and the layering is
// checked by the compiler: account reaches sessions only through
// session.Manager and roles only through access.Service.
//
// The convention: a consumer's interface is declared here, in package
// store, named after the consumer (AccountStore for package account), and
// composed of the record interfaces above (UserStore, SessionStore, …) plus
// single methods where a service needs only one or two of a record's
// methods. A service that needs exactly one record interface takes it
// directly (token takes KeyStore, lockout takes SettingStore). Each method
// is documented, with its errors, where Store declares it. Every Store
// satisfies every consumer's interface (the assertions below), so the
// wiring passes the one store it opened to all of them.

// AccountStore is what package account uses: users, the migration of their
// username keys, and the settings of the bootstrap (whether the service was
// initialized, the bootstrap token's hash).
type AccountStore interface {
	UserStore
	UsernameKeyStore
	SettingStore
	EventRecorder
}

// EventRecorder is EventStore.RecordEvents: for the services' acts that
// change nothing else (a refused sign-in), whose events are stored alone.
type EventRecorder interface {
	// RecordEvents is EventStore.RecordEvents.
	RecordEvents(ctx context.Context, evs ...*Event) error
}

// SessionManagerStore is what package session uses: sessions and their
// refresh tokens, the user a session belongs to (re-read at each check),
// and the recording of observed activity on both.
type SessionManagerStore interface {
	SessionStore
	// GetUser is UserStore.GetUser.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetApplication is ApplicationStore.GetApplication: an APP session
	// lives only while its application does.
	GetApplication(ctx context.Context, id string) (*Application, error)
	// RecordActivity is UserStore.RecordActivity.
	RecordActivity(ctx context.Context, batch []Activity) error
}

// DevicesStore is what package devices uses: devices, and the user they
// belong to (permitDevice and restrictDevice name a user that must exist).
type DevicesStore interface {
	DeviceStore
	// GetUser is UserStore.GetUser.
	GetUser(ctx context.Context, id string) (*User, error)
}

// AccessStore is what package access uses: roles, and the users holding a
// role that is renamed or deleted (found, then moved in one bulk patch).
type AccessStore interface {
	RoleStore
	UserLister
	// PatchUsers is UserStore.PatchUsers.
	PatchUsers(ctx context.Context, f *UserFilter, p UserPatch) (int, error)
}

// RecoveryStore is what package recovery uses: its tokens and the mail
// throttle, and the users they are about, read only (it changes users
// through package account, and queues mail and SMS through the outbox
// worker).
type RecoveryStore interface {
	RecoveryTokenStore
	ThrottleStore
	// GetUser is UserStore.GetUser.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByKey is UserStore.GetUserByKey.
	GetUserByKey(ctx context.Context, field KeyField, key string) (*User, error)
}

// EventsStore is what package events uses: the audit trail, webhooks and
// their deliveries, and the outbox that carries events to them.
type EventsStore interface {
	EventStore
	WebhookStore
	OutboxStore
}

// AvatarsStore is what package avatars uses: the images, and the user
// whose AvatarURL points at one.
type AvatarsStore interface {
	AvatarStore
	// GetUser is UserStore.GetUser.
	GetUser(ctx context.Context, id string) (*User, error)
	// UpdateUser is UserStore.UpdateUser.
	UpdateUser(ctx context.Context, id string, update func(*User) error) (*User, error)
}

// SocialStore is what package social uses: identities, the states of
// redirect flows, and the users they lead to, read only (it creates and
// signs in users through package account). DeleteUser undoes an account
// whose sign-up could not link its identity.
type SocialStore interface {
	IdentityStore
	OAuthStateStore
	EventRecorder
	// GetUser is UserStore.GetUser.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByKey is UserStore.GetUserByKey.
	GetUserByKey(ctx context.Context, field KeyField, key string) (*User, error)
	// DeleteUser is UserStore.DeleteUser.
	DeleteUser(ctx context.Context, id string) error
}

// Every Store is every consumer's store.
var (
	_ AccountStore        = Store(nil)
	_ SessionManagerStore = Store(nil)
	_ AccessStore         = Store(nil)
	_ DevicesStore        = Store(nil)
	_ RecoveryStore       = Store(nil)
	_ EventsStore         = Store(nil)
	_ AvatarsStore        = Store(nil)
	_ SocialStore         = Store(nil)
)

// TransferStore is what package transfer uses: users found by id or key
// and inserted in bulk, with their identities (imports), and listed in
// pages with their identities (exports). Updates of existing users go
// through package account.
type TransferStore interface {
	UserLister
	// CreateIdentity is IdentityStore.CreateIdentity.
	CreateIdentity(ctx context.Context, id *Identity) error
	// GetIdentity is IdentityStore.GetIdentity.
	GetIdentity(ctx context.Context, provider, subject string) (*Identity, error)
	// ListIdentities is IdentityStore.ListIdentities.
	ListIdentities(ctx context.Context, userIDs []string) ([]*Identity, error)
	// GetUser is UserStore.GetUser.
	GetUser(ctx context.Context, id string) (*User, error)
	// GetUserByKey is UserStore.GetUserByKey.
	GetUserByKey(ctx context.Context, field KeyField, key string) (*User, error)
	// CreateUser is UserStore.CreateUser.
	CreateUser(ctx context.Context, u *User) error
	// CreateUsers is UserStore.CreateUsers.
	CreateUsers(ctx context.Context, users []*User) error
}

var _ TransferStore = Store(nil)
