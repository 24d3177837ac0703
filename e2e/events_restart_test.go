package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// An event stored when the process dies is delivered after the restart,
// exactly as recorded: the event is written with its change, and its
// fan-out and delivery wait in the store's outbox. The real binary is
// killed with SIGKILL right after the change, while the receiver is down
// (it answers 503), then started again on the same database with the
// receiver up.
func TestWebhookEventSurvivesKill9(t *testing.T) {
	t.Parallel()
	bin := usergraphBinary(t)
	h := startHookReceiver(t)
	h.setAnswer(func(int) int { return http.StatusServiceUnavailable })
	args := []string{"-listen", freeAddr(t), "-argon2-memory-kib", "64", "-argon2-iterations", "1",
		"-webhook-allow-private", "-login-limit-ip", "off", "-signup-limit-ip", "off"}
	args = append(args, binaryDatabase(t)...)

	first, url, logs := startBinary(t, bin, args)
	ts := &testServer{t: t, url: url}
	l, i := logs(), -1
	for deadline := time.Now().Add(10 * time.Second); i < 0; l = logs() {
		if i = strings.Index(l, "bootstrap_token="); i < 0 && time.Now().After(deadline) {
			t.Fatalf("no bootstrap token in the logs:\n%s", l)
		}
		time.Sleep(10 * time.Millisecond)
	}
	token := strings.Fields(l[i+len("bootstrap_token="):])[0]
	r := ts.mustGQL(t, "", `mutation($in: InitializeInput!) { initialize(input: $in) { auth { accessToken } } }`,
		vars{"in": vars{"bootstrapToken": token, "username": "root", "password": "root-password-1"}})
	var init struct {
		Initialize struct {
			Auth auth `json:"auth"`
		} `json:"initialize"`
	}
	r.decode(t, &init)
	root := init.Initialize.Auth.AccessToken
	subscribe(t, ts, root, h, "user.signed_up")
	ts.signup(t, "phoenix", testPassword)
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	if n := len(delivered(h.received(), "")); n != 0 {
		t.Fatalf("delivered before the kill: %d", n)
	}

	h.setAnswer(nil)
	_, url, logs = startBinary(t, bin, args)
	ts = &testServer{t: t, url: url}
	// A delivery in flight at the kill holds its lease (2 × 10s + 10s):
	// the wait allows for it.
	deadline := time.Now().Add(time.Minute)
	var got []hookReceived
	for time.Now().Before(deadline) {
		if got = delivered(h.received(), "user.signed_up"); len(got) > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(got) != 1 {
		t.Fatalf("deliveries after the restart: %d, want 1\n%s", len(got), logs())
	}
	root = ts.login(t, "root", "root-password-1").AccessToken
	id := ts.meID(t, ts.login(t, "phoenix", testPassword).AccessToken)
	trail := auditEvents(t, ts, root, vars{"subjectId": id, "types": []string{"user.signed_up"}}, 10)
	if len(trail) != 1 {
		t.Fatalf("the trail holds %d sign-ups of phoenix, want 1", len(trail))
	}
	d, rec := got[0], trail[0]
	if d.SigErr != nil || d.ID != rec.ID || d.Body.ID != rec.ID || d.Body.Type != rec.Type || d.Body.SubjectID != strOf(rec.SubjectID) ||
		d.Body.IP != strOf(rec.IP) {
		t.Errorf("delivered %+v (signature: %v); want the recorded %+v", d.Body, d.SigErr, rec)
	}
	assertJSONEqual(t, "delivered data", d.Body.Data, string(rec.Data))
}
