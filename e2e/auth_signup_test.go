package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/client"
)

// Signing up and in, through the typed client (package client): a schema
// change that breaks these operations for clients breaks these tests.

func TestSignupLoginMeRefreshLogout(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ctx, anon := t.Context(), ts.api("")
	signedUp, err := client.Signup(ctx, anon, &client.SignupInput{
		Username: client.Ptr("alice"), Email: client.Ptr("alice@example.com"), Password: testPassword,
	})
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	a := signedUp.Signup.Auth
	if a == nil || a.AccessToken == "" || !strings.HasPrefix(a.RefreshToken, "ugr_") || !a.Session.Current || a.TokenType != "Bearer" {
		t.Fatalf("signup tokens look wrong: %+v", a)
	}
	// expiresIn is what is left of the token's life when the answer is
	// written: the whole lifetime, less the seconds a loaded machine took
	// between signing and answering.
	if want := int(ts.cfg.Sessions.AccessTokenTTL.Seconds()); a.ExpiresIn > want || a.ExpiresIn < want-5 {
		t.Errorf("expiresIn = %d, want the access-token lifetime %d (less at most 5 s spent answering)", a.ExpiresIn, want)
	}
	if got := ts.meID(t, a.AccessToken); got != a.User.Id {
		t.Fatalf("me = %s, want %s", got, a.User.Id)
	}

	loggedIn, err := client.Login(ctx, anon, &client.LoginInput{Identifier: "ALICE@example.com", Password: testPassword})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	b := loggedIn.Login
	if b.Session.Id == a.Session.Id {
		t.Fatal("login reused the sign-up session")
	}

	refreshed, err := client.RefreshSession(ctx, anon, b.RefreshToken)
	if err != nil {
		t.Fatalf("refreshSession: %v", err)
	}
	ref := refreshed.RefreshSession
	if ref.RefreshToken == b.RefreshToken || ref.Session.Id != b.Session.Id {
		t.Fatalf("refresh should rotate the token within the same session: %+v", ref)
	}
	if got := ts.meID(t, ref.AccessToken); got != a.User.Id {
		t.Fatalf("me with refreshed token = %s", got)
	}

	if out, err := client.Logout(ctx, ts.api(ref.AccessToken)); err != nil || !out.Logout {
		t.Fatalf("logout = %+v, %v; want true", out, err)
	}
	_, err = client.Me(ctx, ts.api(ref.AccessToken))
	wantErr(t, err, "UNAUTHENTICATED", 607)
	// The other session is untouched.
	if got := ts.meID(t, a.AccessToken); got != a.User.Id {
		t.Fatalf("logout ended another session")
	}
}

func TestSignupStoresProfileAndMetadata(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	meta := `{"plan":"pro","limits":{"seats":5,"ratio":1.50},"flags":[true,null,"x"],"big":12345678901234567890}`
	res, err := client.Signup(t.Context(), ts.api(""), &client.SignupInput{
		Username: client.Ptr("Bob.Smith"), Email: client.Ptr("Bob@Example.com"), Password: "a long enough secret",
		Phone: client.Ptr("+1 415 555 0123"), FirstName: client.Ptr("Bob"), LastName: client.Ptr("Smith"),
		Website: client.Ptr("https://bob.example"), AvatarUrl: client.Ptr("https://img.example/bob.png"),
		Address: client.Ptr("1 Main St"), AdditionalInfo: client.Ptr("hi"),
		Tags: []string{"beta", "beta", "team"}, Metadata: client.Ptr(json.RawMessage(meta)),
	})
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	u := res.Signup.User
	want := map[string][2]string{
		"username": {deref(u.Username), "Bob.Smith"}, "email": {deref(u.Email), "Bob@Example.com"},
		"phone": {deref(u.Phone), "+14155550123"}, "fullName": {deref(u.FullName), "Bob Smith"},
		"website": {deref(u.Website), "https://bob.example"}, "avatarUrl": {deref(u.AvatarUrl), "https://img.example/bob.png"},
		"address": {deref(u.Address), "1 Main St"}, "additionalInfo": {deref(u.AdditionalInfo), "hi"},
		"status": {string(u.Status), "ACTIVE"}, "tags": {strings.Join(u.Tags, ","), "beta,team"},
		"appMetadata": {string(u.AppMetadata), "{}"},
	}
	for field, gw := range want {
		if gw[0] != gw[1] {
			t.Errorf("%s = %q, want %q", field, gw[0], gw[1])
		}
	}
	if !u.Active || u.IsGuest || u.EmailVerified || len(u.Roles) != 1 || u.Roles[0].Name != "user" {
		t.Errorf("flags/roles wrong: %+v", u)
	}
	assertJSONEqual(t, "metadata", u.Metadata, meta)
}

