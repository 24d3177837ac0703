package account_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/store"
)

// An ACTIVE sign-up stores the account with the default role, its keys and
// a hashed password, takes nothing privileged from the caller, and signs
// the user in at once: that first sign-in is its lastLoginAt.
func TestSignupCreatesASignedInAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, tok, err := e.accounts.Signup(e.ctx, account.NewUser{
		Username: "Alice", Email: " Alice@Example.COM ", Phone: "+1 415 555 0123", Password: goodPassword,
		Profile: account.Profile{FullName: " Alice Liddell "}, Metadata: json.RawMessage(`{"theme":"dark"}`),
		// Not the caller's to set:
		AppMetadata: json.RawMessage(`{"plan":"pro"}`), Roles: []string{"admin"}, Status: store.StatusSuspended, EmailVerified: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	got := e.stored(t, u.ID)
	for _, c := range []struct{ field, got, want string }{
		{"status", string(got.Status), "ACTIVE"},
		{"username", got.Username, "Alice"},
		{"username key", got.UsernameKey, "alice"},
		{"email", got.Email, "Alice@Example.COM"},
		{"email key", got.EmailKey, "alice@example.com"},
		{"phone", got.Phone, "+14155550123"},
		{"phone key", got.PhoneKey, "+14155550123"},
		{"full name", got.FullName, "Alice Liddell"},
		{"roles", strings.Join(got.Roles, ","), "user"},
	} {
		if c.got != c.want {
			t.Errorf("stored %s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if got.EmailVerified || !jsonEqual(t, got.AppMetadata, `{}`) || !jsonEqual(t, got.Metadata, `{"theme":"dark"}`) {
		t.Errorf("stored emailVerified %v, appMetadata %s, metadata %s; want false, {}, the caller's metadata",
			got.EmailVerified, got.AppMetadata, got.Metadata)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(got.PasswordHash, goodPassword) {
		t.Errorf("stored password hash %q, want argon2id at the configured parameters", got.PasswordHash)
	}
	if got.LastLoginAt.IsZero() || !got.LastLoginAt.Equal(got.CreatedAt) {
		t.Errorf("lastLoginAt %v, createdAt %v; want the sign-up's sign-in, at creation", got.LastLoginAt, got.CreatedAt)
	}
	if tok == nil || tok.User.ID != u.ID || tok.DeviceCookie == "" {
		t.Fatalf("tokens %+v, want a session of the new user with a device cookie", tok)
	}
	if p := e.principal(t, tok); p.UserID != u.ID {
		t.Errorf("the sign-up's access token signs in %s, want %s", p.UserID, u.ID)
	}
	if n := e.hashes(); n != 1 {
		t.Errorf("a sign-up ran %d hashes, want 1", n)
	}
}

// A PENDING sign-up gets no tokens and has not signed in; its password
// tells the owner, and only the owner, that it is not active yet.
func TestSignupPendingGetsNoTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.SignupStatus = store.StatusPending })
	u, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "pat", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if tok != nil {
		t.Errorf("a PENDING sign-up got tokens %+v", tok)
	}
	got := e.stored(t, u.ID)
	if got.Status != store.StatusPending || !got.LastLoginAt.IsZero() {
		t.Errorf("stored status %s, lastLoginAt %v; want PENDING, never signed in", got.Status, got.LastLoginAt)
	}
	_, err = e.accounts.Login(e.ctx, account.Credentials{Identifier: "pat", Password: goodPassword})
	wantCode(t, "login with the right password", err, apperr.UserNotActive, "")
	_, err = e.accounts.Login(e.ctx, account.Credentials{Identifier: "pat", Password: "wrong password"})
	wantCode(t, "login with a wrong password", err, apperr.InvalidCredentials, "")
}

// Without a default role a sign-up holds no role.
func TestSignupWithoutDefaultRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.defaultRole = "" })
	u, _ := e.signup(t, "alice", "")
	if got := e.stored(t, u.ID).Roles; len(got) != 0 {
		t.Errorf("roles %v, want none", got)
	}
}

