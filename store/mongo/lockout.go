package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// RecordLoginFailure is a compare-and-set of the lockout fields on the
// user's version (cas.go): it reads them, applies next and writes them only
// if no other write came between, else it reads again. Only the lockout
// fields are read and written, not the whole user.
func (db *DB) RecordLoginFailure(ctx context.Context, id string, next func(store.Lockout) store.Lockout) (store.Lockout, error) {
	var out store.Lockout
	err := retry(ctx, "record login failure", func() error {
		var d struct {
			Lockout lockoutFields `bson:",inline"`
			Version int64         `bson:"version"`
		}
		proj := options.FindOne().SetProjection(bson.D{{Key: "loginFailures", Value: 1},
			{Key: "lastLoginFailureAt", Value: 1}, {Key: "lockedUntil", Value: 1}, {Key: "version", Value: 1}})
		if err := db.users.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, proj).Decode(&d); err != nil {
			return wrap("find user", err)
		}
		l := next(d.Lockout.lockout())
		l.Normalize()
		res, err := db.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: d.Version}},
			bson.D{{Key: "$set", Value: toLockoutFields(l)}, {Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}})
		if err != nil {
			return wrap("record login failure", err)
		}
		if res.MatchedCount == 0 {
			return errStale
		}
		out = l
		return nil
	})
	return out, err
}

// ClearLockout zeroes the lockout fields in one update.
func (db *DB) ClearLockout(ctx context.Context, id string) error {
	res, err := db.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: lockoutFields{}}, {Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}})
	if err != nil {
		return wrap("clear lockout", err)
	}
	if res.MatchedCount == 0 {
		return store.ErrNotFound
	}
	return nil
}
