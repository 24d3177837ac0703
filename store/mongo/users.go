package mongo

import (
	"context"
	"maps"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// CreateUser inserts u.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	u.Normalize()
	d, err := toUserDoc(u)
	if err != nil {
		return err
	}
	evs := store.EventsOf(ctx)
	if d.PendingEvents, err = eventDocs(evs); err != nil {
		return err
	}
	if _, err := db.users.InsertOne(ctx, d); err != nil {
		return db.userConflict(ctx, "insert user", err, d, true)
	}
	return db.relay(ctx, u.ID, evs)
}

// CreateUsers inserts users in ordered batches of up to 1,000: the first
// conflict stops the batch, and the users before it stay inserted.
func (db *DB) CreateUsers(ctx context.Context, users []*store.User) error {
	const batch = 1000
	for start := 0; start < len(users); start += batch {
		part := users[start:min(start+batch, len(users))]
		docs := make([]*userDoc, len(part))
		for i, u := range part {
			u.Normalize()
			d, err := toUserDoc(u)
			if err != nil {
				return err
			}
			docs[i] = d
		}
		if _, err := db.users.InsertMany(ctx, docs, options.InsertMany().SetOrdered(true)); err != nil {
			return db.userConflict(ctx, "insert users", err, docs[failedIndex(err, len(docs))], true)
		}
	}
	return nil
}

// GetUser returns store.ErrNotFound if no user has the id.
func (db *DB) GetUser(ctx context.Context, id string) (*store.User, error) {
	return db.findUser(ctx, bson.D{{Key: "_id", Value: id}})
}

func (db *DB) findUser(ctx context.Context, filter bson.D) (*store.User, error) {
	var d userDoc
	if err := db.users.FindOne(ctx, filter).Decode(&d); err != nil {
		return nil, wrap("find user", err)
	}
	if d.Deleting { // its deletion is decided (pending.go)
		return nil, store.ErrNotFound
	}
	return d.user()
}

// GetUsers returns the existing users among ids.
func (db *DB) GetUsers(ctx context.Context, ids []string) ([]*store.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	return db.findUsers(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, nil)
}

var keyFields = map[store.KeyField][2]string{
	store.KeyUsername: {fieldUniqueUsername, "usernameKey"},
	store.KeyEmail:    {fieldUniqueEmail, "emailKey"},
	store.KeyPhone:    {fieldUniquePhone, "phoneKey"},
}

// GetUserByKey finds a user by a normalized unique key through the unique
// index; the plain key field must match too, so no key ever finds a user
// through the placeholder of a key it does not have.
func (db *DB) GetUserByKey(ctx context.Context, f store.KeyField, key string) (*store.User, error) {
	names, ok := keyFields[f]
	if !ok || key == "" {
		return nil, store.ErrNotFound
	}
	return db.findUser(ctx, bson.D{{Key: names[0], Value: key}, {Key: names[1], Value: key}})
}

// UpdateUser is a read-modify-write with a version check (cas.go), its
// write claimed first (claims.go).
func (db *DB) UpdateUser(ctx context.Context, id string, update func(*store.User) error) (*store.User, error) {
	var out *store.User
	err := retry(ctx, "update user", func() error {
		u, err := db.GetUser(ctx, id)
		if err != nil {
			return err
		}
		read := u.Version
		if err := update(u); err != nil {
			return err
		}
		u.ID = id
		u.Normalize()
		if err := db.replaceUser(ctx, u, read, store.EventsOf(ctx)); err != nil {
			return err
		}
		out = u
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, db.relay(ctx, id, store.EventsOf(ctx))
}

// replaceUser writes u if the stored version is still read, under the
// claim of the next version (writeVersion), and gives u that version;
// errStale if another writer has it or the user changed or went since.
// LastRequestAt only moves forward (replaceKeeping).
// evs are pushed onto the user's pending events by the same update.
func (db *DB) replaceUser(ctx context.Context, u *store.User, read int64, evs []*store.Event) error {
	d, err := toUserDoc(u)
	if err != nil {
		return err
	}
	return db.writeVersion(ctx, db.users, u.ID, read, func(ctx context.Context, next int64) (bool, error) {
		d.Version = next
		update, err := replaceKeeping(d, "lastRequestAt")
		if err != nil {
			return false, err
		}
		if update, err = pushEvents(update, evs); err != nil {
			return false, err
		}
		res, err := db.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: u.ID}, {Key: "version", Value: read}}, update)
		if err != nil {
			return false, db.userConflict(ctx, "update user", err, d, false)
		}
		if res.MatchedCount == 0 {
			return false, nil
		}
		u.Version = next
		return true, nil
	})
}

