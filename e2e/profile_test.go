package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// End-to-end tests of the self-service profile: updateProfile,
// changeUsername, usernameExists, login identifiers and brute-force limits,
// what other users see of an account, and timestamps.

// wantStr fails unless the nullable string got is want ("<null>" for null).
func wantStr(t *testing.T, field string, got *string, want string) {
	t.Helper()
	if userStr(got) != want {
		t.Errorf("%s = %q, want %q", field, userStr(got), want)
	}
}

// signupWith creates an account with the given input (and testPassword,
// unless it has a password) and returns its access token and id.
func signupWith(t *testing.T, ts *testServer, in vars) (token, id string) {
	t.Helper()
	a := mustSignup(t, ts, in)
	return a.AccessToken, a.User.ID
}

// meRecord returns the caller's whole record.
func meRecord(t *testing.T, ts *testServer, token string) apiUser {
	t.Helper()
	var out struct{ Me *apiUser }
	ts.mustGQL(t, token, `{ me { `+userFields+` } }`, nil).decode(t, &out)
	if out.Me == nil {
		t.Fatal("me = null")
	}
	return *out.Me
}

// mustUpdateProfile is updateProfile failing on errors; it returns the user.
func mustUpdateProfile(t *testing.T, ts *testServer, token string, in vars) apiUser {
	t.Helper()
	r := updateProfile(t, ts, token, in)
	if len(r.Errors) > 0 {
		t.Fatalf("updateProfile(%v): %+v", in, r.Errors)
	}
	var out struct{ UpdateProfile apiUser }
	r.decode(t, &out)
	return out.UpdateProfile
}

func TestProfileUpdateLeavesOmittedAndClearsNull(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tok, _ := signupWith(t, ts, vars{"username": "ann", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee",
		"website": "https://ann.example", "address": "1 Main St", "additionalInfo": "hello", "tags": []string{"x"},
		"metadata": vars{"keep": true}})

	t.Run("set one field", func(t *testing.T) {
		u := mustUpdateProfile(t, ts, tok, vars{"firstName": "Anna"})
		wantStr(t, "firstName", u.FirstName, "Anna")
		wantStr(t, "lastName", u.LastName, "Lee")
		wantStr(t, "fullName", u.FullName, "Anna Lee")
		wantStr(t, "website", u.Website, "https://ann.example")
		wantStr(t, "email", u.Email, "ann@example.com")
	})
	t.Run("null clears only that field", func(t *testing.T) {
		u := mustUpdateProfile(t, ts, tok, vars{"firstName": nil})
		wantStr(t, "firstName", u.FirstName, "<null>")
		wantStr(t, "lastName", u.LastName, "Lee")
		wantStr(t, "fullName", u.FullName, "Lee")
	})
	t.Run("stored as answered", func(t *testing.T) {
		u := meRecord(t, ts, tok)
		wantStr(t, "firstName", u.FirstName, "<null>")
		wantStr(t, "lastName", u.LastName, "Lee")
		wantStr(t, "website", u.Website, "https://ann.example")
		wantStr(t, "address", u.Address, "1 Main St")
		wantStr(t, "additionalInfo", u.AdditionalInfo, "hello")
		if !slices.Equal(u.Tags, []string{"x"}) {
			t.Errorf("tags = %v, want [x]", u.Tags)
		}
		assertJSONEqual(t, "metadata", u.Metadata, `{"keep":true}`)
	})
	t.Run("empty input changes nothing", func(t *testing.T) {
		before := meRecord(t, ts, tok)
		u := mustUpdateProfile(t, ts, tok, vars{})
		if userStr(u.LastName) != userStr(before.LastName) || userStr(u.Website) != userStr(before.Website) || string(u.Metadata) != string(before.Metadata) {
			t.Errorf("an empty update changed the profile: %+v → %+v", before, u)
		}
	})
	t.Run("invalid website is refused", func(t *testing.T) {
		r := updateProfile(t, ts, tok, vars{"website": "javascript:alert(1)", "lastName": "Changed"})
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if r.field() != "website" {
			t.Errorf("field = %q, want website", r.field())
		}
		u := meRecord(t, ts, tok)
		wantStr(t, "website", u.Website, "https://ann.example")
		wantStr(t, "lastName", u.LastName, "Lee")
	})
}

