package recovery_test

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/session"
)

// A verification link confirms the one address it was sent to: once the
// account has another (changed at once, verification off), the link is
// refused and nothing is marked verified.
func TestVerifyLinkForAnAddressNoLongerHeld(t *testing.T) {
	e := newEnv(t, recovery.Config{})
	u := e.signup(t, account.NewUser{Username: "ann", Email: "ann@example.com"})
	p := &session.Principal{UserID: u.ID}
	if err := e.recovery.RequestEmailVerification(e.ctx, p); err != nil {
		t.Fatal(err)
	}
	var m mail.Mail
	json.Unmarshal(e.queued(t, mail.Kind)[0].Payload, &m)
	link, _ := url.Parse(m.Data.Link)
	token := link.Query().Get("token")
	if err := e.recovery.CheckVerifyToken(e.ctx, token); err != nil {
		t.Fatalf("CheckVerifyToken before the change: %v", err)
	}

	moved := "ann@example.org"
	if _, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{Email: &moved}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "the link to the old address", e.recovery.VerifyEmail(e.ctx, token), apperr.ResetTokenInvalid, 801)
	stored, err := e.db.GetUser(e.ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.EmailVerified || stored.Email != moved {
		t.Errorf("after the refused link: email %q verified %v; want %q unverified", stored.Email, stored.EmailVerified, moved)
	}
}
