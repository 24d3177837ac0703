package mongo

import (
	"context"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// createRole inserts r; its id is the _id, its name is unique.
func (db *DB) createRole(ctx context.Context, r *store.Role, evs []*store.Event) error {
	r.Normalize()
	d := toRoleDoc(r)
	doc, err := withPending(d, evs)
	if err != nil {
		return err
	}
	if _, err := db.roles.InsertOne(ctx, doc); err != nil {
		return db.roleConflict(ctx, "insert role", err, d, true)
	}
	return nil
}

// GetRole returns store.ErrNotFound if no role has the name.
func (db *DB) GetRole(ctx context.Context, name string) (*store.Role, error) {
	var d roleDoc
	if err := db.roles.FindOne(ctx, bson.D{{Key: "name", Value: name}, live}).Decode(&d); err != nil {
		return nil, wrap("find role", err)
	}
	return d.role(), nil
}

// ListRoles returns every role ordered by name (byte-wise: no collation).
func (db *DB) ListRoles(ctx context.Context) ([]*store.Role, error) {
	cur, err := db.roles.Find(ctx, bson.D{live}, options.Find().SetSort(bson.D{{Key: "name", Value: 1}}))
	if err != nil {
		return nil, wrap("list roles", err)
	}
	var docs []roleDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list roles", err)
	}
	out := make([]*store.Role, len(docs))
	for i := range docs {
		out[i] = docs[i].role()
	}
	return out, nil
}

// updateRole is a read-modify-write with a version check (cas.go), its
// write claimed first (claims.go). A retry
// reads by name again: if a concurrent rename won, the role is not found,
// as if the rename had come first.
func (db *DB) updateRole(ctx context.Context, name string, update func(*store.Role) error, evs []*store.Event) (*store.Role, error) {
	var out *store.Role
	err := retry(ctx, "update role", func() error {
		r, err := db.GetRole(ctx, name)
		if err != nil {
			return err
		}
		id, read := r.ID, r.Version
		if err := update(r); err != nil {
			return err
		}
		r.ID = id
		r.Normalize()
		err = db.writeVersion(ctx, db.roles, id, read, func(ctx context.Context, next int64) (bool, error) {
			r.Version = next
			d := toRoleDoc(r)
			up, err := setAll(d)
			if err == nil {
				up, err = pushEvents(up, evs)
			}
			if err != nil {
				return false, err
			}
			res, err := db.roles.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}, live}, up)
			if err != nil {
				return false, db.roleConflict(ctx, "update role", err, d, false)
			}
			return res.MatchedCount == 1, nil
		})
		if err != nil {
			return err
		}
		out = r
		return nil
	})
	return out, err
}