func TestProfileMetadataMergePatch(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tok, _ := signupWith(t, ts, vars{"username": "meta"})

	steps := []struct {
		name  string
		patch any
		want  string
	}{
		{"set", json.RawMessage(`{"a":1,"b":{"c":2,"d":3}}`), `{"a":1,"b":{"c":2,"d":3}}`},
		{"merge patch", json.RawMessage(`{"b":{"c":null,"e":4},"z":null}`), `{"a":1,"b":{"d":3,"e":4}}`},
		{"empty patch", json.RawMessage(`{}`), `{"a":1,"b":{"d":3,"e":4}}`},
		{"replace nested object by scalar", json.RawMessage(`{"b":"flat","n":[1,{"x":null}]}`), `{"a":1,"b":"flat","n":[1,{"x":null}]}`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			u := mustUpdateProfile(t, ts, tok, vars{"metadata": s.patch})
			assertJSONEqual(t, "answered metadata", u.Metadata, s.want)
			assertJSONEqual(t, "stored metadata", meRecord(t, ts, tok).Metadata, s.want)
			assertJSONEqual(t, "appMetadata", u.AppMetadata, `{}`)
		})
	}

	const kept = `{"a":1,"b":"flat","n":[1,{"x":null}]}`
	invalid := []struct {
		name  string
		patch any
	}{
		{"array", json.RawMessage(`[1,2]`)},
		{"string", "just text"},
		{"number", 7},
		{"dotted key", json.RawMessage(`{"x.y":1}`)},
		{"nested dotted key", json.RawMessage(`{"q":{"k.k":1}}`)},
		{"dollar key", json.RawMessage(`{"$set":{"a":2}}`)},
		{"empty key", json.RawMessage(`{"":1}`)},
	}
	for _, c := range invalid {
		t.Run("invalid/"+c.name, func(t *testing.T) {
			r := updateProfile(t, ts, tok, vars{"metadata": c.patch, "firstName": "Changed"})
			wantCode(t, r, "BAD_USER_INPUT", 0)
			if r.field() != "metadata" {
				t.Errorf("field = %q, want metadata", r.field())
			}
			u := meRecord(t, ts, tok)
			assertJSONEqual(t, "metadata", u.Metadata, kept)
			wantStr(t, "firstName", u.FirstName, "<null>")
		})
	}

	t.Run("null resets", func(t *testing.T) {
		u := mustUpdateProfile(t, ts, tok, vars{"metadata": nil})
		assertJSONEqual(t, "answered metadata", u.Metadata, `{}`)
		assertJSONEqual(t, "stored metadata", meRecord(t, ts, tok).Metadata, `{}`)
	})
}

func TestProfileEmailChange(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	adm := ts.admin(t)
	tok, id := signupWith(t, ts, vars{"username": "erin", "email": "erin@example.com"})
	signupWith(t, ts, vars{"username": "frank", "email": "frank@example.com"})
	ts.mustGQL(t, adm.AccessToken, `mutation($id: ID!) { updateUser(id: $id, input: {emailVerified: true}) { id } }`, vars{"id": id})
	if !meRecord(t, ts, tok).EmailVerified {
		t.Fatal("setup: emailVerified not set by the administrator")
	}

	t.Run("new address is unverified", func(t *testing.T) {
		u := mustUpdateProfile(t, ts, tok, vars{"email": "Erin.New@example.com"})
		wantStr(t, "email", u.Email, "Erin.New@example.com")
		if u.EmailVerified {
			t.Error("emailVerified stayed true after an email change")
		}
		if meRecord(t, ts, tok).EmailVerified {
			t.Error("stored emailVerified stayed true")
		}
		ts.login(t, "erin.new@EXAMPLE.com", testPassword)
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "erin@example.com", "pw": testPassword}), "INVALID_CREDENTIALS", 603)
	})
	for _, taken := range []string{"frank@example.com", "FRANK@Example.COM"} {
		t.Run("taken/"+taken, func(t *testing.T) {
			r := updateProfile(t, ts, tok, vars{"email": taken, "firstName": "Changed", "phone": "+14155550123"})
			wantCode(t, r, "ALREADY_EXISTS", 602)
			if r.field() != "email" {
				t.Errorf("field = %q, want email", r.field())
			}
			u := meRecord(t, ts, tok)
			wantStr(t, "email", u.Email, "Erin.New@example.com")
			wantStr(t, "firstName", u.FirstName, "<null>")
			wantStr(t, "phone", u.Phone, "<null>")
		})
	}
	t.Run("invalid", func(t *testing.T) {
		r := updateProfile(t, ts, tok, vars{"email": "not an email"})
		wantCode(t, r, "INVALID_EMAIL", 901)
		wantStr(t, "email", meRecord(t, ts, tok).Email, "Erin.New@example.com")
	})
}

