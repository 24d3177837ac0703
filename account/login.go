package account

import (
	"context"
	"errors"
	"strings"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

var errBadCredentials = apperr.New(apperr.InvalidCredentials, "the identifier or the password is wrong")

// Login signs a user in by username, email or phone and password. An
// unknown identifier and a wrong password get the same answer after the same
// work; the account's status is revealed only to someone who knows the
// password.
func (s *Service) Login(ctx context.Context, identifier, plain string) (*session.Tokens, error) {
	// Bounded first: the identifier becomes a rate limiter's key, and the
	// password is hashed.
	if err := checkBytes("identifier", identifier, maxIdentifier); err != nil {
		return nil, err
	}
	if err := checkBytes("password", plain, maxPassword); err != nil {
		return nil, err
	}
	if err := s.limitLogin(ctx, identifier); err != nil {
		return nil, err
	}
	u, err := s.findByIdentifier(ctx, identifier)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.PasswordHash == "") {
		if err := s.verifyDummy(ctx, plain); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, rehash, err := s.verify(ctx, u.ID, plain, u.PasswordHash)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errBadCredentials
	}
	if !u.Active() {
		return nil, apperr.New(apperr.UserNotActive, "the account is %s", strings.ToLower(string(u.Status)))
	}
	if u, err = s.recordLogin(ctx, u, plain, rehash); err != nil {
		return nil, err
	}
	return s.sessions.Open(ctx, u, store.SessionUser)
}

// recordLogin stamps LastLoginAt and, when the stored hash is outdated
// (bcrypt, or older argon2 parameters), replaces it — one write either way.
func (s *Service) recordLogin(ctx context.Context, u *store.User, plain string, rehash bool) (*store.User, error) {
	newHash := ""
	if rehash {
		var err error
		if newHash, err = s.hash(ctx, plain); err != nil {
			return nil, err
		}
	}
	now := store.Now()
	return s.store.UpdateUser(ctx, u.ID, func(u *store.User) error {
		u.LastLoginAt = now
		if newHash != "" {
			u.PasswordHash = newHash
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

// limitLogin counts the attempt against the client's IP and the account.
func (s *Service) limitLogin(ctx context.Context, identifier string) error {
	if ok, retry := s.limits.LoginPerIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return apperr.Limited(retry)
	}
	if ok, retry := s.limits.LoginPerAccount.Allow(store.FoldKey(identifier)); !ok {
		return apperr.Limited(retry)
	}
	return nil
}
