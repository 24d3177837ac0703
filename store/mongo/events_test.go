package mongo_test

import (
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/mongo"
)

// A process that died between a user's write and the relay of its events
// left them in the user's pending events: the change is stored, the events
// are not yet in the trail. RelayEvents moves them, once: a second run (or
// a second instance) finds nothing, and repeats store nothing twice.
func TestRelayAfterCrash(t *testing.T) {
	db := openTestDB(t, mongo.ServerURI(t))
	ctx := t.Context()
	hook := &store.Webhook{ID: store.NewID(), URL: "https://receiver.example", Events: []string{"*"}, Secret: "whsec_x",
		Active: true, CreatedAt: store.Now().Add(-time.Minute)}
	if err := db.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	u := &store.User{ID: store.NewID(), Username: "ann", UsernameKey: "ann", Status: store.StatusActive, CreatedAt: store.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	ev := &store.Event{ID: store.NewID(), Type: "user.status_changed", At: store.Now(), SubjectID: u.ID, Data: []byte(`{"status":"SUSPENDED"}`)}
	err := db.UpdateUserUnrelayed(store.WithEvents(ctx, ev), u.ID, func(u *store.User) error {
		u.Status = store.StatusSuspended
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetEvent(ctx, ev.ID); err == nil {
		t.Fatal("the event is in the trail before any relay")
	}
	if n, err := db.RelayEvents(ctx, 10); err != nil || n != 1 {
		t.Fatalf("RelayEvents = %d, %v; want 1", n, err)
	}
	got, err := db.GetEvent(ctx, ev.ID)
	if err != nil || got.Type != ev.Type || string(got.Data) != string(ev.Data) {
		t.Fatalf("GetEvent after the relay = %+v, %v; want the event as written", got, err)
	}
	if m, err := db.GetOutbox(ctx, ev.ID+hook.ID); err != nil || m.Kind != store.WebhookKind {
		t.Errorf("GetOutbox after the relay = %+v, %v; want the event's delivery to the webhook", m, err)
	}
	if n, err := db.RelayEvents(ctx, 10); err != nil || n != 0 {
		t.Errorf("second RelayEvents = %d, %v; want 0", n, err)
	}
	page, _, err := db.ListEvents(ctx, store.EventQuery{First: 10, Filter: store.AuditFilter{SubjectID: u.ID}})
	if err != nil || len(page) != 1 {
		t.Errorf("trail of the user: %d events (%v), want 1", len(page), err)
	}
}
