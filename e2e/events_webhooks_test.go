package e2e

import (
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/app"
)

// Webhooks over HTTP against real receivers: signed deliveries that the
// Standard Webhooks library verifies, retries until a failing receiver
// recovers, one subject's events in order, disabling after failing too
// long, the refusal of private addresses, and the administration.

func TestWebhookSignedDelivery(t *testing.T) {
	t.Parallel()
	h := startHookReceiver(t)
	ts := startServer(t, withWebhooks(50*time.Millisecond))
	root := ts.admin(t)
	hook := subscribe(t, ts, root.AccessToken, h, "user.signed_up", "login.failed")
	if !hook.Active || hook.URL != h.url || !slices.Equal(hook.Events, []string{"user.signed_up", "login.failed"}) {
		t.Fatalf("createWebhook = %+v", hook)
	}
	cy := ts.signup(t, "cy", testPassword)
	cyID := ts.meID(t, cy.AccessToken)
	loginCode(t, ts, "cy", "not the password")
	ts.login(t, "cy", testPassword) // login.succeeded: not subscribed

	got := h.waitFor(t, "a sign-up and a failed login", func(g []hookReceived) bool { return len(delivered(g, "")) >= 2 })
	time.Sleep(200 * time.Millisecond) // anything unsubscribed would come now
	got = h.received()
	if types := []string{got[0].Body.Type, got[1].Body.Type}; !slices.Equal(types, []string{"user.signed_up", "login.failed"}) || len(got) != 2 {
		t.Fatalf("deliveries: %d, types %v; want the sign-up then the failed login only", len(got), types)
	}
	trail := auditEvents(t, ts, root.AccessToken, vars{"subjectId": cyID, "types": []string{"user.signed_up", "login.failed"}}, 10)
	for i, g := range got {
		if g.SigErr != nil {
			t.Errorf("delivery %d: the Standard Webhooks library refused its signature: %v", i, g.SigErr)
		}
		rec := trail[len(trail)-1-i] // the trail is newest first
		if g.ID != rec.ID || g.Body.ID != rec.ID || g.Body.Type != rec.Type || g.Body.SubjectID != cyID || g.Body.At == "" {
			t.Errorf("delivery %d: webhook-id %q body %+v; want the trail's event %+v", i, g.ID, g.Body, rec)
		}
		assertJSONEqual(t, "delivered data", g.Body.Data, string(rec.Data))
	}

	// Tampering is what the signature catches.
	if err := verifyTampered(h, got[0]); err == nil {
		t.Error("a tampered body verified")
	}
}

func TestWebhookRetriesUntilTheReceiverRecovers(t *testing.T) {
	t.Parallel()
	h := startHookReceiver(t)
	h.setAnswer(func(n int) int {
		if n <= 2 {
			return 503
		}
		return 200
	})
	ts := startServer(t, withWebhooks(50*time.Millisecond))
	root := ts.admin(t)
	hook := subscribe(t, ts, root.AccessToken, h, "user.signed_up")
	ts.signup(t, "dee", testPassword)
	got := h.waitFor(t, "a delivery after two failures", func(g []hookReceived) bool { return len(delivered(g, "")) == 1 })
	if len(got) != 3 || got[0].ID != got[2].ID || got[1].ID != got[2].ID {
		t.Fatalf("attempts: %d with ids %q %q %q; want 3 of one webhook-id", len(got), got[0].ID, got[1].ID, got[2].ID)
	}
	const deliveriesQuery = `query($id: ID) { webhookDeliveries(webhookId: $id, first: 10) {
	  nodes { id eventId eventType attempt status error delivered } pageInfo { hasNextPage } } }`
	var out struct {
		WebhookDeliveries struct {
			Nodes []struct {
				ID        string  `json:"id"`
				EventID   string  `json:"eventId"`
				EventType string  `json:"eventType"`
				Attempt   int     `json:"attempt"`
				Status    *int    `json:"status"`
				Error     *string `json:"error"`
				Delivered bool    `json:"delivered"`
			} `json:"nodes"`
		} `json:"webhookDeliveries"`
	}
	deadline := time.Now().Add(mailWithin)
	for len(out.WebhookDeliveries.Nodes) < 3 && time.Now().Before(deadline) {
		ts.mustGQL(t, root.AccessToken, deliveriesQuery, vars{"id": hook.ID}).decode(t, &out)
		time.Sleep(10 * time.Millisecond)
	}
	ds := out.WebhookDeliveries.Nodes
	if len(ds) != 3 {
		t.Fatalf("webhookDeliveries: %d, want 3", len(ds))
	}
	for i, d := range ds { // newest first
		wantStatus, wantOK := 503, false
		if i == 0 {
			wantStatus, wantOK = 200, true
		}
		if d.Attempt != 3-i || d.Status == nil || *d.Status != wantStatus || d.Delivered != wantOK || d.EventID != got[0].ID {
			t.Errorf("delivery %d: %+v; want attempt %d, status %d, delivered %v", i, d, 3-i, wantStatus, wantOK)
		}
	}
	// The delivery is recorded before the webhook's health: wait for both.
	var hooks []apiWebhook
	for deadline := time.Now().Add(mailWithin); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		hooks = dataField[[]apiWebhook](t, ts.mustGQL(t, root.AccessToken, `{ webhooks { id active consecutiveFailures lastDeliveryAt } }`, nil), "webhooks")
		if len(hooks) == 1 && hooks[0].LastDeliveryAt != nil {
			break
		}
	}
	if len(hooks) != 1 || hooks[0].ConsecutiveFailures != 0 || hooks[0].LastDeliveryAt == nil || !hooks[0].Active {
		t.Errorf("webhooks after the recovery: %+v; want no failures and a last delivery", hooks)
	}

	// Redelivery sends the same event again, with its webhook-id.
	ts.mustGQL(t, root.AccessToken, `mutation($id: ID!) { redeliverWebhook(deliveryId: $id) }`, vars{"id": ds[0].ID})
	again := h.waitFor(t, "the redelivery", func(g []hookReceived) bool { return len(delivered(g, "")) == 2 })
	if last := again[len(again)-1]; last.ID != got[0].ID || last.SigErr != nil {
		t.Errorf("redelivery: webhook-id %q (signature %v), want %q", last.ID, last.SigErr, got[0].ID)
	}
	wantCode(t, ts.gql(t, root.AccessToken, `mutation { redeliverWebhook(deliveryId: "nope") }`, nil), "NOT_FOUND", 605)
}

