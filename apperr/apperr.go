// Package apperr is the one error type that crosses layers: a stable code
// from API.md's table, the numeric status umpack clients know, and a message
// meant for people. Services return these; the GraphQL presenter and the
// plain HTTP handlers turn them into responses. Any other error is a fault
// and reaches clients only as INTERNAL.
package apperr

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error code.
type Code string

const (
	Unauthenticated    Code = "UNAUTHENTICATED"
	Forbidden          Code = "FORBIDDEN"
	UserNotActive      Code = "USER_NOT_ACTIVE"
	AlreadyExists      Code = "ALREADY_EXISTS"
	InvalidCredentials Code = "INVALID_CREDENTIALS"
	WrongPassword      Code = "WRONG_PASSWORD"
	NotFound           Code = "NOT_FOUND"
	InvalidRole        Code = "INVALID_ROLE"
	RoleExists         Code = "ROLE_EXISTS"
	InvalidPattern     Code = "INVALID_PATTERN"
	PatternExists      Code = "PATTERN_EXISTS"
	ResetTokenExpired  Code = "RESET_TOKEN_EXPIRED"
	ResetTokenInvalid  Code = "RESET_TOKEN_INVALID"
	ResetUnsupported   Code = "RESET_UNSUPPORTED"
	InvalidPhone       Code = "INVALID_PHONE"
	InvalidDevice      Code = "INVALID_DEVICE"
	DeviceDenied       Code = "DEVICE_DENIED"
	DeviceControlOff   Code = "DEVICE_CONTROL_OFF"
	InvalidUsername    Code = "INVALID_USERNAME"
	InvalidEmail       Code = "INVALID_EMAIL"
	BadUserInput       Code = "BAD_USER_INPUT"
	WeakPassword       Code = "WEAK_PASSWORD"
	EmailNotVerified   Code = "EMAIL_NOT_VERIFIED"
	IdentityNotLinked  Code = "IDENTITY_NOT_LINKED"
	LinkRequired       Code = "LINK_REQUIRED"
	LastSignInMethod   Code = "LAST_SIGN_IN_METHOD"
	OAuthFailed        Code = "OAUTH_FAILED"
	RateLimited        Code = "RATE_LIMITED"
	Internal           Code = "INTERNAL"
)

// Statuses of UNAUTHENTICATED, which tell a client what to do next.
const (
	StatusNoToken      = 606 // sign in
	StatusInvalidToken = 607 // sign in again
	StatusExpiredToken = 608 // refresh
)

// Statuses of RESET_UNSUPPORTED, which tell which way of resetting is off.
const (
	StatusNoEmailReset = 802 // USERGRAPH_RESET_BY_EMAIL is false
	StatusNoSMSReset   = 803 // no USERGRAPH_SMS_WEBHOOK_URL
)

var statuses = map[Code]int{
	Unauthenticated:    StatusNoToken,
	Forbidden:          609,
	UserNotActive:      601,
	AlreadyExists:      602,
	InvalidCredentials: 603,
	WrongPassword:      604,
	NotFound:           605,
	InvalidRole:        701,
	RoleExists:         702,
	InvalidPattern:     703,
	PatternExists:      704,
	ResetTokenExpired:  800,
	ResetTokenInvalid:  801,
	ResetUnsupported:   StatusNoEmailReset,
	InvalidPhone:       804,
	InvalidDevice:      805,
	DeviceDenied:       806,
	DeviceControlOff:   807,
	InvalidUsername:    900,
	InvalidEmail:       901,
}

// Error is an error a client can act on.
type Error struct {
	Code       Code
	Status     int    // internalStatus; 0 when the code has none
	Message    string // safe to show
	Field      string // the input field at fault, when there is one
	RetryAfter int    // seconds, for RATE_LIMITED
	// Rule names the limit that refused a RATE_LIMITED attempt (the
	// Rule… constants): for the operators' log and metrics, never shown
	// to clients.
	Rule string

	// cause is what went wrong underneath (a store sentinel, a driver
	// error): for logs and errors.Is/As, never for clients, which see
	// Message only.
	cause error
}

