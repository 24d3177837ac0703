package e2e

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/password"
)

// importRows is how many generated users TestImportEveryHashTypeThenSignIn
// imports: a few thousand, several bulk inserts' worth.
const importRows = 3000

// sampled is how many users of each hash scheme sign in after the import.
const sampled = 3

// generated is a generated import file: its rows, and the password of
// each user that will sign in.
type generated struct {
	rows      []any
	passwords map[string]string // username → password, for the sampled users
}

// generateUsers makes n users cycling through every hash scheme. The first
// sampled users of each scheme get a password and hash of their own; the
// others share their scheme's hash (hashing thousands of passwords would
// test nothing more). Each has profile fields, metadata and roles.
func generateUsers(t *testing.T, n int) generated {
	g := generated{passwords: map[string]string{}}
	shared := make([]string, len(hashers))
	for i, h := range hashers {
		shared[i] = h.hash(t, "shared imported password", salt())
	}
	for i := range n {
		kind := i % len(hashers)
		name := fmt.Sprintf("imp%05d", i)
		hash := shared[kind]
		if i/len(hashers) < sampled {
			pw := "password of " + name
			hash = hashers[kind].hash(t, pw, salt())
			g.passwords[name] = pw
		}
		g.rows = append(g.rows, map[string]any{
			"username": name, "email": name + "@example.com", "emailVerified": i%2 == 0,
			"firstName": "First" + name, "lastName": "Last", "tags": []string{"imported"},
			"metadata": map[string]any{"n": i}, "appMetadata": map[string]any{"plan": "pro"},
			"roles": []string{"user"}, "createdAt": "2020-01-02T03:04:05.678Z", "passwordHash": hash,
		})
	}
	return g
}

func salt() []byte {
	b := make([]byte, 16)
	rand.Read(b)
	return b
}

// badRows are rows an import must reject, each with a word its reason
// must contain, appended after the generated ones.
var badRows = []struct {
	row  any
	want string
}{
	{map[string]any{"username": "typo", "emial": "x@example.com"}, "unknown field"},
	{map[string]any{"username": "md5user", "passwordHash": "$1$salt$md5hash"}, "passwordHash"},
	{map[string]any{"email": "not-an-email"}, "email"},
	{map[string]any{"username": "imp00001"}, "row 2"}, // the file's second user already has it
	{map[string]any{"username": "norole", "roles": []string{"no-such-role"}}, "no-such-role"},
	{`{"username": "broken"`, "not a user object"},
	{map[string]any{"username": "bigscrypt", "passwordHash": password.EncodeFirebase(
		password.FirebaseParams{SignerKey: firebaseProject.SignerKey, SaltSeparator: firebaseProject.SaltSeparator, Rounds: 8, MemCost: 17},
		[]byte("salt"), firebaseProject.SignerKey)}, "memory"}, // 128 MiB: above 4× the server's 4 MiB
}

