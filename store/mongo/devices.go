package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

type deviceDoc struct {
	ID         string        `bson:"_id"`
	UserID     string        `bson:"userId"`
	Token      string        `bson:"token"`
	Name       string        `bson:"name"`
	CanAccess  bool          `bson:"canAccess"`
	LastUsedAt bson.DateTime `bson:"lastUsedAt"`
	CreatedAt  bson.DateTime `bson:"createdAt"`
	Version    int64         `bson:"version"`
	Deleting   bool          `bson:"deleting,omitempty"` // pending.go: reads skip it
}

func toDeviceDoc(d *store.Device) *deviceDoc {
	return &deviceDoc{ID: d.ID, UserID: d.UserID, Token: d.Token, Name: d.Name, CanAccess: d.CanAccess,
		LastUsedAt: dateOf(d.LastUsedAt), CreatedAt: dateOf(d.CreatedAt), Version: d.Version}
}

func (d *deviceDoc) device() *store.Device {
	return &store.Device{ID: d.ID, UserID: d.UserID, Token: d.Token, Name: d.Name, CanAccess: d.CanAccess,
		LastUsedAt: timeOf(d.LastUsedAt), CreatedAt: timeOf(d.CreatedAt), Version: d.Version}
}

// createDevice inserts d; the unique index on (userId, token) refuses a
// second device with the same token for the user, on every server.
func (db *DB) createDevice(ctx context.Context, d *store.Device, evs []*store.Event) error {
	d.Normalize()
	doc, err := withPending(toDeviceDoc(d), evs)
	if err != nil {
		return err
	}
	_, err = db.devices.InsertOne(ctx, doc)
	if err == nil {
		return nil
	}
	index, dup := dupIndex(err)
	switch {
	case !dup:
		return wrap("insert device", err)
	case index == indexDeviceToken:
		return store.AlreadyExists(store.FieldToken)
	case index != "":
		return store.AlreadyExists(store.FieldID)
	}
	// FerretDB names no index: the id is the other unique key.
	if n, err := db.devices.CountDocuments(ctx, bson.D{{Key: "_id", Value: d.ID}}); err == nil && n > 0 {
		return store.AlreadyExists(store.FieldID)
	}
	return store.AlreadyExists(store.FieldToken)
}

// GetDevice returns store.ErrNotFound if no device has the id.
func (db *DB) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	return db.findDevice(ctx, bson.D{{Key: "_id", Value: id}})
}

// GetDeviceByToken finds a user's device through the unique index.
func (db *DB) GetDeviceByToken(ctx context.Context, userID, token string) (*store.Device, error) {
	return db.findDevice(ctx, bson.D{{Key: "userId", Value: userID}, {Key: "token", Value: token}})
}

func (db *DB) findDevice(ctx context.Context, f bson.D) (*store.Device, error) {
	var d deviceDoc
	if err := db.devices.FindOne(ctx, f).Decode(&d); err != nil {
		return nil, wrap("find device", err)
	}
	if d.Deleting { // its deletion is decided (pending.go)
		return nil, store.ErrNotFound
	}
	return d.device(), nil
}

// ListDevices returns the devices of userIDs, oldest first; the unique
// index's userId prefix finds them.
func (db *DB) ListDevices(ctx context.Context, userIDs []string, canAccess *bool) ([]*store.Device, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	f := bson.D{{Key: "userId", Value: bson.D{{Key: "$in", Value: userIDs}}}}
	if canAccess != nil {
		f = append(f, bson.E{Key: "canAccess", Value: *canAccess})
	}
	return db.findDevices(ctx, f, options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}))
}

func (db *DB) findDevices(ctx context.Context, f bson.D, opts *options.FindOptionsBuilder) ([]*store.Device, error) {
	cur, err := db.devices.Find(ctx, append(f, live), opts)
	if err != nil {
		return nil, wrap("list devices", err)
	}
	var docs []deviceDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list devices", err)
	}
	out := make([]*store.Device, len(docs))
	for i := range docs {
		out[i] = docs[i].device()
	}
	return out, nil
}

// updateDevice is a read-modify-write with a version check (cas.go), its
// write claimed first (claims.go): a rename racing a restriction cannot
// undo it, even on a server that writes whole documents back. The user
// and the token stay as stored; LastUsedAt only moves forward.
func (db *DB) updateDevice(ctx context.Context, id string, update func(*store.Device) error, evs []*store.Event) (*store.Device, error) {
	var out *store.Device
	err := retry(ctx, "update device", func() error {
		d, err := db.GetDevice(ctx, id)
		if err != nil {
			return err
		}
		read, userID, token, used := d.Version, d.UserID, d.Token, d.LastUsedAt
		if err := update(d); err != nil {
			return err
		}
		d.ID, d.UserID, d.Token = id, userID, token
		if d.LastUsedAt.Before(used) {
			d.LastUsedAt = used
		}
		d.Normalize()
		err = db.writeVersion(ctx, db.devices, id, read, func(ctx context.Context, next int64) (bool, error) {
			d.Version = next
			update, err := replaceKeeping(toDeviceDoc(d), "lastUsedAt")
			if err == nil {
				update, err = pushEvents(update, evs)
			}
			if err != nil {
				return false, err
			}
			res, err := db.devices.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}, live}, update)
			if err != nil {
				return false, wrap("update device", err)
			}
			return res.MatchedCount == 1, nil
		})
		if err != nil {
			return err
		}
		out = d
		return nil
	})
	return out, err
}

// TrimDevices reads the user's devices and deletes the excess in one
// delete. Without a transaction, two trims of one user may both pick a
// device: it is deleted once, and each reports it.
func (db *DB) TrimDevices(ctx context.Context, userID string, keep int, except string) ([]string, error) {
	devices, err := db.findDevices(ctx, bson.D{{Key: "userId", Value: userID}},
		options.Find().SetProjection(bson.D{{Key: "canAccess", Value: 1}, {Key: "lastUsedAt", Value: 1}, {Key: "createdAt", Value: 1}}))
	if err != nil {
		return nil, err
	}
	trimmed := store.DevicesToTrim(devices, keep, except)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if _, err := db.devices.DeleteMany(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: trimmed}}}}); err != nil {
		return nil, wrap("trim devices", err)
	}
	return trimmed, nil
}
