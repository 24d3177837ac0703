package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

type applicationDoc struct {
	ID          string        `bson:"_id"`
	Name        string        `bson:"name"`
	Description string        `bson:"description"`
	ClientID    string        `bson:"clientId"`
	SecretHash  string        `bson:"secretHash"`
	SecretSince bson.DateTime `bson:"secretSince"`
	Roles       []string      `bson:"roles"`
	CreatedAt   bson.DateTime `bson:"createdAt"`
	UpdatedAt   bson.DateTime `bson:"updatedAt"`
	LastUsedAt  bson.DateTime `bson:"lastUsedAt"`
	Version     int64         `bson:"version"`
	Deleting    bool          `bson:"deleting,omitempty"` // pending.go: reads skip it
}

func toApplicationDoc(a *store.Application) *applicationDoc {
	return &applicationDoc{ID: a.ID, Name: a.Name, Description: a.Description, ClientID: a.ClientID,
		SecretHash: a.SecretHash, SecretSince: dateOf(a.SecretSince), Roles: nonNil(a.Roles),
		CreatedAt: dateOf(a.CreatedAt), UpdatedAt: dateOf(a.UpdatedAt), LastUsedAt: dateOf(a.LastUsedAt), Version: a.Version}
}

func (d *applicationDoc) application() *store.Application {
	return &store.Application{ID: d.ID, Name: d.Name, Description: d.Description, ClientID: d.ClientID,
		SecretHash: d.SecretHash, SecretSince: timeOf(d.SecretSince), Roles: nonNil(d.Roles),
		CreatedAt: timeOf(d.CreatedAt), UpdatedAt: timeOf(d.UpdatedAt), LastUsedAt: timeOf(d.LastUsedAt), Version: d.Version}
}

// createApplication inserts a; the unique index refuses a taken client id.
func (db *DB) createApplication(ctx context.Context, a *store.Application, evs []*store.Event) error {
	a.Normalize()
	doc, err := withPending(toApplicationDoc(a), evs)
	if err != nil {
		return err
	}
	_, err = db.apps.InsertOne(ctx, doc)
	if err == nil {
		return nil
	}
	index, dup := dupIndex(err)
	switch {
	case !dup:
		return wrap("insert application", err)
	case index == indexClientID:
		return store.AlreadyExists(store.FieldClientID)
	case index != "":
		return store.AlreadyExists(store.FieldID)
	}
	// FerretDB names no index: the id is the other unique key.
	if n, err := db.apps.CountDocuments(ctx, bson.D{{Key: "_id", Value: a.ID}}); err == nil && n > 0 {
		return store.AlreadyExists(store.FieldID)
	}
	return store.AlreadyExists(store.FieldClientID)
}

// GetApplication returns store.ErrNotFound if no application has the id.
func (db *DB) GetApplication(ctx context.Context, id string) (*store.Application, error) {
	return db.findApplication(ctx, bson.D{{Key: "_id", Value: id}})
}

// GetApplicationByClientID finds an application through the unique index.
func (db *DB) GetApplicationByClientID(ctx context.Context, clientID string) (*store.Application, error) {
	return db.findApplication(ctx, bson.D{{Key: "clientId", Value: clientID}})
}

func (db *DB) findApplication(ctx context.Context, f bson.D) (*store.Application, error) {
	var d applicationDoc
	if err := db.apps.FindOne(ctx, f).Decode(&d); err != nil {
		return nil, wrap("find application", err)
	}
	if d.Deleting { // its deletion is decided (pending.go)
		return nil, store.ErrNotFound
	}
	return d.application(), nil
}

// ListApplications returns every application, oldest first. There are
// few: the sort needs no index.
func (db *DB) ListApplications(ctx context.Context) ([]*store.Application, error) {
	cur, err := db.apps.Find(ctx, bson.D{live}, options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, wrap("list applications", err)
	}
	var docs []applicationDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list applications", err)
	}
	out := make([]*store.Application, len(docs))
	for i := range docs {
		out[i] = docs[i].application()
	}
	return out, nil
}

// updateApplication is a read-modify-write with a version check (cas.go),
// its write claimed first (claims.go). The client id stays as stored; the
// last use only moves forward.
func (db *DB) updateApplication(ctx context.Context, id string, update func(*store.Application) error, evs []*store.Event) (*store.Application, error) {
	var out *store.Application
	err := retry(ctx, "update application", func() error {
		a, err := db.GetApplication(ctx, id)
		if err != nil {
			return err
		}
		read, clientID, used := a.Version, a.ClientID, a.LastUsedAt
		if err := update(a); err != nil {
			return err
		}
		a.ID, a.ClientID = id, clientID
		if a.LastUsedAt.Before(used) {
			a.LastUsedAt = used
		}
		a.Normalize()
		err = db.writeVersion(ctx, db.apps, id, read, func(ctx context.Context, next int64) (bool, error) {
			a.Version = next
			up, err := setAll(toApplicationDoc(a))
			if err == nil {
				up, err = pushEvents(up, evs)
			}
			if err != nil {
				return false, err
			}
			res, err := db.apps.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}, live}, up)
			if err != nil {
				return false, wrap("update application", err)
			}
			return res.MatchedCount == 1, nil
		})
		if err != nil {
			return err
		}
		out = a
		return nil
	})
	return out, err
}