func TestProfilePhoneAndTags(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tok, _ := signupWith(t, ts, vars{"username": "phil"})

	for _, in := range []string{"+1 415 555 0123", "+1 (415) 555-0123", "+14155550123"} {
		t.Run("normalized/"+in, func(t *testing.T) {
			u := mustUpdateProfile(t, ts, tok, vars{"phone": in})
			wantStr(t, "phone", u.Phone, "+14155550123")
		})
	}
	for _, in := range []string{"12345", "+1 000", "call me", "+999 123 456 789"} {
		t.Run("invalid/"+in, func(t *testing.T) {
			r := updateProfile(t, ts, tok, vars{"phone": in, "lastName": "Changed"})
			wantCode(t, r, "INVALID_PHONE", 804)
			if r.field() != "phone" {
				t.Errorf("field = %q, want phone", r.field())
			}
			u := meRecord(t, ts, tok)
			wantStr(t, "phone", u.Phone, "+14155550123")
			wantStr(t, "lastName", u.LastName, "<null>")
		})
	}
	t.Run("null clears", func(t *testing.T) {
		wantStr(t, "phone", mustUpdateProfile(t, ts, tok, vars{"phone": nil}).Phone, "<null>")
	})
	t.Run("tags are trimmed and deduplicated in order", func(t *testing.T) {
		u := mustUpdateProfile(t, ts, tok, vars{"tags": []string{"b", "a", "b", " a ", "c"}})
		if want := []string{"b", "a", "c"}; !slices.Equal(u.Tags, want) {
			t.Errorf("tags = %q, want %q", u.Tags, want)
		}
		if want := []string{"b", "a", "c"}; !slices.Equal(meRecord(t, ts, tok).Tags, want) {
			t.Errorf("stored tags = %q, want %q", meRecord(t, ts, tok).Tags, want)
		}
	})
	t.Run("empty tag is refused", func(t *testing.T) {
		r := updateProfile(t, ts, tok, vars{"tags": []string{"ok", "  "}})
		wantCode(t, r, "BAD_USER_INPUT", 0)
		if got := meRecord(t, ts, tok).Tags; !slices.Equal(got, []string{"b", "a", "c"}) {
			t.Errorf("tags changed to %q", got)
		}
	})
	t.Run("null clears tags", func(t *testing.T) {
		if u := mustUpdateProfile(t, ts, tok, vars{"tags": nil}); u.Tags == nil || len(u.Tags) != 0 {
			t.Errorf("tags = %#v, want []", u.Tags)
		}
	})
}

