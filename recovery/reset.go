package recovery

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Password reset by a mailed link.

// RequestPasswordReset mails a reset link to the account with this
// address. It answers nil whether or not there is one, after the same
// work (decoy.go); an address without an account gets the unknown-address
// notice instead when NoticeUnknown is on. The newest link replaces the
// older ones; an address gets at most one mail per MailInterval (a
// request within it changes nothing). The current password keeps working
// until a reset completes. Returns RESET_UNSUPPORTED (802) when reset by
// email is off, INVALID_EMAIL, RATE_LIMITED.
func (s *Service) RequestPasswordReset(ctx context.Context, email string) error {
	if !s.cfg.ResetByEmail {
		return errNoEmailReset
	}
	addr, err := account.CheckEmail(email)
	if err != nil {
		return err
	}
	key := store.FoldKey(addr)
	if err := s.limitRequest(ctx, "reset:"+key); err != nil {
		return err
	}
	u, err := s.findByEmail(ctx, key)
	if err != nil {
		return err
	}
	if granted, _, err := s.store.TakeTurn(ctx, throttleKey("reset", key), store.Now(), s.cfg.MailInterval); err != nil || !granted {
		return err
	}
	secret := newSecret()
	var tok *store.RecoveryToken
	if u != nil {
		tok = newToken(store.PurposeReset, u.ID, u.ID, u.Email, s.cfg.ResetTTL)
	} else {
		tok = newToken(store.PurposeReset, decoySubject(key), "", "", s.cfg.ResetTTL)
	}
	tok.Hash = hashSecret(secret)
	if err := s.store.PutRecoveryToken(ctx, tok); err != nil {
		return err
	}
	msg, err := s.resetMessage(ctx, u, addr, secret, tok)
	if err != nil {
		return err
	}
	if err := s.queue.Enqueue(s.withRequested(ctx, u), msg); err != nil {
		return err
	}
	if u != nil {
		s.event(ctx, "password.reset_requested", u.ID)
	}
	return nil
}

// resetMessage is what a reset request queues: the link for an account,
// the unknown-address notice, or a decoy.
func (s *Service) resetMessage(ctx context.Context, u *store.User, addr, secret string, tok *store.RecoveryToken) (*store.OutboxMessage, error) {
	switch {
	case u != nil:
		return s.mail.NewMessage(u.Email, mail.ResetPassword, mail.Data{Name: nameOf(u), Email: u.Email,
			Link: s.ResetLink(secret), ExpiresAt: tok.ExpiresAt, TTL: s.cfg.ResetTTL}, "reset:"+u.ID)
	case s.cfg.NoticeUnknown:
		return s.mail.NewMessage(addr, mail.ResetUnknownAddress, mail.Data{Email: addr, RequestedAt: tok.CreatedAt,
			IP: session.ClientFrom(ctx).IP}, "reset-unknown")
	}
	return newDecoy(), nil
}

// findByEmail returns the account that may recover by the address with
// key, or nil: none, or one that is suspended or deleted (it is answered
// as no account).
func (s *Service) findByEmail(ctx context.Context, key string) (*store.User, error) {
	u, err := s.store.GetUserByKey(ctx, store.KeyEmail, key)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case !recoverable(u):
		return nil, nil
	}
	return u, nil
}

// recoverable reports whether u may recover its account: not suspended,
// not deleted (a PENDING account may: its activation is another matter).
func recoverable(u *store.User) bool {
	return u.Status != store.StatusSuspended && !u.Deleted()
}

// CheckResetToken tells whether a reset link's token would be accepted
// now, without using it (a page shows the form, or says the link expired
// or was used). Returns nil, RESET_TOKEN_EXPIRED, RESET_TOKEN_INVALID,
// RESET_UNSUPPORTED (802) or RATE_LIMITED; each call counts as a check.
func (s *Service) CheckResetToken(ctx context.Context, token string) error {
	if !s.cfg.ResetByEmail {
		return errNoEmailReset
	}
	_, err := s.presentLink(ctx, store.PurposeReset, token)
	return err
}

// ResetPassword sets a new password with a reset link's token: the token
// is used once, every session of the user ends, the sign-in lockout is
// lifted, and a "password changed" mail goes out. Returns WEAK_PASSWORD
// (field newPassword; the token stays usable), RESET_TOKEN_EXPIRED,
// RESET_TOKEN_INVALID, RESET_UNSUPPORTED (802), RATE_LIMITED.
func (s *Service) ResetPassword(ctx context.Context, token, newPassword string) error {
	if !s.cfg.ResetByEmail {
		return errNoEmailReset
	}
	tok, err := s.presentLink(ctx, store.PurposeReset, token)
	if err != nil {
		return err
	}
	return s.reset(ctx, tok, newPassword)
}

// reset applies a new password with a token found valid.
func (s *Service) reset(ctx context.Context, tok *store.RecoveryToken, newPassword string) error {
	u, err := s.tokenUser(ctx, tok)
	if err != nil {
		return err
	}
	u, err = s.accounts.ResetPassword(ctx, u, newPassword, func(ctx context.Context) error { return s.use(ctx, tok) })
	if err != nil {
		return err
	}
	s.event(ctx, "password.reset", u.ID)
	return s.PasswordChanged(ctx, u)
}

// presentLink finds the valid token a link carries: limited per client
// and per token subject; RESET_TOKEN_INVALID if it is unknown, replaced,
// used or a decoy, RESET_TOKEN_EXPIRED if it expired.
func (s *Service) presentLink(ctx context.Context, purpose store.TokenPurpose, token string) (*store.RecoveryToken, error) {
	if err := s.limitCheck(ctx); err != nil {
		return nil, err
	}
	if token == "" || len(token) > maxSecretBytes {
		return nil, errInvalid
	}
	tok, err := s.store.FindRecoveryToken(ctx, purpose, hashSecret(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, errInvalid
	}
	if err != nil {
		return nil, err
	}
	if err := s.limitCheckOf("subject:" + tok.Subject); err != nil {
		return nil, err
	}
	return tok, valid(tok)
}

// valid answers whether a token found may still be used: not a decoy,
// and usable.
func valid(tok *store.RecoveryToken) error {
	if tok.UserID == "" {
		return errInvalid
	}
	return usable(tok)
}

// usable answers whether a token is neither used (or burnt) nor expired.
func usable(tok *store.RecoveryToken) error {
	switch {
	case !tok.UsedAt.IsZero():
		return errInvalid
	case !store.Now().Before(tok.ExpiresAt):
		return errExpired
	}
	return nil
}

// use redeems a token once: RESET_TOKEN_INVALID if another request used
// it first or a newer one replaced it.
func (s *Service) use(ctx context.Context, tok *store.RecoveryToken) error {
	err := s.store.UseRecoveryToken(ctx, tok.ID, store.Now())
	if errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrNotFound) {
		return errInvalid
	}
	return err
}

// tokenUser is the account a valid token acts on; RESET_TOKEN_INVALID if
// it is gone or may no longer recover.
func (s *Service) tokenUser(ctx context.Context, tok *store.RecoveryToken) (*store.User, error) {
	u, err := s.store.GetUser(ctx, tok.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !recoverable(u)) {
		return nil, errInvalid
	}
	return u, err
}

// nameOf is the name a mail greets u by.
func nameOf(u *store.User) string { return mail.NameOf(u.FirstName, u.Username) }
