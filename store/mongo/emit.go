package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// The writes of records other than users (sessions.go and webhooks.go
// have theirs): each carries the events of its context in the document it
// writes (pending.go), then relays them from it.

// CreateSession inserts s, carrying the events, and its tokens.
func (db *DB) CreateSession(ctx context.Context, s *store.Session, tokens ...*store.RefreshToken) error {
	evs := store.EventsOf(ctx)
	if err := db.createSession(ctx, s, evs, tokens...); err != nil {
		return err
	}
	return db.relayFrom(ctx, db.sessions, []string{s.ID}, evs)
}

// CreateRole inserts a role carrying the events.
func (db *DB) CreateRole(ctx context.Context, r *store.Role) error {
	evs := store.EventsOf(ctx)
	if err := db.createRole(ctx, r, evs); err != nil {
		return err
	}
	return db.relayFrom(ctx, db.roles, []string{r.ID}, evs)
}

// UpdateRole changes a role by an update that carries the events.
func (db *DB) UpdateRole(ctx context.Context, name string, update func(*store.Role) error) (*store.Role, error) {
	evs := store.EventsOf(ctx)
	r, err := db.updateRole(ctx, name, update, evs)
	if err != nil {
		return nil, err
	}
	return r, db.relayFrom(ctx, db.roles, []string{r.ID}, evs)
}

// DeleteRole removes a role by name; with events, by marking it deleted
// first (pending.go).
func (db *DB) DeleteRole(ctx context.Context, name string) error {
	return db.deleteWithEvents(ctx, "delete role", db.roles, bson.D{{Key: "name", Value: name}})
}

// CreateDevice inserts a device carrying the events.
func (db *DB) CreateDevice(ctx context.Context, d *store.Device) error {
	evs := store.EventsOf(ctx)
	if err := db.createDevice(ctx, d, evs); err != nil {
		return err
	}
	return db.relayFrom(ctx, db.devices, []string{d.ID}, evs)
}

// UpdateDevice changes a device by an update that carries the events.
func (db *DB) UpdateDevice(ctx context.Context, id string, update func(*store.Device) error) (*store.Device, error) {
	evs := store.EventsOf(ctx)
	d, err := db.updateDevice(ctx, id, update, evs)
	if err != nil {
		return nil, err
	}
	return d, db.relayFrom(ctx, db.devices, []string{id}, evs)
}

// DeleteDevice removes one device; with events, by marking it deleted
// first (pending.go).
func (db *DB) DeleteDevice(ctx context.Context, id string) error {
	return db.deleteWithEvents(ctx, "delete device", db.devices, bson.D{{Key: "_id", Value: id}})
}

// CreateApplication inserts an application carrying the events.
func (db *DB) CreateApplication(ctx context.Context, a *store.Application) error {
	evs := store.EventsOf(ctx)
	if err := db.createApplication(ctx, a, evs); err != nil {
		return err
	}
	return db.relayFrom(ctx, db.apps, []string{a.ID}, evs)
}

// UpdateApplication changes an application by an update that carries the
// events.
func (db *DB) UpdateApplication(ctx context.Context, id string, update func(*store.Application) error) (*store.Application, error) {
	evs := store.EventsOf(ctx)
	a, err := db.updateApplication(ctx, id, update, evs)
	if err != nil {
		return nil, err
	}
	return a, db.relayFrom(ctx, db.apps, []string{id}, evs)
}

// DeleteApplication removes one application; with events, by marking it
// deleted first (pending.go).
func (db *DB) DeleteApplication(ctx context.Context, id string) error {
	return db.deleteWithEvents(ctx, "delete application", db.apps, bson.D{{Key: "_id", Value: id}})
}

// CreateSigningKey inserts a key carrying the events.
func (db *DB) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	evs := store.EventsOf(ctx)
	if err := db.createSigningKey(ctx, k, evs); err != nil {
		return err
	}
	return db.relayFrom(ctx, db.keys, []string{k.ID}, evs)
}

// EnqueueOutbox stores messages carrying the events, then relays them.
func (db *DB) EnqueueOutbox(ctx context.Context, msgs ...*store.OutboxMessage) error {
	evs := store.EventsOf(ctx)
	if err := db.enqueueOutbox(ctx, evs, msgs...); err != nil {
		return err
	}
	ids := make([]string, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}
	return db.relayFrom(ctx, db.outbox, ids, evs)
}
