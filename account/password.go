package account

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

var errWrongPassword = apperr.New(apperr.WrongPassword, "the password is wrong").OnField("password")

// FreshSignIn is how long after a sign-in an account without a password
// (social sign-in only) may do what otherwise asks for its password:
// delete itself, set a first password (changePassword, any oldPassword).
const FreshSignIn = 10 * time.Minute

var errSignInAgain = apperr.New(apperr.WrongPassword,
	"this account has no password: sign in again with its provider, then retry within 10 minutes").OnField("password")

// ChangePassword replaces the caller's password after checking the old one,
// and ends the caller's other sessions.
func (s *Service) ChangePassword(ctx context.Context, p *session.Principal, oldPassword, newPassword string) error {
	u, err := s.confirmPassword(ctx, p, oldPassword)
	if err != nil {
		return apperr.OnFieldOf(err, "oldPassword")
	}
	if err := s.checkPassword("newPassword", newPassword, u.Username, u.Email); err != nil {
		return err
	}
	hash, err := s.hash(ctx, newPassword)
	if err != nil {
		return err
	}
	ev := audit.New(ctx, audit.PasswordChanged, u.ID, nil)
	if u, err = s.update(audit.With(ctx, ev), u.ID, func(u *store.User) error {
		u.PasswordHash = hash
		return nil
	}); err != nil {
		return err
	}
	if _, err = s.sessions.RevokeUser(ctx, u.ID, p.SessionID); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "password.changed", "user_id", u.ID)
	s.notify(ctx, "password changed", u.ID, func(n Notices) error { return n.PasswordChanged(ctx, u) })
	return nil
}

// ResetPassword gives u a new password without the old one, once redeem
// (the recovery service's consumption of a reset token or code) succeeds:
// the policy is checked and the password hashed first, so a refused
// password costs the user no token. Then every session of the user ends
// and the sign-in lockout is lifted: the reset proved the owner. Returns
// WEAK_PASSWORD on newPassword, or redeem's error, changing nothing.
func (s *Service) ResetPassword(ctx context.Context, u *store.User, newPassword string, redeem func(context.Context) error) (*store.User, error) {
	if err := s.checkPassword("newPassword", newPassword, u.Username, u.Email); err != nil {
		return nil, err
	}
	hash, err := s.hash(ctx, newPassword)
	if err != nil {
		return nil, err
	}
	if err := redeem(ctx); err != nil {
		return nil, err
	}
	ev := audit.By(audit.New(ctx, audit.PasswordReset, u.ID, nil), u.ID)
	if u, err = s.update(audit.With(ctx, ev), u.ID, func(u *store.User) error {
		u.PasswordHash = hash
		return nil
	}); err != nil {
		return nil, err
	}
	if _, err := s.sessions.RevokeUser(ctx, u.ID, ""); err != nil {
		return nil, err
	}
	if u.Lockout != (store.Lockout{}) {
		if err := s.Unlock(ctx, u.ID); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// confirmPassword checks the caller's current password (rate-limited like
// logins, since a stolen session could otherwise guess it), or for an
// account without one, that the caller signed in within FreshSignIn.
func (s *Service) confirmPassword(ctx context.Context, p *session.Principal, plain string) (*store.User, error) {
	if err := checkBytes("password", plain, maxPassword); err != nil {
		return nil, err
	}
	if ok, retry := s.limits.ConfirmPerAccount.Allow("confirm:" + p.UserID); !ok {
		return nil, apperr.LimitedBy(apperr.RulePasswordConfirm, retry)
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, userErr(err)
	}
	if u.PasswordHash == "" {
		// An account made through a provider has no password to give; a
		// sign-in within FreshSignIn stands in for it (sudo mode), so such
		// an account can still delete itself or set a first password.
		if p.Session != nil && store.Now().Sub(p.Session.CreatedAt) <= FreshSignIn {
			return u, nil
		}
		if err := s.verifyDummy(ctx, plain); err != nil {
			return nil, err
		}
		return nil, errSignInAgain
	}
	ok, _, err := s.verify(ctx, u.ID, plain, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errWrongPassword
	}
	return u, nil
}
