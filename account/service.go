// Package account holds the rules for user accounts: sign-up, sign-in,
// profiles, passwords, and the administration of users. It knows nothing of
// GraphQL; resolvers, the command line and hosted pages all call it.
package account

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/lockout"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Config holds the account rules a deployment chooses.
type Config struct {
	SignupStatus          store.Status // ACTIVE or PENDING
	UsernameCaseSensitive bool
	PhoneRegion           string // for numbers given without +country
	MetadataMaxBytes      int
	MaxFilterWidth        int            // branches of one and/or, items of one list (0: store.DefaultFilterWidth)
	BootstrapToken        string         // from configuration; empty: generated at first start
	Lockout               lockout.Policy // the sign-in lockout of accounts (zero: none)
	Verification          Verification   // email verification (zero: off)
	Guests                GuestConfig    // guests' role and idle lifetime (guest.go)
	DiscoveryByEmail      bool           // discoverUsers finds users by exact email (discover.go)
}

// Limits are the brute-force limits (nil limiters allow everything).
type Limits struct {
	LoginPerIP        *ratelimit.Limiter
	ConfirmPerAccount *ratelimit.Limiter // a signed-in user's password checks (changePassword, deleteAccount)
	LookupPerIP       *ratelimit.Limiter // usernameExists
	SignupPerIP       *ratelimit.Limiter // sign-ups and email changes, which tell whether an address is taken
	GuestPerIP        *ratelimit.Limiter // loginAsGuest, each of which stores an account
}

// Service is the account service.
type Service struct {
	store    store.AccountStore
	hasher   *password.Hasher
	policy   password.Policy
	sessions *session.Manager
	access   *access.Service
	limits   Limits
	cfg      Config
	log      *slog.Logger
	unknown  *lockout.Unknown // the lockout of identifiers that match no account
	devices  *lockout.Devices
	notices  Notices // the mails account rules call for (verification.go); nil: none
	// deviceTokens are the devices of device control (package devices),
	// known by the client's device token: unrelated to device cookies.
	deviceTokens *devices.Service
	avatars      Avatars              // nil: no uploaded avatars
	signIns      func(outcome string) // counts each sign-in's outcome; nil: not counted

	filterLimits store.FilterLimits // what a client's filter may be
	adminChanges adminLock          // serializes the changes that can remove an administrator (lastadmin.go)
}

// Deps are the services an account service builds on.
type Deps struct {
	Store    store.AccountStore
	Hasher   *password.Hasher
	Policy   password.Policy
	Sessions *session.Manager
	Access   *access.Service
	Limits   Limits
	Devices  *lockout.Devices // nil: no device cookies (tools that sign no one in)
	// DeviceTokens records the devices of every way in and applies device
	// control (required).
	DeviceTokens *devices.Service
	Avatars      Avatars // told of replaced avatar URLs; nil: none
	Log          *slog.Logger
	// SignIns counts each sign-in's outcome (one of SignInOutcomes:
	// usergraph_signins_total); nil: not counted.
	SignIns func(outcome string)
}

// New returns the account service.
func New(d Deps, cfg Config) *Service {
	if cfg.MetadataMaxBytes <= 0 {
		cfg.MetadataMaxBytes = 64 << 10
	}
	if cfg.SignupStatus == "" {
		cfg.SignupStatus = store.StatusActive
	}
	if cfg.Guests.TTL <= 0 {
		cfg.Guests.TTL = DefaultGuestTTL
	}
	return &Service{store: d.Store, hasher: d.Hasher, policy: d.Policy, sessions: d.Sessions,
		access: d.Access, limits: d.Limits, cfg: cfg, log: d.Log,
		unknown: lockout.NewUnknown(cfg.Lockout), devices: d.Devices, deviceTokens: d.DeviceTokens, avatars: d.Avatars,
		signIns: d.SignIns, filterLimits: store.ClientFilterLimits(cfg.MaxFilterWidth), adminChanges: newAdminLock()}
}

// setKeys recomputes a user's email and phone keys from its identifiers.
// The username key is set with the username only (setUsername): an account
// whose old key the migration kept must keep it through other changes.
func (s *Service) setKeys(u *store.User) {
	u.EmailKey = store.FoldKey(u.Email)
	u.PhoneKey = u.Phone // already E.164
}

// checkPassword applies the password policy, naming the field.
func (s *Service) checkPassword(field, pw string, related ...string) error {
	if err := s.policy.Check(pw, related...); err != nil {
		var weak *password.WeakPasswordError
		if errors.As(err, &weak) {
			return apperr.New(apperr.WeakPassword, "%s", weak.Reason).OnField(field)
		}
		return err
	}
	return nil
}

// userErr translates store errors about a user, keeping them as causes.
func userErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return apperr.Wrap(apperr.NotFound, err, "no such user")
	case errors.Is(err, store.ErrAlreadyExists):
		field := store.ConflictField(err)
		if field == store.FieldID {
			return err // a generated id collided: a fault, not the client's
		}
		return apperr.Wrap(apperr.AlreadyExists, err, "that %s is already taken", field).OnField(field)
	case errors.Is(err, store.ErrInvalid):
		return apperr.Wrap(apperr.BadUserInput, err, "%s", strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": "))
	}
	return err
}

// isAdminView reports whether a caller may see every user's private fields
// (the same permission that lists users). A permission check that fails is
// an error, not a "no": the caller would see less without anyone knowing why.
func (s *Service) isAdminView(ctx context.Context, viewer *session.Principal) (bool, error) {
	return s.access.Allowed(ctx, viewer.Roles(), access.ResourceUsers, store.VerbGet)
}

// update runs a read-modify-write of one user, stamps UpdatedAt, translates
// errors and makes cached sessions re-read the user.
func (s *Service) update(ctx context.Context, id string, change func(*store.User) error) (*store.User, error) {
	var avatar string // before the change: the last run's is the one written
	u, err := s.store.UpdateUser(ctx, id, func(u *store.User) error {
		avatar = u.AvatarURL
		if err := change(u); err != nil {
			return err
		}
		u.UpdatedAt = store.Now()
		return nil
	})
	s.sessions.ForgetUsers(id)
	if err == nil && u.AvatarURL != avatar && s.avatars != nil {
		s.avatars.Release(ctx, id, avatar)
	}
	return u, userErr(err)
}

// Avatars is told of an avatarUrl that a change (updateProfile,
// updateUser) replaced, so that an uploaded image nobody points at any
// more is deleted (avatars.Service): else uploading and setting a URL in
// turn would pile images up.
type Avatars interface {
	// Release deletes the user's uploaded avatar that url names, if it
	// names one; failures are the implementation's to log.
	Release(ctx context.Context, userID, url string)
}

// inputErr turns a store validation error into BAD_USER_INPUT on field.
func inputErr(field string, err error) error {
	msg := strings.TrimPrefix(err.Error(), store.ErrInvalid.Error()+": ")
	return apperr.Input(field, "%s", msg)
}

func ptr[T any](v T) *T { return &v }
