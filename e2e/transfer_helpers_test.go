package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/scrypt"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/password"
)

// Helpers of the import, export and operators' command tests: running a
// command against a test server's database, and the password hashes of
// the systems users are imported from, each made by that system's rule.

// command is one of usergraph's commands (server.go's table).
type command func(ctx context.Context, env app.Env, args []string) error

// runCommand runs cmd with args and the flags that point it at ts's
// database with ts's hashing settings, in an environment of its own.
func runCommand(t *testing.T, ts *testServer, cmd command, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := app.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}
	err = cmd(t.Context(), env, append(args, serverFlags(ts)...))
	return out.String(), errOut.String(), err
}

// mustRun is runCommand that fails the test on an error.
func mustRun(t *testing.T, ts *testServer, cmd command, args ...string) string {
	t.Helper()
	out, errOut, err := runCommand(t, ts, cmd, args...)
	if err != nil {
		t.Fatalf("%v: %v\nstdout:\n%s\nstderr:\n%s", args, err, out, errOut)
	}
	return out
}

// serverFlags are the settings a command shares with ts: its database
// and its argon2id parameters (which bound the hashes an import accepts).
func serverFlags(ts *testServer) []string {
	c := ts.cfg
	flags := []string{"-database-url", c.Store.URL, "-log-level", "warn",
		"-argon2-memory-kib", strconv.Itoa(int(c.Passwords.Params.Memory)),
		"-argon2-iterations", strconv.Itoa(int(c.Passwords.Params.Iterations))}
	if c.Store.Mongo.Database != "" {
		flags = append(flags, "-mongo-database", c.Store.Mongo.Database)
	}
	return flags
}

// withArgon2Memory sets the server's argon2id memory, which bounds the
// memory of stored hashes (4×): 4 MiB admits Firebase's default scrypt
// parameters (16 MiB).
func withArgon2Memory(kib uint32) option {
	return withConfig(func(c *app.Config) { c.Passwords.Params.Memory = kib })
}

// The Firebase project of Firebase's published example
// (github.com/firebase/scrypt): its password hash parameters.
var firebaseProject = password.FirebaseParams{
	SignerKey:     b64std("jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA=="),
	SaltSeparator: b64std("Bw=="),
	Rounds:        8,
	MemCost:       14,
}

func b64std(s string) []byte {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// hashers make a hash of each scheme an import keeps, as the system that
// used it would: the password in, the stored string out.
var hashers = []struct {
	scheme string // the stored hash's prefix
	hash   func(t *testing.T, plain string, salt []byte) string
}{
	{"$argon2id$v=19$m=2048,t=2,p=1$", func(t *testing.T, plain string, _ []byte) string {
		// another system's parameters: rehashed to the server's at sign-in
		h, err := password.NewHasher(password.Params{Memory: 2048, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1).
			Hash(t.Context(), plain)
		must(t, err)
		return h
	}},
	{"$2a$", func(t *testing.T, plain string, _ []byte) string {
		h, err := bcrypt.GenerateFromPassword([]byte(plain), bcrypt.MinCost)
		must(t, err)
		return string(h)
	}},
	{"$pbkdf2-sha1$", pbkdf2Of("sha1")},
	{"$pbkdf2-sha256$", pbkdf2Of("sha256")},
	{"$pbkdf2-sha512$", pbkdf2Of("sha512")},
	{"$firebase-scrypt$", func(t *testing.T, plain string, salt []byte) string {
		return password.EncodeFirebase(firebaseProject, salt, firebaseHash(t, plain, salt))
	}},
}

func pbkdf2Of(digest string) func(t *testing.T, plain string, salt []byte) string {
	return func(t *testing.T, plain string, salt []byte) string {
		var key []byte
		var err error
		switch digest {
		case "sha1":
			key, err = pbkdf2.Key(sha1.New, plain, salt, 1000, 20)
		case "sha256":
			key, err = pbkdf2.Key(sha256.New, plain, salt, 1000, 32)
		default:
			key, err = pbkdf2.Key(sha512.New, plain, salt, 1000, 64)
		}
		must(t, err)
		return password.EncodePBKDF2(digest, 1000, salt, key)
	}
}

// firebaseHash is what Firebase stores for plain: its project's signer key
// encrypted with AES-256-CTR under the scrypt key of plain, with the salt
// followed by the separator (github.com/firebase/scrypt).
func firebaseHash(t *testing.T, plain string, salt []byte) []byte {
	p := firebaseProject
	key, err := scrypt.Key([]byte(plain), append(append([]byte{}, salt...), p.SaltSeparator...), 1<<p.MemCost, p.Rounds, 1, 64)
	must(t, err)
	block, err := aes.NewCipher(key[:32])
	must(t, err)
	out := make([]byte, len(p.SignerKey))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, p.SignerKey)
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// writeLines writes one JSON value per line to a new file in dir.
func writeLines(t *testing.T, dir, name string, rows []any) string {
	t.Helper()
	var buf bytes.Buffer
	for _, r := range rows {
		if s, ok := r.(string); ok { // a raw line, as a broken export would have it
			buf.WriteString(s + "\n")
			continue
		}
		b, err := json.Marshal(r)
		must(t, err)
		buf.Write(append(b, '\n'))
	}
	path := filepath.Join(dir, name)
	must(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// exportedUsers exports ts's users with their hashes and returns them by
// username (or email, for users without one).
func exportedUsers(t *testing.T, ts *testServer) map[string]map[string]any {
	t.Helper()
	path := filepath.Join(t.TempDir(), "export.jsonl")
	mustRun(t, ts, app.Export, "-with-hashes", path)
	f, err := os.Open(path)
	must(t, err)
	defer f.Close()
	users := map[string]map[string]any{}
	lines := bufio.NewScanner(f)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() {
		var u map[string]any
		must(t, json.Unmarshal(lines.Bytes(), &u))
		key, _ := u["username"].(string)
		if key == "" {
			key, _ = u["email"].(string)
		}
		users[key] = u
	}
	must(t, lines.Err())
	return users
}

// readRejects reads an import's rejects file.
func readRejects(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var r map[string]any
		must(t, json.Unmarshal([]byte(line), &r))
		out = append(out, r)
	}
	return out
}
