package mongo

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// The writes of records that have no pending events field: each relays
// the events of its context once its change is written (events.go says
// what a crash in between costs).

// CreateSession inserts s and its tokens, then relays the events.
func (db *DB) CreateSession(ctx context.Context, s *store.Session, tokens ...*store.RefreshToken) error {
	return db.emitted(ctx, db.createSession(ctx, s, tokens...))
}

// RevokeSession ends one session, then relays the events.
func (db *DB) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return db.emitted(ctx, db.revokeSession(ctx, id, at))
}

// RevokeSessions ends sessions, then relays the events.
func (db *DB) RevokeSessions(ctx context.Context, r store.SessionRevocation) ([]string, error) {
	ids, err := db.revokeUsersSessions(ctx, r)
	return ids, db.emitted(ctx, err)
}

// CreateRole inserts a role, then relays the events.
func (db *DB) CreateRole(ctx context.Context, r *store.Role) error {
	return db.emitted(ctx, db.createRole(ctx, r))
}

// UpdateRole changes a role, then relays the events.
func (db *DB) UpdateRole(ctx context.Context, name string, update func(*store.Role) error) (*store.Role, error) {
	r, err := db.updateRole(ctx, name, update)
	return r, db.emitted(ctx, err)
}

// DeleteRole removes a role, then relays the events.
func (db *DB) DeleteRole(ctx context.Context, name string) error {
	return db.emitted(ctx, db.deleteRole(ctx, name))
}

// CreateDevice inserts a device, then relays the events.
func (db *DB) CreateDevice(ctx context.Context, d *store.Device) error {
	return db.emitted(ctx, db.createDevice(ctx, d))
}

// UpdateDevice changes a device, then relays the events.
func (db *DB) UpdateDevice(ctx context.Context, id string, update func(*store.Device) error) (*store.Device, error) {
	d, err := db.updateDevice(ctx, id, update)
	return d, db.emitted(ctx, err)
}

// DeleteDevice removes a device, then relays the events.
func (db *DB) DeleteDevice(ctx context.Context, id string) error {
	return db.emitted(ctx, db.deleteDevice(ctx, id))
}

// CreateApplication inserts an application, then relays the events.
func (db *DB) CreateApplication(ctx context.Context, a *store.Application) error {
	return db.emitted(ctx, db.createApplication(ctx, a))
}

// UpdateApplication changes an application, then relays the events.
func (db *DB) UpdateApplication(ctx context.Context, id string, update func(*store.Application) error) (*store.Application, error) {
	a, err := db.updateApplication(ctx, id, update)
	return a, db.emitted(ctx, err)
}

// DeleteApplication removes an application, then relays the events.
func (db *DB) DeleteApplication(ctx context.Context, id string) error {
	return db.emitted(ctx, db.deleteApplication(ctx, id))
}

// CreateSigningKey inserts a key, then relays the events.
func (db *DB) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	return db.emitted(ctx, db.createSigningKey(ctx, k))
}

// EnqueueOutbox stores messages, then relays the events.
func (db *DB) EnqueueOutbox(ctx context.Context, msgs ...*store.OutboxMessage) error {
	return db.emitted(ctx, db.enqueueOutbox(ctx, msgs...))
}
