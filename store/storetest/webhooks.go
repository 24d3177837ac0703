package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var webhookTests = []subTest{
	{"WebhookCreateGetListUpdateDelete", testWebhookCRUD},
	{"WebhookUpdateCarriesEvents", testWebhookUpdateEvents},
	{"WebhookDeliveriesPagingAndPurge", testWebhookDeliveries},
}

func newWebhook(url string, created time.Time) *store.Webhook {
	return &store.Webhook{ID: store.NewID(), URL: url, Events: []string{"login.failed", "user.deleted"},
		Secret: "whsec_c2VjcmV0", Active: true, CreatedAt: created}
}

func testWebhookCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newWebhook("https://a.example/hook", t0), newWebhook("https://b.example/hook", t0.Add(time.Second))
	for _, w := range []*store.Webhook{b, a} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateWebhook(ctx, newWebhook("https://c.example", t0.Add(2*time.Second))); err != nil {
		t.Fatal(err)
	}
	dup := *a
	wantErrIs(t, "CreateWebhook(same id)", s.CreateWebhook(ctx, &dup), store.ErrAlreadyExists)
	got, err := s.GetWebhook(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.URL != a.URL || !slices.Equal(got.Events, a.Events) || got.Secret != a.Secret || !got.Active {
		t.Errorf("GetWebhook = %+v, want %+v", got, a)
	}
	list, err := s.ListWebhooks(ctx)
	if err != nil || len(list) != 3 || list[0].ID != a.ID || list[1].ID != b.ID {
		t.Fatalf("ListWebhooks = %d webhooks (%v), want 3, oldest first", len(list), err)
	}
	failing := t0.Add(time.Hour)
	up, err := s.UpdateWebhook(ctx, a.ID, func(w *store.Webhook) error {
		w.Active, w.ConsecutiveFailures, w.FailingSince, w.Events = false, 3, failing, []string{"*"}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetWebhook(ctx, a.ID)
	if again.Active || again.ConsecutiveFailures != 3 || !again.FailingSince.Equal(failing) || !slices.Equal(again.Events, []string{"*"}) ||
		again.Version != up.Version || up.Version <= got.Version {
		t.Errorf("after UpdateWebhook: %+v (returned version %d, before %d)", again, up.Version, got.Version)
	}
	if !again.Wants("anything") || a.Wants("login.succeeded") || !a.Wants("login.failed") {
		t.Error("Wants: * takes every type, a list only its own")
	}
	_, err = s.UpdateWebhook(ctx, "missing", func(*store.Webhook) error { return nil })
	wantErrIs(t, "UpdateWebhook(missing)", err, store.ErrNotFound)
	if err := s.DeleteWebhook(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetWebhook(ctx, a.ID)
	wantErrIs(t, "GetWebhook(deleted)", err, store.ErrNotFound)
	wantErrIs(t, "DeleteWebhook(deleted)", s.DeleteWebhook(ctx, a.ID), store.ErrNotFound)
}

// Disabling a webhook carries its webhook.disabled event.
func testWebhookUpdateEvents(t *testing.T, s store.Store) {
	ctx := t.Context()
	w := newWebhook("https://a.example/hook", t0)
	if err := s.CreateWebhook(ctx, w); err != nil {
		t.Fatal(err)
	}
	disabled := newEvent("webhook.disabled", w.ID, t0)
	if _, err := s.UpdateWebhook(store.WithEvents(ctx, disabled), w.ID, func(w *store.Webhook) error {
		w.Active = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	wantStored(t, s, disabled)
}

func testWebhookDeliveries(t *testing.T, s store.Store) {
	ctx := t.Context()
	a, b := newWebhook("https://a.example", t0), newWebhook("https://b.example", t0)
	for _, w := range []*store.Webhook{a, b} {
		if err := s.CreateWebhook(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	var ofA []string
	for i := range 7 {
		w := a
		if i%3 == 2 {
			w = b
		}
		d := &store.WebhookDelivery{ID: store.NewID(), WebhookID: w.ID, EventID: "e1", EventType: "login.failed",
			Attempt: i + 1, Status: 500, Error: "HTTP 500", At: t0.Add(time.Duration(i) * time.Minute)}
		if err := s.AddWebhookDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
		if w == a {
			ofA = append([]string{d.ID}, ofA...)
		}
	}
	var got []string
	after := ""
	for range 10 {
		page, more, err := s.ListWebhookDeliveries(ctx, a.ID, 2, after)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			got = append(got, d.ID)
			if d.WebhookID != a.ID || d.Status != 500 || d.Delivered {
				t.Errorf("delivery %+v", d)
			}
		}
		if !more {
			break
		}
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, ofA) {
		t.Errorf("deliveries of a, newest first: got %v, want %v", got, ofA)
	}
	d, err := s.GetWebhookDelivery(ctx, ofA[0])
	if err != nil || d.Attempt != 7 {
		t.Errorf("GetWebhookDelivery = %+v, %v; want attempt 7", d, err)
	}
	if n, err := s.PurgeWebhookDeliveries(ctx, t0.Add(3*time.Minute), 100); err != nil || n != 3 {
		t.Errorf("PurgeWebhookDeliveries = %d, %v; want 3", n, err)
	}
	if err := s.DeleteWebhook(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetWebhookDelivery(ctx, ofA[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a deleted webhook's delivery: err %v, want ErrNotFound", err)
	}
	all, _, err := s.ListWebhookDeliveries(ctx, "", 100, "")
	if err != nil || len(all) != 1 {
		t.Errorf("deliveries left after the purge and the delete: %d (%v), want b's 1 (its other is older than the purge)", len(all), err)
	}
}
