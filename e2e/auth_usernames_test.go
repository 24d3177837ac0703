package e2e

import (
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// End-to-end tests of the username rules (README, "Usernames"): PRECIS
// normalization, one script per name, the same key for every lookup, and
// the migration of keys stored before those rules.

// Look-alikes of a username that exists, and names that mix scripts.
const (
	fullWidthRoot = "ｒｏｏｔ"      // full-width Latin letters
	cyrillicRoot  = "r\u043eot" // Cyrillic о (U+043E) among Latin letters
	greekRoot     = "r\u03bfot" // Greek ο (U+03BF) among Latin letters
)

// signupUsername signs up a username alone (no email) and returns the
// response.
func signupUsername(t *testing.T, ts *testServer, username string) *gqlResponse {
	t.Helper()
	return ts.gql(t, "", signupMutation, vars{"in": vars{"username": username, "password": testPassword}})
}

// mustSignupUsername signs up a username alone, fails the test on errors
// and returns the tokens.
func mustSignupUsername(t *testing.T, ts *testServer, username string) auth {
	t.Helper()
	return mustSignup(t, ts, vars{"username": username})
}

// usernameWarnings returns the log lines that warn about usernames.
func usernameWarnings(logs string) []string {
	var out []string
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, "level=WARN") && strings.Contains(line, "username") {
			out = append(out, line)
		}
	}
	return out
}

func TestSignupRefusesLookalikeUsernames(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "root", testPassword)
	cases := []struct {
		name, username string
		code           string
		status         int
	}{
		{"full-width", fullWidthRoot, "ALREADY_EXISTS", 602},
		{"full-width upper case", "ＲＯＯＴ", "ALREADY_EXISTS", 602},
		{"Cyrillic o", cyrillicRoot, "INVALID_USERNAME", 900},
		{"Greek omicron", greekRoot, "INVALID_USERNAME", 900},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := signupUsername(t, ts, c.username)
			wantCode(t, r, c.code, c.status)
			if r.field() != "username" {
				t.Errorf("field = %q, want username", r.field())
			}
		})
	}
	r := signupUsername(t, ts, cyrillicRoot)
	if msg := r.Errors[0].Message; !strings.Contains(msg, "Cyrillic and Latin") {
		t.Errorf("message %q does not name the mixed scripts", msg)
	}
	// None of them left an account behind: root is the only user by that name.
	wantCode(t, ts.gql(t, "", loginMutation, vars{"id": cyrillicRoot, "pw": testPassword}), "INVALID_CREDENTIALS", 603)
}

// Whatever width or case a name is typed in, every lookup finds the one
// account: login, usernameExists and userByUsername.
func TestUsernameLookupsNormalize(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	root := ts.signup(t, "root", testPassword)
	for _, typed := range []string{"ＲＯＯＴ", fullWidthRoot, " Root "} {
		if got := ts.login(t, typed, testPassword); got.User.ID != root.User.ID {
			t.Errorf("login as %q: user %s, want root %s", typed, got.User.ID, root.User.ID)
		}
	}
	var exists struct{ UsernameExists bool }
	ts.mustGQL(t, "", `query($u: String!) { usernameExists(username: $u) }`, vars{"u": fullWidthRoot}).decode(t, &exists)
	if !exists.UsernameExists {
		t.Errorf("usernameExists(%q) = false, want true", fullWidthRoot)
	}
	wantCode(t, ts.gql(t, "", `query($u: String!) { usernameExists(username: $u) }`, vars{"u": cyrillicRoot}), "INVALID_USERNAME", 900)
	var byName struct {
		UserByUsername *struct{ ID, Username string }
	}
	ts.mustGQL(t, root.AccessToken, `query($u: String!) { userByUsername(username: $u) { id username } }`, vars{"u": "Ｒｏｏｔ"}).decode(t, &byName)
	if byName.UserByUsername == nil || byName.UserByUsername.ID != root.User.ID || byName.UserByUsername.Username != "root" {
		t.Errorf("userByUsername(Ｒｏｏｔ) = %+v, want root %s", byName.UserByUsername, root.User.ID)
	}
}

