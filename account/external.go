package account

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Accounts of people another party vouched for: social sign-in (package
// social) verifies an identity at a provider, decides which account it
// leads to, and calls these two for the account rules, which are the same
// as a password's: sign-up's defaults and limits, and sign-in's status,
// email verification and device control. The password lockout does not
// apply: no password is tried.

// ExternalUser is an account to create from a provider's identity.
type ExternalUser struct {
	// Username is the provider's (preferred_username, a GitHub login), ""
	// if none: kept when it passes the username rules and is free, else
	// one is made from the email or the name (externalUsernames).
	Username string
	Email    string
	// EmailVerified: the provider says the address is its owner's.
	EmailVerified bool
	// Profile fields the provider gave; one that the rules refuse (too
	// long, not an http URL) is left out rather than refusing the sign-up.
	Profile     Profile
	DeviceToken string
}

// maxUsernameTries bounds the usernames one external sign-up tries.
const maxUsernameTries = 8

// CreateExternal creates the account of an external sign-up, as Signup
// does without a password: limited per client IP, the configured status
// and the default role, and under device control refused with
// DEVICE_DENIED before anything is created (devices.AdmitNewAccount).
// Under enforced verification an address is required (EMAIL_NOT_VERIFIED
// without one: the account could never sign in), and the verification
// link is SignInExternal's to send. Returns ALREADY_EXISTS
// on the field email if the address has an account; the caller decides
// what that means. The session is SignInExternal's, once the caller has
// linked the identity.
func (s *Service) CreateExternal(ctx context.Context, in ExternalUser) (*store.User, error) {
	if err := s.limitSignup(ctx); err != nil {
		return nil, err
	}
	if err := s.deviceTokens.AdmitNewAccount(in.DeviceToken); err != nil {
		return nil, err
	}
	email := ""
	if e, err := checkEmail(in.Email); err == nil && in.Email != "" {
		email = e
	}
	if s.cfg.Verification.Enforced() && email == "" {
		return nil, apperr.New(apperr.EmailNotVerified,
			"the provider gave no email address, and one must be confirmed before signing in: sign up with an address instead")
	}
	nu := NewUser{Email: email, EmailVerified: in.EmailVerified && email != "", Profile: s.keepValidProfile(in.Profile),
		Status: s.cfg.SignupStatus, Roles: []string{}}
	if r := s.access.DefaultRole(); r != "" {
		nu.Roles = []string{r}
	}
	u, err := s.createWithUsername(ctx, nu, s.externalUsernames(in.Username, email, in.Profile))
	if err != nil {
		return nil, err
	}
	// Under enforce the sign-in that follows holds the account back and
	// asks for the link itself (SignInExternal); asking here too would
	// send two links, the first dead on arrival (a new one replaces it).
	if s.cfg.Verification.On() && !s.cfg.Verification.Enforced() {
		s.askToVerify(ctx, u)
	}
	return u, nil
}

// createWithUsername creates nu under the first of names that is free.
func (s *Service) createWithUsername(ctx context.Context, nu NewUser, names func(try int) string) (*store.User, error) {
	for try := range maxUsernameTries {
		nu.Username = names(try)
		u, err := s.record(nu) // no password: nothing to hash
		if err != nil {
			return nil, err
		}
		err = s.store.CreateUser(ctx, u)
		if store.ConflictField(err) == store.FieldUsername {
			continue
		}
		if err != nil {
			return nil, userErr(err)
		}
		return u, nil
	}
	return nil, fmt.Errorf("account: no free username in %d tries", maxUsernameTries) // a fault: 10^6 names per base
}

// externalUsernames returns the username to try at each attempt: the
// provider's while it passes the rules, then a base made from it, the
// email's local part or the name, with random digits from the second
// try on ("ann", "ann4821", "ann730265", …). Every name returned passes
// checkUsername.
func (s *Service) externalUsernames(given, email string, p Profile) func(try int) string {
	local, _, _ := strings.Cut(email, "@")
	local, _, _ = strings.Cut(local, "+") // ann+news@ is ann
	base := "user"
	for _, from := range []string{given, local, p.FullName, p.FirstName} {
		if b := usernameBase(from); b != "" {
			if _, _, err := s.checkUsername(b); err == nil {
				base = b
				break
			}
		}
	}
	return func(try int) string {
		if try == 0 {
			if _, _, err := s.checkUsername(given); err == nil && given != "" {
				return given
			}
			return base
		}
		digits := 4
		if try > 2 {
			digits = 6
		}
		return base + randomDigits(digits)
	}
}

// usernameBase keeps what the username rules allow of s: letters, digits,
// '.', '_' and '-', starting with a letter or digit, at most 56
// characters (room for digits); "" if fewer than two remain.
func usernameBase(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		alnum := unicode.IsLetter(r) || unicode.IsNumber(r)
		if !alnum && (b.Len() == 0 || !strings.ContainsRune("._-", r)) {
			continue
		}
		b.WriteRune(r)
		if n++; n == 56 {
			break
		}
	}
	out := strings.TrimRight(b.String(), "._-")
	if utf8.RuneCountInString(out) < 2 {
		return ""
	}
	return out
}

func randomDigits(n int) string {
	b := make([]byte, n)
	for i := range b {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + d.Int64())
	}
	return string(b)
}

// keepValidProfile drops the fields the profile rules refuse.
func (s *Service) keepValidProfile(p Profile) Profile {
	keep := func(field, v string) string {
		if out, err := checkText(field, v); err == nil {
			return out
		}
		return ""
	}
	return Profile{FirstName: keep("firstName", p.FirstName), LastName: keep("lastName", p.LastName),
		FullName: keep("fullName", p.FullName), AvatarURL: keep("avatarUrl", p.AvatarURL)}
}

// SignInExternal signs in u, whose identity a provider vouched for, by the
// rules of a password sign-in after its password check: USER_NOT_ACTIVE
// for an account that is not active, EMAIL_NOT_VERIFIED while enforced
// verification holds it back (the link is sent again), device control
// (Admit: INVALID_DEVICE, DEVICE_DENIED); then the sign-in is recorded and
// a session opened, with a device cookie. Its outcome is logged and
// counted as a password sign-in's, with via=provider.
func (s *Service) SignInExternal(ctx context.Context, u *store.User, deviceToken string) (tokens *session.Tokens, err error) {
	userID := u.ID
	defer func() { s.observeSignIn(ctx, methodProvider, userID, err) }()
	if err := s.deviceTokens.CheckToken(deviceToken); err != nil {
		return nil, err
	}
	if !u.Active() {
		return nil, apperr.New(apperr.UserNotActive, "the account is %s", strings.ToLower(string(u.Status)))
	}
	if s.cfg.Verification.holdsBack(u) {
		s.askToVerify(ctx, u)
		return nil, errEmailNotVerified
	}
	device, err := s.deviceTokens.Admit(ctx, u.ID, deviceToken)
	if err != nil {
		return nil, err
	}
	if u, err = s.saveLogin(ctx, u.ID, "", false); err != nil {
		return nil, userErr(err)
	}
	if tokens, err = s.sessions.OpenOn(ctx, u, store.SessionUser, device); err != nil {
		return nil, err
	}
	s.giveDeviceCookie(ctx, tokens, "")
	return tokens, nil
}