// One subject's events reach a webhook in the order they happened, even
// when the first of them has to be retried.
func TestWebhookSubjectOrder(t *testing.T) {
	t.Parallel()
	h := startHookReceiver(t)
	h.setAnswer(func(n int) int {
		if n == 1 {
			return 500
		}
		return 204
	})
	ts := startServer(t, withWebhooks(100*time.Millisecond))
	root := ts.admin(t)
	subscribe(t, ts, root.AccessToken, h, "*")
	eve := ts.signup(t, "eve", testPassword)
	eveID := ts.meID(t, eve.AccessToken)
	for _, name := range []string{"One", "Two", "Three"} {
		updateProfile(t, ts, eve.AccessToken, vars{"firstName": name})
	}
	trail := auditEvents(t, ts, root.AccessToken, vars{"subjectId": eveID}, 50)
	got := h.waitFor(t, "eve's events", func(g []hookReceived) bool {
		n := 0
		for _, d := range delivered(g, "") {
			if d.Body.SubjectID == eveID {
				n++
			}
		}
		return n == len(trail)
	})
	var order, want []string
	for _, d := range delivered(got, "") {
		if d.Body.SubjectID == eveID {
			order = append(order, d.ID)
		}
	}
	for i := len(trail) - 1; i >= 0; i-- {
		want = append(want, trail[i].ID)
	}
	if !slices.Equal(order, want) {
		t.Errorf("eve's events arrived as %v, want %v (the trail's order)", order, want)
	}
}

func TestWebhookDisabledAfterFailingTooLong(t *testing.T) {
	t.Parallel()
	h := startHookReceiver(t)
	h.setAnswer(func(int) int { return 500 })
	ts := startServer(t, withWebhooks(20*time.Millisecond), withConfig(func(c *app.Config) {
		c.Events.DisableAfter = 2 * time.Second
	}))
	root := ts.admin(t)
	hook := subscribe(t, ts, root.AccessToken, h, "user.signed_up")
	ts.signup(t, "fay", testPassword)
	deadline := time.Now().Add(mailWithin)
	var disabled []apiEvent
	for len(disabled) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		disabled = auditEvents(t, ts, root.AccessToken, vars{"types": []string{"webhook.disabled"}}, 10)
	}
	if len(disabled) != 1 || strOf(disabled[0].SubjectID) != hook.ID {
		t.Fatalf("webhook.disabled events: %+v, want one about %s (the receiver got %d requests)", disabled, hook.ID, len(h.received()))
	}
	hooks := dataField[[]apiWebhook](t, ts.mustGQL(t, root.AccessToken, `{ webhooks { id active consecutiveFailures } }`, nil), "webhooks")
	if hooks[0].Active || hooks[0].ConsecutiveFailures < 2 {
		t.Errorf("the webhook after failing too long: %+v, want inactive with its failures counted", hooks[0])
	}
	n := len(h.received())
	time.Sleep(200 * time.Millisecond)
	if m := len(h.received()); m != n {
		t.Errorf("a disabled webhook got %d more requests", m-n)
	}
	// Reactivating starts the failures over.
	h.setAnswer(nil)
	r := ts.mustGQL(t, root.AccessToken, `mutation($id: ID!, $in: WebhookInput!) { updateWebhook(id: $id, input: $in) { active consecutiveFailures events } }`,
		vars{"id": hook.ID, "in": vars{"url": h.url, "events": []string{"*"}, "active": true}})
	if w := dataField[apiWebhook](t, r, "updateWebhook"); !w.Active || w.ConsecutiveFailures != 0 || !slices.Equal(w.Events, []string{"*"}) {
		t.Errorf("updateWebhook: %+v", w)
	}
	ts.signup(t, "gus", testPassword)
	h.waitFor(t, "a delivery after reactivation", func(g []hookReceived) bool { return len(delivered(g, "user.signed_up")) == 1 })
}