func TestProfileCannotSetPrivilegedFields(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tok, _ := signupWith(t, ts, vars{"username": "mallory"})
	cases := []struct {
		name  string
		query string
		v     vars
	}{
		{"appMetadata variable", "", vars{"firstName": "Hacked", "appMetadata": vars{"plan": "gold"}}},
		{"roles variable", "", vars{"firstName": "Hacked", "roles": []string{"admin"}}},
		{"status variable", "", vars{"firstName": "Hacked", "status": "ACTIVE"}},
		{"emailVerified variable", "", vars{"firstName": "Hacked", "emailVerified": true}},
		{"username variable", "", vars{"firstName": "Hacked", "username": "root2"}},
		{"appMetadata literal", `mutation { updateProfile(input: {firstName: "Hacked", appMetadata: {plan: "gold"}}) { id } }`, nil},
		{"roles literal", `mutation { updateProfile(input: {firstName: "Hacked", roles: ["admin"]}) { id } }`, nil},
		{"status literal", `mutation { updateProfile(input: {firstName: "Hacked", status: SUSPENDED}) { id } }`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r *gqlResponse
			if c.query == "" {
				r = updateProfile(t, ts, tok, c.v)
			} else {
				r = ts.gql(t, tok, c.query, nil)
			}
			wantCode(t, r, "GRAPHQL_VALIDATION_FAILED", 0)
			u := meRecord(t, ts, tok)
			wantStr(t, "firstName", u.FirstName, "<null>")
			wantStr(t, "username", u.Username, "mallory")
			assertJSONEqual(t, "appMetadata", u.AppMetadata, `{}`)
			if got := u.roleNames(); !slices.Equal(got, []string{"user"}) {
				t.Errorf("roles = %v, want [user]", got)
			}
			if u.Status != "ACTIVE" || u.EmailVerified {
				t.Errorf("status %s, emailVerified %v", u.Status, u.EmailVerified)
			}
		})
	}
}

func TestProfileChangeUsername(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	tok, id := signupWith(t, ts, vars{"username": "gina", "email": "gina@example.com"})
	signupWith(t, ts, vars{"username": "hank"})
	change := func(t *testing.T, name string) *gqlResponse {
		t.Helper()
		return ts.gql(t, tok, `mutation($u: String!) { changeUsername(username: $u) { id username } }`, vars{"u": name})
	}

	t.Run("works", func(t *testing.T) {
		r := change(t, "gina2")
		if len(r.Errors) > 0 {
			t.Fatalf("changeUsername: %+v", r.Errors)
		}
		if want := `{"changeUsername":{"id":"` + id + `","username":"gina2"}}`; string(r.Data) != want {
			t.Fatalf("data = %s, want %s", r.Data, want)
		}
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "gina", "pw": testPassword}), "INVALID_CREDENTIALS", 603)
		if got := ts.login(t, "gina2", testPassword); got.User.ID != id {
			t.Errorf("login as gina2 = user %s, want %s", got.User.ID, id)
		}
		ts.login(t, "gina@example.com", testPassword)
		if usernameTaken(t, ts, "gina") || !usernameTaken(t, ts, "GINA2") {
			t.Error("usernameExists does not follow the change")
		}
	})
	for _, taken := range []string{"hank", "HANK", "Hank"} {
		t.Run("taken/"+taken, func(t *testing.T) {
			r := change(t, taken)
			wantCode(t, r, "ALREADY_EXISTS", 602)
			wantStr(t, "username", meRecord(t, ts, tok).Username, "gina2")
		})
	}
	for _, bad := range []string{"a b", "x", "-lead", "has@at", "", strings.Repeat("z", 65)} {
		t.Run("invalid/"+bad, func(t *testing.T) {
			r := change(t, bad)
			wantCode(t, r, "INVALID_USERNAME", 900)
			wantStr(t, "username", meRecord(t, ts, tok).Username, "gina2")
		})
	}
	t.Run("the old name is free again", func(t *testing.T) {
		signupWith(t, ts, vars{"username": "gina"})
	})
}

func TestProfileUsernameExists(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	signupWith(t, ts, vars{"username": "Ivy"})
	cases := []struct {
		name string
		want string // data, or the error code
	}{
		{"ivy", "true"}, {"IVY", "true"}, {"Ivy", "true"}, {"iVy", "true"},
		{"ivy2", "false"}, {"iv", "false"},
		{"a b", "INVALID_USERNAME"}, {"", "INVALID_USERNAME"}, {"x@y.z", "INVALID_USERNAME"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ts.gql(t, "", `query($u: String!) { usernameExists(username: $u) }`, vars{"u": c.name})
			if c.want == "true" || c.want == "false" {
				if len(r.Errors) > 0 || string(r.Data) != `{"usernameExists":`+c.want+`}` {
					t.Fatalf("data %s, errors %+v; want %s", r.Data, r.Errors, c.want)
				}
				return
			}
			wantCode(t, r, c.want, 900)
		})
	}
}

