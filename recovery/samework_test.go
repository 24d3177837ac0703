package recovery_test

import (
	"slices"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/store"
)

// A request that names an account by what a client typed does the same
// store work, call for call and in the same order, whether the account
// exists or not (decoy.go). Each case also pins the calls themselves, so
// that a path doing nothing at all cannot pass as "the same".

// sameWork fails unless both runs made exactly want.
func sameWork(t *testing.T, what string, known, unknown, want []string) {
	t.Helper()
	if !slices.Equal(known, unknown) {
		t.Errorf("%s: an existing account costs %v, an unknown one %v: the work tells them apart", what, known, unknown)
	}
	if !slices.Equal(known, want) {
		t.Errorf("%s: the store calls are %v, want %v", what, known, want)
	}
}

func TestRequestPasswordResetDoesTheSameWork(t *testing.T) {
	for _, notice := range []bool{false, true} {
		e := newEnv(t, recovery.Config{NoticeUnknown: notice})
		e.signup(t, account.NewUser{Username: "ann", Email: "ann@example.com"})
		known := e.work(t, func() error { return e.recovery.RequestPasswordReset(e.ctx, "Ann@Example.com") })
		unknown := e.work(t, func() error { return e.recovery.RequestPasswordReset(e.ctx, "nobody@example.com") })
		sameWork(t, "a reset request", known, unknown, []string{"GetUserByKey", "TakeTurn", "PutRecoveryToken", "EnqueueOutbox"})

		// Within the minute, both addresses get nothing, after the same
		// work again.
		known = e.work(t, func() error { return e.recovery.RequestPasswordReset(e.ctx, "ann@example.com") })
		unknown = e.work(t, func() error { return e.recovery.RequestPasswordReset(e.ctx, "nobody@example.com") })
		sameWork(t, "a reset request within the minute", known, unknown, []string{"GetUserByKey", "TakeTurn"})

		mails, decoys := len(e.queued(t, "mail")), len(e.queued(t, recovery.DecoyKind))
		if want := map[bool]int{false: 1, true: 2}[notice]; mails != want || decoys != 2-want {
			t.Errorf("notice for unknown addresses %v: %d mails and %d decoys queued, want %d and %d", notice, mails, decoys, want, 2-want)
		}
	}
}

func TestForgotUsernameDoesTheSameWork(t *testing.T) {
	e := newEnv(t, recovery.Config{})
	e.signup(t, account.NewUser{Username: "ann", Email: "ann@example.com"})
	known := e.work(t, func() error { return e.recovery.ForgotUsername(e.ctx, "ann@example.com") })
	unknown := e.work(t, func() error { return e.recovery.ForgotUsername(e.ctx, "nobody@example.com") })
	sameWork(t, "forgotUsername", known, unknown, []string{"GetUserByKey", "TakeTurn", "EnqueueOutbox"})
	if mails, decoys := len(e.queued(t, "mail")), len(e.queued(t, recovery.DecoyKind)); mails != 1 || decoys != 1 {
		t.Errorf("%d mails and %d decoys queued, want 1 and 1", mails, decoys)
	}
}

// An SMS request costs the same for a user with a phone, a user without
// one, and a name nobody has; so does a wrong code for each.
func TestSmsResetDoesTheSameWork(t *testing.T) {
	e := newEnv(t, recovery.Config{})
	e.signup(t, account.NewUser{Username: "ann", Phone: "+14155550123"})
	e.signup(t, account.NewUser{Username: "bob", Email: "bob@example.com"})
	request := func(name string) []string {
		return e.work(t, func() error { return e.recovery.RequestPasswordResetBySms(e.ctx, name) })
	}
	withPhone, noPhone, nobody := request("ann"), request("bob"), request("nobody")
	want := []string{"GetUserByKey", "TakeTurn", "PutRecoveryToken", "EnqueueOutbox"}
	sameWork(t, "an SMS request (no phone)", withPhone, noPhone, want)
	sameWork(t, "an SMS request (no such user)", withPhone, nobody, want)

	code := e.lastSMS(t).Code
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	check := func(name string) []string {
		e.calls.start()
		err := e.recovery.ResetPasswordWithCode(e.ctx, name, wrong, "a new password for "+name)
		wantCode(t, "a wrong code for "+name, err, "RESET_TOKEN_INVALID", 801)
		return e.calls.stop()
	}
	withPhone, noPhone, nobody = check("ann"), check("bob"), check("nobody")
	want = []string{"GetUserByKey", "GetRecoveryToken", "FailRecoveryToken"}
	sameWork(t, "a wrong code (no phone)", withPhone, noPhone, want)
	sameWork(t, "a wrong code (no such user)", withPhone, nobody, want)
}

// The sixth wrong code burns the code: RESET_TOKEN_INVALID, then the right
// code is refused too. Five wrong tries leave it usable.
func TestSmsCodeBurnsAtTheSixthWrongTry(t *testing.T) {
	e := newEnv(t, recovery.Config{})
	for _, c := range []struct {
		wrong int
		works bool
	}{{5, true}, {6, false}} {
		u := e.signup(t, account.NewUser{Username: "user" + string(rune('a'+c.wrong)), Phone: "+1415555012" + string(rune('0'+c.wrong))})
		if err := e.recovery.RequestPasswordResetBySms(e.ctx, u.Username); err != nil {
			t.Fatal(err)
		}
		code := e.lastSMS(t).Code
		for i := range c.wrong {
			wrong := "00000" + string(rune('0'+i))
			if wrong == code {
				wrong = "99999" + string(rune('0'+i))
			}
			err := e.recovery.ResetPasswordWithCode(e.ctx, u.Username, wrong, "a new password 42")
			wantCode(t, "a wrong code", err, "RESET_TOKEN_INVALID", 801)
		}
		err := e.recovery.ResetPasswordWithCode(e.ctx, u.Username, code, "a new password 42")
		switch {
		case c.works && err != nil:
			t.Errorf("the right code after %d wrong ones: %v, want it accepted", c.wrong, err)
		case !c.works:
			wantCode(t, "the right code after six wrong ones", err, "RESET_TOKEN_INVALID", 801)
		}
		tok, err := e.db.GetRecoveryToken(e.ctx, store.PurposeResetSMS, u.ID)
		if err != nil || tok.Hash == code || len(tok.Hash) != 64 {
			t.Errorf("the stored code: %+v, %v; want only a SHA-256 of it", tok, err)
		}
	}
}
