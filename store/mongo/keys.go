package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// createSigningKey inserts k; the key bytes are BSON binary.
func (db *DB) createSigningKey(ctx context.Context, k *store.SigningKey, evs []*store.Event) error {
	doc, err := withPending(toKeyDoc(k), evs)
	if err != nil {
		return err
	}
	if _, err := db.keys.InsertOne(ctx, doc); err != nil {
		return idConflict("insert signing key", err, store.FieldID)
	}
	return nil
}

// ListSigningKeys returns every key, newest first.
func (db *DB) ListSigningKeys(ctx context.Context) ([]*store.SigningKey, error) {
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}})
	cur, err := db.keys.Find(ctx, bson.D{}, opts)
	if err != nil {
		return nil, wrap("list signing keys", err)
	}
	var docs []keyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list signing keys", err)
	}
	out := make([]*store.SigningKey, len(docs))
	for i := range docs {
		out[i] = docs[i].key()
	}
	return out, nil
}

// RetireSigningKey stops a key from signing.
func (db *DB) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	res, err := db.keys.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "retiredAt", Value: dateOf(store.Trunc(at))}}}})
	if err != nil {
		return wrap("retire signing key", err)
	}
	if res.MatchedCount == 0 {
		return store.ErrNotFound
	}
	return nil
}

// DeleteSigningKey removes a key.
func (db *DB) DeleteSigningKey(ctx context.Context, id string) error {
	res, err := db.keys.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return wrap("delete signing key", err)
	}
	if res.DeletedCount == 0 {
		return store.ErrNotFound
	}
	return nil
}
