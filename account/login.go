package account

import (
	"context"
	"errors"
	"strings"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

var errBadCredentials = apperr.New(apperr.InvalidCredentials, "the identifier or the password is wrong")

// Credentials are what a sign-in presents.
type Credentials struct {
	Identifier string // username, email or phone
	Password   string
	// DeviceCookie is LoginInput.deviceCookie, for clients without a cookie
	// jar; the usergraph_device cookie itself comes with the request's
	// session.Client. Either one makes the client known (lockout.go).
	DeviceCookie string
	// DeviceToken is the client's own device id, for device control
	// (package devices); unrelated to the device cookie.
	DeviceToken string
}

// Login signs a user in by username, email or phone and password. An
// unknown identifier and a wrong password get the same answers after the
// same work, the lockout's included (lockout.go); the account's status is
// revealed only to someone who knows the password.
func (s *Service) Login(ctx context.Context, c Credentials) (*session.Tokens, error) {
	tokens, userID, err := s.login(ctx, c)
	s.observeSignIn(ctx, methodPassword, userID, err)
	return tokens, err
}

// login is Login, returning also the id of the account with a password
// that the identifier found, if any: the log line of the outcome names
// it, and tells a wrong password from an unknown identifier by it.
func (s *Service) login(ctx context.Context, c Credentials) (_ *session.Tokens, userID string, _ error) {
	// Bounded first: the identifier becomes a lockout key, and the password
	// is hashed.
	if err := checkBytes("identifier", c.Identifier, maxIdentifier); err != nil {
		return nil, userID, err
	}
	if err := checkBytes("password", c.Password, maxPassword); err != nil {
		return nil, userID, err
	}
	if err := s.deviceTokens.CheckToken(c.DeviceToken); err != nil {
		return nil, userID, err
	}
	if ok, retry := s.limits.LoginPerIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return nil, userID, apperr.LimitedBy(apperr.RuleLoginIP, retry)
	}
	u, err := s.findByIdentifier(ctx, c.Identifier)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, userID, err
	}
	if err != nil || u.PasswordHash == "" {
		u = nil // no account to sign in to with a password
	} else {
		userID = u.ID
	}
	a := s.newAttempt(ctx, u, c)
	if err := s.refuseLocked(a); err != nil {
		return nil, userID, s.loginRefused(ctx, a.userID(), "locked", err)
	}
	if u == nil {
		if err := s.verifyDummy(ctx, c.Password); err != nil {
			return nil, userID, err
		}
		return nil, userID, s.failed(ctx, a)
	}
	ok, rehash, err := s.verify(ctx, u.ID, c.Password, u.PasswordHash)
	if err != nil {
		return nil, userID, err
	}
	if !ok {
		return nil, userID, s.failed(ctx, a)
	}
	if !u.Active() {
		return nil, userID, s.loginRefused(ctx, u.ID, "not_active",
			apperr.New(apperr.UserNotActive, "the account is %s", strings.ToLower(string(u.Status))))
	}
	if s.cfg.Verification.holdsBack(u) {
		// Only someone who knows the password learns this, and gets the
		// link again: without a session they cannot ask for it otherwise.
		s.askToVerify(ctx, u)
		return nil, userID, s.loginRefused(ctx, u.ID, "email_not_verified", errEmailNotVerified)
	}
	// After the password: DEVICE_DENIED tells only the account's owner
	// about its devices, and is no failed password for the lockout.
	device, err := s.deviceTokens.Admit(ctx, u.ID, c.DeviceToken)
	if err != nil {
		return nil, userID, s.loginRefused(ctx, u.ID, "device_denied", err)
	}
	if u, err = s.recordLogin(ctx, u, c.Password, rehash, !a.known()); err != nil {
		return nil, userID, err
	}
	tokens, err := s.sessions.OpenOn(ctx, u, store.SessionUser, device)
	if err != nil {
		return nil, userID, err
	}
	s.giveDeviceCookie(ctx, tokens, c.DeviceCookie)
	return tokens, userID, nil
}

// recordLogin stamps LastLoginAt and, when the stored hash is outdated
// (bcrypt, or older argon2 parameters), replaces it — one write either way.
// A stranger's success also clears the account's lockout in that write
// (lockout.go says why a known client's does not); in SQLite an already
// clear lockout adds no column to it.
func (s *Service) recordLogin(ctx context.Context, u *store.User, plain string, rehash, clearLockout bool) (*store.User, error) {
	newHash := ""
	if rehash {
		var err error
		if newHash, err = s.hash(ctx, plain); err != nil {
			return nil, err
		}
	}
	ev := audit.By(audit.New(ctx, audit.LoginSucceeded, u.ID, audit.Data{"method": "password"}), u.ID)
	return s.saveLogin(ctx, u.ID, newHash, clearLockout, ev)
}

// saveLogin writes a sign-in to the user with id: its time, a new
// password hash if one is given, the lockout cleared if asked, and the
// events given (a password sign-in's login.succeeded; social sign-in
// records its own).
func (s *Service) saveLogin(ctx context.Context, id, newHash string, clearLockout bool, evs ...*store.Event) (*store.User, error) {
	now := store.Now()
	return s.store.UpdateUser(audit.With(ctx, evs...), id, func(u *store.User) error {
		u.LastLoginAt = now
		if newHash != "" {
			u.PasswordHash = newHash
		}
		if clearLockout {
			u.Lockout = store.Lockout{}
		}
		return nil
	})
}

// findByIdentifier resolves an identifier: an email if it has an '@',
// otherwise a username, otherwise (if it looks like one) a phone number.
func (s *Service) findByIdentifier(ctx context.Context, id string) (*store.User, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return nil, store.ErrNotFound
	}
	if strings.Contains(id, "@") {
		return s.store.GetUserByKey(ctx, store.KeyEmail, store.FoldKey(id))
	}
	u, err := s.findByUsername(ctx, id)
	if !errors.Is(err, store.ErrNotFound) || !looksLikePhone(id) {
		return u, err
	}
	phone, perr := checkPhone(id, s.cfg.PhoneRegion)
	if perr != nil {
		return nil, store.ErrNotFound
	}
	return s.store.GetUserByKey(ctx, store.KeyPhone, phone)
}
