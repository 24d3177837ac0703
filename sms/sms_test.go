package sms_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usergraph/usergraph/outbox"
	"github.com/usergraph/usergraph/sms"
)

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// receiver is an SMS gateway bridge as a deployment would write one: it
// verifies each POST with the Standard Webhooks library and answers with
// the status its test chooses.
type receiver struct {
	mu     sync.Mutex
	status int
	got    []received
}

type received struct {
	id      string
	message sms.Message
	err     error // the signature check's
}

func startReceiver(t *testing.T, status int) (*receiver, string) {
	t.Helper()
	hook, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	rc := &receiver{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m sms.Message
		json.Unmarshal(body, &m)
		rc.mu.Lock()
		defer rc.mu.Unlock()
		rc.got = append(rc.got, received{id: r.Header.Get("webhook-id"), message: m, err: hook.Verify(body, r.Header)})
		w.WriteHeader(rc.status)
	}))
	t.Cleanup(srv.Close)
	return rc, srv.URL
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received(nil), rc.got...)
}

func newSender(t *testing.T, url string) *sms.Sender {
	t.Helper()
	s, err := sms.New(sms.Config{URL: url, Secret: secret, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestDeliverSignsAndKeepsTheID(t *testing.T) {
	rc, url := startReceiver(t, http.StatusAccepted)
	s := newSender(t, url)
	want := sms.Message{Type: sms.TypePasswordResetCode, To: "+14155550123", Text: "Your code is 123456",
		Code: "123456", ExpiresAt: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), App: "Acme"}
	m, err := s.NewMessage(want, "ref")
	if err != nil {
		t.Fatal(err)
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := s.Deliver(t.Context(), m); err != nil {
			t.Fatalf("attempt %d: %v", attempt, err)
		}
	}
	got := rc.all()
	if len(got) != 2 {
		t.Fatalf("the receiver got %d POSTs, want 2", len(got))
	}
	for i, r := range got {
		if r.err != nil {
			t.Errorf("POST %d: the Standard Webhooks library refused the signature: %v", i+1, r.err)
		}
		if r.id != m.ID {
			t.Errorf("POST %d: webhook-id %q, want the outbox message id %q on every attempt", i+1, r.id, m.ID)
		}
		if r.message != want {
			t.Errorf("POST %d: body %+v, want %+v", i+1, r.message, want)
		}
	}
}

// A signature with another key does not verify: the test's receiver would
// notice a sender that signs nothing of substance.
func TestAnotherSecretDoesNotVerify(t *testing.T) {
	rc, url := startReceiver(t, http.StatusOK)
	s, err := sms.New(sms.Config{URL: url, Secret: "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY"})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := s.NewMessage(sms.Message{Type: sms.TypePasswordResetCode, To: "+14155550123", Text: "x"}, "")
	if err := s.Deliver(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	if got := rc.all(); len(got) != 1 || got[0].err == nil {
		t.Fatalf("a POST signed with another key verified: %+v", got)
	}
}

func TestDeliverClassifiesAnswers(t *testing.T) {
	for _, c := range []struct {
		status    int
		ok        bool
		permanent bool
	}{
		{http.StatusOK, true, false},
		{http.StatusNoContent, true, false},
		{http.StatusBadRequest, false, true},
		{http.StatusUnauthorized, false, true},
		{http.StatusRequestTimeout, false, false},
		{http.StatusTooManyRequests, false, false},
		{http.StatusBadGateway, false, false},
		{http.StatusServiceUnavailable, false, false},
	} {
		_, url := startReceiver(t, c.status)
		s := newSender(t, url)
		m, _ := s.NewMessage(sms.Message{Type: sms.TypePasswordResetCode, To: "+14155550123", Text: "x"}, "")
		err := s.Deliver(t.Context(), m)
		if (err == nil) != c.ok || outbox.IsPermanent(err) != c.permanent {
			t.Errorf("answer %d: got %v (permanent %v), want ok %v, permanent %v", c.status, err, outbox.IsPermanent(err), c.ok, c.permanent)
		}
	}
}

func TestNewRefusesBadSettings(t *testing.T) {
	for _, c := range []struct{ url, secret string }{
		{"ftp://gateway.example/sms", secret},
		{"/sms", secret},
		{"https://gateway.example/sms", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
		{"https://gateway.example/sms", "whsec_not base64!"},
		{"https://gateway.example/sms", "whsec_c2hvcnQ="},
	} {
		if _, err := sms.New(sms.Config{URL: c.url, Secret: c.secret}); err == nil {
			t.Errorf("New(%q, %q) accepted it", c.url, c.secret)
		}
	}
}
