package account_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
)

// metadata is a JSON merge patch (RFC 7396) on the stored object: null
// removes a key, objects merge, anything else replaces; a patch of null
// empties it. A patch that is no object, or whose result is too large, is
// refused and changes nothing.
func TestUpdateProfileMergesMetadata(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.MetadataMaxBytes = 128 })
	_, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "alice", Password: goodPassword,
		Metadata: json.RawMessage(`{"a":1,"b":{"c":2,"d":3},"keep":true}`)})
	if err != nil {
		t.Fatal(err)
	}
	p := e.principal(t, tok)
	steps := []struct {
		name  string
		ch    account.ProfileChange
		want  string // the stored metadata after the step
		field string // refused on this field
	}{
		{"merge", account.ProfileChange{MetadataPatch: json.RawMessage(`{"a":null,"b":{"c":null,"e":4},"n":[1,2]}`)},
			`{"b":{"d":3,"e":4},"keep":true,"n":[1,2]}`, ""},
		{"replace an object by a value", account.ProfileChange{MetadataPatch: json.RawMessage(`{"b":"flat"}`)},
			`{"b":"flat","keep":true,"n":[1,2]}`, ""},
		{"other fields only", account.ProfileChange{FirstName: ptr("Alice")},
			`{"b":"flat","keep":true,"n":[1,2]}`, ""},
		{"not an object", account.ProfileChange{MetadataPatch: json.RawMessage(`[1]`), FirstName: ptr("Changed")},
			`{"b":"flat","keep":true,"n":[1,2]}`, "metadata"},
		{"result too large (the patch alone fits)", account.ProfileChange{MetadataPatch: json.RawMessage(`{"x":"` + strings.Repeat("x", 100) + `"}`)},
			`{"b":"flat","keep":true,"n":[1,2]}`, "metadata"},
		{"null empties", account.ProfileChange{MetadataPatch: json.RawMessage(`null`)}, `{}`, ""},
	}
	for _, s := range steps {
		_, err := e.accounts.UpdateProfile(e.ctx, p, s.ch)
		if s.field != "" {
			wantCode(t, s.name, err, apperr.BadUserInput, s.field)
		} else if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := e.stored(t, p.UserID)
		if !jsonEqual(t, got.Metadata, s.want) {
			t.Errorf("%s: metadata %s, want %s", s.name, got.Metadata, s.want)
		}
		if got.FirstName == "Changed" {
			t.Fatalf("%s: a refused change applied its other fields", s.name)
		}
	}
}

// Fields left out stay; a field given as "" is cleared; values are trimmed
// and checked; tags are replaced as a set.
func TestUpdateProfileFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(o *options) { o.cfg.PhoneRegion = "US" })
	_, tok, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "alice", Password: goodPassword, Phone: "+14155550123",
		Profile: account.Profile{FirstName: "Alice", LastName: "Liddell", Website: "https://alice.example"}, Tags: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	p := e.principal(t, tok)
	u, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{
		LastName: ptr(""), FullName: ptr("  Alice L.  "), Phone: ptr("(415) 555-0199"), Tags: &[]string{"x", " y ", "x"}})
	if err != nil {
		t.Fatal(err)
	}
	got := e.stored(t, u.ID)
	if got.FirstName != "Alice" || got.Website != "https://alice.example" {
		t.Errorf("fields left out changed: firstName %q, website %q", got.FirstName, got.Website)
	}
	if got.LastName != "" || got.FullName != "Alice L." || got.Phone != "+14155550199" || got.PhoneKey != "+14155550199" {
		t.Errorf("lastName %q fullName %q phone %q/%q; want cleared, trimmed, E.164", got.LastName, got.FullName, got.Phone, got.PhoneKey)
	}
	if !slices.Equal(got.Tags, []string{"x", "y"}) {
		t.Errorf("tags %v, want [x y]", got.Tags)
	}
	for _, c := range []struct {
		name  string
		ch    account.ProfileChange
		code  apperr.Code
		field string
	}{
		{"website not http", account.ProfileChange{Website: ptr("javascript:alert(1)")}, apperr.BadUserInput, "website"},
		{"avatar without host", account.ProfileChange{AvatarURL: ptr("https://")}, apperr.BadUserInput, "avatarUrl"},
		{"avatar over http", account.ProfileChange{AvatarURL: ptr("http://img.example/a.png")}, apperr.BadUserInput, "avatarUrl"},
		{"avatar javascript:", account.ProfileChange{AvatarURL: ptr("javascript:alert(1)")}, apperr.BadUserInput, "avatarUrl"},
		{"avatar data:", account.ProfileChange{AvatarURL: ptr("data:image/png;base64,iVBOR")}, apperr.BadUserInput, "avatarUrl"},
		{"phone", account.ProfileChange{Phone: ptr("12")}, apperr.InvalidPhone, "phone"},
		{"email", account.ProfileChange{Email: ptr("not an address")}, apperr.InvalidEmail, "email"},
		{"empty tag", account.ProfileChange{Tags: &[]string{" "}}, apperr.BadUserInput, "tags"},
	} {
		_, err := e.accounts.UpdateProfile(e.ctx, p, c.ch)
		wantCode(t, c.name, err, c.code, c.field)
	}
	if after := e.stored(t, u.ID); after.Version != got.Version {
		t.Errorf("refused changes wrote the user (version %d → %d)", got.Version, after.Version)
	}
}