func TestWebhookAdministration(t *testing.T) {
	t.Parallel()
	ts := startServer(t) // private addresses refused (the default)
	root := ts.admin(t)
	user := ts.signup(t, "hal", testPassword)
	in := vars{"url": "https://hooks.example.com/usergraph", "events": []string{"login.failed"}}
	wantCode(t, ts.gql(t, user.AccessToken, createWebhookMutation, vars{"in": in}), "FORBIDDEN", 609)
	wantCode(t, ts.gql(t, user.AccessToken, `{ webhooks { id } }`, nil), "FORBIDDEN", 609)

	for _, url := range []string{"http://127.0.0.1:8080/hook", "http://localhost/hook", "http://10.1.2.3/", "http://[::1]/",
		"http://169.254.169.254/latest/meta-data", "ftp://example.com/", "not a url", "https://user:pw@example.com/"} {
		r := ts.gql(t, root.AccessToken, createWebhookMutation, vars{"in": vars{"url": url, "events": []string{"*"}}})
		if r.code() != "BAD_USER_INPUT" || r.field() != "url" {
			t.Errorf("createWebhook(%s): code %q field %q, want BAD_USER_INPUT on url", url, r.code(), r.field())
		}
	}
	r := ts.gql(t, root.AccessToken, createWebhookMutation, vars{"in": vars{"url": "http://192.0.2.10/hook", "events": []string{"user.exploded"}}})
	if r.code() != "BAD_USER_INPUT" || r.field() != "events" {
		t.Errorf("an unknown event type: code %q field %q", r.code(), r.field())
	}
	if got := dataField[[]apiWebhook](t, ts.mustGQL(t, root.AccessToken, `{ webhooks { id } }`, nil), "webhooks"); len(got) != 0 {
		t.Fatalf("refused webhooks were stored: %+v", got)
	}
	// A public address is accepted (192.0.2.0/24 is documentation space,
	// public as far as the rule goes); deleting it works once.
	var out struct {
		CreateWebhook struct {
			Secret  string     `json:"secret"`
			Webhook apiWebhook `json:"webhook"`
		} `json:"createWebhook"`
	}
	ts.mustGQL(t, root.AccessToken, createWebhookMutation, vars{"in": vars{"url": "http://192.0.2.10/hook", "events": []string{"*"}}}).decode(t, &out)
	if len(out.CreateWebhook.Secret) < 40 || out.CreateWebhook.Secret[:6] != "whsec_" {
		t.Errorf("secret %q: want whsec_ and 32 bytes in base64", out.CreateWebhook.Secret)
	}
	del := `mutation($id: ID!) { deleteWebhook(id: $id) }`
	ts.mustGQL(t, root.AccessToken, del, vars{"id": out.CreateWebhook.Webhook.ID})
	wantCode(t, ts.gql(t, root.AccessToken, del, vars{"id": out.CreateWebhook.Webhook.ID}), "NOT_FOUND", 605)
}

// Without USERGRAPH_WEBHOOK_ALLOW_PRIVATE, a name that resolves to a
// private address later (DNS rebinding) is still refused at the
// connection: the receiver on 127.0.0.1 is never reached.
func TestWebhookConnectionToPrivateAddressRefused(t *testing.T) {
	t.Parallel()
	h := startHookReceiver(t)
	// Saved while private addresses were allowed, then the switch went off.
	ts := startServer(t, withWebhooks(20*time.Millisecond))
	root := ts.admin(t)
	subscribe(t, ts, root.AccessToken, h, "user.signed_up")
	ts.stop()
	cfg := ts.cfg
	cfg.Events.WebhookAllowPrivate, cfg.HTTP.PublicURL = false, ""
	ts = startWith(t, cfg)
	ts.signup(t, "ida", testPassword)
	time.Sleep(500 * time.Millisecond)
	if n := len(h.received()); n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 got %d requests with private addresses refused", n)
	}
}
