package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
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

// The end-to-end tests start the real server on 127.0.0.1:0 with a
// temporary SQLite file and talk to it over HTTP, as clients do. With
// USERGRAPH_TEST_MONGODB_URI set they run on that MongoDB server instead,
// each test server on a database of its own.

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
	cfg := testConfig(t, filepath.Join(t.TempDir(), "usergraph.db"))
	if uri := os.Getenv(mongoEnv); uri != "" {
		useMongo(t, &cfg, uri)
	}
	for _, o := range opts {
		o(&cfg)
	}
	return startWith(t, cfg)
}

func testConfig(t *testing.T, dbPath string) app.Config {
	t.Helper()
	cfg, err := app.Load([]string{
		"-listen", "127.0.0.1:0",
		"-database-url", "sqlite:" + dbPath,
		"-argon2-memory-kib", "64", "-argon2-iterations", "1",
		"-login-limit-ip", "off", "-login-limit-account", "off", "-lookup-limit-ip", "off", "-signup-limit-ip", "off",
	}, app.Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// mongoEnv names the MongoDB server the end-to-end tests run on instead
// of SQLite when it is set.
const mongoEnv = "USERGRAPH_TEST_MONGODB_URI"

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
	logs := &syncWriter{w: &bytes.Buffer{}}
	m := app.New(cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := m.Run(context.Background()); err != nil {
		t.Fatalf("start server: %v", err)
	}
	ts := &testServer{t: t, m: m, cfg: cfg, url: m.URL(), logs: logs}
	t.Cleanup(func() { ts.stop() })
	return ts
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

// gqlResponse is a decoded GraphQL response.
type gqlResponse struct {
	Status int
	Header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// code returns the first error's extensions.code ("" if none).
func (r *gqlResponse) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// status returns the first error's internalStatus (0 if none).
func (r *gqlResponse) status() int {
	if len(r.Errors) == 0 {
		return 0
	}
	n, _ := r.Errors[0].Extensions["internalStatus"].(float64)
	return int(n)
}

// field returns the first error's extensions.field.
func (r *gqlResponse) field() string {
	if len(r.Errors) == 0 {
		return ""
	}
	f, _ := r.Errors[0].Extensions["field"].(string)
	return f
}

// decode unmarshals data into v.
func (r *gqlResponse) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Data, v); err != nil {
		t.Fatalf("decode data %s: %v", r.Data, err)
	}
}

// vars is a variables object.
type vars map[string]any

// gql posts an operation with an optional bearer token.
func (ts *testServer) gql(t *testing.T, token, query string, v vars) *gqlResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	req, _ := http.NewRequest(http.MethodPost, ts.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return ts.do(t, req)
}

// do sends a request and decodes a GraphQL-shaped response.
func (ts *testServer) do(t *testing.T, req *http.Request) *gqlResponse {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := &gqlResponse{Status: res.StatusCode, Header: res.Header}
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatalf("%s %s: status %d, body not JSON: %q", req.Method, req.URL, res.StatusCode, raw)
	}
	return out
}

// mustGQL is gql that fails the test on any GraphQL error.
func (ts *testServer) mustGQL(t *testing.T, token, query string, v vars) *gqlResponse {
	t.Helper()
	r := ts.gql(t, token, query, v)
	if len(r.Errors) > 0 {
		t.Fatalf("unexpected errors: %+v\nquery: %s", r.Errors, query)
	}
	return r
}

// wantCode fails unless the response's first error has code (and, when
// status is non-zero, internalStatus).
func wantCode(t *testing.T, r *gqlResponse, code string, status int) {
	t.Helper()
	if got := r.code(); got != code {
		t.Fatalf("error code = %q, want %q (errors: %+v)", got, code, r.Errors)
	}
	if status != 0 && r.status() != status {
		t.Fatalf("internalStatus = %d, want %d (errors: %+v)", r.status(), status, r.Errors)
	}
}

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

// mainConfig is the server configuration type, for options.
type mainConfig = app.Config

// rule is a rate-limit rule as the settings write it ("3/1h", "off").
func rule(spec string) ratelimit.Rule {
	r, err := ratelimit.ParseRule(spec)
	if err != nil {
		panic(err)
	}
	return r
}
