package account_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// guest signs a guest in and returns it with its tokens.
func (e *env) guest(t *testing.T, in account.GuestInput) (*store.User, *session.Tokens) {
	t.Helper()
	tok, err := e.accounts.LoginAsGuest(e.ctx, in)
	if err != nil {
		t.Fatalf("LoginAsGuest: %v", err)
	}
	return tok.User, tok
}

var guestName = regexp.MustCompile(`^guest_[a-z2-7]{16}$`)

// A guest is an ACTIVE user with a generated username, no password,
// isGuest, the default role, its full name and metadata, in a GUEST
// session on its device.
func TestLoginAsGuest(t *testing.T) {
	e := newEnv(t)
	u, tok := e.guest(t, account.GuestInput{FullName: " Ann Guest ", Metadata: json.RawMessage(`{"theme":"dark"}`), DeviceToken: "phone-1"})
	stored := e.stored(t, u.ID)
	if !guestName.MatchString(stored.Username) || !stored.IsGuest || stored.PasswordHash != "" ||
		stored.Status != store.StatusActive || stored.FullName != "Ann Guest" || !slices.Equal(stored.Roles, []string{"user"}) {
		t.Errorf("stored guest: %+v", stored)
	}
	if !jsonEqual(t, stored.Metadata, `{"theme":"dark"}`) {
		t.Errorf("metadata = %s", stored.Metadata)
	}
	if stored.LastLoginAt.IsZero() {
		t.Errorf("a guest is signed in at its creation: lastLoginAt is zero")
	}
	p, err := e.sessions.Authenticate(e.ctx, tok.Access)
	if err != nil {
		t.Fatal(err)
	}
	if p.Kind != store.SessionGuest || p.UserID != u.ID || p.Session.DeviceID == "" {
		t.Errorf("the guest's session: kind %s user %s device %q", p.Kind, p.UserID, p.Session.DeviceID)
	}
	other, _ := e.guest(t, account.GuestInput{})
	if other.Username == u.Username || other.ID == u.ID {
		t.Errorf("two guests share a name or an id")
	}
	_, err = e.accounts.LoginAsGuest(e.ctx, account.GuestInput{Metadata: json.RawMessage(`[1]`)})
	wantCode(t, "metadata that is no object", err, apperr.BadUserInput, "metadata")
}