// countLimited counts RATE_LIMITED errors and checks their retryAfter.
func countLimited(t *testing.T, r *gqlResponse) (limited int, paths []string) {
	t.Helper()
	for _, e := range r.Errors {
		if c, _ := e.Extensions["code"].(string); c != "RATE_LIMITED" {
			continue
		}
		limited++
		if retryAfter(e) <= 0 {
			t.Errorf("RATE_LIMITED without a positive retryAfter: %+v", e)
		}
		if len(e.Path) > 0 {
			p, _ := e.Path[0].(string)
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	return limited, paths
}

func TestProfileUsernameExistsRateLimit(t *testing.T) {
	t.Parallel()
	limit := withConfig(func(c *app.Config) { c.Limits.LookupPerIP = rule("3/1m") })
	t.Run("fourth call", func(t *testing.T) {
		ts := startServer(t, limit)
		for i := range 3 {
			if r := ts.gql(t, "", `{ usernameExists(username: "someone") }`, nil); len(r.Errors) > 0 {
				t.Fatalf("call %d: %+v", i+1, r.Errors)
			}
		}
		r := ts.gql(t, "", `{ usernameExists(username: "someone") }`, nil)
		wantCode(t, r, "RATE_LIMITED", 0)
		if ra := retryAfter(r.Errors[0]); ra <= 0 || ra > 60 {
			t.Errorf("retryAfter = %v, want 1..60", ra)
		}
	})
	t.Run("aliases count one by one", func(t *testing.T) {
		ts := startServer(t, limit)
		r := ts.gql(t, "", `{ a: usernameExists(username: "u1") b: usernameExists(username: "u2") c: usernameExists(username: "u3")
			d: usernameExists(username: "u4") e: usernameExists(username: "u5") }`, nil)
		if n, _ := countLimited(t, r); n != 2 {
			t.Fatalf("%d aliases limited, want 2 of 5 (errors %+v)", n, r.Errors)
		}
		wantCode(t, ts.gql(t, "", `{ usernameExists(username: "u6") }`, nil), "RATE_LIMITED", 0)
	})
}

func TestProfileLoginRateLimits(t *testing.T) {
	t.Parallel()
	const pw = testPassword
	t.Run("per account, even with the right password", func(t *testing.T) {
		ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LoginPerAccount = rule("3/1m") }))
		ts.signup(t, "jack", pw)
		ts.signup(t, "kate", pw)
		for i := range 3 {
			wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "jack", "pw": "wrong password " + string(rune('a'+i))}), "INVALID_CREDENTIALS", 603)
		}
		r := ts.gql(t, "", loginMutation, vars{"id": "jack", "pw": pw})
		wantCode(t, r, "RATE_LIMITED", 0)
		if retryAfter(r.Errors[0]) <= 0 {
			t.Errorf("retryAfter = %v", r.Errors[0].Extensions["retryAfter"])
		}
		// Another account is not affected.
		ts.login(t, "kate", pw)
	})
	t.Run("per IP across accounts", func(t *testing.T) {
		ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LoginPerIP = rule("5/1m") }))
		for _, u := range []string{"u1", "u2", "u3"} {
			ts.signup(t, u, pw)
		}
		for _, id := range []string{"u1", "u2", "nobody1", "u3", "nobody2"} {
			if r := ts.gql(t, "", loginMutation, vars{"id": id, "pw": pw}); r.code() == "RATE_LIMITED" {
				t.Fatalf("login %s limited too early", id)
			}
		}
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "u1", "pw": pw}), "RATE_LIMITED", 0)
	})
	t.Run("aliases in one request count one by one", func(t *testing.T) {
		// Five logins in one request need a hash limit of five (default one).
		ts := startServer(t, withConfig(func(c *app.Config) { c.Limits.LoginPerIP, c.HTTP.MaxHashes = rule("3/1m"), 5 }))
		ts.signup(t, "lara", pw)
		var q strings.Builder
		q.WriteString("mutation {")
		for _, a := range []string{"l1", "l2", "l3", "l4", "l5"} {
			q.WriteString(" " + a + `: login(input: {identifier: "lara", password: "wrong password"}) { accessToken }`)
		}
		q.WriteString(" }")
		r := ts.gql(t, "", q.String(), nil)
		n, paths := countLimited(t, r)
		if n != 2 || !slices.Equal(paths, []string{"l4", "l5"}) {
			t.Fatalf("limited %d aliases %v, want l4 and l5 (errors %+v)", n, paths, r.Errors)
		}
		wantCode(t, ts.gql(t, "", loginMutation, vars{"id": "lara", "pw": pw}), "RATE_LIMITED", 0)
	})
}

