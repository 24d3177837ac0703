package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/mail/mailtest"
)

// A mail queued when the process dies is sent after the restart: the
// outbox is in the store, not in memory. The real binary is started with
// an SMTP server that answers 451 (the mail is queued and being retried),
// killed with SIGKILL, and started again on the same database while the
// SMTP server accepts.
func TestQueuedMailSurvivesKill9(t *testing.T) {
	t.Parallel()
	bin := usergraphBinary(t)
	srv := mailtest.Start(t, mailtest.Options{NoSTARTTLS: true}) // the binary trusts only the system's authorities
	const addr = "survivor@example.com"
	srv.Refuse(addr, 451)
	args := []string{"-listen", freeAddr(t), "-argon2-memory-kib", "64", "-argon2-iterations", "1",
		"-smtp-url", srv.URL(), "-mail-from", "no-reply@acme.example", "-email-verification", "send",
		"-outbox-retry-delay", "2s"}
	args = append(args, binaryDatabase(t)...)

	first, url, logs := startBinary(t, bin, args)
	ts := &testServer{t: t, url: url}
	user := ts.signup(t, "survivor", testPassword)
	// DEFERRED is recorded after the refused attempt, and the retry comes
	// more than half the retry delay (1s) later: the kill below lands
	// between attempts, with no delivery in flight (whose lease would hold
	// the message for a minute after the restart).
	waitStatus(t, ts, user.AccessToken, "DEFERRED")
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if n := len(srv.To(addr)); n != 0 {
		t.Fatalf("the mail was accepted before the kill (%d mails):\n%s", n, logs())
	}

	srv.Accept(addr)
	// The retry is due at most 2s after the refusal: the new process finds
	// it in the store at start and tries it then (outbox/schedule.go).
	_, url, logs = startBinary(t, bin, args)
	ts = &testServer{t: t, url: url}
	m := waitMail(t, srv, addr, 1)
	ts.mustGQL(t, "", verifyMutation, vars{"token": tokenIn(t, ts, m, "/verify-email")})
	if v := myVerification(t, ts, ts.login(t, "survivor", testPassword).AccessToken); v.status() != "CONFIRMED" || !v.EmailVerified {
		t.Errorf("after the restart and the link: %+v, want CONFIRMED\n%s", v, logs())
	}
}

// binaryDatabase returns the flags of a database of the test's own: a new
// SQLite file, or with USERGRAPH_TEST_MONGODB_URI a new MongoDB database,
// dropped when the test ends.
func binaryDatabase(t *testing.T) []string {
	t.Helper()
	if uri := os.Getenv(mongoEnv); uri != "" {
		cfg := testConfig(t, filepath.Join(t.TempDir(), "unused.db"))
		useMongo(t, &cfg, uri)
		return []string{"-database-url", cfg.Store.URL, "-mongo-database", cfg.Store.Mongo.Database}
	}
	return []string{"-database-url", "sqlite:" + filepath.Join(t.TempDir(), "usergraph.db")}
}

// startBinary starts the built server with args and a clean USERGRAPH_*
// environment, waits until it listens, and kills it when the test ends.
func startBinary(t *testing.T, bin string, args []string) (cmd *exec.Cmd, url string, logs func() string) {
	t.Helper()
	cmd = exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "USERGRAPH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	url, logs = waitListening(t, stderr)
	return cmd, url, logs
}