// TestImportEveryHashTypeThenSignIn imports a few thousand generated users
// with every hash scheme and a handful of bad rows; the bad ones land in
// the rejects file with their reasons while the rest are stored, a sample
// of each scheme signs in over HTTP and is rehashed to the server's
// argon2id, the others keep their hashes, and a second run skips them all.
func TestImportEveryHashTypeThenSignIn(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withArgon2Memory(4096))
	g := generateUsers(t, importRows)
	for _, b := range badRows {
		g.rows = append(g.rows, b.row)
	}
	dir := t.TempDir()
	file := writeLines(t, dir, "users.jsonl", g.rows)

	out := mustRun(t, ts, app.Import, file)
	want := fmt.Sprintf("%d rows read: %d created, 0 updated, 0 skipped (existing), %d rejected", len(g.rows), importRows, len(badRows))
	if !strings.Contains(out, want) {
		t.Fatalf("import said:\n%s\nwant %q", out, want)
	}
	rejects := readRejects(t, file+".rejects.jsonl")
	if len(rejects) != len(badRows) {
		t.Fatalf("%d rejects, want %d: %v", len(rejects), len(badRows), rejects)
	}
	for i, r := range rejects {
		wantRow := float64(importRows + i + 1)
		if r["row"] != wantRow || !strings.Contains(r["reason"].(string), badRows[i].want) {
			t.Errorf("reject %d = row %v %q, want row %v with a reason naming %q", i, r["row"], r["reason"], wantRow, badRows[i].want)
		}
	}

	for name, pw := range g.passwords {
		ts.login(t, name, pw)
	}
	users := exportedUsers(t, ts)
	if len(users) != importRows {
		t.Fatalf("%d users stored, want %d", len(users), importRows)
	}
	rehashed := "$argon2id$v=19$m=4096,t=1,p=1$"
	for i := range importRows {
		name := fmt.Sprintf("imp%05d", i)
		got, _ := users[name]["passwordHash"].(string)
		wantPrefix := hashers[i%len(hashers)].scheme
		if _, signedIn := g.passwords[name]; signedIn {
			wantPrefix = rehashed
		}
		if !strings.HasPrefix(got, wantPrefix) {
			t.Errorf("%s's hash = %.40s…, want %s…", name, got, wantPrefix)
		}
	}
	if u := users["imp00007"]; u["firstName"] != "Firstimp00007" || u["metadata"].(map[string]any)["n"] != float64(7) {
		t.Errorf("imp00007 stored as %v", u)
	}

	out = mustRun(t, ts, app.Import, file)
	want = fmt.Sprintf("%d created, 0 updated, %d skipped (existing), %d rejected", 0, importRows, len(badRows))
	if !strings.Contains(out, want) {
		t.Errorf("second import said:\n%s\nwant %q", out, want)
	}
}

// TestImportUpdateAndDryRun: -dry-run counts without storing; -update
// replaces an existing user's fields, keeping its password when the row
// has none.
func TestImportUpdateAndDryRun(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	dir := t.TempDir()
	file := writeLines(t, dir, "one.jsonl", []any{map[string]any{"username": "ann", "firstName": "Ann",
		"passwordHash": hashers[1].hash(t, "ann's old password", nil)}})

	out := mustRun(t, ts, app.Import, "-dry-run", file)
	if !strings.Contains(out, "dry run of") || !strings.Contains(out, "1 created") {
		t.Errorf("dry run said %q", out)
	}
	if users := exportedUsers(t, ts); len(users) != 0 {
		t.Fatalf("a dry run stored %d users", len(users))
	}
	mustRun(t, ts, app.Import, file)
	changed := writeLines(t, dir, "changed.jsonl", []any{map[string]any{"username": "ann", "firstName": "Anne"}})
	if out := mustRun(t, ts, app.Import, changed); !strings.Contains(out, "1 skipped") {
		t.Errorf("import of an existing user without -update said %q", out)
	}
	if got := exportedUsers(t, ts)["ann"]["firstName"]; got != "Ann" {
		t.Errorf("firstName after a skipping import = %v, want Ann", got)
	}
	if out := mustRun(t, ts, app.Import, "-update", changed); !strings.Contains(out, "1 updated") {
		t.Errorf("import -update said %q", out)
	}
	if got := exportedUsers(t, ts)["ann"]["firstName"]; got != "Anne" {
		t.Errorf("firstName after import -update = %v, want Anne", got)
	}
	ts.login(t, "ann", "ann's old password")
}

