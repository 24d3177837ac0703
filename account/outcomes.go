package account

import (
	"context"
	"log/slog"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
)

// How sign-ins end, as the operators' log and usergraph_signins_total tell
// it: finer than the client's answer, which never says whether an
// identifier exists (INVALID_CREDENTIALS for both) or why it must wait
// (RATE_LIMITED for the lockout and the limits alike). The log line says
// why; the metric's outcome is one of this fixed set.
const (
	SignInSuccess            = "success"
	SignInInvalidCredentials = "invalid_credentials" // unknown identifier, or wrong password
	SignInLocked             = "locked"              // the lockout refused a stranger
	SignInNotActive          = "not_active"          // right password, PENDING or SUSPENDED account
	SignInRateLimited        = "rate_limited"        // a per-IP limit, or no hashing slot in time
	SignInDeviceDenied       = "device_denied"       // device control: device not permitted
	SignInEmailNotVerified   = "email_not_verified"  // verification enforced, address unconfirmed
	SignInBadInput           = "bad_input"           // input out of bounds, a malformed device token
	SignInError              = "error"               // a fault (the store did not answer)
)

// SignInOutcomes are the outcomes above, for metrics that start each at 0.
func SignInOutcomes() []string {
	return []string{SignInSuccess, SignInInvalidCredentials, SignInLocked, SignInNotActive, SignInRateLimited,
		SignInDeviceDenied, SignInEmailNotVerified, SignInBadInput, SignInError}
}

// The ways of signing in the log's login lines name (their method).
const (
	methodPassword = "password" // login: an identifier and a password
	methodProvider = "provider" // social sign-in: another party vouched (SignInExternal)
)

// observeSignIn logs how a sign-in ended and counts its outcome: a
// success at info, a refusal at info with the reason, a fault at warn
// (logged in full where it is answered). Neither the identifier nor the
// password is logged: a password typed into the identifier field is a
// common slip. userID is the account signed in to, when one was found.
func (s *Service) observeSignIn(ctx context.Context, method, userID string, err error) {
	outcome, reason := signInOutcome(err, userID != "")
	if s.signIns != nil {
		s.signIns(outcome)
	}
	attrs := []slog.Attr{slog.String("outcome", outcome), slog.String("via", method),
		slog.String("client_ip", session.ClientFrom(ctx).IP)}
	if userID != "" {
		attrs = append(attrs, slog.String("user_id", userID))
	}
	switch {
	case err == nil:
		s.log.LogAttrs(ctx, slog.LevelInfo, "login.succeeded", attrs...)
	case outcome == SignInError:
		s.log.LogAttrs(ctx, slog.LevelWarn, "login.failed", attrs...)
	default:
		s.log.LogAttrs(ctx, slog.LevelInfo, "login.failed", append(attrs, slog.String("reason", reason))...)
	}
}

// signInOutcome classifies a sign-in's error: the metric's outcome, and
// the log's reason, which tells the outcomes apart further. found is
// whether an account with a password has the identifier: the client's
// INVALID_CREDENTIALS is the same either way (login.go), the log's reason
// is not.
func signInOutcome(err error, found bool) (outcome, reason string) {
	if err == nil {
		return SignInSuccess, ""
	}
	e, ok := apperr.As(err)
	if !ok || e.Code == apperr.Internal {
		return SignInError, "fault"
	}
	switch e.Code {
	case apperr.InvalidCredentials:
		if found {
			return SignInInvalidCredentials, "wrong_password"
		}
		return SignInInvalidCredentials, "unknown_identifier"
	case apperr.RateLimited:
		if e.Rule == apperr.RuleLockout {
			return SignInLocked, "locked"
		}
		return SignInRateLimited, e.Rule
	case apperr.UserNotActive:
		return SignInNotActive, e.Message
	case apperr.DeviceDenied:
		return SignInDeviceDenied, "device_denied"
	case apperr.EmailNotVerified:
		return SignInEmailNotVerified, "email_not_verified"
	}
	return SignInBadInput, string(e.Code)
}