// A new email address is unverified (the same address in another case is
// not new); one taken by anyone is ALREADY_EXISTS with nothing of the
// change applied; an account keeps a username or an email.
func TestUpdateProfileEmail(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	u, tok := e.signup(t, "alice", "alice@example.com")
	e.signup(t, "bob", "bob@example.com")
	p := e.principal(t, tok)
	verify := func() {
		t.Helper()
		if _, err := e.accounts.UpdateUser(e.ctx, u.ID, account.AdminChange{EmailVerified: ptr(true)}); err != nil {
			t.Fatal(err)
		}
	}

	verify()
	if _, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{Email: ptr("ALICE@example.com")}); err != nil {
		t.Fatal(err)
	}
	if got := e.stored(t, u.ID); got.Email != "ALICE@example.com" || !got.EmailVerified {
		t.Errorf("same address in capitals: %q verified %v, want shown as typed and still verified", got.Email, got.EmailVerified)
	}
	_, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{Email: ptr("Bob@Example.com"), FirstName: ptr("Changed")})
	wantCode(t, "another user's address", err, apperr.AlreadyExists, "email")
	if got := e.stored(t, u.ID); got.FirstName == "Changed" || got.EmailKey != "alice@example.com" || !got.EmailVerified {
		t.Errorf("a refused email change left firstName %q, email %q verified %v; want nothing changed", got.FirstName, got.Email, got.EmailVerified)
	}
	if _, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{Email: ptr("alice@elsewhere.example")}); err != nil {
		t.Fatal(err)
	}
	if got := e.stored(t, u.ID); got.EmailKey != "alice@elsewhere.example" || got.EmailVerified {
		t.Errorf("new address: key %q verified %v, want the new key, unverified", got.EmailKey, got.EmailVerified)
	}
	if _, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{Email: ptr("")}); err != nil {
		t.Errorf("an account with a username clears its email: %v", err)
	}

	_, tok = e.signup(t, "", "carol@example.com")
	carol := e.principal(t, tok)
	_, err = e.accounts.UpdateProfile(e.ctx, carol, account.ProfileChange{Email: ptr("")})
	wantCode(t, "clearing the only identifier", err, apperr.BadUserInput, "email")
}

// A new username follows the sign-up rules: shown as typed (PRECIS), taken
// in any spelling of another account's name, free again once left. The
// old name no longer signs in.
func TestChangeUsername(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.signup(t, "alice", "")
	e.signup(t, "bob", "")
	p := e.principal(t, tok)

	for _, c := range []struct {
		name, to string
		code     apperr.Code
	}{
		{"taken in other case", "BOB", apperr.AlreadyExists},
		{"taken in full width", "ｂｏｂ", apperr.AlreadyExists},
		{"too short", "x", apperr.InvalidUsername},
		{"mixed scripts", "b\u043eb", apperr.InvalidUsername},
	} {
		_, err := e.accounts.ChangeUsername(e.ctx, p, c.to)
		wantCode(t, c.name, err, c.code, "username")
	}
	u, err := e.accounts.ChangeUsername(e.ctx, p, "Ａｌｉｃｅ")
	if err != nil {
		t.Fatalf("own name in another case and width: %v", err)
	}
	if u.Username != "Alice" || u.UsernameKey != "alice" {
		t.Errorf("shown %q key %q, want Alice, alice", u.Username, u.UsernameKey)
	}
	if _, err := e.accounts.ChangeUsername(e.ctx, p, "Robert"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.Login(e.ctx, account.Credentials{Identifier: "ROBERT", Password: goodPassword}); err != nil {
		t.Errorf("login with the new name: %v", err)
	}
	_, err = e.accounts.Login(e.ctx, account.Credentials{Identifier: "alice", Password: goodPassword})
	wantCode(t, "login with the old name", err, apperr.InvalidCredentials, "")
	e.signup(t, "ALICE", "") // the old name is free
}

// A change this process makes to a user reaches their cached sessions at
// the next request (the session cache trusts entries for an hour here).
func TestProfileChangesReachCachedSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := e.signup(t, "alice", "")
	p := e.principal(t, tok)
	if _, err := e.accounts.UpdateProfile(e.ctx, p, account.ProfileChange{FirstName: ptr("Alice")}); err != nil {
		t.Fatal(err)
	}
	if got := e.principal(t, tok).User.FirstName; got != "Alice" {
		t.Errorf("the session's user after a profile change has firstName %q, want Alice", got)
	}
	if _, err := e.accounts.ChangeUsername(e.ctx, p, "alicia"); err != nil {
		t.Fatal(err)
	}
	if got := e.principal(t, tok).User.Username; got != "alicia" {
		t.Errorf("the session's user after a username change is %q, want alicia", got)
	}
}