// TestImportFirebaseExport imports a Firebase Auth export: the user of
// Firebase's published example signs in with its password and is rehashed;
// a user with a password but no project parameters is rejected.
func TestImportFirebaseExport(t *testing.T) {
	t.Parallel()
	ts := startServer(t, withArgon2Memory(4096))
	export := `{"users": [
	  {"localId": "fbUser1xxxxxxxxxxxxxxxxxxxx1", "email": "user1@example.com", "emailVerified": true,
	   "passwordHash": "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
	   "salt": "42xEC+ixf3L2lw==", "displayName": "User One", "createdAt": "1486832567000",
	   "customAttributes": "{\"plan\":\"gold\"}",
	   "providerUserInfo": [{"providerId": "google.com", "rawId": "1234567890", "email": "user1@example.com"}]},
	  {"localId": "fbUser2xxxxxxxxxxxxxxxxxxxx2", "email": "user2@example.com", "disabled": true, "createdAt": 1486832567000}
	]}`
	file := filepath.Join(t.TempDir(), "users.json")
	must(t, os.WriteFile(file, []byte(export), 0o600))

	out, _, err := runCommand(t, ts, app.Import, "-format", "firebase", "-dry-run", file)
	if err != nil || !strings.Contains(out, "1 created") || !strings.Contains(out, "1 rejected") {
		t.Fatalf("import without the project's parameters: %v, said %q; want user1 rejected (it has a password)", err, out)
	}
	out = mustRun(t, ts, app.Import, "-format", "firebase",
		"-firebase-signer-key", "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
		"-firebase-salt-separator", "Bw==", "-firebase-rounds", "8", "-firebase-mem-cost", "14", file)
	if !strings.Contains(out, "2 created") || !strings.Contains(out, "1 identities linked") {
		t.Fatalf("import said %q", out)
	}
	ts.login(t, "user1@example.com", "user1password")
	users := exportedUsers(t, ts)
	u1, u2 := users["user1@example.com"], users["user2@example.com"]
	if h, _ := u1["passwordHash"].(string); !strings.HasPrefix(h, "$argon2id$") {
		t.Errorf("user1's hash after sign-in = %.30s…, want argon2id", h)
	}
	if u1["id"] != "fbUser1xxxxxxxxxxxxxxxxxxxx1" || u1["fullName"] != "User One" || u1["emailVerified"] != true ||
		u1["appMetadata"].(map[string]any)["plan"] != "gold" || u1["createdAt"] != "2017-02-11T17:02:47Z" {
		t.Errorf("user1 stored as %v", u1)
	}
	ids, _ := u1["identities"].([]any)
	if len(ids) != 1 || ids[0].(map[string]any)["provider"] != "google" || ids[0].(map[string]any)["subject"] != "1234567890" {
		t.Errorf("user1's identities = %v, want its Google account", u1["identities"])
	}
	if u2["status"] != "SUSPENDED" {
		t.Errorf("disabled Firebase user's status = %v, want SUSPENDED", u2["status"])
	}
}

// TestImportSupabaseUsers imports auth.users rows from CSV as psql's \copy
// writes them: the bcrypt hash signs in, the confirmed email is verified,
// the user's metadata fills the profile, a banned user is suspended.
func TestImportSupabaseUsers(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	hash := hashers[1].hash(t, "supabase password", nil)
	csv := "instance_id,id,aud,role,email,encrypted_password,email_confirmed_at,created_at,last_sign_in_at,raw_app_meta_data,raw_user_meta_data,phone,banned_until,deleted_at,is_anonymous\n" +
		`,5b9c2a3e-8f1d-4c2b-9a7e-1f2d3c4b5a60,authenticated,authenticated,sue@example.com,` + hash +
		`,2024-01-02 03:04:05.123456+00,2024-01-01 00:00:00+00,2024-02-01 10:00:00.5+00,"{""provider"":""email""}","{""full_name"":""Sue Smith"",""avatar_url"":""https://img.example/sue.png""}",14155550123,,,f` + "\n" +
		`,6b9c2a3e-8f1d-4c2b-9a7e-1f2d3c4b5a61,authenticated,authenticated,ban@example.com,,,2024-01-01 00:00:00+00,,{},{},,2999-01-01 00:00:00+00,,f` + "\n"
	file := filepath.Join(t.TempDir(), "auth_users.csv")
	must(t, os.WriteFile(file, []byte(csv), 0o600))
	if out := mustRun(t, ts, app.Import, "-format", "supabase", file); !strings.Contains(out, "2 created") {
		t.Fatalf("import said %q; rejects: %v", out, readRejects(t, file+".rejects.jsonl"))
	}
	ts.login(t, "sue@example.com", "supabase password")
	users := exportedUsers(t, ts)
	sue := users["sue@example.com"]
	if sue["id"] != "5b9c2a3e-8f1d-4c2b-9a7e-1f2d3c4b5a60" || sue["fullName"] != "Sue Smith" || sue["emailVerified"] != true ||
		sue["phone"] != "+14155550123" || sue["avatarUrl"] != "https://img.example/sue.png" {
		t.Errorf("sue stored as %v", sue)
	}
	if got := users["ban@example.com"]["status"]; got != "SUSPENDED" {
		t.Errorf("banned user's status = %v, want SUSPENDED", got)
	}
}
