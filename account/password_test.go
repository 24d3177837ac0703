package account_test

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/ratelimit"
)

// changePassword needs the current password (WRONG_PASSWORD on
// oldPassword otherwise), applies the policy to the new one, and ends the
// user's other sessions, keeping the caller's. Password checks of a
// signed-in user are limited per account.
func TestChangePassword(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) {
		o.limits.ConfirmPerAccount = ratelimit.New(ratelimit.Rule{Burst: 4, Per: time.Hour})
	})
	_, tok := e.signup(t, "alice", "alice@example.com")
	other, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "alice", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	_, bobTok := e.signup(t, "bob", "")
	p := e.principal(t, tok)

	for _, c := range []struct {
		name, old, new string
		code           apperr.Code
		field          string
	}{
		{"wrong current password", "not my password", "a brand new passphrase", apperr.WrongPassword, "oldPassword"},
		{"too short", goodPassword, "short", apperr.WeakPassword, "newPassword"},
		{"the email", goodPassword, "Alice@Example.com", apperr.WeakPassword, "newPassword"},
	} {
		wantCode(t, c.name, e.accounts.ChangePassword(e.ctx, p, c.old, c.new), c.code, c.field)
	}
	e.wantLive(t, "after refused changes", other)

	if err := e.accounts.ChangePassword(e.ctx, p, goodPassword, "a brand new passphrase"); err != nil {
		t.Fatal(err)
	}
	e.wantLive(t, "the caller's session", tok)
	e.wantEnded(t, "the user's other session", other)
	e.wantLive(t, "another user's session", bobTok)
	_, err = e.accounts.Login(e.ctx, account.Credentials{Identifier: "alice", Password: goodPassword})
	wantCode(t, "login with the old password", err, apperr.InvalidCredentials, "")

	hashes := e.hashes()
	err = e.accounts.ChangePassword(e.ctx, p, "a brand new passphrase", "yet another passphrase") // the 5th check
	wantCode(t, "past the per-account limit", err, apperr.RateLimited, "")
	if n := e.hashes() - hashes; n != 0 {
		t.Errorf("a refusal past the limit ran %d hashes, want none", n)
	}
}

// deleteAccount needs the password and removes the account for good with
// its sessions; its identifiers are free again.
func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.signup(t, "alice", "alice@example.com")
	p := e.principal(t, tok)
	wantCode(t, "wrong password", e.accounts.DeleteAccount(e.ctx, p, "not my password"), apperr.WrongPassword, "password")
	e.wantLive(t, "after a refused deletion", tok)

	if err := e.accounts.DeleteAccount(e.ctx, p, goodPassword); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.GetUser(e.ctx, p.UserID); err == nil {
		t.Error("the account is still stored")
	}
	e.wantEnded(t, "the deleted account's session", tok)
	e.signup(t, "alice", "alice@example.com")
}