// The name shown is the one typed, in PRECIS's case-preserved form:
// full-width letters at their usual width, case kept. Scripts that
// Japanese, Chinese and Korean names mix are accepted.
func TestUsernameShownForm(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	cases := []struct{ typed, shown string }{
		{"Ｊｏｈｎ", "John"},
		{"e\u0301mile", "\u00e9mile"},
		{"山田タロウ", "山田タロウ"},
		{"kim김철수", "kim김철수"},
		{"иван", "иван"},
	}
	for _, c := range cases {
		a := mustSignupUsername(t, ts, c.typed)
		if a.User.Username != c.shown {
			t.Errorf("signup %q: username %q, want %q", c.typed, a.User.Username, c.shown)
		}
		if got := ts.login(t, c.shown, testPassword); got.User.ID != a.User.ID {
			t.Errorf("login as %q: user %s, want %s", c.shown, got.User.ID, a.User.ID)
		}
	}
}

func TestChangeUsernameRefusesLookalikes(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "root", testPassword)
	bob := ts.signup(t, "bob", testPassword)
	change := func(name string) *gqlResponse {
		return ts.gql(t, bob.AccessToken, `mutation($u: String!) { changeUsername(username: $u) { id username } }`, vars{"u": name})
	}
	wantCode(t, change(fullWidthRoot), "ALREADY_EXISTS", 602)
	wantCode(t, change(cyrillicRoot), "INVALID_USERNAME", 900)
	r := change("ｂｏｂｂｙ")
	if len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"username":"bobby"`) {
		t.Fatalf("changeUsername(ｂｏｂｂｙ) = %s %+v, want username bobby", r.Data, r.Errors)
	}
	if got := ts.login(t, "BOBBY", testPassword); got.User.ID != bob.User.ID {
		t.Errorf("login as BOBBY: user %s, want %s", got.User.ID, bob.User.ID)
	}
}

// Administrators set usernames by the same rules, and the usernames of a
// filter find users by the same keys.
func TestAdminUsernamesNormalize(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	admin := ts.admin(t) // username root
	token := admin.AccessToken
	wantCode(t, ts.gql(t, token, createUserMutation, vars{"in": vars{"username": fullWidthRoot, "password": testPassword}}), "ALREADY_EXISTS", 602)
	wantCode(t, ts.gql(t, token, createUserMutation, vars{"in": vars{"username": "adm\u0456n", "password": testPassword}}), "INVALID_USERNAME", 900)
	dora := createUser(t, ts, token, vars{"username": "Ｄｏｒａ", "password": testPassword})
	if dora.Username == nil || *dora.Username != "Dora" {
		t.Errorf("createUser(Ｄｏｒａ): username %v, want Dora", dora.Username)
	}
	update := func(name string) *gqlResponse {
		return ts.gql(t, token, `mutation($id: ID!, $u: String!) { updateUser(id: $id, input: {username: $u}) { id } }`, vars{"id": dora.ID, "u": name})
	}
	wantCode(t, update("ＲＯＯＴ"), "ALREADY_EXISTS", 602)
	wantCode(t, update(greekRoot), "INVALID_USERNAME", 900)

	const listed = `query($u: [String!]) { users(filter: {usernames: $u}) { nodes { id } } }`
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	ts.mustGQL(t, token, listed, vars{"u": []string{"ＲＯＯＴ", "dora"}}).decode(t, &out)
	var got []string
	for _, n := range out.Users.Nodes {
		got = append(got, n.ID)
	}
	if want := []string{admin.User.ID, dora.ID}; !sameIDs(got, want) {
		t.Errorf("users(usernames: [ＲＯＯＴ dora]) = %v, want %v", got, want)
	}
}

func TestInitializeRefusesMixedScriptUsername(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	token := ts.bootstrapToken(t)
	wantCode(t, ts.gql(t, "", initializeMutation, initializeInput(token, cyrillicRoot, "root-password-1")), "INVALID_USERNAME", 900)
	var out struct{ Initialize initializePayload }
	ts.mustGQL(t, "", initializeMutation, initializeInput(token, fullWidthRoot, "root-password-1")).decode(t, &out)
	if u := out.Initialize.User.Username; u == nil || *u != "root" {
		t.Errorf("initialize(%s): username %v, want root", fullWidthRoot, u)
	}
}

// With case-sensitive usernames, case tells names apart but width does
// not, and the filter compares the same keys.
func TestCaseSensitiveUsernames(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withConfig(func(c *app.Config) { c.Accounts.UsernameCaseSensitive = true }))
	var boss struct{ Initialize initializePayload }
	ts.mustGQL(t, "", initializeMutation, initializeInput(ts.bootstrapToken(t), "boss", "boss-password-1")).decode(t, &boss)
	upper := mustSignupUsername(t, ts, "Root")
	lower := mustSignupUsername(t, ts, "root")
	wantCode(t, signupUsername(t, ts, "Ｒｏｏｔ"), "ALREADY_EXISTS", 602)
	if got := ts.login(t, "Ｒｏｏｔ", testPassword); got.User.ID != upper.User.ID {
		t.Errorf("login as Ｒｏｏｔ: user %s, want Root %s", got.User.ID, upper.User.ID)
	}
	if got := ts.login(t, "root", testPassword); got.User.ID != lower.User.ID {
		t.Errorf("login as root: user %s, want root %s", got.User.ID, lower.User.ID)
	}
	const listed = `query($u: [String!]) { users(filter: {usernames: $u}) { nodes { id } } }`
	var out struct {
		Users struct{ Nodes []struct{ ID string } }
	}
	ts.mustGQL(t, boss.Initialize.Auth.AccessToken, listed, vars{"u": []string{"Ｒｏｏｔ"}}).decode(t, &out)
	if len(out.Users.Nodes) != 1 || out.Users.Nodes[0].ID != upper.User.ID {
		t.Errorf("users(usernames: [Ｒｏｏｔ]) = %+v, want only Root %s", out.Users.Nodes, upper.User.ID)
	}
}

// sameIDs reports whether a and b hold the same ids in any order.
func sameIDs(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestUsernameKeyMigration starts the server on a database written before
// the PRECIS rules (keys lower-cased only): every account still signs in
// with what its owner typed before, keys move to the new rules, and a pair
// that now collides is logged once, by id, and left as it was.
func TestUsernameKeyMigration(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "writes the old records into the SQLite file")
	cfg := testConfig(t, t.TempDir()+"/usergraph.db")
	path := strings.TrimPrefix(cfg.Store.URL, "sqlite:")
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := bcrypt.GenerateFromPassword([]byte(testPassword), bcrypt.MinCost)
	old := func(name string) *store.User { // as the code before PRECIS wrote users
		now := store.Now()
		return &store.User{ID: store.NewID(), Username: name, UsernameKey: store.FoldKey(name),
			Status: store.StatusActive, PasswordHash: string(hash), Roles: []string{"user"}, CreatedAt: now, UpdatedAt: now}
	}
	root := old("root")
	twin := old(fullWidthRoot) // signed up beside root before the rules
	bob := old("Ｂｏｂ")          // full-width, key "ｂｏｂ"
	mixed := old(cyrillicRoot) // refused by the rules now
	for _, u := range []*store.User{root, twin, bob, mixed} {
		if err := db.CreateUser(t.Context(), u); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	ts := startWith(t, cfg)
	signsIn := func(typed, wantID string) {
		t.Helper()
		if got := ts.login(t, typed, testPassword); got.User.ID != wantID {
			t.Errorf("login as %q: user %s, want %s", typed, got.User.ID, wantID)
		}
	}
	signsIn("root", root.ID)
	signsIn(fullWidthRoot, twin.ID) // kept its old key: still found by what was typed
	signsIn("bob", bob.ID)          // the new key
	signsIn("Ｂｏｂ", bob.ID)
	signsIn(cyrillicRoot, mixed.ID)

	warned := usernameWarnings(ts.logs.String())
	if len(warned) != 2 {
		t.Fatalf("warnings about usernames: got %d, want 2 (the colliding pair, the refused name):\n%s", len(warned), strings.Join(warned, "\n"))
	}
	if w := warned[0] + warned[1]; !strings.Contains(w, "user="+twin.ID) || !strings.Contains(w, "same_as_user="+root.ID) || !strings.Contains(w, "user="+mixed.ID) {
		t.Errorf("warnings do not name the ids (want %s with %s, and %s):\n%s", twin.ID, root.ID, mixed.ID, strings.Join(warned, "\n"))
	}
	for _, name := range []string{fullWidthRoot, cyrillicRoot, "root"} {
		if strings.Contains(strings.Join(warned, "\n"), name) {
			t.Errorf("a warning names the username %q:\n%s", name, strings.Join(warned, "\n"))
		}
	}

	// Once: a restart neither migrates nor warns again, and all still sign in.
	ts = ts.restart()
	if again := usernameWarnings(ts.logs.String()); len(again) > 0 {
		t.Errorf("the restart warned again:\n%s", strings.Join(again, "\n"))
	}
	signsIn(fullWidthRoot, twin.ID)
	signsIn("root", root.ID)
	signsIn("bob", bob.ID)
}
