package recovery

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Email verification: a link valid VerifyTTL, used once, confirming the
// one address it was sent to (the email, or a pending new one). The state
// of the latest verification mail is kept on the user (Kinvey's states):
// SENT or RESENT when it is queued, then what the outbox reports of its
// delivery (ObserveMail), and CONFIRMED when the link is used.

// verifyRefPrefix starts the outbox Ref of verification mails; the user id
// follows.
const verifyRefPrefix = "verify:"

// VerifyAddress queues a verification mail to address for u (account's
// notice on sign-up, on an email change, and on a sign-in refused under
// enforce). Within MailInterval of the address's last one it does nothing.
func (s *Service) VerifyAddress(ctx context.Context, u *store.User, address string) error {
	_, _, err := s.sendVerification(ctx, u, address)
	return err
}

// RequestEmailVerification mails the caller a new verification link, to
// the pending address if there is one, else to the email if it is
// unconfirmed; with nothing to confirm it does nothing. Returns
// BAD_USER_INPUT (no address), RATE_LIMITED (also within MailInterval of
// the address's last mail, with the wait).
func (s *Service) RequestEmailVerification(ctx context.Context, p *session.Principal) error {
	if err := s.limitRequest(ctx, "verify:"+p.UserID); err != nil {
		return err
	}
	u, err := s.store.GetUser(ctx, p.UserID)
	if err != nil {
		return err
	}
	return s.resend(ctx, u)
}

// SendEmailVerification is RequestEmailVerification on an administrator's
// behalf for the user with id; NOT_FOUND if there is none.
func (s *Service) SendEmailVerification(ctx context.Context, userID string) error {
	if len(userID) > maxSecretBytes {
		return errNotFound
	}
	u, err := s.store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	return s.resend(ctx, u)
}

// resend queues a verification mail to what u has to confirm.
func (s *Service) resend(ctx context.Context, u *store.User) error {
	target := account.VerifyTarget(u)
	if target == "" {
		if u.Email == "" {
			return apperr.Input("email", "the account has no email address to verify")
		}
		return nil // confirmed already
	}
	granted, next, err := s.sendVerification(ctx, u, target)
	if err != nil || granted {
		return err
	}
	return apperr.LimitedBy(apperr.RuleMailInterval, max(1, int(time.Until(next).Seconds()+0.999)))
}

// sendVerification writes a new token for address (replacing u's earlier
// one), records the mail as SENT or RESENT with its outbox id, and queues
// it; granted is false, with when the next turn is, if the address had a
// mail within MailInterval.
func (s *Service) sendVerification(ctx context.Context, u *store.User, address string) (granted bool, next time.Time, err error) {
	granted, next, err = s.store.TakeTurn(ctx, throttleKey("verify", store.FoldKey(address)), store.Now(), s.cfg.MailInterval)
	if err != nil || !granted {
		return granted, next, err
	}
	secret := newSecret()
	tok := newToken(store.PurposeVerify, u.ID, u.ID, address, s.cfg.VerifyTTL)
	tok.Hash = hashSecret(secret)
	msg, err := s.mail.NewMessage(address, mail.VerifyEmail, mail.Data{Name: nameOf(u), Email: address,
		Link: s.VerifyLink(secret), ExpiresAt: tok.ExpiresAt, TTL: s.cfg.VerifyTTL}, verifyRefPrefix+u.ID)
	if err != nil {
		return true, time.Time{}, err
	}
	if err := s.store.PutRecoveryToken(ctx, tok); err != nil {
		return true, time.Time{}, err
	}
	// The state names the message before the message exists, so no
	// outcome of it can arrive unrecognised.
	if err := s.accounts.RecordVerification(ctx, u.ID, func(v *store.EmailVerification) error {
		status := store.VerificationResent
		if v.Status == "" || v.Status == store.VerificationConfirmed {
			status = store.VerificationSent
		}
		*v = store.EmailVerification{Status: status, At: tok.CreatedAt, MessageID: msg.ID}
		return nil
	}); err != nil {
		return true, time.Time{}, err
	}
	sent := audit.New(ctx, audit.EmailVerificationSent, u.ID, nil)
	if err := s.queue.Enqueue(audit.With(ctx, sent), msg); err != nil {
		return true, time.Time{}, err
	}
	s.event(ctx, "email.verification_sent", u.ID)
	return true, time.Time{}, nil
}

// CheckVerifyToken tells whether a verification link's token would be
// accepted now, without using it (a page shows its confirm button, or
// says the link expired or was used). Errors as VerifyEmail's.
func (s *Service) CheckVerifyToken(ctx context.Context, token string) error {
	_, err := s.presentLink(ctx, store.PurposeVerify, token)
	return err
}

// VerifyEmail confirms the address a verification link was sent to: the
// token is used once; a pending address becomes the account's email;
// emailVerified becomes true, the state CONFIRMED, and the address gets a
// confirmation mail. Returns RESET_TOKEN_EXPIRED, RESET_TOKEN_INVALID
// (also when the account no longer has that address), ALREADY_EXISTS
// (another account took the pending address meanwhile), RATE_LIMITED.
func (s *Service) VerifyEmail(ctx context.Context, token string) error {
	tok, err := s.presentLink(ctx, store.PurposeVerify, token)
	if err != nil {
		return err
	}
	if err := s.use(ctx, tok); err != nil {
		return err
	}
	now := store.Now()
	u, err := s.accounts.ConfirmEmail(ctx, tok.UserID, tok.Email, now)
	if apperr.CodeOf(err) == apperr.NotFound {
		return errInvalid
	}
	if err != nil {
		return err
	}
	s.event(ctx, "email.verified", u.ID)
	msg, err := s.mail.NewMessage(u.Email, mail.EmailConfirmed, mail.Data{Name: nameOf(u), Email: u.Email, ChangedAt: now}, "confirmed:"+u.ID)
	if err != nil {
		return err
	}
	return s.queue.Enqueue(ctx, msg)
}

// ObserveMail is the outbox observer of mail: it records the delivery
// outcomes of verification mails as the user's verification state. An
// outcome of any mail but the user's latest verification mail, or one
// that arrives after the link was used, changes nothing.
func (s *Service) ObserveMail(ctx context.Context, o outbox.Outcome) {
	userID, ok := strings.CutPrefix(o.Message.Ref, verifyRefPrefix)
	if !ok {
		return
	}
	err := s.accounts.RecordVerification(ctx, userID, func(v *store.EmailVerification) error {
		if v.MessageID != o.Message.ID || v.Status == store.VerificationConfirmed {
			return errStale
		}
		v.Status, v.At = store.VerificationStatus(o.Status), store.Trunc(o.At)
		return nil
	})
	if err != nil && !errors.Is(err, errStale) && apperr.CodeOf(err) != apperr.NotFound {
		s.log.ErrorContext(ctx, "recovery: recording a verification mail's delivery failed",
			"user_id", userID, "message_id", o.Message.ID, "status", o.Status, "err", err)
	}
}

// errStale aborts the write of an outcome that is not the latest mail's.
var errStale = errors.New("recovery: not the latest verification mail")
