package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

type webhookDoc struct {
	ID                  string        `bson:"_id"`
	URL                 string        `bson:"url"`
	Events              []string      `bson:"events"`
	Secret              string        `bson:"secret"`
	Active              bool          `bson:"active"`
	ConsecutiveFailures int           `bson:"consecutiveFailures"`
	FailingSince        bson.DateTime `bson:"failingSince"`
	LastDeliveryAt      bson.DateTime `bson:"lastDeliveryAt"`
	CreatedAt           bson.DateTime `bson:"createdAt"`
	Version             int64         `bson:"version"`
	Deleting            bool          `bson:"deleting,omitempty"` // pending.go: reads skip it
}

func toWebhookDoc(w *store.Webhook) *webhookDoc {
	return &webhookDoc{ID: w.ID, URL: w.URL, Events: nonNil(w.Events), Secret: w.Secret, Active: w.Active,
		ConsecutiveFailures: w.ConsecutiveFailures, FailingSince: dateOf(w.FailingSince),
		LastDeliveryAt: dateOf(w.LastDeliveryAt), CreatedAt: dateOf(w.CreatedAt), Version: w.Version}
}

func (d *webhookDoc) webhook() *store.Webhook {
	return &store.Webhook{ID: d.ID, URL: d.URL, Events: nonNil(d.Events), Secret: d.Secret, Active: d.Active,
		ConsecutiveFailures: d.ConsecutiveFailures, FailingSince: timeOf(d.FailingSince),
		LastDeliveryAt: timeOf(d.LastDeliveryAt), CreatedAt: timeOf(d.CreatedAt), Version: d.Version}
}

// CreateWebhook inserts w.
func (db *DB) CreateWebhook(ctx context.Context, w *store.Webhook) error {
	w.Normalize()
	evs := store.EventsOf(ctx)
	doc, err := withPending(toWebhookDoc(w), evs)
	if err != nil {
		return err
	}
	_, err = db.webhooks.InsertOne(ctx, doc)
	if _, dup := dupIndex(err); dup {
		return store.AlreadyExists(store.FieldID)
	}
	if err != nil {
		return wrap("insert webhook", err)
	}
	return db.relayFrom(ctx, db.webhooks, []string{w.ID}, evs)
}

// GetWebhook returns store.ErrNotFound if no webhook has the id.
func (db *DB) GetWebhook(ctx context.Context, id string) (*store.Webhook, error) {
	var d webhookDoc
	if err := db.webhooks.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, wrap("find webhook", err)
	}
	if d.Deleting { // its deletion is decided (pending.go)
		return nil, store.ErrNotFound
	}
	return d.webhook(), nil
}

// ListWebhooks returns every webhook, oldest first.
func (db *DB) ListWebhooks(ctx context.Context) ([]*store.Webhook, error) {
	cur, err := db.webhooks.Find(ctx, bson.D{live}, options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, wrap("find webhooks", err)
	}
	var docs []webhookDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("find webhooks", err)
	}
	out := make([]*store.Webhook, len(docs))
	for i := range docs {
		out[i] = docs[i].webhook()
	}
	return out, nil
}

// UpdateWebhook is a read-modify-write with a version check (cas.go), its
// write claimed first (claims.go).
func (db *DB) UpdateWebhook(ctx context.Context, id string, update func(*store.Webhook) error) (*store.Webhook, error) {
	var out *store.Webhook
	evs := store.EventsOf(ctx)
	err := retry(ctx, "update webhook", func() error {
		w, err := db.GetWebhook(ctx, id)
		if err != nil {
			return err
		}
		read := w.Version
		if err := update(w); err != nil {
			return err
		}
		w.ID = id
		w.Normalize()
		err = db.writeVersion(ctx, db.webhooks, id, read, func(ctx context.Context, next int64) (bool, error) {
			w.Version = next
			up, err := setAll(toWebhookDoc(w))
			if err == nil {
				up, err = pushEvents(up, evs)
			}
			if err != nil {
				return false, err
			}
			res, err := db.webhooks.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}, live}, up)
			if err != nil {
				return false, wrap("update webhook", err)
			}
			return res.MatchedCount == 1, nil
		})
		if err != nil {
			return err
		}
		out = w
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, db.relayFrom(ctx, db.webhooks, []string{id}, evs)
}

// DeleteWebhook removes a webhook, then its deliveries; with events, by
// marking it deleted first (pending.go).
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	return db.deleteWithEvents(ctx, "delete webhook", db.webhooks, bson.D{{Key: "_id", Value: id}})
}

type deliveryDoc struct {
	ID        string        `bson:"_id"`
	WebhookID string        `bson:"webhookId"`
	EventID   string        `bson:"eventId"`
	EventType string        `bson:"eventType"`
	Attempt   int           `bson:"attempt"`
	Status    int           `bson:"status"`
	Error     string        `bson:"error"`
	At        bson.DateTime `bson:"at"`
	Delivered bool          `bson:"delivered"`
}

func (d *deliveryDoc) delivery() *store.WebhookDelivery {
	return &store.WebhookDelivery{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID, EventType: d.EventType,
		Attempt: d.Attempt, Status: d.Status, Error: d.Error, At: timeOf(d.At), Delivered: d.Delivered}
}

// AddWebhookDelivery records one attempt.
func (db *DB) AddWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	d.At = store.Trunc(d.At)
	_, err := db.deliveries.InsertOne(ctx, &deliveryDoc{ID: d.ID, WebhookID: d.WebhookID, EventID: d.EventID,
		EventType: d.EventType, Attempt: d.Attempt, Status: d.Status, Error: d.Error, At: dateOf(d.At), Delivered: d.Delivered})
	if _, dup := dupIndex(err); dup {
		return store.AlreadyExists(store.FieldID)
	}
	return wrap("insert webhook delivery", err)
}

// GetWebhookDelivery returns store.ErrNotFound if no delivery has the id.
func (db *DB) GetWebhookDelivery(ctx context.Context, id string) (*store.WebhookDelivery, error) {
	var d deliveryDoc
	if err := db.deliveries.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, wrap("find webhook delivery", err)
	}
	return d.delivery(), nil
}

// ListWebhookDeliveries pages deliveries newest first by _id.
func (db *DB) ListWebhookDeliveries(ctx context.Context, webhookID string, first int, after string) ([]*store.WebhookDelivery, bool, error) {
	if first < 1 {
		return nil, false, store.Invalidf("first must be at least 1")
	}
	filter := bson.D{}
	if webhookID != "" {
		filter = append(filter, bson.E{Key: "webhookId", Value: webhookID})
	}
	if after != "" {
		filter = append(filter, bson.E{Key: "_id", Value: bson.D{{Key: "$lt", Value: after}}})
	}
	cur, err := db.deliveries.Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "_id", Value: -1}}).SetLimit(int64(first+1)))
	if err != nil {
		return nil, false, wrap("find webhook deliveries", err)
	}
	var docs []deliveryDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, false, wrap("find webhook deliveries", err)
	}
	out := make([]*store.WebhookDelivery, 0, len(docs))
	for i := range docs {
		out = append(out, docs[i].delivery())
	}
	return out[:min(len(out), first)], len(out) > first, nil
}

// PurgeWebhookDeliveries deletes up to limit deliveries older than t.
func (db *DB) PurgeWebhookDeliveries(ctx context.Context, t time.Time, limit int) (int, error) {
	return db.purgeOldest(ctx, db.deliveries, "at", t, limit)
}