// An identifier is taken in every spelling that finds its account: other
// case, full width, padding, another way of writing a phone number. The
// answer names the field; the first account is untouched.
func TestSignupDuplicates(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name          string
		caseSensitive bool
		first, second account.NewUser
		field         string // "": both accepted
	}{
		{"username in other case", false, account.NewUser{Username: "alice"}, account.NewUser{Username: "ALICE"}, "username"},
		{"username in full width", false, account.NewUser{Username: "alice"}, account.NewUser{Username: "ａｌｉｃｅ"}, "username"},
		{"username padded", false, account.NewUser{Username: "alice"}, account.NewUser{Username: "  alice "}, "username"},
		{"email in other case", false, account.NewUser{Email: "alice@example.com"}, account.NewUser{Email: "ALICE@Example.Com"}, "email"},
		{"email padded", false, account.NewUser{Email: "alice@example.com"}, account.NewUser{Email: " alice@example.com"}, "email"},
		{"phone written otherwise", false, account.NewUser{Username: "a1", Phone: "+14155550123"}, account.NewUser{Username: "a2", Phone: "+1 (415) 555-0123"}, "phone"},
		{"case-sensitive: other case is another name", true, account.NewUser{Username: "Alice"}, account.NewUser{Username: "alice"}, ""},
		{"case-sensitive: full width is not", true, account.NewUser{Username: "ALICE"}, account.NewUser{Username: "ＡＬＩＣＥ"}, "username"},
		{"case-sensitive: emails still fold", true, account.NewUser{Email: "alice@example.com"}, account.NewUser{Email: "Alice@example.com"}, "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *options) { o.cfg.UsernameCaseSensitive = c.caseSensitive })
			c.first.Password, c.second.Password = goodPassword, goodPassword
			first, _, err := e.accounts.Signup(e.ctx, c.first)
			if err != nil {
				t.Fatal(err)
			}
			_, tok, err := e.accounts.Signup(e.ctx, c.second)
			if c.field == "" {
				if err != nil {
					t.Fatalf("second sign-up: %v, want it accepted", err)
				}
				return
			}
			wantCode(t, "second sign-up", err, apperr.AlreadyExists, c.field)
			if tok != nil {
				t.Error("a refused sign-up got tokens")
			}
			if n := e.count(t, nil); n != 1 {
				t.Errorf("%d accounts after a refused duplicate, want 1", n)
			}
			if got := e.stored(t, first.ID); got.Username != first.Username || got.Email != first.Email || got.Phone != first.Phone {
				t.Errorf("the first account changed to %q %q %q", got.Username, got.Email, got.Phone)
			}
		})
	}
}

// Input the rules refuse is answered with its code on its field, before
// any hash is spent and with nothing stored.
func TestSignupRefusesBadInputBeforeHashing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name  string
		in    account.NewUser
		code  apperr.Code
		field string
	}{
		{"no username or email", account.NewUser{Phone: "+14155550123"}, apperr.BadUserInput, "username"},
		{"one-letter username", account.NewUser{Username: "a"}, apperr.InvalidUsername, "username"},
		{"username with @", account.NewUser{Username: "a@b"}, apperr.InvalidUsername, "username"},
		{"Latin with a Cyrillic o", account.NewUser{Username: "r\u043eot"}, apperr.InvalidUsername, "username"},
		{"email without a dotted domain", account.NewUser{Email: "alice@localhost"}, apperr.InvalidEmail, "email"},
		{"email with a display name", account.NewUser{Email: "Alice <alice@example.com>"}, apperr.InvalidEmail, "email"},
		{"phone", account.NewUser{Username: "alice", Phone: "12"}, apperr.InvalidPhone, "phone"},
		{"website not http", account.NewUser{Username: "alice", Profile: account.Profile{Website: "ftp://example.com"}}, apperr.BadUserInput, "website"},
		{"first name too long", account.NewUser{Username: "alice", Profile: account.Profile{FirstName: strings.Repeat("x", 129)}}, apperr.BadUserInput, "firstName"},
		{"65 tags", account.NewUser{Username: "alice", Tags: slices.Repeat([]string{"t"}, 65)}, apperr.BadUserInput, "tags"},
		{"metadata not an object", account.NewUser{Username: "alice", Metadata: json.RawMessage(`[1]`)}, apperr.BadUserInput, "metadata"},
		{"password too short", account.NewUser{Username: "alice", Password: "short"}, apperr.WeakPassword, "password"},
		{"no password", account.NewUser{Username: "alice", Password: "-"}, apperr.WeakPassword, "password"},
		{"password is the username", account.NewUser{Username: "alicealice", Password: "AliceAlice"}, apperr.WeakPassword, "password"},
		{"password is the email", account.NewUser{Email: "al@example.com", Password: "AL@example.com"}, apperr.WeakPassword, "password"},
		{"common password", account.NewUser{Username: "alice", Password: "password"}, apperr.WeakPassword, "password"},
	}
	for _, c := range cases {
		if c.in.Password == "" {
			c.in.Password = goodPassword
		} else if c.in.Password == "-" {
			c.in.Password = ""
		}
		_, _, err := e.accounts.Signup(e.ctx, c.in)
		wantCode(t, c.name, err, c.code, c.field)
	}
	if n := e.count(t, nil); n != 0 {
		t.Errorf("%d accounts stored after refused sign-ups, want none", n)
	}
	if n := e.hashes(); n != 0 {
		t.Errorf("refused sign-ups ran %d hashes, want none", n)
	}
}

