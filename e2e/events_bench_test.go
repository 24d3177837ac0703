package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// BenchmarkEventsLoginSignup measures login and sign-up over HTTP on two
// servers side by side: one with no webhook (its events still go to the
// trail and the outbox, and are fanned out to nobody) and one with a
// webhook subscribed to every event, delivering to a receiver in this
// process. Run with -count to interleave them, e.g.
//
//	go test -run '^$' -bench EventsLoginSignup -count 6 -benchtime 2s ./e2e/
//
// Hashing is cheap here (64 KiB, 1 pass), so the rest of the request,
// events included, is not hidden behind argon2id. docs/PERFORMANCE.md
// has the figures.
func BenchmarkEventsLoginSignup(b *testing.B) {
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	plain := benchServer(b, "")
	hooked := benchServer(b, receiver.URL)
	for _, arm := range []struct {
		name string
		url  string
	}{{"no-webhook", plain}, {"webhook", hooked}} {
		b.Run("signup/"+arm.name, func(b *testing.B) {
			var n atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					name := fmt.Sprintf("s%d-%d", time.Now().UnixNano(), n.Add(1))
					benchPost(b, arm.url, `mutation($in: SignupInput!) { signup(input: $in) { user { id } } }`,
						vars{"in": vars{"username": name, "password": testPassword}})
				}
			})
		})
		b.Run("login/"+arm.name, func(b *testing.B) {
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchPost(b, arm.url, loginMutation, vars{"id": "bencher", "pw": testPassword})
				}
			})
		})
	}
	b.Logf("the receiver took %d deliveries", received.Load())
}

// benchServer starts a server on a fresh SQLite file with a user
// "bencher" and, if hook is set, a webhook to it for every event.
func benchServer(b *testing.B, hook string) string {
	b.Helper()
	cfg, err := app.Load([]string{"-listen", "127.0.0.1:0", "-database-url", "sqlite:" + filepath.Join(b.TempDir(), "bench.db"),
		"-argon2-memory-kib", "64", "-argon2-iterations", "1", "-login-limit-ip", "off", "-login-limit-account", "off",
		"-signup-limit-ip", "off", "-webhook-allow-private", "-max-hashes-per-request", "1"}, app.Env{Stdout: io.Discard, Stderr: io.Discard})
	if err != nil {
		b.Fatal(err)
	}
	var logs bytes.Buffer
	m := app.New(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err := m.Run(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { m.Close() })
	url := m.URL()
	benchPost(b, url, `mutation($in: SignupInput!) { signup(input: $in) { user { id } } }`,
		vars{"in": vars{"username": "bencher", "password": testPassword}})
	if hook == "" {
		return url
	}
	i := bytes.Index(logs.Bytes(), []byte("bootstrap_token="))
	token := string(bytes.Fields(logs.Bytes()[i+len("bootstrap_token="):])[0])
	var out struct {
		Data struct {
			Initialize struct {
				Auth struct {
					AccessToken string `json:"accessToken"`
				} `json:"auth"`
			} `json:"initialize"`
		} `json:"data"`
	}
	json.Unmarshal(benchPost(b, url, `mutation($in: InitializeInput!) { initialize(input: $in) { auth { accessToken } } }`,
		vars{"in": vars{"bootstrapToken": token, "username": "root", "password": "root-password-1"}}), &out)
	benchPost(b, url, createWebhookMutation, vars{"in": vars{"url": hook, "events": []string{"*"}}},
		"Authorization", "Bearer "+out.Data.Initialize.Auth.AccessToken)
	return url
}

// benchPost posts an operation and returns the body; an error answer
// fails the benchmark.
func benchPost(b *testing.B, url, query string, v vars, header ...string) []byte {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": v})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if len(header) == 2 {
		req.Header.Set(header[0], header[1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	if bytes.Contains(raw, []byte(`"errors"`)) {
		b.Fatalf("%s: %s", query, raw)
	}
	return raw
}
