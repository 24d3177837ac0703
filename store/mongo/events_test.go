package mongo_test

import (
	"context"
	"errors"
	"strings"
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

// The records other than users, and the identities in a user's document,
// carry their writes' events the same way:
// for each kind of write, a process that died between the write and the
// relay left the events pending in the changed document; RelayEvents
// moves them once. A deletion so stopped is decided (the record is no
// longer read) but its document stays until the relay has stored its
// event; then it goes.
func TestRelayAfterCrashOfEveryRecord(t *testing.T) {
	db := openTestDB(t, mongo.ServerURI(t))
	ctx := t.Context()
	hook := &store.Webhook{ID: store.NewID(), URL: "https://receiver.example", Events: []string{"*"}, Secret: "whsec_x",
		Active: true, CreatedAt: store.Now().Add(-time.Minute)}
	if err := db.CreateWebhook(ctx, hook); err != nil {
		t.Fatal(err)
	}
	u := &store.User{ID: store.NewID(), Username: "bea", UsernameKey: "bea", Status: store.StatusActive, CreatedAt: store.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := store.Now()
	sess := func() *store.Session {
		return &store.Session{ID: store.NewID(), UserID: u.ID, Kind: store.SessionUser, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	}
	s1, s2, s3 := sess(), sess(), sess()
	role := &store.Role{ID: store.NewID(), Name: "crash-role", CreatedAt: now, UpdatedAt: now}
	dev := &store.Device{ID: store.NewID(), UserID: u.ID, Token: "crash-device", CanAccess: true, CreatedAt: now}
	app := &store.Application{ID: store.NewID(), Name: "crash-app", ClientID: "crash-client", SecretHash: "00", CreatedAt: now, UpdatedAt: now}
	other := &store.Webhook{ID: store.NewID(), URL: "https://other.example", Events: []string{"user.updated"}, Secret: "whsec_y",
		Active: true, CreatedAt: now}
	key := &store.SigningKey{ID: store.NewID(), Algorithm: "EdDSA", Private: []byte{1}, Public: []byte{2}, CreatedAt: now}

	for _, c := range []struct {
		name  string
		write func(ctx context.Context) error
		// deleted names the collection and the id of a deleted document,
		// and gone asks the store for the record.
		coll, id string
		gone     func() error
	}{
		{name: "create session", write: func(ctx context.Context) error { return db.CreateSession(ctx, s1) }},
		{name: "revoke session", write: func(ctx context.Context) error { return db.RevokeSession(ctx, s1.ID, store.Now()) }},
		{name: "revoke sessions", write: func(ctx context.Context) error {
			for _, s := range []*store.Session{s2, s3} {
				if err := db.CreateSession(t.Context(), s); err != nil {
					return err
				}
			}
			_, err := db.RevokeSessions(ctx, store.SessionRevocation{UserIDs: []string{u.ID}, At: store.Now()})
			return err
		}},
		{name: "create role", write: func(ctx context.Context) error { return db.CreateRole(ctx, role) }},
		{name: "update role", write: func(ctx context.Context) error {
			_, err := db.UpdateRole(ctx, role.Name, func(r *store.Role) error { r.Description = "changed"; return nil })
			return err
		}},
		{name: "delete role", write: func(ctx context.Context) error { return db.DeleteRole(ctx, role.Name) },
			coll: "roles", id: role.ID, gone: func() error { _, err := db.GetRole(ctx, role.Name); return err }},
		{name: "create device", write: func(ctx context.Context) error { return db.CreateDevice(ctx, dev) }},
		{name: "update device", write: func(ctx context.Context) error {
			_, err := db.UpdateDevice(ctx, dev.ID, func(d *store.Device) error { d.CanAccess = false; return nil })
			return err
		}},
		{name: "delete device", write: func(ctx context.Context) error { return db.DeleteDevice(ctx, dev.ID) },
			coll: "devices", id: dev.ID, gone: func() error { _, err := db.GetDevice(ctx, dev.ID); return err }},
		{name: "create application", write: func(ctx context.Context) error { return db.CreateApplication(ctx, app) }},
		{name: "update application", write: func(ctx context.Context) error {
			_, err := db.UpdateApplication(ctx, app.ID, func(a *store.Application) error { a.Name = "renamed"; return nil })
			return err
		}},
		{name: "delete application", write: func(ctx context.Context) error { return db.DeleteApplication(ctx, app.ID) },
			coll: "applications", id: app.ID, gone: func() error { _, err := db.GetApplicationByClientID(ctx, app.ClientID); return err }},
		{name: "create webhook", write: func(ctx context.Context) error { return db.CreateWebhook(ctx, other) }},
		{name: "update webhook", write: func(ctx context.Context) error {
			_, err := db.UpdateWebhook(ctx, other.ID, func(w *store.Webhook) error { w.URL = "https://other.example/2"; return nil })
			return err
		}},
		{name: "delete webhook", write: func(ctx context.Context) error { return db.DeleteWebhook(ctx, other.ID) },
			coll: "webhooks", id: other.ID, gone: func() error { _, err := db.GetWebhook(ctx, other.ID); return err }},
		{name: "create signing key", write: func(ctx context.Context) error { return db.CreateSigningKey(ctx, key) }},
		{name: "enqueue outbox", write: func(ctx context.Context) error {
			return db.EnqueueOutbox(ctx, &store.OutboxMessage{ID: store.NewID(), Kind: "mail", Payload: []byte("{}"), CreatedAt: now, NextAttemptAt: now})
		}},
		{name: "link identity", write: func(ctx context.Context) error {
			return db.CreateIdentity(ctx, &store.Identity{UserID: u.ID, Provider: "github", Subject: "gh-crash", LinkedAt: now})
		}},
		{name: "unlink identity", write: func(ctx context.Context) error {
			return db.DeleteIdentity(ctx, u.ID, "github", func(*store.User, []*store.Identity) error { return nil })
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ev := &store.Event{ID: store.NewID(), Type: "test." + strings.ReplaceAll(c.name, " ", "_"), At: store.Now(), SubjectID: u.ID}
			db.CrashBeforeRelay(true)
			err := c.write(store.WithEvents(ctx, ev))
			db.CrashBeforeRelay(false)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.GetEvent(ctx, ev.ID); err == nil {
				t.Fatal("the event is in the trail before any relay")
			}
			if c.gone != nil {
				if err := c.gone(); !errors.Is(err, store.ErrNotFound) {
					t.Errorf("reading the record deleted before the relay: %v, want ErrNotFound", err)
				}
				if ok, err := db.DocumentExists(ctx, c.coll, c.id); err != nil || !ok {
					t.Errorf("the deleted document before the relay: exists %v (%v), want kept with its event", ok, err)
				}
			}
			if n, err := db.RelayEvents(ctx, 10); err != nil || n != 1 {
				t.Fatalf("RelayEvents = %d, %v; want 1", n, err)
			}
			if got, err := db.GetEvent(ctx, ev.ID); err != nil || got.Type != ev.Type {
				t.Fatalf("GetEvent after the relay = %+v, %v; want the event as written", got, err)
			}
			if m, err := db.GetOutbox(ctx, ev.ID+hook.ID); err != nil || m.Kind != store.WebhookKind {
				t.Errorf("GetOutbox after the relay = %+v, %v; want the event's delivery", m, err)
			}
			if c.gone != nil {
				if ok, err := db.DocumentExists(ctx, c.coll, c.id); err != nil || ok {
					t.Errorf("the deleted document after the relay: exists %v (%v), want gone", ok, err)
				}
			}
			if n, err := db.RelayEvents(ctx, 10); err != nil || n != 0 {
				t.Errorf("second RelayEvents = %d, %v; want 0", n, err)
			}
		})
	}
}

// A purge of idle guests that stopped after marking them deleted, before
// the relay, left them unread but stored with their user.deleted events;
// RelayEvents stores the events and then removes the guests and their
// sessions, once.
func TestPurgeGuestsAfterCrash(t *testing.T) {
	db := openTestDB(t, mongo.ServerURI(t))
	ctx := t.Context()
	old := store.Now().Add(-48 * time.Hour)
	g := &store.User{ID: store.NewID(), Username: "guest-crash", UsernameKey: "guest-crash", IsGuest: true,
		Status: store.StatusActive, CreatedAt: old, LastRequestAt: old}
	if err := db.CreateUser(ctx, g); err != nil {
		t.Fatal(err)
	}
	s := &store.Session{ID: store.NewID(), UserID: g.ID, Kind: store.SessionGuest, CreatedAt: old, LastSeenAt: old, ExpiresAt: store.Now().Add(time.Hour)}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	var ev *store.Event
	purge := store.WithEventFor(ctx, func(id string) *store.Event {
		ev = &store.Event{ID: store.NewID(), Type: "user.deleted", At: store.Now(), SubjectID: id}
		return ev
	})
	db.CrashBeforeRelay(true)
	n, err := db.PurgeGuests(purge, store.Now().Add(-time.Hour), 10)
	db.CrashBeforeRelay(false)
	if err != nil || n != 1 || ev == nil {
		t.Fatalf("PurgeGuests = %d, %v (event %v); want 1 with its event", n, err, ev)
	}
	if _, err := db.GetUser(ctx, g.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetUser of the marked guest: %v, want ErrNotFound", err)
	}
	if _, err := db.GetEvent(ctx, ev.ID); err == nil {
		t.Fatal("the event is in the trail before any relay")
	}
	if n, err := db.RelayEvents(ctx, 10); err != nil || n != 1 {
		t.Fatalf("RelayEvents = %d, %v; want 1", n, err)
	}
	if _, err := db.GetEvent(ctx, ev.ID); err != nil {
		t.Errorf("GetEvent after the relay: %v", err)
	}
	if ok, err := db.DocumentExists(ctx, "users", g.ID); err != nil || ok {
		t.Errorf("the guest's document after the relay: exists %v (%v), want gone", ok, err)
	}
	if _, err := db.GetSession(ctx, s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the guest's session after the relay: %v, want ErrNotFound", err)
	}
	if n, err := db.RelayEvents(ctx, 10); err != nil || n != 0 {
		t.Errorf("second RelayEvents = %d, %v; want 0", n, err)
	}
}

// A deletion of users (one, or in bulk) that stopped after marking them
// deleted, before the relay, left them unread but stored with their
// events; RelayEvents stores the events and then removes them, once.
func TestDeleteUsersAfterCrash(t *testing.T) {
	db := openTestDB(t, mongo.ServerURI(t))
	ctx := t.Context()
	var users []*store.User
	for _, name := range []string{"del-one", "del-bulk-a", "del-bulk-b"} {
		u := &store.User{ID: store.NewID(), Username: name, UsernameKey: name, Status: store.StatusActive, CreatedAt: store.Now()}
		if err := db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		users = append(users, u)
	}
	evs := make([]*store.Event, len(users))
	for i, u := range users {
		evs[i] = &store.Event{ID: store.NewID(), Type: "user.deleted", At: store.Now(), SubjectID: u.ID}
	}
	db.CrashBeforeRelay(true)
	err := db.DeleteUser(store.WithEvents(ctx, evs[0]), users[0].ID)
	var n int
	if err == nil {
		n, err = db.DeleteUsers(store.WithEvents(ctx, evs[1:]...), &store.UserFilter{IDs: []string{users[1].ID, users[2].ID}})
	}
	db.CrashBeforeRelay(false)
	if err != nil || n != 2 {
		t.Fatalf("DeleteUser, DeleteUsers = %d, %v; want 2 deleted in bulk", n, err)
	}
	for i, u := range users {
		if _, err := db.GetUser(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetUser of marked %s: %v, want ErrNotFound", u.Username, err)
		}
		if _, err := db.GetEvent(ctx, evs[i].ID); err == nil {
			t.Errorf("the event of %s is in the trail before any relay", u.Username)
		}
	}
	if n, err := db.RelayEvents(ctx, 10); err != nil || n != 3 {
		t.Fatalf("RelayEvents = %d, %v; want 3", n, err)
	}
	for i, u := range users {
		if _, err := db.GetEvent(ctx, evs[i].ID); err != nil {
			t.Errorf("GetEvent of %s after the relay: %v", u.Username, err)
		}
		if ok, err := db.DocumentExists(ctx, "users", u.ID); err != nil || ok {
			t.Errorf("the document of %s after the relay: exists %v (%v), want gone", u.Username, ok, err)
		}
	}
	if n, err := db.RelayEvents(ctx, 10); err != nil || n != 0 {
		t.Errorf("second RelayEvents = %d, %v; want 0", n, err)
	}
}

// A user deleted while one of their sessions still holds the event of a
// crashed revocation: the deletion relays it before the session goes.
func TestDeleteUserRelaysItsSessionsEvents(t *testing.T) {
	db := openTestDB(t, mongo.ServerURI(t))
	ctx := t.Context()
	u := &store.User{ID: store.NewID(), Username: "del-sess", UsernameKey: "del-sess", Status: store.StatusActive, CreatedAt: store.Now()}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := store.Now()
	s := &store.Session{ID: store.NewID(), UserID: u.ID, Kind: store.SessionUser, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := db.CreateSession(ctx, s); err != nil {
		t.Fatal(err)
	}
	revoked := &store.Event{ID: store.NewID(), Type: "session.revoked", At: now, SubjectID: u.ID}
	db.CrashBeforeRelay(true)
	err := db.RevokeSession(store.WithEvents(ctx, revoked), s.ID, now)
	db.CrashBeforeRelay(false)
	if err != nil {
		t.Fatal(err)
	}
	deleted := &store.Event{ID: store.NewID(), Type: "user.deleted", At: now, SubjectID: u.ID}
	if err := db.DeleteUser(store.WithEvents(ctx, deleted), u.ID); err != nil {
		t.Fatal(err)
	}
	for _, e := range []*store.Event{revoked, deleted} {
		if _, err := db.GetEvent(ctx, e.ID); err != nil {
			t.Errorf("GetEvent(%s) after the deletion: %v, want it stored", e.Type, err)
		}
	}
	if _, err := db.GetSession(ctx, s.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the session after the deletion: %v, want ErrNotFound", err)
	}
}
