package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// ListUsernameKeys reads ids, usernames and keys in _id order, a batch at
// a time, projecting the three fields only.
func (db *DB) ListUsernameKeys(ctx context.Context, after string, limit int) ([]store.UsernameKey, error) {
	if limit < 1 {
		return nil, nil
	}
	f := bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}, {Key: "username", Value: bson.D{{Key: "$ne", Value: ""}}}}
	opts := options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).
		SetProjection(bson.D{{Key: "username", Value: 1}, {Key: "usernameKey", Value: 1}})
	cur, err := db.users.Find(ctx, f, opts)
	if err != nil {
		return nil, wrap("list username keys", err)
	}
	var docs []struct {
		ID       string `bson:"_id"`
		Username string `bson:"username"`
		Key      string `bson:"usernameKey"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list username keys", err)
	}
	out := make([]store.UsernameKey, len(docs))
	for i, d := range docs {
		out[i] = store.UsernameKey{ID: d.ID, Username: d.Username, Key: d.Key}
	}
	return out, nil
}

// SetUsernameKey moves the key and its unique copy from old to key in one
// conditional update on the version read (cas.go), claimed first
// (claims.go); the unique index refuses a taken key. A user whose key is
// no longer old (another instance migrated it) is ErrConflict.
func (db *DB) SetUsernameKey(ctx context.Context, id, old, key string) error {
	if key == "" {
		return store.Invalidf("an empty username key")
	}
	return retry(ctx, "set username key", func() error {
		var d struct {
			Key     string `bson:"usernameKey"`
			Version int64  `bson:"version"`
		}
		proj := options.FindOne().SetProjection(bson.D{{Key: "usernameKey", Value: 1}, {Key: "version", Value: 1}})
		if err := db.users.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, proj).Decode(&d); err != nil {
			return wrap("find user", err)
		}
		if d.Key != old {
			return store.ErrConflict
		}
		return db.writeVersion(ctx, db.users, id, d.Version, func(ctx context.Context, next int64) (bool, error) {
			res, err := db.users.UpdateOne(ctx,
				bson.D{{Key: "_id", Value: id}, {Key: "version", Value: d.Version}},
				bson.D{{Key: "$set", Value: bson.D{
					{Key: "usernameKey", Value: key},
					{Key: fieldUniqueUsername, Value: key},
					{Key: "version", Value: next},
				}}})
			if err != nil {
				return false, db.usernameKeyConflict(ctx, err, id, key)
			}
			return res.MatchedCount == 1, nil
		})
	})
}

// usernameKeyConflict maps a failed SetUsernameKey: a duplicate key, or
// (on servers that report a unique violation on update as some other
// error, see userConflict) a key that another user is found to hold.
func (db *DB) usernameKeyConflict(ctx context.Context, err error, id, key string) error {
	if _, dup := dupIndex(err); dup {
		return store.AlreadyExists(store.FieldUsername)
	}
	if onServer(err) {
		f := bson.D{{Key: fieldUniqueUsername, Value: key}, {Key: "_id", Value: bson.D{{Key: "$ne", Value: id}}}}
		if n, cerr := db.users.CountDocuments(ctx, f); cerr == nil && n > 0 {
			return store.AlreadyExists(store.FieldUsername)
		}
	}
	return wrap("set username key", err)
}
