package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Events without multi-document transactions. A write that carries events
// (store.WithEvents) puts them into the document it changes, as its
// pendingEvents array, by the same insert or update, which MongoDB applies
// atomically: the change is never stored without its events. That holds
// for every record a change with events writes: users, sessions, roles,
// devices, applications, webhooks, signing keys and outbox messages (a
// deletion marks the document first: pending.go). The write then relays them: it inserts them
// into audit_events and their webhook deliveries into the outbox (both
// keyed by the event's id, so a repeat inserts nothing) and pulls them
// from the document. A crash before the pull leaves them pending;
// RelayEvents, which the janitor runs, finds such documents by the index
// on pendingEvents._id of each collection and relays again.

const fieldPendingEvents = "pendingEvents"

type eventDoc struct {
	ID        string        `bson:"_id"`
	Type      string        `bson:"type"`
	At        bson.DateTime `bson:"at"`
	ActorID   string        `bson:"actorId"`
	ActorKind string        `bson:"actorKind"`
	SubjectID string        `bson:"subjectId"`
	IP        string        `bson:"ip"`
	UserAgent string        `bson:"userAgent"`
	Data      string        `bson:"data"` // JSON text: the trail returns it as written
}

func toEventDoc(e *store.Event) eventDoc {
	return eventDoc{ID: e.ID, Type: e.Type, At: dateOf(e.At), ActorID: e.ActorID, ActorKind: e.ActorKind,
		SubjectID: e.SubjectID, IP: e.IP, UserAgent: e.UserAgent, Data: string(e.Data)}
}

func (d *eventDoc) event() *store.Event {
	return &store.Event{ID: d.ID, Type: d.Type, At: timeOf(d.At), ActorID: d.ActorID, ActorKind: d.ActorKind,
		SubjectID: d.SubjectID, IP: d.IP, UserAgent: d.UserAgent, Data: []byte(d.Data)}
}

func eventDocs(evs []*store.Event) ([]eventDoc, error) {
	out := make([]eventDoc, len(evs))
	for i, e := range evs {
		if e.ID == "" || e.Type == "" {
			return nil, store.Invalidf("an event needs an id and a type")
		}
		out[i] = toEventDoc(e)
	}
	return out, nil
}

// pushEvents adds to update the push of evs onto the pending events.
func pushEvents(update bson.D, evs []*store.Event) (bson.D, error) {
	if len(evs) == 0 {
		return update, nil
	}
	docs, err := eventDocs(evs)
	if err != nil {
		return nil, err
	}
	return append(update, bson.E{Key: "$push", Value: bson.D{{Key: fieldPendingEvents,
		Value: bson.D{{Key: "$each", Value: docs}}}}}), nil
}

// relay stores evs in the trail and their deliveries to the webhooks that
// are to get them in the outbox, then, if userID is set, pulls them from
// that user's pending events. Every step is idempotent.
func (db *DB) relay(ctx context.Context, userID string, evs []*store.Event) error {
	var ids []string
	if userID != "" {
		ids = []string{userID}
	}
	return db.relayFrom(ctx, db.users, ids, evs)
}

// relayFrom stores evs in the trail and the outbox (store), then pulls
// them from the pending events of the documents ids of coll, which carry
// them. Every step is idempotent: a repeat, or a second relay of the same
// events from another document, stores nothing twice.
func (db *DB) relayFrom(ctx context.Context, coll *mongo.Collection, ids []string, evs []*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if db.crashBeforeRelay && len(ids) > 0 {
		return nil
	}
	ctx = store.WithoutEvents(ctx)
	docs, err := db.storeEvents(ctx, evs)
	if err != nil || len(ids) == 0 {
		return err
	}
	// $pullAll of the documents as pushed, not $pull by condition, which
	// FerretDB leaves undone; the relayed events are equal to what was
	// pushed, field for field.
	pushed := make(bson.A, len(docs))
	for i := range docs {
		pushed[i] = docs[i]
	}
	pull := bson.D{{Key: "$pullAll", Value: bson.D{{Key: fieldPendingEvents, Value: pushed}}}}
	if len(ids) == 1 {
		_, err = coll.UpdateOne(ctx, bson.D{{Key: "_id", Value: ids[0]}}, pull)
	} else {
		_, err = coll.UpdateMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}}, pull)
	}
	return wrap("clear pending events", err)
}

