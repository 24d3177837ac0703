package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/usergraph/usergraph/app"
)

// TestExportImportRoundTrip: what one server exports (hashes and
// identities included) imports into another as it was: the second server's export is the same
// file, whether the users travelled as JSON lines or as CSV, and they sign
// in there with their passwords.
func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var rows []any
	for i := range 60 {
		row := map[string]any{
			"id": fmt.Sprintf("legacy-%03d", i), "username": fmt.Sprintf("rt%03d", i), "email": fmt.Sprintf("rt%03d@example.com", i),
			"emailVerified": i%2 == 0, "firstName": "Ann", "lastName": "Lee", "fullName": "Ann \"Quoted\" Lee",
			"website": "https://example.com/" + fmt.Sprint(i), "address": "1 Main St\nTown, \"Q\"", "additionalInfo": "a,b;c",
			"tags": []string{"x", "y"}, "metadata": map[string]any{"n": i, "nested": map[string]any{"ok": true}},
			"appMetadata": map[string]any{"plan": "pro"}, "roles": []string{"user"},
			"createdAt": fmt.Sprintf("2021-03-04T05:06:%02d.789Z", i), "lastLoginAt": "2022-01-01T00:00:00Z",
			"passwordHash": hashers[i%len(hashers)].hash(t, "round trip password", salt()),
		}
		switch i {
		case 1:
			row["status"] = "SUSPENDED"
		case 2:
			row["status"] = "PENDING"
			row["roles"] = []string{}
		case 3:
			row["deletedAt"] = "2023-05-06T07:08:09Z"
		case 4:
			row["phone"] = "+14155550123"
			row["isGuest"] = true
		case 5, 6:
			row["identities"] = []map[string]any{
				{"provider": "google", "subject": fmt.Sprint("g-", i), "email": "rt@gmail.example", "linkedAt": "2022-02-02T02:02:02Z"},
				{"provider": "github", "subject": fmt.Sprint(1000 + i)},
			}
		}
		rows = append(rows, row)
	}
	a := startServer(t, withArgon2Memory(4096))
	mustRun(t, a, app.Import, writeLines(t, dir, "in.jsonl", rows))
	fromA := filepath.Join(dir, "a.jsonl")
	mustRun(t, a, app.Export, "-with-hashes", fromA)
	if b, _ := os.ReadFile(fromA); bytes.Count(b, []byte(`"provider":"github"`)) != 2 {
		t.Fatalf("the export lacks the identities:\n%s", b)
	}
	asCSV := filepath.Join(dir, "a.csv")
	mustRun(t, a, app.Export, "-with-hashes", asCSV)

	for _, file := range []string{fromA, asCSV} {
		b := startServer(t, withArgon2Memory(4096))
		if out := mustRun(t, b, app.Import, file); !bytes.Contains([]byte(out), []byte("60 created")) {
			t.Fatalf("import of %s said %q", filepath.Base(file), out)
		}
		fromB := filepath.Join(t.TempDir(), "b.jsonl")
		mustRun(t, b, app.Export, "-with-hashes", fromB)
		want, _ := os.ReadFile(fromA)
		got, _ := os.ReadFile(fromB)
		if !bytes.Equal(got, want) {
			t.Errorf("export after importing %s differs from the original export:\n got %s\nwant %s", filepath.Base(file), got, want)
		}
		b.login(t, "rt005", "round trip password")
	}
}

// TestExportLeavesHashesOut: without -with-hashes no hash is written, and
// an existing file is never overwritten.
func TestExportLeavesHashesOut(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "plain", testPassword)
	file := filepath.Join(t.TempDir(), "users.jsonl")
	mustRun(t, ts, app.Export, file)
	b, _ := os.ReadFile(file)
	if !bytes.Contains(b, []byte(`"username":"plain"`)) || bytes.Contains(b, []byte("passwordHash")) || bytes.Contains(b, []byte("argon2id")) {
		t.Errorf("export without -with-hashes wrote %s", b)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode = %v, want 0600", fi.Mode().Perm())
	}
	if _, _, err := runCommand(t, ts, app.Export, file); err == nil {
		t.Error("export over an existing file succeeded")
	}
}
