package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Pending events in the changed document, for every record a write with
// events changes: users, sessions, roles, devices, applications, webhooks,
// signing keys and outbox messages (events.go says why). An insert carries them in the
// document it inserts, an update pushes them by the same update.
//
// A deletion cannot carry anything in a document it removes, nor write
// into another document atomically. So it is two steps, and the first
// decides: it marks the document deleted (fieldDeleting) and pushes its
// events by one versioned update; reads no longer see a marked document.
// Then finishDelete relays the events and removes the document. A crash
// before the mark leaves nothing (no deletion, no event); after it, the
// janitor's RelayEvents finds the marked document by its pending events,
// relays them and removes it: no deletion is recorded that did not
// happen, and none is lost. Users (DeleteUser, DeleteUsers, PurgeGuests),
// roles, devices, applications and webhooks are deleted so when the
// deletion carries events. A single read (GetUser, GetDevice, …) answers
// store.ErrNotFound for a marked document; lists leave it out where they
// filter on it (roles, devices, applications, webhooks) — a list of users
// may show a marked user until its deletion is finished, which, but for a
// crash, is the same request.

// fieldDeleting marks a document whose deletion is decided but whose
// events are not yet relayed.
const fieldDeleting = "deleting"

// live is the condition of the documents not marked deleted; reads of
// records that are deleted with events add it.
var live = bson.E{Key: fieldDeleting, Value: bson.D{{Key: "$exists", Value: false}}}

// pendingCollections are the collections whose documents may hold
// pending events, each with an index on pendingEvents._id.
func (db *DB) pendingCollections() []*mongo.Collection {
	return []*mongo.Collection{db.users, db.sessions, db.roles, db.devices, db.apps, db.webhooks, db.keys, db.outbox}
}

// withPending returns the document d with evs as its pending events, for
// an insert; d itself when there are none (the common write costs
// nothing more).
func withPending(d any, evs []*store.Event) (any, error) {
	if len(evs) == 0 {
		return d, nil
	}
	docs, err := eventDocs(evs)
	if err != nil {
		return nil, err
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, &fault{op: "encode record", err: err}
	}
	var out bson.D
	if err := bson.Unmarshal(raw, &out); err != nil {
		return nil, &fault{op: "encode record", err: err}
	}
	return append(out, bson.E{Key: fieldPendingEvents, Value: docs}), nil
}

// setAll is the update that writes the fields of d, as a replace would,
// but leaves the pending events and the deletion mark as they are: a
// replace would drop events a crashed write left to relay.
func setAll(d any) (bson.D, error) {
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, &fault{op: "encode record", err: err}
	}
	elems, err := bson.Raw(raw).Elements()
	if err != nil {
		return nil, &fault{op: "encode record", err: err}
	}
	set := make(bson.D, 0, len(elems))
	for _, e := range elems {
		if e.Key() != "_id" {
			set = append(set, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	return bson.D{{Key: "$set", Value: set}}, nil
}

// deleteWithEvents deletes the live document of coll that f selects: with
// no events, by a plain delete; with events, by marking it (markDeleted)
// and then finishDelete. Returns store.ErrNotFound if f selects none.
func (db *DB) deleteWithEvents(ctx context.Context, what string, coll *mongo.Collection, f bson.D) error {
	evs := store.EventsOf(ctx)
	if len(evs) == 0 {
		// The id, then a delete by it (FerretDB has no findAndModify
		// with a projection): what goes with the record is found by it.
		var d struct {
			ID string `bson:"_id"`
		}
		err := coll.FindOne(ctx, append(f, live), options.FindOne().SetProjection(bson.D{{Key: "_id", Value: 1}})).Decode(&d)
		if err != nil {
			return wrap(what, err)
		}
		res, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: d.ID}, live})
		if err != nil {
			return wrap(what, err)
		}
		if res.DeletedCount == 0 {
			return store.ErrNotFound
		}
		return db.finishDelete(ctx, coll, d.ID, false)
	}
	id, err := db.markDeleted(ctx, what, coll, f, evs)
	if err != nil {
		return err
	}
	return db.finishDelete(ctx, coll, id, true)
}