func TestProfileLoginIdentifiers(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	const pw = testPassword
	_, id := signupWith(t, ts, vars{"username": "Leo", "email": "Leo@Example.com", "phone": "+1 415 555 0123", "password": pw})
	for _, ident := range []string{"Leo", "leo", "LEO", "leo@example.com", "LEO@EXAMPLE.COM", " Leo@Example.com ",
		"+14155550123", "+1 415 555 0123", "+1 (415) 555-0123"} {
		t.Run("ok/"+ident, func(t *testing.T) {
			if got := ts.login(t, ident, pw); got.User.ID != id || got.AccessToken == "" {
				t.Fatalf("login as %q = user %q", ident, got.User.ID)
			}
		})
	}
	failures := []struct{ name, ident, pw string }{
		{"wrong password", "leo", "not the password"},
		{"wrong password by email", "leo@example.com", "not the password"},
		{"wrong password by phone", "+14155550123", "not the password"},
		{"unknown username", "nobody", pw},
		{"unknown email", "nobody@example.com", pw},
		{"unknown phone", "+14155550199", pw},
		{"empty identifier", "", pw},
	}
	var messages []string
	for _, f := range failures {
		t.Run("refused/"+f.name, func(t *testing.T) {
			r := ts.gql(t, "", loginMutation, vars{"id": f.ident, "pw": f.pw})
			wantCode(t, r, "INVALID_CREDENTIALS", 603)
			messages = append(messages, r.Errors[0].Message)
		})
	}
	for _, m := range messages {
		if m != messages[0] {
			t.Errorf("failures are told apart: %q vs %q", m, messages[0])
		}
	}
}

