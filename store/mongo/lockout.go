package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// RecordLoginFailure is a compare-and-set of the lockout fields on the
// user's version (cas.go, claims.go): it reads them, applies next and
// writes them only if no other write came between, else it reads again.
// Only the lockout fields are read and written, not the whole user.
func (db *DB) RecordLoginFailure(ctx context.Context, id string, next func(store.Lockout) store.Lockout) (store.Lockout, error) {
	var out store.Lockout
	err := retry(ctx, "record login failure", func() error {
		d, err := db.readLockout(ctx, id)
		if err != nil {
			return err
		}
		l := next(d.Lockout.lockout())
		l.Normalize()
		if err := db.setLockout(ctx, "record login failure", id, d.Version, toLockoutFields(l)); err != nil {
			return err
		}
		out = l
		return nil
	})
	if err != nil {
		return out, err
	}
	return out, db.relay(ctx, id, store.EventsOf(ctx))
}

// ClearLockout zeroes the lockout fields, with the same version check: an
// unconditional update would, on a server that writes back whole
// documents (claims.go), undo a write of the user made meanwhile.
func (db *DB) ClearLockout(ctx context.Context, id string) error {
	err := retry(ctx, "clear lockout", func() error {
		d, err := db.readLockout(ctx, id)
		if err != nil {
			return err
		}
		return db.setLockout(ctx, "clear lockout", id, d.Version, lockoutFields{})
	})
	if err != nil {
		return err
	}
	return db.relay(ctx, id, store.EventsOf(ctx))
}

// lockoutRead is a user's lockout fields and version.
type lockoutRead struct {
	Lockout lockoutFields `bson:",inline"`
	Version int64         `bson:"version"`
}

func (db *DB) readLockout(ctx context.Context, id string) (*lockoutRead, error) {
	var d lockoutRead
	proj := options.FindOne().SetProjection(bson.D{{Key: "loginFailures", Value: 1},
		{Key: "lastLoginFailureAt", Value: 1}, {Key: "lockedUntil", Value: 1}, {Key: "version", Value: 1}})
	if err := db.users.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, proj).Decode(&d); err != nil {
		return nil, wrap("find user", err)
	}
	return &d, nil
}

// setLockout writes the lockout fields of a user read at version read,
// under the claim of the next version; errStale if it moved.
// The events of ctx are pushed onto the user's pending events by the
// same update (events.go).
func (db *DB) setLockout(ctx context.Context, op, id string, read int64, l lockoutFields) error {
	return db.writeVersion(ctx, db.users, id, read, func(ctx context.Context, next int64) (bool, error) {
		update, err := pushEvents(bson.D{{Key: "$set", Value: bson.D{
			{Key: "loginFailures", Value: l.LoginFailures},
			{Key: "lastLoginFailureAt", Value: l.LastLoginFailureAt},
			{Key: "lockedUntil", Value: l.LockedUntil},
			{Key: "version", Value: next},
		}}}, store.EventsOf(ctx))
		if err != nil {
			return false, err
		}
		res, err := db.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}}, update)
		if err != nil {
			return false, wrap(op, err)
		}
		return res.MatchedCount == 1, nil
	})
}
