package recovery

import (
	"context"
	"errors"
	"fmt"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/sms"
	"github.com/usergraph/usergraph/store"
)

// Password reset by an SMS code (umpack's SMS key): six digits, bound to
// the user named, valid SMSCodeTTL, burnt by the sixth wrong try.
//
// A caller learns nothing about whether the username exists or has a
// phone: a name without both gets a decoy code (decoy.go), stored and
// checked exactly like a real one, expiring and burning the same way; it
// was only never sent, so no code redeems it.

// maxUsernameBytes bounds a typed username before it is normalized.
const maxUsernameBytes = 256

// RequestPasswordResetBySms texts a new code to the phone of the user
// named. It answers nil whether or not the user or a phone exists, after
// the same work. A new code replaces the older one; a username gets at
// most one SMS per MailInterval. Returns RESET_UNSUPPORTED (803) when SMS
// is not configured, BAD_USER_INPUT, RATE_LIMITED.
func (s *Service) RequestPasswordResetBySms(ctx context.Context, username string) error {
	if s.sms == nil {
		return errNoSMSReset
	}
	key, err := s.usernameKey(username)
	if err != nil {
		return err
	}
	if err := s.limitRequest(ctx, "sms:"+key); err != nil {
		return err
	}
	u, err := s.findByUsername(ctx, username)
	if err != nil {
		return err
	}
	if granted, _, err := s.store.TakeTurn(ctx, throttleKey("sms", key), store.Now(), s.cfg.MailInterval); err != nil || !granted {
		return err
	}
	tok := newToken(store.PurposeResetSMS, decoySubject(key), "", "", s.cfg.SMSCodeTTL)
	if u != nil {
		tok.Subject, tok.UserID = u.ID, u.ID
	}
	code := newCode()
	tok.Hash = hashCode(tok.ID, code)
	if err := s.store.PutRecoveryToken(ctx, tok); err != nil {
		return err
	}
	msg := newDecoy()
	if u != nil {
		if msg, err = s.sms.NewMessage(sms.Message{Type: sms.TypePasswordResetCode, To: u.Phone,
			Text: s.codeText(code), Code: code, ExpiresAt: tok.ExpiresAt, App: s.cfg.AppName}, "reset-sms:"+u.ID); err != nil {
			return err
		}
	}
	if err := s.queue.Enqueue(s.withRequested(ctx, u), msg); err != nil {
		return err
	}
	if u != nil {
		s.event(ctx, "password.reset_requested", u.ID)
	}
	return nil
}

// codeText is the SMS a code goes out in.
func (s *Service) codeText(code string) string {
	return fmt.Sprintf("%s: your password reset code is %s. It works once, for %s. If you did not ask for it, ignore this message.",
		s.cfg.AppName, code, mail.HumanDuration(s.cfg.SMSCodeTTL))
}

// ResetPasswordWithCode sets a new password with the code texted for
// username: used once; every session ends, the lockout is lifted, and a
// "password changed" mail goes to the account's address. A wrong code is
// RESET_TOKEN_INVALID, and the sixth burns the code: the right one is then
// refused too. Returns also RESET_TOKEN_EXPIRED, WEAK_PASSWORD (the code
// stays usable), RESET_UNSUPPORTED (803), RATE_LIMITED.
func (s *Service) ResetPasswordWithCode(ctx context.Context, username, code, newPassword string) error {
	if s.sms == nil {
		return errNoSMSReset
	}
	key, err := s.usernameKey(username)
	if err != nil {
		return err
	}
	if err := s.limitCheck(ctx); err != nil {
		return err
	}
	if err := s.limitCheckOf("sms:" + key); err != nil {
		return err
	}
	if code == "" || len(code) > maxCodeBytes {
		return errInvalid
	}
	u, err := s.findByUsername(ctx, username)
	if err != nil {
		return err
	}
	subject := decoySubject(key)
	if u != nil {
		subject = u.ID
	}
	tok, err := s.store.GetRecoveryToken(ctx, store.PurposeResetSMS, subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errInvalid
	case err != nil:
		return err
	}
	// A decoy answers as a real code would until the code is compared.
	if err := usable(tok); err != nil {
		return err
	}
	if !codeMatches(tok, code) {
		if _, err := s.store.FailRecoveryToken(ctx, tok.ID, store.Now(), maxCodeFailures); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return errInvalid
	}
	if tok.UserID == "" {
		return errInvalid // guessed a decoy's code: there is no account behind it
	}
	return s.reset(ctx, tok, newPassword)
}

// findByUsername returns the user who may get a code by SMS, or nil: no
// such user, none with a phone, or one that may not recover.
func (s *Service) findByUsername(ctx context.Context, username string) (*store.User, error) {
	u, err := s.accounts.FindUsername(ctx, username)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case u.Phone == "" || !recoverable(u):
		return nil, nil
	}
	return u, nil
}

// usernameKey is the normalized form of a typed username: the key of its
// limits, throttle and decoy.
func (s *Service) usernameKey(username string) (string, error) {
	if username == "" || len(username) > maxUsernameBytes {
		return "", apperr.Input("username", "a username of at most %d bytes is required", maxUsernameBytes)
	}
	return s.accounts.IdentifierKey(username), nil
}