// DeleteUser removes the user with its sessions, refresh tokens,
// devices, avatars and identities. Those go first: if the user's delete
// then fails, a retry finds the user still there and finishes the job.
// The identities go with the user's document; their claims after it
// (identities.go). With events, the user is first marked deleted with
// them, and finishDelete relays them and removes it all (pending.go).
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	if evs := store.EventsOf(ctx); len(evs) > 0 {
		if _, err := db.markDeleted(ctx, "delete user", db.users, bson.D{{Key: "_id", Value: id}}, evs); err != nil {
			return err
		}
		return db.finishDelete(ctx, db.users, id, true)
	}
	if err := db.deleteUserData(ctx, []string{id}); err != nil {
		return err
	}
	res, err := db.users.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return wrap("delete user", err)
	}
	if res.DeletedCount == 0 {
		return store.ErrNotFound
	}
	return db.deleteIdentityClaims(ctx, []string{id})
}

// deleteUserData removes the refresh tokens, sessions, devices and
// avatars of the users.
func (db *DB) deleteUserData(ctx context.Context, ids []string) error {
	f := bson.D{{Key: "userId", Value: bson.D{{Key: "$in", Value: ids}}}}
	// Events a crashed write left in the users' sessions and devices
	// (a revocation, a device forgotten) are relayed before those go.
	for _, coll := range []*mongo.Collection{db.sessions, db.devices} {
		if err := db.relayPendingOf(ctx, coll, f, 0, map[string]bool{}); err != nil {
			return err
		}
	}
	if _, err := db.tokens.DeleteMany(ctx, f); err != nil {
		return wrap("delete refresh tokens", err)
	}
	if _, err := db.sessions.DeleteMany(ctx, f); err != nil {
		return wrap("delete sessions", err)
	}
	if _, err := db.devices.DeleteMany(ctx, f); err != nil {
		return wrap("delete devices", err)
	}
	_, err := db.deleteAvatarFiles(ctx, bson.D{{Key: "metadata.userId", Value: bson.D{{Key: "$in", Value: ids}}}})
	return err
}

// RecordActivity moves last-seen times forward with $max updates: an
// older time never wins, unknown ids match nothing, and neither record's
// version changes. Each collection's updates go in one bulk write under
// the claims of the records' next versions (writeHeld), so that on a
// server that writes whole documents back, recording activity cannot undo
// a concurrent change of the record (a revocation, a suspension).
func (db *DB) RecordActivity(ctx context.Context, batch []store.Activity) error {
	sessions, users, devices := map[string]bson.DateTime{}, map[string]bson.DateTime{}, map[string]bson.DateTime{}
	later := func(times map[string]bson.DateTime, id string, at bson.DateTime) {
		if id != "" && at > times[id] {
			times[id] = at
		}
	}
	for _, a := range batch {
		at := dateOf(store.Trunc(a.At))
		later(sessions, a.SessionID, at)
		later(users, a.UserID, at)
		later(devices, a.DeviceID, at)
	}
	if err := db.recordTimes(ctx, db.sessions, "lastSeenAt", sessions); err != nil {
		return err
	}
	if err := db.recordTimes(ctx, db.users, "lastRequestAt", users); err != nil {
		return err
	}
	return db.recordTimes(ctx, db.devices, "lastUsedAt", devices)
}

// recordTimes moves field forward to times[id] in each record of coll that
// exists; a record whose next version another writer holds is read again
// and retried (cas.go).
func (db *DB) recordTimes(ctx context.Context, coll *mongo.Collection, field string, times map[string]bson.DateTime) error {
	ids := slices.Collect(maps.Keys(times))
	return retry(ctx, "record activity", func() error {
		if len(ids) == 0 {
			return nil
		}
		versions, err := versionsOf(ctx, coll, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
		if err != nil {
			return err
		}
		left, err := db.writeHeld(ctx, coll, versions, func(id string, _ int64) mongo.WriteModel {
			return mongo.NewUpdateOneModel().
				SetFilter(bson.D{{Key: "_id", Value: id}}).
				SetUpdate(bson.D{{Key: "$max", Value: bson.D{{Key: field, Value: times[id]}}}})
		})
		if err != nil {
			return wrap("record activity", err)
		}
		if ids = left; len(ids) > 0 {
			return errStale
		}
		return nil
	})
}

// findUsers runs a find and decodes every user.
func (db *DB) findUsers(ctx context.Context, filter bson.D, opts *options.FindOptionsBuilder) ([]*store.User, error) {
	if opts == nil {
		opts = options.Find()
	}
	cur, err := db.users.Find(ctx, filter, opts)
	if err != nil {
		return nil, wrap("find users", err)
	}
	defer cur.Close(ctx)
	var users []*store.User
	for cur.Next(ctx) {
		var d userDoc
		if err := cur.Decode(&d); err != nil {
			return nil, wrap("decode user", err)
		}
		u, err := d.user()
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, wrap("find users", cur.Err())
}
