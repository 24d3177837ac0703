package outbox_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	usermail "github.com/usergraph/usergraph/mail"
	"github.com/usergraph/usergraph/mail/mailtest"
	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// within bounds every wait for an outcome: long enough for a slow
// machine, short enough that a hang fails instead of stalling the run.
const within = 20 * time.Second

// fast is a mail policy for tests: retries within milliseconds.
var fast = outbox.Policy{Timeout: 5 * time.Second, BaseDelay: 5 * time.Millisecond, MaxDelay: 20 * time.Millisecond}

func openStore(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(t.Context(), path, sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeStore(db) })
	return db
}

var closedStores sync.Map

// closeStore closes db once, however often it is called (a test closes a
// store to reopen its file; the cleanup closes it too).
func closeStore(db *sqlite.DB) {
	if _, done := closedStores.LoadOrStore(db, true); !done {
		db.Close()
	}
}

func newDBPath(t *testing.T) string { return filepath.Join(t.TempDir(), "outbox.db") }

// newMailer sends to the test SMTP server as no-reply@acme.example.
func newMailer(t *testing.T, srv *mailtest.Server) *usermail.Mailer {
	t.Helper()
	m, err := usermail.New(usermail.Config{SMTPURL: srv.URL(), From: "no-reply@acme.example", AppName: "Acme",
		RootCAs: srv.RootCAs(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// outcomes records what a worker reports.
type outcomes struct {
	mu  sync.Mutex
	all []outbox.Outcome
}

func (o *outcomes) observe(_ context.Context, oc outbox.Outcome) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = append(o.all, oc)
}

// of returns the statuses reported for the message id, in order.
func (o *outcomes) of(id string) []outbox.Status {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []outbox.Status
	for _, oc := range o.all {
		if oc.Message.ID == id {
			out = append(out, oc.Status)
		}
	}
	return out
}

// count returns how many outcomes had status.
func (o *outcomes) count(status outbox.Status) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, oc := range o.all {
		if oc.Status == status {
			n++
		}
	}
	return n
}

// first returns the first outcome reported for id.
func (o *outcomes) first(id string) outbox.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, oc := range o.all {
		if oc.Message.ID == id {
			return oc
		}
	}
	return outbox.Outcome{}
}

// last returns the last outcome reported for id.
func (o *outcomes) last(id string) outbox.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.all) - 1; i >= 0; i-- {
		if o.all[i].Message.ID == id {
			return o.all[i]
		}
	}
	return outbox.Outcome{}
}

// waitFor polls until cond holds, failing the test after the bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until id's outcomes end in status and returns them.
func (o *outcomes) waitStatus(t *testing.T, id string, status outbox.Status) []outbox.Status {
	t.Helper()
	waitFor(t, fmt.Sprintf("message %s reported %s (reports so far: %v)", id, status, o.of(id)), func() bool {
		got := o.of(id)
		return len(got) > 0 && got[len(got)-1] == status
	})
	return o.of(id)
}

// running is a worker started in the background.
type running struct {
	w    *outbox.Worker
	stop func() // cancels Run and waits for it to return
}

// start runs a worker on st delivering mail with m under policy.
func start(t *testing.T, st store.OutboxStore, cfg outbox.Config, m *usermail.Mailer, policy outbox.Policy, obs *outcomes) running {
	t.Helper()
	cfg.Store = st
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 10 * time.Millisecond
	}
	w := outbox.New(cfg)
	w.Register(usermail.Kind, m, policy, obs.observe)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return running{w: w, stop: stop}
}

// enqueueMail queues a reset mail to to through w and returns its message.
func enqueueMail(t *testing.T, w *outbox.Worker, m *usermail.Mailer, to string) *store.OutboxMessage {
	t.Helper()
	msg, err := m.NewMessage(to, usermail.ResetPassword, usermail.Data{Name: "Ann",
		Link: "https://acme.example/reset-password?token=" + to, TTL: 20 * time.Minute}, "reset:"+to)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Enqueue(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	return msg
}

func mustGet(t *testing.T, st store.OutboxStore, id string) *store.OutboxMessage {
	t.Helper()
	m, err := st.GetOutbox(t.Context(), id)
	if err != nil {
		t.Fatalf("GetOutbox(%s): %v", id, err)
	}
	return m
}

// messageIDs returns the Message-ID headers of the received mails, sorted.
func messageIDs(got []*mailtest.Received) []string {
	out := make([]string, len(got))
	for i, r := range got {
		out[i] = r.MessageID()
	}
	slices.Sort(out)
	return out
}
