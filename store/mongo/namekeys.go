package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// settingNameKeys marks a database whose users all carry the name keys
// discovery queries (store.NameKeys); without it, Open writes them once.
const settingNameKeys = "user_name_keys"

// fillNameKeys gives the users stored before name keys existed their
// keys, as refoldSearchText does for the search text: a batch at a time,
// the cursor closed before the writes, each write conditioned on the
// version read and made under the user's claim (writeHeld). A user
// written meanwhile, or whose next version another writer holds, is left
// alone: that write stores the keys itself (toUserDoc).
func (db *DB) fillNameKeys(ctx context.Context, batch int) error {
	if _, err := db.GetSetting(ctx, settingNameKeys); !errors.Is(err, store.ErrNotFound) {
		return err // nil: done before
	}
	after := ""
	for {
		docs, err := db.withoutNameKeys(ctx, after, batch)
		if err != nil {
			return err
		}
		if err := db.writeNameKeys(ctx, docs); err != nil {
			return err
		}
		if len(docs) < batch {
			return db.PutSetting(ctx, settingNameKeys, "done")
		}
		after = docs[len(docs)-1].ID
	}
}

// withoutNameKeys returns the next batch, by id after after, of the users
// without name keys, with their names and version.
func (db *DB) withoutNameKeys(ctx context.Context, after string, batch int) ([]userDoc, error) {
	f := bson.D{
		{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}},
		{Key: "firstNameKey", Value: bson.D{{Key: "$exists", Value: false}}},
	}
	proj := bson.D{{Key: "firstName", Value: 1}, {Key: "lastName", Value: 1}, {Key: "fullName", Value: 1}, {Key: "version", Value: 1}}
	cur, err := db.users.Find(ctx, f, options.Find().SetProjection(proj).
		SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(batch)))
	if err != nil {
		return nil, wrap("fill name keys", err)
	}
	var docs []userDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("fill name keys", err)
	}
	return docs, nil
}

// writeNameKeys sets the keys of each user read, at the version read.
func (db *DB) writeNameKeys(ctx context.Context, docs []userDoc) error {
	versions := make(map[string]int64, len(docs))
	byID := make(map[string]*userDoc, len(docs))
	for i := range docs {
		versions[docs[i].ID] = docs[i].Version
		byID[docs[i].ID] = &docs[i]
	}
	_, err := db.writeHeld(ctx, db.users, versions, func(id string, version int64) mongo.WriteModel {
		d := byID[id]
		first, last, full := store.NameKeys(&store.User{FirstName: d.FirstName, LastName: d.LastName, FullName: d.FullName})
		return mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}, {Key: "version", Value: version}}).
			SetUpdate(bson.D{{Key: "$set", Value: bson.D{
				{Key: "firstNameKey", Value: first}, {Key: "lastNameKey", Value: last}, {Key: "fullNameKey", Value: full},
			}}})
	})
	return wrap("fill name keys", err)
}
