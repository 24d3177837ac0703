package recovery_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/store"
)

func TestLinks(t *testing.T) {
	for _, c := range []struct {
		name                string
		cfg                 recovery.Config
		wantReset, wantVerf string
	}{
		{"hosted pages", recovery.Config{PublicURL: "https://id.example/"},
			"https://id.example/reset-password?token=T%2B1", "https://id.example/verify-email?token=T%2B1"},
		{"the app's own pages", recovery.Config{PublicURL: "https://id.example",
			ResetPageURL: "https://app.example/reset?lang=en", VerifyPageURL: "https://app.example/verify"},
			"https://app.example/reset?lang=en&token=T%2B1", "https://app.example/verify?token=T%2B1"},
	} {
		e := newEnv(t, c.cfg)
		if got := e.recovery.ResetLink("T+1"); got != c.wantReset {
			t.Errorf("%s: ResetLink = %q, want %q", c.name, got, c.wantReset)
		}
		if got := e.recovery.VerifyLink("T+1"); got != c.wantVerf {
			t.Errorf("%s: VerifyLink = %q, want %q", c.name, got, c.wantVerf)
		}
	}
}

// The store keeps a link's token only as its SHA-256: the token itself
// finds nothing, and it carries 256 random bits.
func TestResetTokenIsStoredHashed(t *testing.T) {
	e := newEnv(t, recovery.Config{})
	u := e.signup(t, account.NewUser{Username: "ann", Email: "ann@example.com"})
	if err := e.recovery.RequestPasswordReset(e.ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	msgs := e.queued(t, mail.Kind)
	if len(msgs) != 1 {
		t.Fatalf("%d mails queued, want 1", len(msgs))
	}
	var m mail.Mail
	if err := json.Unmarshal(msgs[0].Payload, &m); err != nil {
		t.Fatal(err)
	}
	link, err := url.Parse(m.Data.Link)
	if err != nil {
		t.Fatal(err)
	}
	token := link.Query().Get("token")
	if len(token) < 43 {
		t.Fatalf("token %q: want 256 bits in base64url (43 characters)", token)
	}
	stored, err := e.db.GetRecoveryToken(e.ctx, store.PurposeReset, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(token))
	if stored.Hash != hex.EncodeToString(sum[:]) {
		t.Errorf("stored hash %q, want the SHA-256 of the token", stored.Hash)
	}
	if _, err := e.db.FindRecoveryToken(e.ctx, store.PurposeReset, token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the token itself found a record (%v): it must be stored only hashed", err)
	}
	if err := e.recovery.CheckResetToken(e.ctx, token); err != nil {
		t.Errorf("CheckResetToken: %v", err)
	}
	if err := e.recovery.CheckResetToken(e.ctx, token); err != nil {
		t.Errorf("a second CheckResetToken: %v; checking must not use the token", err)
	}
}

// A token presented counts once against the client's IP and once against
// its account, however many steps the check takes.
func TestLimitsCountEachCheckOnce(t *testing.T) {
	twice := ratelimit.Rule{Burst: 2, Per: time.Hour}
	e := newEnv(t, recovery.Config{}, recovery.Limits{CheckPerIP: ratelimit.New(twice), CheckPerAccount: ratelimit.New(twice)})
	e.signup(t, account.NewUser{Username: "ann", Email: "ann@example.com"})
	if err := e.recovery.RequestPasswordReset(e.ctx, "ann@example.com"); err != nil {
		t.Fatal(err)
	}
	var m mail.Mail
	json.Unmarshal(e.queued(t, mail.Kind)[0].Payload, &m)
	link, _ := url.Parse(m.Data.Link)
	for i := 1; i <= 2; i++ {
		if err := e.recovery.CheckResetToken(e.ctx, link.Query().Get("token")); err != nil {
			t.Fatalf("check %d of 2 allowed: %v", i, err)
		}
	}
	wantCode(t, "a third check", e.recovery.CheckResetToken(e.ctx, link.Query().Get("token")), apperr.RateLimited, 0)
}