// markDeleted marks the live document f selects deleted and pushes evs
// onto it by one update, under the claim of its next version (claims.go),
// so that a concurrent versioned write can neither undo the mark nor be
// undone by it. Returns the document's id.
func (db *DB) markDeleted(ctx context.Context, what string, coll *mongo.Collection, f bson.D, evs []*store.Event) (string, error) {
	var id string
	err := retry(ctx, what, func() error {
		var d struct {
			ID      string `bson:"_id"`
			Version int64  `bson:"version"`
		}
		err := coll.FindOne(ctx, append(f, live), options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}})).Decode(&d)
		if err != nil {
			return wrap(what, err)
		}
		id = d.ID
		return db.writeVersion(ctx, coll, d.ID, d.Version, func(ctx context.Context, next int64) (bool, error) {
			update, err := pushEvents(bson.D{{Key: "$set", Value: bson.D{{Key: fieldDeleting, Value: true}, {Key: "version", Value: next}}}}, evs)
			if err != nil {
				return false, err
			}
			res, err := coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: d.ID}, {Key: "version", Value: d.Version}, live}, update)
			if err != nil {
				return false, wrap(what, err)
			}
			return res.MatchedCount == 1, nil
		})
	})
	return id, err
}

// finishDelete relays the pending events of the marked document id of
// coll, all of them (a crashed write may have left some besides the
// deletion's), then removes it and what goes with it. With marked false
// (a plain delete) only what goes with it is removed.
func (db *DB) finishDelete(ctx context.Context, coll *mongo.Collection, id string, marked bool) error {
	if marked && db.crashBeforeRelay {
		return nil
	}
	if marked {
		var d pendingDoc
		err := coll.FindOne(ctx, bson.D{{Key: "_id", Value: id}}, options.FindOne().SetProjection(bson.D{{Key: fieldPendingEvents, Value: 1}})).Decode(&d)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil // another relay (another instance's janitor) finished it
		}
		if err != nil {
			return wrap("find pending events", err)
		}
		if _, err := db.storeEvents(store.WithoutEvents(ctx), d.events()); err != nil {
			return err
		}
		if coll == db.users {
			// A user's data goes first, as in DeleteUser: a failure
			// leaves the marked user for the next relay to finish.
			if err := db.deleteUserData(ctx, []string{id}); err != nil {
				return err
			}
		}
		if _, err := coll.DeleteOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: fieldDeleting, Value: true}}); err != nil {
			return wrap("delete "+coll.Name(), err)
		}
	}
	switch {
	case coll == db.webhooks && id != "":
		// A webhook's delivery records go with it.
		if _, err := db.deliveries.DeleteMany(ctx, bson.D{{Key: "webhookId", Value: id}}); err != nil {
			return wrap("delete webhook deliveries", err)
		}
	case coll == db.users && marked:
		return db.deleteIdentityClaims(ctx, []string{id})
	}
	return nil
}

// pendingDoc is what RelayEvents and finishDelete read of a document.
type pendingDoc struct {
	ID       string     `bson:"_id"`
	Pending  []eventDoc `bson:"pendingEvents"`
	Deleting bool       `bson:"deleting"`
}

func (d *pendingDoc) events() []*store.Event {
	evs := make([]*store.Event, len(d.Pending))
	for i := range d.Pending {
		evs[i] = d.Pending[i].event()
	}
	return evs
}

// RelayEvents relays the events left pending by writes that stopped
// before their relay, in every collection that holds them (found by the
// pendingEvents._id index of each), and finishes the deletions among
// them; at most limit documents per collection.
func (db *DB) RelayEvents(ctx context.Context, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	moved := map[string]bool{} // one event may ride in several documents
	for _, coll := range db.pendingCollections() {
		if err := db.relayPending(ctx, coll, limit, moved); err != nil {
			return len(moved), err
		}
	}
	return len(moved), nil
}

// relayPending relays the pending events of up to limit documents of
// coll, and adds their ids to moved.
func (db *DB) relayPending(ctx context.Context, coll *mongo.Collection, limit int, moved map[string]bool) error {
	return db.relayPendingOf(ctx, coll, nil, limit, moved)
}

// relayPendingOf is relayPending of the documents of coll that f (nil:
// any) selects; limit 0 is no limit.
func (db *DB) relayPendingOf(ctx context.Context, coll *mongo.Collection, f bson.D, limit int, moved map[string]bool) error {
	f = append(bson.D{{Key: fieldPendingEvents + "._id", Value: bson.D{{Key: "$exists", Value: true}}}}, f...)
	cur, err := coll.Find(ctx, f,
		options.Find().SetProjection(bson.D{{Key: fieldPendingEvents, Value: 1}, {Key: fieldDeleting, Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return wrap("find pending events", err)
	}
	var docs []pendingDoc
	if err := cur.All(ctx, &docs); err != nil {
		return wrap("find pending events", err)
	}
	for _, d := range docs {
		evs := d.events()
		if d.Deleting {
			err = db.finishDelete(ctx, coll, d.ID, true)
		} else {
			err = db.relayFrom(ctx, coll, []string{d.ID}, evs)
		}
		if err != nil {
			return err
		}
		for _, e := range evs {
			moved[e.ID] = true
		}
	}
	return nil
}