// Error is for logs: the code, the message and the cause.
func (e *Error) Error() string {
	if e.cause != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.cause.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the cause, so errors.Is and errors.As see through.
func (e *Error) Unwrap() error { return e.cause }

// New returns an error with code's default status.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Status: statuses[code], Message: fmt.Sprintf(format, args...)}
}

// Wrap is New with a cause. The message stays the client's; the cause's
// text reaches only the log.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	e := New(code, format, args...)
	e.cause = cause
	return e
}

// WithCause returns a copy carrying cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.cause = cause
	return &c
}

// WithStatus returns a copy with another internalStatus (e.g. 607 or 608).
func (e *Error) WithStatus(status int) *Error {
	c := *e
	c.Status = status
	return &c
}

// OnField returns a copy naming the input field at fault.
func (e *Error) OnField(field string) *Error {
	c := *e
	c.Field = field
	return &c
}

// Input is BAD_USER_INPUT on a named field.
func Input(field, format string, args ...any) *Error {
	return New(BadUserInput, format, args...).OnField(field)
}

// Limited is RATE_LIMITED with a retry hint.
func Limited(retryAfter int) *Error {
	e := New(RateLimited, "too many attempts, try again in %d seconds", retryAfter)
	e.RetryAfter = retryAfter
	return e
}

// LimitedBy is Limited by the limit named rule (one of the Rule…
// constants), which the log and usergraph_rate_limited_total report.
func LimitedBy(rule string, retryAfter int) *Error {
	e := Limited(retryAfter)
	e.Rule = rule
	return e
}

// The limits that answer RATE_LIMITED, as operators see them: the value
// of usergraph_rate_limited_total's rule label and of the refusal's log
// line. Each is named after the setting that sets it (docs/OPERATIONS.md).
const (
	RuleLoginIP         = "login_ip"         // -login-limit-ip
	RuleLockout         = "lockout"          // -login-limit-account: the sign-in lockout
	RulePasswordConfirm = "password_confirm" // -login-limit-account: changePassword, deleteAccount
	RuleLookupIP        = "lookup_ip"        // -lookup-limit-ip
	RuleSignupIP        = "signup_ip"        // -signup-limit-ip
	RuleGuestIP         = "guest_ip"         // -guest-limit-ip
	RuleApplicationIP   = "application_ip"   // -login-limit-ip, counted apart: applicationSession
	RuleOAuthIP         = "oauth_ip"         // -oauth-limit-ip: social sign-ins
	RuleRecoveryIP      = "recovery_ip"      // -recovery-limit-ip
	RuleRecoveryAccount = "recovery_account" // -recovery-limit-account
	RuleMailInterval    = "mail_interval"    // one verification mail per address a minute
	RuleHashQueue       = "hash_queue"       // -hash-queue-timeout: no hashing slot in time
)

// LimitRules are the Rule… constants.
func LimitRules() []string {
	return []string{RuleLoginIP, RuleLockout, RulePasswordConfirm, RuleLookupIP, RuleSignupIP, RuleGuestIP,
		RuleApplicationIP, RuleOAuthIP, RuleRecoveryIP, RuleRecoveryAccount, RuleMailInterval, RuleHashQueue}
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns err's code: INTERNAL for anything that is not an *Error.
func CodeOf(err error) Code {
	if e, ok := As(err); ok {
		return e.Code
	}
	return Internal
}

// IsFault reports whether err is the server's fault rather than the
// client's: any error that is not an *Error, or one coded INTERNAL. Faults
// are logged with their cause and shown to clients as INTERNAL only.
func IsFault(err error) bool {
	return err != nil && CodeOf(err) == Internal
}

// OnFieldOf names the field of err if it is an *Error; other errors pass.
func OnFieldOf(err error, field string) error {
	if e, ok := As(err); ok {
		return e.OnField(field)
	}
	return err
}
