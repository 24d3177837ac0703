package events_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/events"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// The events service on a real SQLite store, with the real outbox worker
// and real HTTP receivers.

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "events.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// running starts a worker with the service's kinds and returns the service.
func running(t *testing.T, st store.Store, cfg events.Config) *events.Service {
	t.Helper()
	w := outbox.New(outbox.Config{Store: st, PollInterval: 10 * time.Millisecond})
	svc := events.New(events.Deps{Store: st, Queue: w}, cfg)
	svc.Register(w)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { w.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

func code(err error) apperr.Code {
	var e *apperr.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestCreateWebhookRefusesPrivateAddresses(t *testing.T) {
	svc := events.New(events.Deps{Store: openStore(t)}, events.Config{})
	for _, url := range []string{"http://127.0.0.1/", "http://localhost:8080/", "http://[::1]/", "http://10.0.0.8/",
		"http://172.16.3.4/", "http://192.168.1.1/", "http://169.254.169.254/", "http://100.64.0.1/", "http://0.0.0.0/",
		"http://[fe80::1]/", "http://[::ffff:127.0.0.1]/"} {
		_, err := svc.CreateWebhook(t.Context(), events.WebhookInput{URL: url, Events: []string{"*"}})
		if code(err) != apperr.BadUserInput {
			t.Errorf("CreateWebhook(%s): %v, want BAD_USER_INPUT", url, err)
		}
	}
	allowed := events.New(events.Deps{Store: openStore(t)}, events.Config{AllowPrivate: true})
	if _, err := allowed.CreateWebhook(t.Context(), events.WebhookInput{URL: "http://127.0.0.1:9/", Events: []string{"*"}}); err != nil {
		t.Errorf("with private addresses allowed: %v", err)
	}
}

// The dialler refuses a private address even when the URL was accepted
// (here: stored directly, as a name that resolved elsewhere would be).
func TestDeliveryRefusesPrivateConnection(t *testing.T) {
	st := openStore(t)
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	svc := running(t, st, events.Config{BaseDelay: time.Hour})
	w := &store.Webhook{ID: store.NewID(), URL: srv.URL, Events: []string{"*"}, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		Active: true, CreatedAt: store.Now().Add(-time.Minute)}
	if err := st.CreateWebhook(t.Context(), w); err != nil {
		t.Fatal(err)
	}
	if err := st.RecordEvents(t.Context(), audit.New(t.Context(), audit.LoginFailed, "u1", nil)); err != nil {
		t.Fatal(err)
	}
	var page *events.DeliveryPage
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var err error
		if page, err = svc.Deliveries(t.Context(), w.ID, 10, ""); err != nil {
			t.Fatal(err)
		}
		if len(page.Deliveries) > 0 {
			break
		}
	}
	if len(page.Deliveries) != 1 {
		t.Fatalf("deliveries: %d, want 1 refused attempt", len(page.Deliveries))
	}
	d := page.Deliveries[0]
	if d.Delivered || d.Status != 0 || !strings.Contains(d.Error, "private address") || hits.Load() != 0 {
		t.Errorf("attempt %+v, receiver hit %d times; want a refused connection", d, hits.Load())
	}
}

// A redirect is a failed attempt, never followed.
func TestDeliveryFollowsNoRedirect(t *testing.T) {
	st := openStore(t)
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { followed.Add(1) }))
	defer target.Close()
	redirect := httptest.NewServer(http.RedirectHandler(target.URL, http.StatusTemporaryRedirect))
	defer redirect.Close()
	svc := running(t, st, events.Config{AllowPrivate: true, BaseDelay: time.Hour})
	c, err := svc.CreateWebhook(t.Context(), events.WebhookInput{URL: redirect.URL, Events: []string{audit.LoginFailed}})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.RecordEvents(t.Context(), audit.New(t.Context(), audit.LoginFailed, "u1", nil)); err != nil {
		t.Fatal(err)
	}
	var page *events.DeliveryPage
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if page, err = svc.Deliveries(t.Context(), c.Webhook.ID, 10, ""); err != nil {
			t.Fatal(err)
		}
		if len(page.Deliveries) > 0 {
			break
		}
	}
	if len(page.Deliveries) != 1 || page.Deliveries[0].Status != http.StatusTemporaryRedirect || page.Deliveries[0].Delivered ||
		followed.Load() != 0 {
		t.Errorf("deliveries %+v, redirect target hit %d times; want one failed 307 attempt and no hit", page.Deliveries, followed.Load())
	}
}

func TestAuditQueryRefusesBadInput(t *testing.T) {
	svc := events.New(events.Deps{Store: openStore(t)}, events.Config{})
	cases := []struct {
		name  string
		f     events.AuditFilter
		first int
		after string
	}{
		{"unknown type", events.AuditFilter{Types: []string{"user.exploded"}}, 10, ""},
		{"too many", events.AuditFilter{}, events.MaxFirst + 1, ""},
		{"negative", events.AuditFilter{}, -1, ""},
		{"bad cursor", events.AuditFilter{}, 10, "%%%"},
		{"long actor", events.AuditFilter{ActorID: strings.Repeat("a", 200)}, 10, ""},
	}
	for _, c := range cases {
		if _, err := svc.Events(t.Context(), c.f, c.first, c.after); code(err) != apperr.BadUserInput {
			t.Errorf("%s: %v, want BAD_USER_INPUT", c.name, err)
		}
	}
	if _, err := svc.Events(t.Context(), events.AuditFilter{Types: audit.Catalogue[:5]}, 0, ""); err != nil {
		t.Errorf("known types, default page: %v", err)
	}
}