// A configured guest role replaces the default role for guests, and the
// default role replaces it at the upgrade.
func TestGuestRole(t *testing.T) {
	e := newEnv(t, func(o *options) { o.cfg.Guests.Role = "visitor" })
	if _, err := e.access.CreateRole(e.ctx, "visitor", ""); err != nil {
		t.Fatal(err)
	}
	u, tok := e.guest(t, account.GuestInput{})
	if !slices.Equal(u.Roles, []string{"visitor"}) {
		t.Errorf("guest roles = %v, want [visitor]", u.Roles)
	}
	full, err := e.accounts.UpgradeGuest(e.ctx, e.principal(t, tok), account.GuestUpgrade{Username: "ann", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(full.Roles, []string{"user"}) {
		t.Errorf("roles after the upgrade = %v, want the default role [user]", full.Roles)
	}
}

// Under device control no guest is created: nobody can have permitted
// its device. Without a token the answer is INVALID_DEVICE.
func TestLoginAsGuestUnderDeviceControl(t *testing.T) {
	e := newEnv(t, func(o *options) { o.devices = devices.Config{Control: true} })
	_, err := e.accounts.LoginAsGuest(e.ctx, account.GuestInput{DeviceToken: "phone"})
	wantCode(t, "a device token under control", err, apperr.DeviceDenied, "")
	_, err = e.accounts.LoginAsGuest(e.ctx, account.GuestInput{})
	wantCode(t, "no device token under control", err, apperr.InvalidDevice, "")
	if n := e.count(t, nil); n != 0 {
		t.Errorf("users after refused guests: %d, want 0", n)
	}
}

// Guests are limited per client IP.
func TestLoginAsGuestLimitedPerIP(t *testing.T) {
	e := newEnv(t, func(o *options) { o.limits.GuestPerIP = ratelimit.New(ratelimit.Rule{Burst: 2, Per: time.Hour}) })
	for range 2 {
		e.guest(t, account.GuestInput{})
	}
	_, err := e.accounts.LoginAsGuest(e.ctx, account.GuestInput{})
	wantCode(t, "a third guest from the IP", err, apperr.RateLimited, "")
	if _, err := e.accounts.LoginAsGuest(e.from("192.0.2.99"), account.GuestInput{}); err != nil {
		t.Errorf("a guest from another IP: %v", err)
	}
}

// The upgrade keeps the id, metadata, devices, sessions and creation time,
// sets the identifiers and the password, and makes the session USER.
func TestUpgradeGuest(t *testing.T) {
	e := newEnv(t)
	u, tok := e.guest(t, account.GuestInput{FullName: "Ann", Metadata: json.RawMessage(`{"score":7}`), DeviceToken: "phone"})
	p := e.principal(t, tok)
	full, err := e.accounts.UpgradeGuest(e.ctx, p, account.GuestUpgrade{Username: "Ann.Archer", Email: "ann@example.com",
		Password: goodPassword, LastName: "Archer"})
	if err != nil {
		t.Fatal(err)
	}
	stored := e.stored(t, u.ID)
	if stored.IsGuest || stored.Username != "Ann.Archer" || stored.Email != "ann@example.com" || stored.PasswordHash == "" ||
		stored.FullName != "Ann" || stored.LastName != "Archer" || !stored.CreatedAt.Equal(u.CreatedAt) || full.ID != u.ID {
		t.Errorf("after the upgrade: %+v", stored)
	}
	if !jsonEqual(t, stored.Metadata, `{"score":7}`) {
		t.Errorf("metadata after the upgrade = %s", stored.Metadata)
	}
	after := e.principal(t, tok)
	if after.Kind != store.SessionUser || after.SessionID != tok.Session.ID {
		t.Errorf("the same access token after the upgrade: kind %s session %s, want USER %s", after.Kind, after.SessionID, tok.Session.ID)
	}
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "ann@example.com", Password: goodPassword}); err != nil {
		t.Errorf("sign-in with the new password: %v", err)
	}
	_, err = e.accounts.UpgradeGuest(e.ctx, after, account.GuestUpgrade{Username: "again", Password: goodPassword})
	wantCode(t, "upgrading a full account", err, apperr.Forbidden, "")
}

// Taken names and policy failures change nothing.
func TestUpgradeGuestRefusals(t *testing.T) {
	e := newEnv(t)
	e.signup(t, "taken", "taken@example.com")
	u, tok := e.guest(t, account.GuestInput{})
	p := e.principal(t, tok)
	for _, c := range []struct {
		what  string
		in    account.GuestUpgrade
		code  apperr.Code
		field string
	}{
		{"a taken username", account.GuestUpgrade{Username: "TAKEN", Password: goodPassword}, apperr.AlreadyExists, "username"},
		{"a taken email", account.GuestUpgrade{Username: "free", Email: "Taken@Example.com", Password: goodPassword}, apperr.AlreadyExists, "email"},
		{"no username or email", account.GuestUpgrade{Password: goodPassword}, apperr.BadUserInput, "username"},
		{"a weak password", account.GuestUpgrade{Username: "free", Password: "short"}, apperr.WeakPassword, "password"},
		{"a bad email", account.GuestUpgrade{Email: "nope", Password: goodPassword}, apperr.InvalidEmail, "email"},
	} {
		_, err := e.accounts.UpgradeGuest(e.ctx, p, c.in)
		wantCode(t, c.what, err, c.code, c.field)
	}
	stored := e.stored(t, u.ID)
	if !stored.IsGuest || stored.Username != u.Username || stored.Email != "" || stored.PasswordHash != "" {
		t.Errorf("after refused upgrades: %+v, want the guest unchanged", stored)
	}
	if p := e.principal(t, tok); p.Kind != store.SessionGuest {
		t.Errorf("session kind after refused upgrades: %s", p.Kind)
	}
}

