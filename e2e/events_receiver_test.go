package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usergraph/usergraph/app"
)

// A webhook receiver as an application would run one: it verifies every
// delivery's signature with the Standard Webhooks Go library and keeps
// what it got. Its answer is the test's to choose (fail, then recover).

// hookReceived is one request the receiver got.
type hookReceived struct {
	ID        string // webhook-id
	Raw       []byte
	Body      hookPayload
	SigErr    error // the library's verdict
	Answer    int   // what the receiver answered
	Timestamp string
}

type hookPayload struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	At        string          `json:"at"`
	ActorID   string          `json:"actorId"`
	SubjectID string          `json:"subjectId"`
	IP        string          `json:"ip"`
	Data      json.RawMessage `json:"data"`
}

type hookReceiver struct {
	url    string
	mu     sync.Mutex
	secret string
	got    []hookReceived
	answer func(n int) int // status for the n-th request (1-based); nil: 204
}

func startHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		rec := hookReceived{ID: r.Header.Get("webhook-id"), Raw: raw, Timestamp: r.Header.Get("webhook-timestamp")}
		if hook, err := standardwebhooks.NewWebhook(h.secret); err != nil {
			rec.SigErr = err
		} else {
			rec.SigErr = hook.Verify(raw, r.Header)
		}
		json.Unmarshal(raw, &rec.Body)
		rec.Answer = http.StatusNoContent
		if h.answer != nil {
			rec.Answer = h.answer(len(h.got) + 1)
		}
		h.got = append(h.got, rec)
		h.mu.Unlock()
		w.WriteHeader(rec.Answer)
	}))
	t.Cleanup(srv.Close)
	h.url = srv.URL + "/hook"
	return h
}

// setSecret is the secret createWebhook returned.
func (h *hookReceiver) setSecret(s string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.secret = s
}

func (h *hookReceiver) setAnswer(f func(n int) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answer = f
}

func (h *hookReceiver) received() []hookReceived {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookReceived(nil), h.got...)
}

// waitFor returns what the receiver got once done says it is enough.
func (h *hookReceiver) waitFor(t *testing.T, what string, done func([]hookReceived) bool) []hookReceived {
	t.Helper()
	deadline := time.Now().Add(mailWithin)
	for {
		got := h.received()
		if done(got) {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("the receiver got %d requests within %v, not %s: %+v", len(got), mailWithin, what, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// delivered returns the deliveries it answered 2xx, of type typ ("" all).
func delivered(got []hookReceived, typ string) []hookReceived {
	var out []hookReceived
	for _, g := range got {
		if g.Answer < 300 && (typ == "" || g.Body.Type == typ) {
			out = append(out, g)
		}
	}
	return out
}

// withWebhooks lets webhooks reach the test's receivers on 127.0.0.1 and
// makes the outbox look for work often and retry fast.
func withWebhooks(retry time.Duration) option {
	return withConfig(func(c *app.Config) {
		c.Events.WebhookAllowPrivate = true
		c.Events.WebhookRetryDelay = retry
		c.Outbox.PollInterval = 20 * time.Millisecond
	})
}

const createWebhookMutation = `mutation($in: WebhookInput!) { createWebhook(input: $in) { secret webhook { id url events active consecutiveFailures } } }`

type apiWebhook struct {
	ID                  string   `json:"id"`
	URL                 string   `json:"url"`
	Events              []string `json:"events"`
	Active              bool     `json:"active"`
	ConsecutiveFailures int      `json:"consecutiveFailures"`
	LastDeliveryAt      *string  `json:"lastDeliveryAt"`
}

// subscribe creates a webhook to h for the event types and gives h its secret.
func subscribe(t *testing.T, ts *testServer, token string, h *hookReceiver, types ...string) apiWebhook {
	t.Helper()
	var out struct {
		CreateWebhook struct {
			Secret  string     `json:"secret"`
			Webhook apiWebhook `json:"webhook"`
		} `json:"createWebhook"`
	}
	ts.mustGQL(t, token, createWebhookMutation, vars{"in": vars{"url": h.url, "events": types}}).decode(t, &out)
	h.setSecret(out.CreateWebhook.Secret)
	return out.CreateWebhook.Webhook
}

// verifyTampered verifies g's signature over a changed body.
func verifyTampered(h *hookReceiver, g hookReceived) error {
	h.mu.Lock()
	secret := h.secret
	h.mu.Unlock()
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		return err
	}
	header := http.Header{}
	header.Set("webhook-id", g.ID)
	header.Set("webhook-timestamp", g.Timestamp)
	body := append([]byte(nil), g.Raw...)
	body[len(body)-2] ^= 1
	return hook.Verify(body, header)
}
