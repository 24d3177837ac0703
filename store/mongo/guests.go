package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// PurgeGuests finds a batch of idle guests by the isGuest_lastRequestAt
// index, deletes those still idle guests (the condition is checked again
// by the delete, so a guest upgraded or active meanwhile stays), then the
// data of those gone. Without a transaction, a failure between the two
// leaves sessions that expire and are purged, devices nobody lists, and
// identity claims the next link of their account takes over.
func (db *DB) PurgeGuests(ctx context.Context, idleBefore time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	cutoff := bson.D{{Key: "$lt", Value: dateOf(idleBefore)}}
	idle := bson.D{{Key: "isGuest", Value: true}, {Key: "lastRequestAt", Value: cutoff}, {Key: "createdAt", Value: cutoff}}
	ids, err := db.idsOf(ctx, idle, int64(limit))
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	if evs := store.EventsForEach(ctx, ids); len(evs) > 0 {
		return db.purgeGuestsWithEvents(ctx, idle, ids, evs)
	}
	batch := append(bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, idle...)
	if _, err := db.users.DeleteMany(ctx, batch); err != nil {
		return 0, wrap("purge guests", err)
	}
	left, err := db.idsOf(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, 0)
	if err != nil {
		return 0, err
	}
	gone := without(ids, left)
	if len(gone) == 0 {
		return 0, nil
	}
	if err := db.deleteUserData(ctx, gone); err != nil {
		return len(gone), err
	}
	// A guest links no identity (package social refuses), but the store
	// holds no such policy: a user's data goes with it, claims included.
	return len(gone), db.deleteIdentityClaims(ctx, gone)
}

// purgeGuestsWithEvents deletes the guests ids still idle, each with its
// event, as a deletion with events is made (pending.go): one bulk write
// marks each still idle guest deleted and pushes its event, then each
// marked guest is finished (its event relayed, its data and document
// removed). A crash in between leaves marked guests the janitor's relay
// finishes; an unmarked one was not deleted and has no event.
func (db *DB) purgeGuestsWithEvents(ctx context.Context, idle bson.D, ids []string, evs []*store.Event) (int, error) {
	models := make([]mongo.WriteModel, len(ids))
	for i, id := range ids {
		update, err := pushEvents(bson.D{{Key: "$set", Value: bson.D{{Key: fieldDeleting, Value: true}}}}, evs[i:i+1])
		if err != nil {
			return 0, err
		}
		models[i] = mongo.NewUpdateOneModel().SetFilter(append(bson.D{{Key: "_id", Value: id}, live}, idle...)).SetUpdate(update)
	}
	if _, err := db.users.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
		return 0, wrap("mark idle guests", err)
	}
	marked, err := db.idsOf(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}, {Key: fieldDeleting, Value: true}}, 0)
	if err != nil {
		return 0, err
	}
	for i, id := range marked {
		if err := db.finishDelete(ctx, db.users, id, true); err != nil {
			return i, err
		}
	}
	return len(marked), nil
}

// idsOf returns the ids of at most limit users matching f (0: all).
func (db *DB) idsOf(ctx context.Context, f bson.D, limit int64) ([]string, error) {
	cur, err := db.users.Find(ctx, f, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetLimit(limit))
	if err != nil {
		return nil, wrap("find users", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("find users", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// without returns the ids of all not in some.
func without(all, some []string) []string {
	skip := make(map[string]bool, len(some))
	for _, id := range some {
		skip[id] = true
	}
	var out []string
	for _, id := range all {
		if !skip[id] {
			out = append(out, id)
		}
	}
	return out
}
