package account_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// The accounts of social sign-in (account/external.go): what a provider's
// identity becomes, and the sign-in rules it meets.

func (e *env) external(t *testing.T, in account.ExternalUser) *store.User {
	t.Helper()
	u, err := e.accounts.CreateExternal(e.ctx, in)
	if err != nil {
		t.Fatalf("CreateExternal(%+v): %v", in, err)
	}
	return u
}

// The provider's username when it is free and valid; else one made from
// it, the email's local part or the name, with random digits once the
// plain base is taken.
func TestCreateExternalUsernames(t *testing.T) {
	e := newEnv(t)
	e.signup(t, "ann", "")

	digits := func(base string) *regexp.Regexp { return regexp.MustCompile(`^` + base + `[0-9]{4}$`) }
	for _, c := range []struct {
		what string
		in   account.ExternalUser
		want *regexp.Regexp
	}{
		{"a free provider username", account.ExternalUser{Username: "bea"}, regexp.MustCompile(`^bea$`)},
		{"a taken provider username", account.ExternalUser{Username: "ann"}, digits("ann")},
		{"no username: the email's local part, without its +tag", account.ExternalUser{Email: "cleo+news@example.com"}, regexp.MustCompile(`^cleo$`)},
		{"an invalid username: the email's", account.ExternalUser{Username: "!", Email: "dora@example.com"}, regexp.MustCompile(`^dora$`)},
		{"nothing at all", account.ExternalUser{}, regexp.MustCompile(`^user$`)},
		{"nothing at all, again", account.ExternalUser{}, digits("user")},
	} {
		if u := e.external(t, c.in); !c.want.MatchString(u.Username) {
			t.Errorf("%s: username %q, want %v", c.what, u.Username, c.want)
		}
	}
}

// The email is verified only on the provider's word; a taken one is
// ALREADY_EXISTS on email (social decides what that means); profile
// fields the rules refuse are left out; there is no password.
func TestCreateExternalFields(t *testing.T) {
	e := newEnv(t)
	e.signup(t, "owner", "taken@example.com")

	vouched := e.external(t, account.ExternalUser{Username: "vic", Email: "vic@example.com", EmailVerified: true,
		Profile: account.Profile{FullName: "Vic Tor", AvatarURL: "javascript:alert(1)"}})
	if got := e.stored(t, vouched.ID); !got.EmailVerified || got.Email != "vic@example.com" || got.FullName != "Vic Tor" ||
		got.AvatarURL != "" || got.PasswordHash != "" || len(got.Roles) != 1 || got.Roles[0] != "user" {
		t.Errorf("vouched account: verified %v email %q fullName %q avatar %q password %v roles %v; want verified, the name, no avatar, no password, the default role",
			got.EmailVerified, got.Email, got.FullName, got.AvatarURL, got.PasswordHash != "", got.Roles)
	}
	if got := e.stored(t, e.external(t, account.ExternalUser{Email: "una@example.com"}).ID); got.EmailVerified {
		t.Error("an address the provider did not vouch for counts as verified")
	}
	_, err := e.accounts.CreateExternal(e.ctx, account.ExternalUser{Email: "TAKEN@example.com", EmailVerified: true})
	wantCode(t, "a taken address", err, apperr.AlreadyExists, "email")
}

// Under enforced verification an account without an address could never
// sign in: it is not created.
func TestCreateExternalEnforcedNeedsAnAddress(t *testing.T) {
	e := newEnv(t, func(o *options) { o.cfg.Verification = account.Verification{Mode: account.VerificationEnforce} })
	before := e.count(t, &store.UserFilter{})
	_, err := e.accounts.CreateExternal(e.ctx, account.ExternalUser{Username: "nomail"})
	wantCode(t, "no address under enforce", err, apperr.EmailNotVerified, "")
	if n := e.count(t, &store.UserFilter{}); n != before {
		t.Errorf("%d accounts after the refusal, want %d", n, before)
	}
}

// SignInExternal applies sign-in's rules: an account that is not active
// does not sign in; under enforce an unconfirmed one does not either; an
// active one gets a session and its sign-in recorded.
func TestSignInExternal(t *testing.T) {
	pending := newEnv(t, func(o *options) { o.cfg.SignupStatus = store.StatusPending })
	u := pending.external(t, account.ExternalUser{Username: "pia"})
	_, err := pending.accounts.SignInExternal(pending.ctx, u, "")
	wantCode(t, "a pending account", err, apperr.UserNotActive, "")

	enforce := newEnv(t, func(o *options) { o.cfg.Verification = account.Verification{Mode: account.VerificationEnforce} })
	u = enforce.external(t, account.ExternalUser{Username: "ula", Email: "ula@example.com"})
	_, err = enforce.accounts.SignInExternal(enforce.ctx, u, "")
	wantCode(t, "an unconfirmed account under enforce", err, apperr.EmailNotVerified, "")
	v := enforce.external(t, account.ExternalUser{Username: "val", Email: "val@example.com", EmailVerified: true})
	tok, err := enforce.accounts.SignInExternal(enforce.ctx, v, "")
	if err != nil {
		t.Fatalf("a provider-verified account under enforce: %v", err)
	}
	if p := enforce.principal(t, tok); p.UserID != v.ID {
		t.Errorf("the session is %s's, want %s's", p.UserID, v.ID)
	}
	if got := enforce.stored(t, v.ID); got.LastLoginAt.IsZero() {
		t.Error("the sign-in was not recorded (lastLoginAt)")
	}
}

// An account with no password (social sign-in only) proves itself with a
// sign-in of the last ten minutes where others give their password: it can
// delete itself and set a first password; an older session cannot, and
// once it has a password, the password is asked again.
func TestPasswordlessAccountUsesAFreshSignIn(t *testing.T) {
	e := newEnv(t)
	u := e.external(t, account.ExternalUser{Username: "nopw"})
	tok, err := e.accounts.SignInExternal(e.ctx, u, "")
	if err != nil {
		t.Fatal(err)
	}
	fresh := e.principal(t, tok)
	stale := *fresh
	opened := *fresh.Session
	opened.CreatedAt = store.Now().Add(-account.FreshSignIn - time.Minute)
	stale.Session = &opened

	wantCode(t, "deleteAccount from a session of 11 minutes ago", e.accounts.DeleteAccount(e.ctx, &stale, ""), apperr.WrongPassword, "password")
	wantCode(t, "changePassword from a session of 11 minutes ago", e.accounts.ChangePassword(e.ctx, &stale, "", goodPassword), apperr.WrongPassword, "oldPassword")

	if err := e.accounts.ChangePassword(e.ctx, fresh, "", goodPassword); err != nil {
		t.Fatalf("a first password from a fresh sign-in: %v", err)
	}
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "nopw", Password: goodPassword}); err != nil {
		t.Fatalf("login with the first password: %v", err)
	}
	wantCode(t, "deleteAccount without the password it now has", e.accounts.DeleteAccount(e.ctx, fresh, ""), apperr.WrongPassword, "password")
	if err := e.accounts.DeleteAccount(e.ctx, fresh, goodPassword); err != nil {
		t.Fatalf("deleteAccount with the password: %v", err)
	}
}
