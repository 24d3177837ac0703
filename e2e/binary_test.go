package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMFinishesInFlightRequests sends SIGTERM while a sign-up is
// hashing: the request must still be answered, the process must exit 0,
// and the store must be closed cleanly (the WAL checkpointed away).
func TestSIGTERMFinishesInFlightRequests(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "checks the SQLite file after shutdown")
	bin := usergraphBinary(t)
	db := filepath.Join(t.TempDir(), "sig.db")
	// A costly hash (64 MiB, 3 passes) keeps the sign-up in flight long
	// enough to signal in the middle of it.
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0", "-database-url", "sqlite:"+db,
		"-argon2-memory-kib", "65536", "-argon2-iterations", "3")
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	url, logs := waitListening(t, stderr)

	body, _ := json.Marshal(map[string]any{"query": signupMutation,
		"variables": vars{"in": vars{"username": "inflight", "password": testPassword}}})
	answered := make(chan *http.Response, 1)
	go func() {
		res, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Errorf("in-flight sign-up: %v", err)
		}
		answered <- res
	}()
	waitHashing(t, url)
	cmd.Process.Signal(syscall.SIGTERM)

	res := <-answered
	if res == nil {
		t.Fatal("the in-flight request was dropped")
	}
	var out gqlResponse
	json.NewDecoder(res.Body).Decode(&out)
	res.Body.Close()
	if len(out.Errors) > 0 || res.StatusCode != http.StatusOK {
		t.Fatalf("in-flight sign-up answered %d %+v, want success", res.StatusCode, out.Errors)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\nlogs:\n%s", err, logs())
	}
	if fi, err := os.Stat(db + "-wal"); err == nil && fi.Size() > 0 {
		t.Errorf("the WAL holds %d bytes after shutdown: the store was not closed", fi.Size())
	}
}

// waitListening reads the server's log until it says where it listens.
func waitListening(t *testing.T, stderr io.Reader) (url string, logs func() string) {
	t.Helper()
	var mu sync.Mutex
	var all bytes.Buffer
	found := make(chan string, 1)
	re := regexp.MustCompile(`graphql=(http://[0-9.:]+)/graphql`)
	go func() {
		lines := bufio.NewScanner(stderr)
		for lines.Scan() {
			mu.Lock()
			all.WriteString(lines.Text() + "\n")
			mu.Unlock()
			if m := re.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	logs = func() string { mu.Lock(); defer mu.Unlock(); return all.String() }
	select {
	case url = <-found:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not start:\n%s", logs())
	}
	return url, logs
}

// waitHashing waits until the server reports a hash in flight.
func waitHashing(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url + "/metrics")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if bytes.Contains(body, []byte("\nusergraph_password_hashes_in_flight 1\n")) {
				return
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Fatal("the sign-up never started hashing")
}

// The command line as server.go dispatches it: each command runs, and an
// unknown command, flag or argument is refused with the usage and exit
// status 2 instead of starting a server.
func TestCommandLine(t *testing.T) {
	t.Parallel()
	bin := usergraphBinary(t)
	cases := []struct {
		name     string
		env      []string
		args     []string
		exit     int
		stdout   []string // each must appear
		stderr   []string
		noStderr bool
	}{
		{name: "version", args: []string{"version"}, exit: 0, stdout: []string{"usergraph ", "go1."}, noStderr: true},
		{name: "help", args: []string{"help"}, exit: 0, stdout: []string{"serve", "init", "version"}, noStderr: true},
		{name: "help of a command", args: []string{"help", "init"}, exit: 0, stdout: []string{"-username", "USERGRAPH_DATABASE_URL"}},
		{name: "-help names each variable", args: []string{"-help"}, exit: 0,
			stdout: []string{"-listen", "USERGRAPH_LISTEN", "-argon2-memory-kib", "USERGRAPH_ARGON2_MEMORY_KIB"}},
		{name: "init -help shows its own flags first", args: []string{"init", "-help"}, exit: 0,
			stdout: []string{"Flags of init:", "-username", "-email", "Server settings", "-database-url"}},
		{name: "unknown command", args: []string{"bogus"}, exit: 2, stderr: []string{`unknown command "bogus"`, "usage:"}},
		{name: "unknown flag", args: []string{"-bogus"}, exit: 2, stderr: []string{"-bogus", "usage: usergraph [serve] [flags]", "usergraph serve -help"}},
		{name: "unknown flag of init", args: []string{"init", "-bogus"}, exit: 2, stderr: []string{"-bogus", "usage: usergraph init", "usergraph init -help"}},
		{name: "argument to version", args: []string{"version", "now"}, exit: 2, stderr: []string{`unexpected argument "now"`}},
		{name: "value out of range", args: []string{"-argon2-parallelism", "256"}, exit: 2, stderr: []string{"-argon2-parallelism", "255"}},
		{name: "version takes no settings", env: []string{"USERGRAPH_LOG_LEVEL=loud"}, args: []string{"version"}, exit: 0},
		{name: "unknown variable is a warning", env: []string{"USERGRAPH_BOGUS=1"}, args: []string{"version"}, exit: 0,
			stdout: []string{"usergraph "}, stderr: []string{"warning: USERGRAPH_BOGUS"}},
		{name: "a bad setting is refused", env: []string{"USERGRAPH_LOG_LEVEL=loud"}, args: []string{"-listen", "127.0.0.1:0"}, exit: 2,
			stderr: []string{"USERGRAPH_LOG_LEVEL"}},
		{name: "import needs its file", args: []string{"import", "-dry-run"}, exit: 2, stderr: []string{"missing FILE", "usage: usergraph import [flags] FILE"}},
		{name: "import takes one file", args: []string{"import", "a.jsonl", "b.jsonl"}, exit: 2, stderr: []string{`unexpected argument "b.jsonl"`}},
		{name: "import of an unknown format", args: []string{"import", "-format", "xml", "/dev/null"}, exit: 2, stderr: []string{`-format "xml"`}},
		{name: "import -help", args: []string{"import", "-help"}, exit: 0,
			stdout: []string{"Flags of import:", "-dry-run", "-update", "-rejects", "-firebase-signer-key", "Server settings"}},
		{name: "keys without rotate", args: []string{"keys"}, exit: 2, stderr: []string{"want rotate"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			stdout, stderr, err := runBinary(t, bin, c.env, c.args...)
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if exit != c.exit {
				t.Fatalf("usergraph %s: exit status %d, want %d\nstdout: %s\nstderr: %s", strings.Join(c.args, " "), exit, c.exit, stdout, stderr)
			}
			for _, want := range c.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range c.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if c.noStderr && stderr != "" {
				t.Errorf("stderr = %q, want nothing", stderr)
			}
		})
	}
}