// Without a username the generated one goes: the account is known by its
// email.
func TestUpgradeGuestByEmailOnly(t *testing.T) {
	e := newEnv(t)
	u, tok := e.guest(t, account.GuestInput{})
	if _, err := e.accounts.UpgradeGuest(e.ctx, e.principal(t, tok), account.GuestUpgrade{Email: "solo@example.com", Password: goodPassword}); err != nil {
		t.Fatal(err)
	}
	if stored := e.stored(t, u.ID); stored.Username != "" || stored.UsernameKey != "" || stored.Email != "solo@example.com" {
		t.Errorf("after an email-only upgrade: username %q key %q email %q", stored.Username, stored.UsernameKey, stored.Email)
	}
}

// A guest deletes itself with any password, having none; others need theirs.
func TestGuestDeletesItself(t *testing.T) {
	e := newEnv(t)
	u, tok := e.guest(t, account.GuestInput{})
	if err := e.accounts.DeleteAccount(e.ctx, e.principal(t, tok), ""); err != nil {
		t.Fatalf("a guest's deleteAccount: %v", err)
	}
	if _, err := e.db.GetUser(e.ctx, u.ID); err == nil {
		t.Errorf("the guest is still stored")
	}
	member := e.member(t, "member")
	wantCode(t, "a member's deleteAccount without the password", e.accounts.DeleteAccount(e.ctx, member, ""), apperr.WrongPassword, "")
}

// The janitor's job deletes guests idle longer than the TTL, in batches
// of any number, and nobody else.
func TestPurgeGuests(t *testing.T) {
	e := newEnv(t, func(o *options) { o.cfg.Guests.TTL = time.Hour })
	old := time.Now().Add(-2 * time.Hour)
	var idle []string
	for range 3 {
		u, _ := e.guest(t, account.GuestInput{})
		if _, err := e.db.UpdateUser(e.ctx, u.ID, func(u *store.User) error { u.CreatedAt = old; return nil }); err != nil {
			t.Fatal(err)
		}
		idle = append(idle, u.ID)
	}
	fresh, _ := e.guest(t, account.GuestInput{})
	member := e.member(t, "member")
	if _, err := e.db.UpdateUser(e.ctx, member.UserID, func(u *store.User) error { u.CreatedAt = old; return nil }); err != nil {
		t.Fatal(err)
	}
	e.accounts.PurgeGuests(e.ctx)
	for _, id := range idle {
		if _, err := e.db.GetUser(e.ctx, id); err == nil {
			t.Errorf("idle guest %s is still stored", id)
		}
		// Each deletion left its event, by the server itself.
		evs, _, err := e.db.ListEvents(e.ctx, store.EventQuery{First: 10, Filter: store.AuditFilter{SubjectID: id, Types: []string{audit.UserDeleted}}})
		if err != nil || len(evs) != 1 || evs[0].ActorID != "" {
			t.Errorf("user.deleted events of idle guest %s: %+v (%v), want one with no actor", id, evs, err)
		}
	}
	e.stored(t, fresh.ID)
	e.stored(t, member.UserID)
	for _, id := range []string{fresh.ID, member.UserID} {
		evs, _, err := e.db.ListEvents(e.ctx, store.EventQuery{First: 10, Filter: store.AuditFilter{SubjectID: id, Types: []string{audit.UserDeleted}}})
		if err != nil || len(evs) != 0 {
			t.Errorf("user.deleted events of %s, who stays: %d (%v), want none", id, len(evs), err)
		}
	}
}