func TestProfileVisibility(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	adm := ts.admin(t)
	miaTok, miaID := signupWith(t, ts, vars{"username": "mia", "email": "mia@example.com", "phone": "+14155550123",
		"firstName": "Mia", "lastName": "Wong", "website": "https://mia.example", "avatarUrl": "https://img.example/mia.png",
		"address": "2 Side St", "additionalInfo": "private note", "tags": []string{"t1", "t2"}, "metadata": vars{"secret": "s"}})
	ts.mustGQL(t, adm.AccessToken, `mutation($id: ID!) { updateUser(id: $id, input: {appMetadata: {plan: "gold"}}) { id } }`, vars{"id": miaID})
	ts.login(t, "mia", testPassword)
	nedTok, _ := signupWith(t, ts, vars{"username": "ned"})

	byID := func(t *testing.T, tok, id string) *apiUser {
		t.Helper()
		var out struct{ User *apiUser }
		ts.mustGQL(t, tok, `query($id: ID!) { user(id: $id) { `+userFields+` } }`, vars{"id": id}).decode(t, &out)
		return out.User
	}
	byName := func(t *testing.T, tok, name string) *apiUser {
		t.Helper()
		var out struct{ UserByUsername *apiUser }
		ts.mustGQL(t, tok, `query($u: String!) { userByUsername(username: $u) { `+userFields+` } }`, vars{"u": name}).decode(t, &out)
		return out.UserByUsername
	}
	wantPublic := func(t *testing.T, u *apiUser) {
		t.Helper()
		if u == nil {
			t.Fatal("user = null, want the public view")
		}
		if u.ID != miaID {
			t.Errorf("id = %s, want %s", u.ID, miaID)
		}
		wantStr(t, "username", u.Username, "mia")
		wantStr(t, "firstName", u.FirstName, "Mia")
		wantStr(t, "lastName", u.LastName, "Wong")
		wantStr(t, "fullName", u.FullName, "Mia Wong")
		wantStr(t, "avatarUrl", u.AvatarURL, "https://img.example/mia.png")
		if !slices.Equal(u.Tags, []string{"t1", "t2"}) {
			t.Errorf("tags = %v", u.Tags)
		}
		for f, v := range map[string]*string{"email": u.Email, "phone": u.Phone, "website": u.Website, "address": u.Address,
			"additionalInfo": u.AdditionalInfo, "lastLoginAt": u.LastLoginAt, "lastRequestAt": u.LastRequestAt} {
			wantStr(t, f, v, "<null>")
		}
		assertJSONEqual(t, "metadata", u.Metadata, `{}`)
		assertJSONEqual(t, "appMetadata", u.AppMetadata, `{}`)
		if u.Roles == nil || len(u.Roles) != 0 || u.Sessions == nil || len(u.Sessions) != 0 {
			t.Errorf("roles %v, sessions %v; want [] and []", u.Roles, u.Sessions)
		}
		if u.EmailVerified {
			t.Error("emailVerified shown")
		}
	}
	wantFull := func(t *testing.T, u *apiUser) {
		t.Helper()
		if u == nil {
			t.Fatal("user = null, want the full view")
		}
		wantStr(t, "email", u.Email, "mia@example.com")
		wantStr(t, "phone", u.Phone, "+14155550123")
		wantStr(t, "website", u.Website, "https://mia.example")
		wantStr(t, "address", u.Address, "2 Side St")
		wantStr(t, "additionalInfo", u.AdditionalInfo, "private note")
		assertJSONEqual(t, "metadata", u.Metadata, `{"secret":"s"}`)
		assertJSONEqual(t, "appMetadata", u.AppMetadata, `{"plan":"gold"}`)
		if !slices.Equal(u.roleNames(), []string{"user"}) || len(u.Sessions) < 2 || u.LastLoginAt == nil {
			t.Errorf("roles %v, %d sessions, lastLoginAt %v", u.roleNames(), len(u.Sessions), userStr(u.LastLoginAt))
		}
	}

	t.Run("another user sees the public view by id", func(t *testing.T) { wantPublic(t, byID(t, nedTok, miaID)) })
	t.Run("another user sees the public view by username", func(t *testing.T) { wantPublic(t, byName(t, nedTok, "MIA")) })
	t.Run("self sees everything", func(t *testing.T) {
		wantFull(t, byID(t, miaTok, miaID))
		wantFull(t, byName(t, miaTok, "mia"))
	})
	t.Run("administrator sees everything", func(t *testing.T) { wantFull(t, byID(t, adm.AccessToken, miaID)) })
	t.Run("unknown id or name is null without error", func(t *testing.T) {
		if u := byID(t, nedTok, "00000000-0000-7000-8000-000000000000"); u != nil {
			t.Errorf("user = %+v", u)
		}
		if u := byID(t, nedTok, "garbage"); u != nil {
			t.Errorf("user = %+v", u)
		}
		if u := byName(t, nedTok, "nobody"); u != nil {
			t.Errorf("user = %+v", u)
		}
	})
	t.Run("anonymous is refused", func(t *testing.T) {
		wantCode(t, ts.gql(t, "", `query($id: ID!) { user(id: $id) { id } }`, vars{"id": miaID}), "UNAUTHENTICATED", 606)
	})
	t.Run("suspended is hidden from others", func(t *testing.T) {
		setStatus := `mutation($id: ID!, $s: UserStatus!) { setUserStatus(id: $id, status: $s) { id status } }`
		ts.mustGQL(t, adm.AccessToken, setStatus, vars{"id": miaID, "s": "SUSPENDED"})
		if u := byID(t, nedTok, miaID); u != nil {
			t.Errorf("user(id) of a suspended account = %+v", u)
		}
		if u := byName(t, nedTok, "mia"); u != nil {
			t.Errorf("userByUsername of a suspended account = %+v", u)
		}
		if u := byID(t, adm.AccessToken, miaID); u == nil || u.Status != "SUSPENDED" {
			t.Errorf("the administrator sees %+v", u)
		}
		ts.mustGQL(t, adm.AccessToken, setStatus, vars{"id": miaID, "s": "ACTIVE"})
		wantPublic(t, byID(t, nedTok, miaID))
	})
	t.Run("soft-deleted is hidden from others", func(t *testing.T) {
		ts.mustGQL(t, adm.AccessToken, `mutation($id: ID!) { deleteUser(id: $id) }`, vars{"id": miaID})
		if u := byID(t, nedTok, miaID); u != nil {
			t.Errorf("user(id) of a deleted account = %+v", u)
		}
		if u := byName(t, nedTok, "mia"); u != nil {
			t.Errorf("userByUsername of a deleted account = %+v", u)
		}
	})
}

