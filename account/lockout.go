package account

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The sign-in lockout (package lockout has the rules). A sign-in comes
// either from a known client, one that carries a valid device cookie for
// the account from an earlier sign-in, or from a stranger:
//   - a stranger's wrong passwords count against the account (in the
//     store, shared by every instance) or, for an identifier that matches no
//     account, against an in-memory stand-in with the same schedule; while
//     locked, strangers get RATE_LIMITED without a password check, even
//     with the right password;
//   - a known client's wrong passwords count against its cookie's own
//     budget only, and the account's lockout does not apply to it, so a
//     stranger cannot lock the owner out. A spent cookie is a stranger.
//
// A stranger's successful sign-in clears the account's lockout. A known
// client's does not: the strangers' failures are still someone else's
// guesses, and clearing them each time the owner signs in would hand that
// someone a fresh allowance.

// attempt is one sign-in as the lockout sees it.
type attempt struct {
	user      *store.User // nil: no account with a password has the identifier
	key       string      // for s.unknown, when user is nil
	deviceKey string      // a known client's cookie budget; "" for a stranger
	now       time.Time
}

func (a attempt) known() bool { return a.deviceKey != "" }

// userID is the id of the account tried, "" for an unknown identifier.
func (a attempt) userID() string {
	if a.user == nil {
		return ""
	}
	return a.user.ID
}

func (s *Service) newAttempt(ctx context.Context, u *store.User, c Credentials) attempt {
	a := attempt{user: u, now: time.Now()}
	if u == nil {
		a.key = s.unknownKey(c.Identifier)
		return a
	}
	for _, cookie := range []string{c.DeviceCookie, session.ClientFrom(ctx).DeviceCookie} {
		if key, ok := s.devices.Trusted(cookie, u.ID, a.now); ok {
			a.deviceKey = key
			break
		}
	}
	return a
}

// unknownKey keys an identifier that matches no account, normalized as
// findByIdentifier normalizes it: spellings that would find one account
// ("Bob", "bob"; "+1 415 555 0123", "+14155550123") count as one, as they
// would against that account.
func (s *Service) unknownKey(identifier string) string {
	id := strings.TrimSpace(identifier)
	switch {
	case strings.Contains(id, "@"):
		return "email:" + store.FoldKey(id)
	case looksLikePhone(id):
		if phone, err := checkPhone(id, s.cfg.PhoneRegion); err == nil {
			return "phone:" + phone
		}
	}
	if _, key, err := s.checkUsername(id); err == nil {
		return "username:" + key
	}
	return "username:" + store.FoldKey(id)
}

// refuseLocked answers RATE_LIMITED to a stranger while the account, or
// the unknown identifier, is locked.
func (s *Service) refuseLocked(a attempt) error {
	if a.known() {
		return nil
	}
	var wait time.Duration
	if a.user != nil {
		wait = s.cfg.Lockout.RetryAfter(a.user.Lockout, a.now)
	} else {
		wait = s.unknown.RetryAfter(a.key, a.now)
	}
	if wait > 0 {
		return apperr.LimitedBy(apperr.RuleLockout, int(math.Ceil(wait.Seconds())))
	}
	return nil
}

// failed counts a wrong password where the attempt's kind says and returns
// the answer: INVALID_CREDENTIALS, whatever the count now is.
//
// The login.failed event goes with the failure's count where the account
// keeps one; account.locked follows in its own write when that count
// locked the account (the count is decided inside the store's write).
func (s *Service) failed(ctx context.Context, a attempt) error {
	reason := "wrong_password"
	if a.user == nil {
		reason = "unknown_identifier"
	}
	ev := audit.New(ctx, audit.LoginFailed, a.userID(), audit.Data{"reason": reason})
	switch {
	case a.known():
		s.devices.Fail(a.deviceKey)
	case a.user == nil:
		s.unknown.Fail(a.key, a.now)
	case !s.cfg.Lockout.Off():
		before := a.user.Lockout.LockedUntil
		st, err := s.store.RecordLoginFailure(audit.With(ctx, ev), a.user.ID, func(l store.Lockout) store.Lockout {
			return s.cfg.Lockout.Fail(l, a.now)
		})
		if err != nil {
			return err
		}
		if st.LockedUntil.After(a.now) && !st.LockedUntil.Equal(before) {
			s.log.WarnContext(ctx, "account.locked: sign-in locked for clients without a device cookie",
				"user_id", a.user.ID, "until", st.LockedUntil, "failures", st.Failures)
			locked := audit.New(ctx, audit.AccountLocked, a.user.ID, audit.Data{"until": st.LockedUntil, "failures": st.Failures})
			if err := s.store.RecordEvents(ctx, locked); err != nil {
				return err
			}
		}
		return errBadCredentials
	}
	if err := s.store.RecordEvents(ctx, ev); err != nil {
		return err
	}
	return errBadCredentials
}

// loginRefused records a sign-in refused after the identifier was read
// (locked, not active, unverified, device denied) and returns answer.
func (s *Service) loginRefused(ctx context.Context, userID, reason string, answer error) error {
	if err := s.store.RecordEvents(ctx, audit.New(ctx, audit.LoginFailed, userID, audit.Data{"reason": reason})); err != nil {
		return err
	}
	return answer
}

// giveDeviceCookie hands a client that just signed in its device cookie:
// an entry for this account, ahead of the other accounts' entries the
// client already had (from LoginInput.deviceCookie or the cookie itself).
func (s *Service) giveDeviceCookie(ctx context.Context, t *session.Tokens, given string) {
	if given == "" {
		given = session.ClientFrom(ctx).DeviceCookie
	}
	t.DeviceCookie, t.DeviceCookieExpires = s.devices.Issue(t.User.ID, given, time.Now())
}

// Unlock clears a user's sign-in lockout: the administrators'
// unlockAccount. A completed password reset proves the owner as well, so
// the recovery flow calls it too. Returns NOT_FOUND for an unknown user.
func (s *Service) Unlock(ctx context.Context, userID string) error {
	ev := audit.New(ctx, audit.AccountUnlocked, userID, nil)
	if err := s.store.ClearLockout(audit.With(ctx, ev), userID); err != nil {
		return userErr(err)
	}
	s.log.InfoContext(ctx, "account.unlocked: sign-in lockout cleared", "user_id", userID)
	return nil
}

// LockedUntil returns when the lockout l (a user's) ends, as viewer may
// see it: only administrators do, and only while it runs (zero otherwise).
func (s *Service) LockedUntil(ctx context.Context, viewer *session.Principal, l store.Lockout) (time.Time, error) {
	if s.cfg.Lockout.RetryAfter(l, time.Now()) == 0 {
		return time.Time{}, nil
	}
	if admin, err := s.isAdminView(ctx, viewer); err != nil || !admin {
		return time.Time{}, err
	}
	return l.LockedUntil, nil
}
