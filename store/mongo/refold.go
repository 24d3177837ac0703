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

// refoldBatch is how many users refoldSearchText reads and then updates in
// one bulk write.
const refoldBatch = 1000

// refoldSearchText rewrites searchText where store.SearchText now gives
// another answer: users with no stored full name but a first or last name.
// It runs at Open until it has finished once. It reads a batch, closes the
// cursor, then writes (a server may not let a write pass a cursor still
// open on the collection: FerretDB on SQLite waits). Each update matches
// the version it read, so a user changed meanwhile keeps the text its own
// write computed; running it twice (two instances starting) does no harm.
// The writes hold the users' claims (writeRefold).
func (db *DB) refoldSearchText(ctx context.Context, batch int) error {
	if _, err := db.GetSetting(ctx, settingSearchText); !errors.Is(err, store.ErrNotFound) {
		return err // nil: done before
	}
	after := ""
	for {
		docs, err := db.unfolded(ctx, after, batch)
		if err != nil {
			return err
		}
		if err := db.writeRefold(ctx, docs); err != nil {
			return err
		}
		if len(docs) < batch {
			return db.PutSetting(ctx, settingSearchText, "done")
		}
		after = docs[len(docs)-1].ID
	}
}

// unfolded returns the next batch, by id after after, of the users whose
// search text the full name as shown changes, with the fields it is made
// of and the version.
func (db *DB) unfolded(ctx context.Context, after string, batch int) ([]userDoc, error) {
	f := bson.D{
		{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}},
		{Key: "fullName", Value: ""},
		{Key: "$or", Value: bson.A{
			bson.D{{Key: "firstName", Value: bson.D{{Key: "$ne", Value: ""}}}},
			bson.D{{Key: "lastName", Value: bson.D{{Key: "$ne", Value: ""}}}},
		}},
	}
	proj := bson.D{{Key: "username", Value: 1}, {Key: "email", Value: 1}, {Key: "firstName", Value: 1},
		{Key: "lastName", Value: 1}, {Key: "version", Value: 1}}
	cur, err := db.users.Find(ctx, f, options.Find().SetProjection(proj).
		SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(batch)))
	if err != nil {
		return nil, wrap("refold search text", err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("refold search text", err)
	}
	return docs, nil
}

// writeRefold writes the new search texts under the claims of the users'
// next versions (writeHeld), each conditioned on the version read. A user
// whose next version another writer holds is left alone: that write
// stores the new text itself (toUserDoc).
func (db *DB) writeRefold(ctx context.Context, docs []userDoc) error {
	versions := make(map[string]int64, len(docs))
	byID := make(map[string]*userDoc, len(docs))
	for i := range docs {
		versions[docs[i].ID] = docs[i].Version
		byID[docs[i].ID] = &docs[i]
	}
	_, err := db.writeHeld(ctx, db.users, versions, func(id string, version int64) mongo.WriteModel {
		d := byID[id]
		u := &store.User{Username: d.Username, Email: d.Email, FirstName: d.FirstName, LastName: d.LastName}
		return mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}, {Key: "version", Value: version}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{{Key: "searchText", Value: store.SearchText(u)}}}})
	})
	return wrap("refold search text", err)
}
