package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	mongodriver "go.mongodb.org/mongo-driver/v2/mongo"
	mongooptions "go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/ratelimit"
)

// The harness: test servers (app.Main on 127.0.0.1:0 with a temporary
// SQLite file, or with USERGRAPH_TEST_MONGODB_URI set on that MongoDB
// server, each test server on a database of its own) and the built binary
// for the tests that need the real process.

// TestMain removes the binary some tests build (usergraphBinary).
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

// testServer is one running usergraph.
type testServer struct {
	t    *testing.T
	m    *app.Main
	cfg  app.Config
	url  string
	logs *syncWriter
}

// option changes the configuration of a test server.
type option func(*app.Config)

// startServer starts a server with cheap password hashing (same code path,
// smaller parameters) and brute-force limits off unless an option sets them.
func startServer(t *testing.T, opts ...option) *testServer {
	t.Helper()
	return startWith(t, serverConfig(t, opts...))
}

// serverConfig is the configuration startServer starts a server with.
func serverConfig(t *testing.T, opts ...option) app.Config {
	t.Helper()
	cfg := testConfig(t, filepath.Join(t.TempDir(), "usergraph.db"))
	if uri := os.Getenv(mongoEnv); uri != "" {
		useMongo(t, &cfg, uri)
	}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

func testConfig(t *testing.T, dbPath string) app.Config {
	t.Helper()
	cfg, err := app.Load([]string{
		"-listen", "127.0.0.1:0",
		"-database-url", "sqlite:" + dbPath,
		"-argon2-memory-kib", "64", "-argon2-iterations", "1",
		"-login-limit-ip", "off", "-login-limit-account", "off", "-lookup-limit-ip", "off", "-signup-limit-ip", "off",
		"-recovery-limit-ip", "off", "-recovery-limit-account", "off",
	}, app.Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// mongoEnv names the MongoDB server the end-to-end tests run on instead
// of SQLite when it is set.
const mongoEnv = app.TestMongoURIVar

// usingMongo reports whether startServer runs on MongoDB.
func usingMongo() bool { return os.Getenv(mongoEnv) != "" }

// skipOnMongo skips a test that needs the SQLite file itself (it opens
// the file beside the server, or shares it with a command-line run).
func skipOnMongo(t *testing.T, why string) {
	t.Helper()
	if usingMongo() {
		t.Skip("on MongoDB: " + why)
	}
}

// useMongo points cfg at a fresh database on the MongoDB server at uri,
// for one test (restart keeps it), and drops the database when the test
// ends.
func useMongo(t *testing.T, cfg *app.Config, uri string) {
	b := make([]byte, 8)
	rand.Read(b)
	name := "ugtest_e2e_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		client, err := mongodriver.Connect(mongooptions.Client().ApplyURI(uri))
		if err != nil {
			t.Errorf("connect to drop %s: %v", name, err)
			return
		}
		defer client.Disconnect(ctx)
		if err := client.Database(name).Drop(ctx); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	cfg.Store.URL, cfg.Store.Mongo.Database = uri, name
}

func startWith(t *testing.T, cfg app.Config) *testServer {
	t.Helper()
	ts, err := launch(t, cfg)
	if err != nil {
		t.Fatalf("start server: %v", err)
	}
	t.Cleanup(func() { ts.logFaults(t) })
	return ts
}

// logFaults adds the server's warnings and errors to a failed test's
// output: an INTERNAL answer says only "internal error", the log says why.
func (ts *testServer) logFaults(t *testing.T) {
	if !t.Failed() {
		return
	}
	var faults []string
	for _, line := range strings.Split(ts.logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			faults = append(faults, line)
		}
	}
	if len(faults) > 0 {
		t.Logf("the server's warnings and errors:\n%s", strings.Join(faults, "\n"))
	}
}

// launch is startWith that returns its error, so several servers can be
// started at once from goroutines of their own (startInstances). prepare
// runs before the server starts (startTraced).
func launch(t *testing.T, cfg app.Config, prepare ...func(*app.Main)) (*testServer, error) {
	logs := &syncWriter{w: &bytes.Buffer{}}
	m := app.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	for _, p := range prepare {
		p(m)
	}
	if err := m.Run(context.Background()); err != nil {
		return nil, err
	}
	ts := &testServer{t: t, m: m, cfg: cfg, url: m.URL(), logs: logs}
	t.Cleanup(func() { ts.stop() })
	return ts, nil
}

// sharedPublicURL is the public URL of servers started as instances of
// one deployment: the load balancer's address, and so the issuer and
// audience of every access token, whichever instance signed it.
const sharedPublicURL = "http://usergraph.test"

// startInstances starts n servers on one database, as n instances of one
// deployment behind a load balancer: one SQLite file (WAL lets them share
// it), or with USERGRAPH_TEST_MONGODB_URI one MongoDB database. They start
// at once, as a deployment's instances do, and share the public URL, so
// a token from one is valid on every other. opts apply to all of them.
func startInstances(t *testing.T, n int, opts ...option) []*testServer {
	t.Helper()
	cfg := testConfig(t, filepath.Join(t.TempDir(), "usergraph.db"))
	if uri := os.Getenv(mongoEnv); uri != "" {
		useMongo(t, &cfg, uri)
	}
	cfg.HTTP.PublicURL = sharedPublicURL
	for _, o := range opts {
		o(&cfg)
	}
	return startAll(t, cfg, n)
}

// startAll starts n servers with cfg at once.
func startAll(t *testing.T, cfg app.Config, n int) []*testServer {
	t.Helper()
	servers := make([]*testServer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { servers[i], errs[i] = launch(t, cfg) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("start instance %d of %d: %v", i+1, n, err)
		}
	}
	return servers
}

// stop closes the server (safe to call twice).
func (ts *testServer) stop() {
	if ts.m != nil {
		if err := ts.m.Close(); err != nil {
			ts.t.Errorf("close server: %v", err)
		}
		ts.m = nil
	}
}

// restart stops the server and starts a new one on the same database file.
func (ts *testServer) restart() *testServer {
	ts.t.Helper()
	ts.stop()
	cfg := ts.cfg
	cfg.HTTP.PublicURL = ""
	return startWith(ts.t, cfg)
}

// withConfig returns an option that edits the configuration.
func withConfig(f func(*app.Config)) option { return option(f) }

// syncWriter serializes writes to a buffer shared by the server's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.String()
}

// bootstrapToken reads the one-time token the server logged at first start.
func (ts *testServer) bootstrapToken(t *testing.T) string {
	t.Helper()
	logs := ts.logs.String()
	i := strings.Index(logs, "bootstrap_token=")
	if i < 0 {
		t.Fatalf("no bootstrap token in the logs:\n%s", logs)
	}
	return strings.Fields(logs[i+len("bootstrap_token="):])[0]
}

// rule is a rate-limit rule as the settings write it ("3/1h", "off").
func rule(spec string) ratelimit.Rule {
	r, err := ratelimit.ParseRule(spec)
	if err != nil {
		panic(err)
	}
	return r
}

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

// runBinary runs the built binary with env added to a clean environment.
func runBinary(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "USERGRAPH_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	return out.String(), errOut.String(), err
}

// freeAddr returns a free loopback address, so a restarted server
// listens on the same one and keeps its token issuer (the public URL
// defaults to the listen address).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}
