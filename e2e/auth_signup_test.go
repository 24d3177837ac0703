package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/app"
)

func TestSignupLoginMeRefreshLogout(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.signup(t, "alice", testPassword)
	if a.AccessToken == "" || !strings.HasPrefix(a.RefreshToken, "ugr_") || !a.Session.Current {
		t.Fatalf("signup tokens look wrong: %+v", a)
	}
	// expiresIn is what is left of the token's life when the answer is
	// written: the whole lifetime, less the seconds a loaded machine took
	// between signing and answering.
	if want := int(ts.cfg.Sessions.AccessTokenTTL.Seconds()); a.ExpiresIn > want || a.ExpiresIn < want-5 {
		t.Errorf("expiresIn = %d, want the access-token lifetime %d (less at most 5 s spent answering)", a.ExpiresIn, want)
	}
	if got := ts.meID(t, a.AccessToken); got != a.User.ID {
		t.Fatalf("me = %s, want %s", got, a.User.ID)
	}

	b := ts.login(t, "ALICE@example.com", testPassword)
	if b.Session.ID == a.Session.ID {
		t.Fatal("login reused the sign-up session")
	}

	r := ts.mustGQL(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { `+authFields+` } }`, vars{"t": b.RefreshToken})
	var ref struct {
		RefreshSession auth `json:"refreshSession"`
	}
	r.decode(t, &ref)
	if ref.RefreshSession.RefreshToken == b.RefreshToken || ref.RefreshSession.Session.ID != b.Session.ID {
		t.Fatalf("refresh should rotate the token within the same session: %+v", ref.RefreshSession)
	}
	if got := ts.meID(t, ref.RefreshSession.AccessToken); got != a.User.ID {
		t.Fatalf("me with refreshed token = %s", got)
	}

	ts.mustGQL(t, ref.RefreshSession.AccessToken, `mutation { logout }`, nil)
	wantCode(t, ts.gql(t, ref.RefreshSession.AccessToken, `{ me { id } }`, nil), "UNAUTHENTICATED", 607)
	// The other session is untouched.
	if got := ts.meID(t, a.AccessToken); got != a.User.ID {
		t.Fatalf("logout ended another session")
	}
}

func TestSignupStoresProfileAndMetadata(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	meta := `{"plan":"pro","limits":{"seats":5,"ratio":1.50},"flags":[true,null,"x"],"big":12345678901234567890}`
	r := ts.mustGQL(t, "", `mutation($in: SignupInput!) { signup(input: $in) {
		user { username email phone firstName lastName fullName website avatarUrl address additionalInfo tags metadata appMetadata status active isGuest emailVerified roles { name } }
		auth { accessToken } } }`, vars{"in": vars{
		"username": "Bob.Smith", "email": "Bob@Example.com", "password": "a long enough secret",
		"phone": "+1 415 555 0123", "firstName": "Bob", "lastName": "Smith", "website": "https://bob.example",
		"avatarUrl": "https://img.example/bob.png", "address": "1 Main St", "additionalInfo": "hi",
		"tags": []string{"beta", "beta", "team"}, "metadata": json.RawMessage(meta),
	}})
	var out struct {
		Signup struct {
			User struct {
				Username, Email, Phone, FirstName, LastName, FullName, Website, AvatarURL, Address, AdditionalInfo string
				Tags                                                                                               []string
				Metadata, AppMetadata                                                                              json.RawMessage
				Status                                                                                             string
				Active, IsGuest, EmailVerified                                                                     bool
				Roles                                                                                              []struct{ Name string }
			}
		}
	}
	r.decode(t, &out)
	u := out.Signup.User
	want := map[string][2]string{
		"username": {u.Username, "Bob.Smith"}, "email": {u.Email, "Bob@Example.com"},
		"phone": {u.Phone, "+14155550123"}, "fullName": {u.FullName, "Bob Smith"},
		"status": {u.Status, "ACTIVE"}, "tags": {strings.Join(u.Tags, ","), "beta,team"},
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
		in    vars
		field string
	}{
		{"username upper case", vars{"username": "CAROL", "password": "another good secret"}, "username"},
		{"email mixed case", vars{"email": "Carol@EXAMPLE.com", "password": "another good secret"}, "email"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, "", signupMutation, vars{"in": c.in})
			wantCode(t, r, "ALREADY_EXISTS", 602)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
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
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := ts.gql(t, "", signupMutation, vars{"in": vars{"username": fmt.Sprintf("racer%d", i), "email": "Race@example.com", "password": testPassword}})
			codes[i] = r.code()
		}()
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
	cases := []struct {
		name   string
		in     vars
		code   string
		status int
		field  string
	}{
		{"no identifier", vars{"password": testPassword}, "BAD_USER_INPUT", 0, "username"},
		{"bad username", vars{"username": "a b", "password": testPassword}, "INVALID_USERNAME", 900, "username"},
		{"username with @", vars{"username": "a@b", "password": testPassword}, "INVALID_USERNAME", 900, "username"},
		{"bad email", vars{"email": "not-an-email", "password": testPassword}, "INVALID_EMAIL", 901, "email"},
		{"bad phone", vars{"username": "dave", "phone": "12", "password": testPassword}, "INVALID_PHONE", 804, "phone"},
		{"short password", vars{"username": "dave", "password": "short"}, "WEAK_PASSWORD", 0, "password"},
		{"common password", vars{"username": "dave", "password": "password123"}, "WEAK_PASSWORD", 0, "password"},
		{"password is username", vars{"username": "davedave", "password": "DaveDave"}, "WEAK_PASSWORD", 0, "password"},
		{"metadata not object", vars{"username": "dave", "password": testPassword, "metadata": []int{1}}, "BAD_USER_INPUT", 0, "metadata"},
		{"metadata dotted key", vars{"username": "dave", "password": testPassword, "metadata": vars{"a.b": 1}}, "BAD_USER_INPUT", 0, "metadata"},
		{"metadata dollar key", vars{"username": "dave", "password": testPassword, "metadata": vars{"$set": 1}}, "BAD_USER_INPUT", 0, "metadata"},
		{"website not http", vars{"username": "dave", "password": testPassword, "website": "javascript:alert(1)"}, "BAD_USER_INPUT", 0, "website"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, "", signupMutation, vars{"in": c.in})
			wantCode(t, r, c.code, c.status)
			if r.field() != c.field {
				t.Errorf("field = %q, want %q", r.field(), c.field)
			}
		})
	}
	// None of them left an account behind.
	r := ts.gql(t, "", `mutation { login(input: {identifier: "dave", password: "correct horse battery"}) { accessToken } }`, nil)
	wantCode(t, r, "INVALID_CREDENTIALS", 603)
}

func TestPendingSignupCannotLogin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.SignupStatus = "PENDING" }))
	r := ts.mustGQL(t, "", `mutation($in: SignupInput!) { signup(input: $in) { user { status lastLoginAt } auth { accessToken } } }`,
		vars{"in": vars{"username": "erin", "password": testPassword}})
	var out struct {
		Signup struct {
			User struct {
				Status      string
				LastLoginAt *string
			}
			Auth *auth
		}
	}
	r.decode(t, &out)
	if out.Signup.User.Status != "PENDING" || out.Signup.Auth != nil || out.Signup.User.LastLoginAt != nil {
		t.Fatalf("pending signup = %+v, want status PENDING, no auth and no lastLoginAt (not signed in)", out.Signup)
	}
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "erin", "pw": testPassword}), "USER_NOT_ACTIVE", 601)
	// A wrong password does not reveal the account's status.
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "erin", "pw": "wrong horse battery"}), "INVALID_CREDENTIALS", 603)
}
