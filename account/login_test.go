package account_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/password"
	"github.com/usergraph/usergraph/store"
	"golang.org/x/crypto/bcrypt"
)

// A user signs in by username (in any case or width), email (in any case)
// or phone number (international, or national in the configured region),
// and each sign-in is stamped as lastLoginAt.
func TestLoginIdentifiers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.PhoneRegion = "US" })
	u, _, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "Leo", Email: "Leo@Example.com", Phone: "+14155550123", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	long := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, id := range []string{"Leo", "leo", "ＬＥＯ", " leo ", "leo@example.com", "LEO@EXAMPLE.COM", "+1 415 555 0123", "(415) 555-0123"} {
		if _, err := e.db.UpdateUser(e.ctx, u.ID, func(u *store.User) error { u.LastLoginAt = long; return nil }); err != nil {
			t.Fatal(err)
		}
		tok, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: id, Password: goodPassword})
		if err != nil {
			t.Errorf("login as %q: %v", id, err)
			continue
		}
		if tok.User.ID != u.ID {
			t.Errorf("login as %q signed in %s, want %s", id, tok.User.ID, u.ID)
		}
		if got := e.stored(t, u.ID).LastLoginAt; !got.After(long) {
			t.Errorf("login as %q left lastLoginAt at %v", id, got)
		}
	}
}

// An unknown identifier, an account without a password and a wrong
// password get the same answer after the same work: one verification at
// the configured parameters. Nothing tells them apart.
func TestLoginFailuresAnswerAlike(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signup(t, "alice", "alice@example.com")
	if _, err := e.accounts.CreateUser(e.ctx, nil, account.NewUser{Username: "nopass"}); err != nil {
		t.Fatal(err)
	}
	attempt := func(id, pw string) (*apperr.Error, uint64) {
		before := e.hashes()
		_, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: id, Password: pw})
		ae, ok := apperr.As(err)
		if !ok {
			t.Fatalf("login %q: %v, want an API error", id, err)
		}
		return ae, e.hashes() - before
	}
	want, wantHashes := attempt("alice", "wrong password")
	if want.Code != apperr.InvalidCredentials || wantHashes != 1 {
		t.Fatalf("wrong password: %v after %d hashes, want INVALID_CREDENTIALS after 1", want, wantHashes)
	}
	for _, c := range []struct{ name, id string }{
		{"unknown username", "nobody"},
		{"unknown email", "nobody@example.com"},
		{"unknown phone", "+14155550199"},
		{"account without a password", "nopass"},
		{"empty identifier", ""},
		{"not a username at all", "x"},
	} {
		got, hashes := attempt(c.id, "wrong password")
		if *got != *want {
			t.Errorf("%s: %+v, want exactly the wrong password's %+v", c.name, *got, *want)
		}
		if hashes != wantHashes {
			t.Errorf("%s: %d hashes, want %d as for a wrong password", c.name, hashes, wantHashes)
		}
	}
}

// Whether an account is active is told only to whoever knows its password.
func TestLoginRevealsInactiveOnlyWithThePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, c := range []struct {
		name   string
		change func(id string) error
	}{
		{"suspended", func(id string) error { _, err := e.accounts.SetStatus(e.ctx, id, store.StatusSuspended); return err }},
		{"pending", func(id string) error { _, err := e.accounts.SetStatus(e.ctx, id, store.StatusPending); return err }},
		{"soft-deleted", func(id string) error { return e.accounts.DeleteUser(e.ctx, id, false) }},
	} {
		name := strings.ReplaceAll(c.name, "-", "")
		u, _ := e.signup(t, name, "")
		if err := c.change(u.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: name, Password: goodPassword})
		wantCode(t, c.name+", right password", err, apperr.UserNotActive, "")
		_, err = e.accounts.Login(e.ctx, account.Credentials{Identifier: name, Password: "wrong password"})
		wantCode(t, c.name+", wrong password", err, apperr.InvalidCredentials, "")
	}
}

// Identifiers and passwords are bounded before they are looked up or
// hashed.
func TestLoginBoundsInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signup(t, "alice", "")
	for _, c := range []struct {
		name  string
		creds account.Credentials
		field string
	}{
		{"identifier of 321 bytes", account.Credentials{Identifier: strings.Repeat("a", 321), Password: goodPassword}, "identifier"},
		{"password of 4097 bytes", account.Credentials{Identifier: "alice", Password: strings.Repeat("p", password.MaxPasswordBytes+1)}, "password"},
	} {
		_, err := e.accounts.Login(e.ctx, c.creds)
		wantCode(t, c.name, err, apperr.BadUserInput, c.field)
	}
	if n := e.hashes() - 1; n != 0 { // the sign-up's
		t.Errorf("refused logins ran %d hashes, want none", n)
	}
}

// A password stored as bcrypt (imported) or as argon2id at other
// parameters is replaced, at the first sign-in that proves it, by argon2id
// at the configured parameters; a wrong password changes nothing.
func TestLoginRehashesOutdatedHashes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const secret = "imported secret 42"
	bc, err := bcrypt.GenerateFromPassword([]byte(secret), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	older := cheapParams
	older.Memory = 128 // within the 4× a stored hash may cost
	argonOld, err := password.NewHasher(older, 1).Hash(context.Background(), secret)
	if err != nil {
		t.Fatal(err)
	}
	current := "$argon2id$v=19$m=64,t=1,p=1$"
	for _, c := range []struct{ name, hash string }{{"bcrypt", string(bc)}, {"older argon2id", argonOld}} {
		now := store.Now()
		u := &store.User{ID: store.NewID(), Username: strings.ReplaceAll(c.name, " ", "-"), Status: store.StatusActive,
			PasswordHash: c.hash, Roles: []string{"user"}, CreatedAt: now, UpdatedAt: now}
		u.UsernameKey = u.Username
		if err := e.db.CreateUser(e.ctx, u); err != nil {
			t.Fatal(err)
		}
		login := func(pw string) (uint64, error) {
			return e.login(t, account.Credentials{Identifier: u.Username, Password: pw})
		}

		if _, err := login("imported secret 43"); apperr.CodeOf(err) != apperr.InvalidCredentials {
			t.Fatalf("%s, wrong password: %v, want INVALID_CREDENTIALS", c.name, err)
		}
		if got := e.stored(t, u.ID).PasswordHash; got != c.hash {
			t.Fatalf("%s: a wrong password changed the stored hash to %q", c.name, got)
		}
		hashes, err := login(secret)
		if err != nil {
			t.Fatalf("%s, right password: %v", c.name, err)
		}
		rehashed := e.stored(t, u.ID).PasswordHash
		if !strings.HasPrefix(rehashed, current) {
			t.Errorf("%s: stored hash after sign-in %q, want argon2id at %s", c.name, rehashed, current)
		}
		if hashes != 2 {
			t.Errorf("%s: the upgrading sign-in ran %d hashes, want 2 (verify, hash)", c.name, hashes)
		}
		hashes, err = login(secret)
		if err != nil {
			t.Fatalf("%s, with the new hash: %v", c.name, err)
		}
		if got := e.stored(t, u.ID).PasswordHash; got != rehashed || hashes != 1 {
			t.Errorf("%s: a sign-in with a current hash ran %d hashes and changed it: %t; want 1 and unchanged", c.name, hashes, got != rehashed)
		}
	}
}
