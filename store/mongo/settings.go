package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Settings are documents {_id: name, value}: the unique _id makes
// CreateSetting's first writer win.

// GetSetting returns store.ErrNotFound if name was never set.
func (db *DB) GetSetting(ctx context.Context, name string) (string, error) {
	var d settingDoc
	if err := db.settings.FindOne(ctx, bson.D{{Key: "_id", Value: name}}).Decode(&d); err != nil {
		return "", wrap("find setting", err)
	}
	return d.Value, nil
}

// CreateSetting sets a value once.
func (db *DB) CreateSetting(ctx context.Context, name, value string) error {
	if _, err := db.settings.InsertOne(ctx, settingDoc{Name: name, Value: value}); err != nil {
		return idConflict("insert setting", err, store.FieldName)
	}
	return nil
}

// PutSetting sets or replaces a value. Two upserts of a new name can race
// to insert it; the loser's duplicate key means the name exists now, so it
// replaces once more.
func (db *DB) PutSetting(ctx context.Context, name, value string) error {
	put := func() error {
		_, err := db.settings.ReplaceOne(ctx, bson.D{{Key: "_id", Value: name}}, settingDoc{Name: name, Value: value},
			options.Replace().SetUpsert(true))
		return err
	}
	err := put()
	if _, dup := dupIndex(err); dup {
		err = put()
	}
	return wrap("put setting", err)
}

// DeleteSetting removes a value if present.
func (db *DB) DeleteSetting(ctx context.Context, name string) error {
	_, err := db.settings.DeleteOne(ctx, bson.D{{Key: "_id", Value: name}})
	return wrap("delete setting", err)
}