var timeFormat = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// parseTime parses a Time value, checking its format.
func parseTime(t *testing.T, field, s string) time.Time {
	t.Helper()
	if !timeFormat.MatchString(s) {
		t.Fatalf("%s = %q, not RFC 3339 UTC with milliseconds", field, s)
	}
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("%s = %q: %v", field, s, err)
	}
	return v
}

func TestProfileTimestamps(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	start := time.Now().Add(-time.Second)
	tok, _ := signupWith(t, ts, vars{"username": "olga"})
	u := meRecord(t, ts, tok)
	created := parseTime(t, "createdAt", u.CreatedAt)
	updated := parseTime(t, "updatedAt", u.UpdatedAt)
	if created.Before(start) || created.After(time.Now().Add(time.Second)) {
		t.Errorf("createdAt = %s, not now", created)
	}
	if updated.Before(created) {
		t.Errorf("updatedAt %s before createdAt %s", updated, created)
	}
	if u.LastLoginAt == nil || parseTime(t, "lastLoginAt", *u.LastLoginAt) != created {
		t.Errorf("lastLoginAt after sign-up = %s, want createdAt %s: signing up signs in", userStr(u.LastLoginAt), created)
	}

	t.Run("lastLoginAt set by login", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		a := ts.login(t, "olga", testPassword)
		me := meRecord(t, ts, a.AccessToken)
		if me.LastLoginAt == nil {
			t.Fatal("lastLoginAt = null after login")
		}
		if at := parseTime(t, "lastLoginAt", *me.LastLoginAt); at.Before(before) || at.Before(created) {
			t.Errorf("lastLoginAt = %s, want the login's time", at)
		}
	})
	t.Run("updatedAt moves on updateProfile", func(t *testing.T) {
		prev := meRecord(t, ts, tok).UpdatedAt
		// Stamps have millisecond precision: update until one lands in a later
		// millisecond (the first almost always does).
		var got apiUser
		for i := 0; i < 200; i++ {
			got = mustUpdateProfile(t, ts, tok, vars{"firstName": "Olga" + strings.Repeat("!", i%2)})
			if got.UpdatedAt != prev {
				break
			}
		}
		after := parseTime(t, "updatedAt", got.UpdatedAt)
		if !after.After(parseTime(t, "previous updatedAt", prev)) {
			t.Fatalf("updatedAt %s did not move past %s", got.UpdatedAt, prev)
		}
		if got.CreatedAt != u.CreatedAt {
			t.Errorf("createdAt changed: %s → %s", u.CreatedAt, got.CreatedAt)
		}
		if stored := meRecord(t, ts, tok).UpdatedAt; stored != got.UpdatedAt {
			t.Errorf("stored updatedAt %s, answered %s", stored, got.UpdatedAt)
		}
	})
}
