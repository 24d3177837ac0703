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
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// usergraphBinary builds the server once per test run, for tests that need
// the real process (signals, the command line).
func usergraphBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "usergraph-test-bin-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "usergraph")
		if out, err := exec.Command("go", "build", "-o", binaryPath, "github.com/usergraph/usergraph").CombinedOutput(); err != nil {
			binaryErr = &buildError{err, out}
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// TestSIGTERMFinishesInFlightRequests sends SIGTERM while a sign-up is
// hashing: the request must still be answered, the process must exit 0,
// and the store must be closed cleanly (the WAL checkpointed away).
func TestSIGTERMFinishesInFlightRequests(t *testing.T) {
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
	url, logs := sigWaitListening(t, stderr)

	body, _ := json.Marshal(map[string]any{"query": signupMutation,
		"variables": vars{"in": vars{"username": "inflight", "password": "correct horse battery"}}})
	answered := make(chan *http.Response, 1)
	go func() {
		res, err := http.Post(url+"/graphql", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Errorf("in-flight sign-up: %v", err)
		}
		answered <- res
	}()
	sigWaitHashing(t, url)
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

// sigWaitListening reads the server's log until it says where it listens.
func sigWaitListening(t *testing.T, stderr io.Reader) (url string, logs func() string) {
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

// sigWaitHashing waits until the server reports a hash in flight.
func sigWaitHashing(t *testing.T, url string) {
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
