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

// BenchmarkEventsLoginSignup measures login and sign-up over HTTP on one
// server with a webhook subscribed to every event, delivering to a
// receiver in this process, next to the same server with the webhook off
// (its events still go to the trail). The two alternate, three rounds
// each, in one run, so that a machine whose speed drifts treats both
// alike; the deliveries of a round are drained before the next. Run
//
//	go test -run '^$' -bench EventsLoginSignup -benchtime 2s ./e2e/
//
// The first benchmark hashes cheaply (64 KiB, 1 pass), so the rest of the
// request, events and deliveries included, is not hidden behind argon2id;
// the OWASP one hashes at the default cost, as a deployment does.
// docs/PERFORMANCE.md has the figures.
func BenchmarkEventsLoginSignup(b *testing.B) { benchEvents(b, "64", "1") }

// BenchmarkEventsLoginSignupOWASP is the same at the default argon2id
// cost (19 MiB, 2 passes).
func BenchmarkEventsLoginSignupOWASP(b *testing.B) { benchEvents(b, "19456", "2") }

func benchEvents(b *testing.B, memoryKiB, passes string) {
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	url, setHook := benchServer(b, receiver.URL, memoryKiB, passes)
	drain := func() {
		for last := int64(-1); last != received.Load(); time.Sleep(300 * time.Millisecond) {
			last = received.Load()
		}
	}
	var n atomic.Int64
	ops := []struct {
		name string
		run  func()
	}{
		{"signup", func() {
			name := fmt.Sprintf("s%d-%d", time.Now().UnixNano(), n.Add(1))
			benchPost(b, url, `mutation($in: SignupInput!) { signup(input: $in) { user { id } } }`,
				vars{"in": vars{"username": name, "password": testPassword}})
		}},
		{"login", func() { benchPost(b, url, loginMutation, vars{"id": "bencher", "pw": testPassword}) }},
	}
	for _, op := range ops {
		for range 3 {
			for _, hook := range []bool{false, true} {
				setHook(hook)
				arm := "no-webhook"
				if hook {
					arm = "webhook"
				}
				b.Run(op.name+"/"+arm, func(b *testing.B) {
					b.RunParallel(func(pb *testing.PB) {
						for pb.Next() {
							op.run()
						}
					})
				})
				drain()
			}
		}
	}
	b.Logf("the receiver took %d deliveries", received.Load())
}

// benchServer starts a server on a fresh SQLite file with a user
// "bencher" and a webhook to hook for every event, and returns its URL
// and a function that turns the webhook on or off.
func benchServer(b *testing.B, hook, memoryKiB, passes string) (string, func(on bool)) {
	b.Helper()
	cfg, err := app.Load([]string{"-listen", "127.0.0.1:0", "-database-url", "sqlite:" + filepath.Join(b.TempDir(), "bench.db"),
		"-argon2-memory-kib", memoryKiB, "-argon2-iterations", passes, "-login-limit-ip", "off", "-login-limit-account", "off",
		"-signup-limit-ip", "off", "-webhook-allow-private"}, app.Env{Stdout: io.Discard, Stderr: io.Discard})
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
	admin := "Bearer " + out.Data.Initialize.Auth.AccessToken
	benchPost(b, url, `mutation($in: SignupInput!) { signup(input: $in) { user { id } } }`,
		vars{"in": vars{"username": "bencher", "password": testPassword}})
	var created struct {
		Data struct {
			CreateWebhook struct {
				Webhook struct {
					ID string `json:"id"`
				} `json:"webhook"`
			} `json:"createWebhook"`
		} `json:"data"`
	}
	json.Unmarshal(benchPost(b, url, createWebhookMutation, vars{"in": vars{"url": hook, "events": []string{"*"}, "active": false}},
		"Authorization", admin), &created)
	id := created.Data.CreateWebhook.Webhook.ID
	return url, func(on bool) {
		benchPost(b, url, `mutation($id: ID!, $in: WebhookInput!) { updateWebhook(id: $id, input: $in) { id } }`,
			vars{"id": id, "in": vars{"url": hook, "events": []string{"*"}, "active": on}}, "Authorization", admin)
	}
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
