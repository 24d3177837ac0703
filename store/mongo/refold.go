package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// settingSearchText marks a database whose searchText fields hold the full
// name as shown (store.SearchText); without it, Open rewrites them once.
const settingSearchText = "search_text_display_full_name"

// refoldBatch is how many users one bulk write of refoldSearchText updates.
const refoldBatch = 1000

// refoldSearchText rewrites searchText where store.SearchText now gives
// another answer: users with no stored full name but a first or last name.
// It runs at Open until it has finished once. Each update matches the
// version it read, so a user changed meanwhile keeps the text its own
// write computed; running it twice (two instances starting) does no harm.
func (db *DB) refoldSearchText(ctx context.Context) error {
	if _, err := db.GetSetting(ctx, settingSearchText); !errors.Is(err, store.ErrNotFound) {
		return err // nil: done before
	}
	f := bson.D{{Key: "fullName", Value: ""}, {Key: "$or", Value: bson.A{
		bson.D{{Key: "firstName", Value: bson.D{{Key: "$ne", Value: ""}}}},
		bson.D{{Key: "lastName", Value: bson.D{{Key: "$ne", Value: ""}}}},
	}}}
	proj := bson.D{{Key: "username", Value: 1}, {Key: "email", Value: 1}, {Key: "firstName", Value: 1},
		{Key: "lastName", Value: 1}, {Key: "version", Value: 1}}
	cur, err := db.users.Find(ctx, f, options.Find().SetProjection(proj))
	if err != nil {
		return wrap("refold search text", err)
	}
	defer cur.Close(ctx)
	var models []mongo.WriteModel
	for cur.Next(ctx) {
		var d userDoc
		if err := cur.Decode(&d); err != nil {
			return wrap("refold search text", err)
		}
		u := &store.User{Username: d.Username, Email: d.Email, FirstName: d.FirstName, LastName: d.LastName}
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: d.Version}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "searchText", Value: store.SearchText(u)}}}}))
		if len(models) == refoldBatch {
			if err := db.writeRefold(ctx, models); err != nil {
				return err
			}
			models = models[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return wrap("refold search text", err)
	}
	if err := db.writeRefold(ctx, models); err != nil {
		return err
	}
	return db.PutSetting(ctx, settingSearchText, "done")
}

func (db *DB) writeRefold(ctx context.Context, models []mongo.WriteModel) error {
	if len(models) == 0 {
		return nil
	}
	_, err := db.users.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false))
	return wrap("refold search text", err)
}