// storeEvents inserts evs into the trail and their deliveries into the outbox,
// both keyed by the event's id, so a repeat inserts nothing.
func (db *DB) storeEvents(ctx context.Context, evs []*store.Event) ([]eventDoc, error) {
	docs, err := eventDocs(evs)
	if err != nil {
		return nil, err
	}
	trail := make([]any, len(docs))
	for i := range docs {
		trail[i] = docs[i]
	}
	if _, err := db.events.InsertMany(ctx, trail, options.InsertMany().SetOrdered(false)); err != nil && !onlyDuplicates(err) {
		return nil, wrap("insert events", err)
	}
	hooks, err := db.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	var msgs []*store.OutboxMessage
	for _, e := range evs {
		for _, w := range hooks {
			if w.Gets(e) {
				msgs = append(msgs, store.WebhookMessage(e, w.ID))
			}
		}
	}
	return docs, db.enqueueOutbox(ctx, nil, msgs...)
}

// RecordEvents stores events that come with no other change.
func (db *DB) RecordEvents(ctx context.Context, evs ...*store.Event) error {
	for _, e := range evs {
		e.Normalize()
	}
	return db.relay(ctx, "", evs)
}

// GetEvent returns store.ErrNotFound if no event has the id.
func (db *DB) GetEvent(ctx context.Context, id string) (*store.Event, error) {
	var d eventDoc
	if err := db.events.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, wrap("find event", err)
	}
	return d.event(), nil
}

// ListEvents pages the trail newest first by _id; each filter has an
// index ending in _id (eventIndexSpecs).
func (db *DB) ListEvents(ctx context.Context, q store.EventQuery) ([]*store.Event, bool, error) {
	if q.First < 1 {
		return nil, false, store.Invalidf("first must be at least 1")
	}
	f := q.Filter
	filter := bson.D{}
	if len(f.Types) > 0 {
		filter = append(filter, bson.E{Key: "type", Value: bson.D{{Key: "$in", Value: f.Types}}})
	}
	for _, c := range []struct{ key, value string }{{"actorId", f.ActorID}, {"subjectId", f.SubjectID}, {"ip", f.IP}} {
		if c.value != "" {
			filter = append(filter, bson.E{Key: c.key, Value: c.value})
		}
	}
	if at := eventTimes(f.At); len(at) > 0 {
		filter = append(filter, bson.E{Key: "at", Value: at})
	}
	if q.After != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: q.After}}})
	}
	cur, err := db.events.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(q.First+1)))
	if err != nil {
		return nil, false, wrap("find events", err)
	}
	var docs []eventDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, false, wrap("find events", err)
	}
	out := make([]*store.Event, 0, len(docs))
	for i := range docs {
		out = append(out, docs[i].event())
	}
	return out[:min(len(out), q.First)], len(out) > q.First, nil
}

func eventTimes(r store.TimeRange) bson.D {
	var d bson.D
	for _, b := range []struct {
		op string
		t  time.Time
	}{{"$gt", r.Gt}, {"$gte", r.Gte}, {"$lt", r.Lt}, {"$lte", r.Lte}} {
		if !b.t.IsZero() {
			d = append(d, bson.E{Key: b.op, Value: dateOf(store.Trunc(b.t))})
		}
	}
	return d
}

// PurgeEvents deletes up to limit of the oldest events before t.
func (db *DB) PurgeEvents(ctx context.Context, t time.Time, limit int) (int, error) {
	return db.purgeOldest(ctx, db.events, "at", t, limit)
}

// purgeOldest deletes up to limit documents of coll whose field is
// before t, oldest first: their ids, then a delete by id.
func (db *DB) purgeOldest(ctx context.Context, coll *mongo.Collection, field string, t time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	cur, err := coll.Find(ctx, bson.D{{Key: field, Value: bson.D{{Key: "$lt", Value: dateOf(store.Trunc(t))}}}},
		options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).SetSort(bson.D{{Key: field, Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return 0, wrap("find old "+coll.Name(), err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil || len(docs) == 0 {
		return 0, wrap("find old "+coll.Name(), err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	res, err := coll.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return 0, wrap("purge "+coll.Name(), err)
	}
	return int(res.DeletedCount), nil
}

func (db *DB) eventIndexSpecs(k func(...string) bson.D) []indexSpec {
	return []indexSpec{
		{coll: db.events, name: "type_id", keys: k("type", "_id")},
		{coll: db.events, name: "actorId_id", keys: k("actorId", "_id")},
		{coll: db.events, name: "subjectId_id", keys: k("subjectId", "_id")},
		{coll: db.events, name: "ip_id", keys: k("ip", "_id")},
		{coll: db.events, name: "at", keys: k("at")},
		{coll: db.users, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.sessions, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.roles, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.devices, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.apps, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.webhooks, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.keys, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.outbox, name: "pendingEvents_id", keys: k(fieldPendingEvents + "._id")},
		{coll: db.deliveries, name: "webhookId_id", keys: k("webhookId", "_id")},
		{coll: db.deliveries, name: "at", keys: k("at")},
	}
}