func TestSignupDuplicatesInAnyCase(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "carol", testPassword)
	cases := []struct {
		name  string
		in    client.SignupInput
		field string
	}{
		{"username upper case", client.SignupInput{Username: client.Ptr("CAROL"), Password: "another good secret"}, "username"},
		{"email mixed case", client.SignupInput{Email: client.Ptr("Carol@EXAMPLE.com"), Password: "another good secret"}, "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.Signup(t.Context(), ts.api(""), &c.in)
			wantErr(t, err, "ALREADY_EXISTS", 602)
			if got := client.Field(err); got != c.field {
				t.Errorf("field = %q, want %q", got, c.field)
			}
		})
	}
}

func TestSignupConcurrentSameEmail(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	const n = 20
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i := range n {
		wg.Go(func() {
			_, err := client.Signup(t.Context(), ts.api(""), &client.SignupInput{
				Username: client.Ptr(fmt.Sprintf("racer%d", i)), Email: client.Ptr("Race@example.com"), Password: testPassword,
			})
			if err != nil && client.Code(err) == "" {
				codes[i] = "no answer: " + err.Error()
				return
			}
			codes[i] = client.Code(err)
		})
	}
	wg.Wait()
	ok, dup := 0, 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case "ALREADY_EXISTS":
			dup++
		default:
			t.Errorf("unexpected code %q", c)
		}
	}
	if ok != 1 || dup != n-1 {
		t.Fatalf("%d succeeded and %d were duplicates; want 1 and %d", ok, dup, n-1)
	}
}

func TestSignupRejectsBadInput(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	dave := func(in client.SignupInput) client.SignupInput {
		in.Username = client.Ptr("dave")
		if in.Password == "" {
			in.Password = testPassword
		}
		return in
	}
	raw := func(s string) *json.RawMessage { return client.Ptr(json.RawMessage(s)) }
	cases := []struct {
		name   string
		in     client.SignupInput
		code   string
		status int
		field  string
	}{
		{"no identifier", client.SignupInput{Password: testPassword}, "BAD_USER_INPUT", 0, "username"},
		{"bad username", client.SignupInput{Username: client.Ptr("a b"), Password: testPassword}, "INVALID_USERNAME", 900, "username"},
		{"username with @", client.SignupInput{Username: client.Ptr("a@b"), Password: testPassword}, "INVALID_USERNAME", 900, "username"},
		{"bad email", client.SignupInput{Email: client.Ptr("not-an-email"), Password: testPassword}, "INVALID_EMAIL", 901, "email"},
		{"bad phone", dave(client.SignupInput{Phone: client.Ptr("12")}), "INVALID_PHONE", 804, "phone"},
		{"short password", dave(client.SignupInput{Password: "short"}), "WEAK_PASSWORD", 0, "password"},
		{"common password", dave(client.SignupInput{Password: "password123"}), "WEAK_PASSWORD", 0, "password"},
		{"password is username", client.SignupInput{Username: client.Ptr("davedave"), Password: "DaveDave"}, "WEAK_PASSWORD", 0, "password"},
		{"metadata not object", dave(client.SignupInput{Metadata: raw(`[1]`)}), "BAD_USER_INPUT", 0, "metadata"},
		{"metadata dotted key", dave(client.SignupInput{Metadata: raw(`{"a.b":1}`)}), "BAD_USER_INPUT", 0, "metadata"},
		{"metadata dollar key", dave(client.SignupInput{Metadata: raw(`{"$set":1}`)}), "BAD_USER_INPUT", 0, "metadata"},
		{"website not http", dave(client.SignupInput{Website: client.Ptr("javascript:alert(1)")}), "BAD_USER_INPUT", 0, "website"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := client.Signup(t.Context(), ts.api(""), &c.in)
			wantErr(t, err, c.code, c.status)
			if got := client.Field(err); got != c.field {
				t.Errorf("field = %q, want %q", got, c.field)
			}
		})
	}
	// None of them left an account behind.
	if code, st := loginCode(t, ts, "dave", testPassword); code != "INVALID_CREDENTIALS" || st != 603 {
		t.Fatalf("login as dave = %s %d, want INVALID_CREDENTIALS 603", code, st)
	}
}

func TestPendingSignupCannotLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.SignupStatus = "PENDING" }))
	res, err := client.Signup(t.Context(), ts.api(""), &client.SignupInput{Username: client.Ptr("erin"), Password: testPassword})
	if err != nil {
		t.Fatalf("signup: %v", err)
	}
	if u := res.Signup.User; u.Status != client.UserStatusPending || res.Signup.Auth != nil || u.LastLoginAt != nil {
		t.Fatalf("pending signup = %+v, auth %+v; want status PENDING, no auth and no lastLoginAt (not signed in)", u, res.Signup.Auth)
	}
	if code, st := loginCode(t, ts, "erin", testPassword); code != "USER_NOT_ACTIVE" || st != 601 {
		t.Fatalf("login while PENDING = %s %d, want USER_NOT_ACTIVE 601", code, st)
	}
	// A wrong password does not reveal the account's status.
	if code, st := loginCode(t, ts, "erin", "wrong horse battery"); code != "INVALID_CREDENTIALS" || st != 603 {
		t.Fatalf("wrong password while PENDING = %s %d, want INVALID_CREDENTIALS 603", code, st)
	}
}
