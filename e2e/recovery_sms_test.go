package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/usergraph/usergraph/app"
)

// Password reset by SMS code: the server POSTs each SMS to a webhook that
// the test runs, as an SMS gateway bridge would, and that verifies every
// signature with the Standard Webhooks library.

const smsSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

const (
	requestSMSMutation = `mutation($u: String!) { requestPasswordResetBySms(username: $u) }`
	codeResetMutation  = `mutation($u: String!, $code: String!, $pw: String!) { resetPasswordWithCode(username: $u, code: $code, newPassword: $pw) }`
)

// smsGateway is the test's webhook receiver.
type smsGateway struct {
	hook *standardwebhooks.Webhook
	mu   sync.Mutex
	got  []smsReceived
}

type smsReceived struct {
	ID      string
	Body    map[string]any
	SigErr  error // the library's verdict on the signature
	Headers http.Header
}

func startSMSGateway(t *testing.T) (*smsGateway, string) {
	t.Helper()
	hook, err := standardwebhooks.NewWebhook(smsSecret)
	if err != nil {
		t.Fatal(err)
	}
	g := &smsGateway{hook: hook}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		rec := smsReceived{ID: r.Header.Get("webhook-id"), SigErr: hook.Verify(raw, r.Header), Headers: r.Header}
		json.Unmarshal(raw, &rec.Body)
		g.mu.Lock()
		g.got = append(g.got, rec)
		g.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	return g, srv.URL + "/sms"
}

// wait returns the n-th SMS (1-based) the gateway received.
func (g *smsGateway) wait(t *testing.T, n int) smsReceived {
	t.Helper()
	deadline := time.Now().Add(mailWithin)
	for {
		g.mu.Lock()
		got := append([]smsReceived(nil), g.got...)
		g.mu.Unlock()
		if len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d SMS received within %v, want %d", len(got), mailWithin, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (g *smsGateway) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.got)
}

func withSMS(url string) option {
	return withConfig(func(c *app.Config) {
		c.SMS.WebhookURL, c.SMS.WebhookSecret = url, smsSecret
		c.Outbox.Policy, c.Outbox.PollInterval = fastRetries, 50*time.Millisecond
		c.Recovery.MailInterval = time.Millisecond
		c.Mail.AppName = "Acme"
	})
}

func TestPasswordResetBySMS(t *testing.T) {
	t.Parallel()
	gw, url := startSMSGateway(t)
	ts := startServer(t, withSMS(url))
	session := mustSignup(t, ts, vars{"username": "texted", "phone": "+1 415 555 0123"})
	mustSignup(t, ts, vars{"username": "nophone", "email": "nophone@example.com"})

	// A user without a phone and a name nobody has answer the same, and
	// nothing is sent for them.
	for _, name := range []string{"nophone", "nobody", "Texted"} {
		if !dataField[bool](t, ts.mustGQL(t, "", requestSMSMutation, vars{"u": name}), "requestPasswordResetBySms") {
			t.Fatalf("requestPasswordResetBySms(%s) answered false", name)
		}
	}
	sms := gw.wait(t, 1)
	if sms.SigErr != nil {
		t.Fatalf("the Standard Webhooks library refused the SMS's signature: %v", sms.SigErr)
	}
	code, _ := sms.Body["code"].(string)
	if sms.Body["to"] != "+14155550123" || sms.Body["type"] != "password_reset_code" || len(code) != 6 ||
		!strings.Contains(sms.Body["text"].(string), code) || sms.Body["app"] != "Acme" || sms.ID == "" {
		t.Fatalf("SMS %+v (webhook-id %q): want to, type, a six-digit code in the text, the app name", sms.Body, sms.ID)
	}

	wrong := "000000"
	if code == wrong {
		wrong = "999999"
	}
	for _, name := range []string{"texted", "nophone", "nobody"} {
		wantCode(t, ts.gql(t, "", codeResetMutation, vars{"u": name, "code": wrong, "pw": newPassword}), "RESET_TOKEN_INVALID", 801)
	}
	wantCode(t, ts.gql(t, "", codeResetMutation, vars{"u": "texted", "code": code, "pw": "short"}), "WEAK_PASSWORD", 0)
	ts.mustGQL(t, "", codeResetMutation, vars{"u": "TEXTED", "code": code, "pw": newPassword})
	if r := ts.gql(t, session.AccessToken, `{ me { id } }`, nil); r.code() != "UNAUTHENTICATED" {
		t.Errorf("the session from before the reset: %q, want UNAUTHENTICATED", r.code())
	}
	ts.login(t, "texted", newPassword)
	wantCode(t, ts.gql(t, "", codeResetMutation, vars{"u": "texted", "code": code, "pw": "another passphrase"}), "RESET_TOKEN_INVALID", 801)
	if n := gw.count(); n != 1 {
		t.Errorf("the gateway received %d SMS, want 1 (none for the user without a phone or the unknown name)", n)
	}
}

// The sixth wrong code burns it: the right one is refused afterwards.
func TestSMSCodeSixthWrongTry(t *testing.T) {
	t.Parallel()
	gw, url := startSMSGateway(t)
	ts := startServer(t, withSMS(url))
	mustSignup(t, ts, vars{"username": "guessed", "phone": "+14155550199"})
	ts.mustGQL(t, "", requestSMSMutation, vars{"u": "guessed"})
	code := gw.wait(t, 1).Body["code"].(string)
	for i := range 6 {
		wrong := strings.Repeat(string(rune('0'+i)), 6)
		if wrong == code {
			wrong = "123450"[:5] + string(rune('0'+(i+1)%10))
		}
		wantCode(t, ts.gql(t, "", codeResetMutation, vars{"u": "guessed", "code": wrong, "pw": newPassword}), "RESET_TOKEN_INVALID", 801)
	}
	wantCode(t, ts.gql(t, "", codeResetMutation, vars{"u": "guessed", "code": code, "pw": newPassword}), "RESET_TOKEN_INVALID", 801)
	ts.login(t, "guessed", testPassword)
}

// Without an SMS webhook both mutations answer RESET_UNSUPPORTED 803.
func TestPasswordResetBySMSOff(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	wantCode(t, ts.gql(t, "", requestSMSMutation, vars{"u": "ann"}), "RESET_UNSUPPORTED", 803)
	wantCode(t, ts.gql(t, "", codeResetMutation, vars{"u": "ann", "code": "123456", "pw": newPassword}), "RESET_UNSUPPORTED", 803)
}