// Sign-ups, email changes and username changes tell whether an identifier
// is taken, so they share one limit per client IP; every attempt counts,
// refused ones included, except those refused before the identifier is
// looked at.
func TestSignupLimitPerIP(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) {
		o.limits.SignupPerIP = ratelimit.New(ratelimit.Rule{Burst: 3, Per: time.Hour})
	})
	mallory := e.from("198.51.100.9")
	_, tok, err := e.accounts.Signup(mallory, account.NewUser{Username: "mallory", Password: goodPassword}) // 1
	if err != nil {
		t.Fatal(err)
	}
	p := e.principal(t, tok)
	e.signup(t, "alice", "alice@example.com") // another IP: its own allowance

	if _, _, err := e.accounts.Signup(mallory, account.NewUser{Username: "ALICE", Password: goodPassword}); apperr.CodeOf(err) != apperr.AlreadyExists { // 2
		t.Fatalf("probe of a taken name: %v, want ALREADY_EXISTS", err)
	}
	// Not counted: refused before any lookup, or no identifier claimed.
	if _, err := e.accounts.ChangeUsername(mallory, p, "x"); apperr.CodeOf(err) != apperr.InvalidUsername {
		t.Fatalf("invalid username change: %v", err)
	}
	if _, err := e.accounts.UpdateProfile(mallory, p, account.ProfileChange{FirstName: ptr("Mal")}); err != nil {
		t.Fatalf("profile change without an email: %v", err)
	}
	if _, err := e.accounts.UpdateProfile(mallory, p, account.ProfileChange{Email: ptr("alice@example.com")}); apperr.CodeOf(err) != apperr.AlreadyExists { // 3
		t.Fatalf("probe by email change: %v, want ALREADY_EXISTS", err)
	}
	hashes := e.hashes()
	for name, try := range map[string]func() error{
		"sign-up": func() error {
			_, _, err := e.accounts.Signup(mallory, account.NewUser{Username: "bob", Password: goodPassword})
			return err
		},
		"email change": func() error {
			_, err := e.accounts.UpdateProfile(mallory, p, account.ProfileChange{Email: ptr("bob@example.com")})
			return err
		},
		"username change": func() error {
			_, err := e.accounts.ChangeUsername(mallory, p, "bob")
			return err
		},
	} {
		err := try()
		wantCode(t, name+" past the limit", err, apperr.RateLimited, "")
		if e, ok := apperr.As(err); ok && e.RetryAfter <= 0 {
			t.Errorf("%s past the limit: RetryAfter %d, want a hint", name, e.RetryAfter)
		}
	}
	if n := e.hashes() - hashes; n != 0 {
		t.Errorf("refusals past the limit ran %d hashes, want none", n)
	}
	if got := e.stored(t, p.UserID); got.Username != "mallory" || got.Email != "" {
		t.Errorf("refused changes left %q %q, want mallory unchanged", got.Username, got.Email)
	}
	if _, _, err := e.accounts.Signup(e.from("203.0.113.5"), account.NewUser{Username: "bob", Password: goodPassword}); err != nil {
		t.Errorf("a sign-up from another IP: %v", err)
	}
}
