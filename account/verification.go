package account

import (
	"context"
	"fmt"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// Email verification as the account rules see it: whether a sign-in waits
// for a confirmed address, what a sign-up under enforcement answers, and
// when an email change waits in PendingEmail. The mails themselves (links,
// tokens, the throttle) are the recovery service's, reached through
// Notices.

// VerificationMode is USERGRAPH_EMAIL_VERIFICATION.
type VerificationMode string

// The modes of email verification.
const (
	// VerificationOff: no mail is sent by itself; an email change applies
	// at once and clears emailVerified.
	VerificationOff VerificationMode = "off"
	// VerificationSend: a verification mail on sign-up and on every email
	// change, which waits in pendingEmail until the new address confirms.
	VerificationSend VerificationMode = "send"
	// VerificationEnforce: as send, and an unconfirmed account cannot sign
	// in (EMAIL_NOT_VERIFIED); sign-up needs an email and answers no
	// tokens, and tells nothing about whether the address has an account.
	VerificationEnforce VerificationMode = "enforce"
)

// ParseVerificationMode reads off, send or enforce.
func ParseVerificationMode(s string) (VerificationMode, error) {
	switch m := VerificationMode(s); m {
	case VerificationOff, VerificationSend, VerificationEnforce:
		return m, nil
	}
	return "", fmt.Errorf("want off, send or enforce")
}

// Verification is the deployment's choice of email verification.
type Verification struct {
	Mode VerificationMode // "" is off
	// ExemptBefore: accounts created before it may sign in unconfirmed
	// under enforce (an existing user base); zero: none is exempt.
	ExemptBefore time.Time
}

// On reports whether email changes wait for confirmation and sign-ups
// get a verification mail.
func (v Verification) On() bool { return v.Mode == VerificationSend || v.Mode == VerificationEnforce }

// Enforced reports whether unconfirmed accounts are held back.
func (v Verification) Enforced() bool { return v.Mode == VerificationEnforce }

// holdsBack reports whether u may not sign in until its address is
// confirmed.
func (v Verification) holdsBack(u *store.User) bool {
	if !v.Enforced() || u.EmailVerified {
		return false
	}
	return v.ExemptBefore.IsZero() || !u.CreatedAt.Before(v.ExemptBefore)
}

// VerifyTarget is the address a verification mail for u goes to: the
// pending one, else the email while it is unconfirmed; "" when there is
// nothing to confirm.
func VerifyTarget(u *store.User) string {
	switch {
	case u.PendingEmail != "":
		return u.PendingEmail
	case !u.EmailVerified:
		return u.Email
	}
	return ""
}

var errEmailNotVerified = apperr.New(apperr.EmailNotVerified,
	"confirm your email address first: a new link is on its way to it")

// Notices is what the account rules ask of the recovery service (package
// recovery implements it): to queue the mails they call for. Each returns
// once the mail is queued, or skipped because the address had one within
// the last minute. The account rules log a failure and carry on: the
// change the mail is about has happened, and the user can ask again.
type Notices interface {
	// VerifyAddress queues a verification mail to address, u's email or
	// its pending one.
	VerifyAddress(ctx context.Context, u *store.User, address string) error
	// AddressInUse tells the owner of address that someone tried to sign
	// up with it, or to move another account to it.
	AddressInUse(ctx context.Context, address string) error
	// EmailChangeRequested tells u's current address that a change to
	// newAddress waits for confirmation.
	EmailChangeRequested(ctx context.Context, u *store.User, newAddress string) error
	// PasswordChanged tells u's address that its password was changed.
	PasswordChanged(ctx context.Context, u *store.User) error
}

// SetNotices hands the service the recovery service's mails. Wiring only,
// before the service is used; without it no mail is queued.
func (s *Service) SetNotices(n Notices) { s.notices = n }

// askToVerify queues a verification mail for u, if it has an address to
// confirm.
func (s *Service) askToVerify(ctx context.Context, u *store.User) {
	if target := VerifyTarget(u); target != "" {
		s.notify(ctx, "verification", u.ID, func(n Notices) error { return n.VerifyAddress(ctx, u, target) })
	}
}

// notify runs a notice, logging a failure instead of returning it (see
// Notices).
func (s *Service) notify(ctx context.Context, what, userID string, send func(Notices) error) {
	if s.notices == nil {
		return
	}
	if err := send(s.notices); err != nil {
		s.log.ErrorContext(ctx, "account: queueing a mail failed", "mail", what, "user_id", userID, "err", err)
	}
}

// signupTaken answers a sign-up whose address has an account, under
// enforce, exactly as a new sign-up is answered: the record built for it
// (a fresh id that leads nowhere, never stored) and no tokens. The owner
// of the address is told instead.
func (s *Service) signupTaken(ctx context.Context, u *store.User) (*store.User, error) {
	s.notify(ctx, "address in use", "", func(n Notices) error { return n.AddressInUse(ctx, u.Email) })
	return u, nil
}

// ConfirmEmail records that the owner of address followed a verification
// link sent to it at the user's request: the pending address becomes the
// email, or the current one is marked verified; either way the latest
// verification mail is CONFIRMED at at. Returns RESET_TOKEN_INVALID if
// address is neither any more (the user changed it since), ALREADY_EXISTS
// if another account took the pending address meanwhile, NOT_FOUND for an
// unknown user.
func (s *Service) ConfirmEmail(ctx context.Context, userID, address string, at time.Time) (*store.User, error) {
	key := store.FoldKey(address)
	ev := audit.By(audit.New(ctx, audit.EmailVerified, userID, nil), userID)
	return s.update(audit.With(ctx, ev), userID, func(u *store.User) error {
		switch {
		case u.PendingEmail != "" && store.FoldKey(u.PendingEmail) == key:
			u.Email, u.PendingEmail = u.PendingEmail, ""
			s.setKeys(u)
		case key != "" && u.EmailKey == key:
		default:
			return apperr.New(apperr.ResetTokenInvalid, "this link is for an address the account no longer has")
		}
		u.EmailVerified = true
		u.EmailVerification.Status, u.EmailVerification.At = store.VerificationConfirmed, at
		return nil
	})
}

// RecordVerification applies change to the state of u's latest
// verification mail, in one write that leaves UpdatedAt (a delivery's
// outcome is no edit of the account), and makes cached sessions re-read
// the user, so that me shows it at once. An error from change aborts the
// write and is returned as is; NOT_FOUND for an unknown user.
func (s *Service) RecordVerification(ctx context.Context, userID string, change func(*store.EmailVerification) error) error {
	_, err := s.store.UpdateUser(ctx, userID, func(u *store.User) error { return change(&u.EmailVerification) })
	s.sessions.ForgetUsers(userID)
	return userErr(err)
}
