package account

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

var errWrongPassword = apperr.New(apperr.WrongPassword, "the password is wrong").OnField("password")

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
	if _, err := s.update(ctx, u.ID, func(u *store.User) error {
		u.PasswordHash = hash
		return nil
	}); err != nil {
		return err
	}
	_, err = s.sessions.RevokeUser(ctx, u.ID, p.SessionID)
	return err
}

// confirmPassword checks the caller's current password (rate-limited like
// logins, since a stolen session could otherwise guess it).
func (s *Service) confirmPassword(ctx context.Context, p *session.Principal, plain string) (*store.User, error) {
	if err := checkBytes("password", plain, maxPassword); err != nil {
		return nil, err
	}
	if ok, retry := s.limits.ConfirmPerAccount.Allow("confirm:" + p.UserID); !ok {
		return nil, apperr.Limited(retry)
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return nil, userErr(err)
	}
	if u.PasswordHash == "" {
		if err := s.verifyDummy(ctx, plain); err != nil {
			return nil, err
		}
		return nil, errWrongPassword
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
