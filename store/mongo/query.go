package mongo

import (
	"context"
	"errors"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// ListUsers returns one page of matching users in order, fetching one
// user more than asked to learn whether another page follows.
func (db *DB) ListUsers(ctx context.Context, q store.UserQuery) (*store.UserPage, error) {
	order, err := q.Check()
	if err != nil {
		return nil, err
	}
	keys, err := sortKeys(order)
	if err != nil {
		return nil, err
	}
	c, err := compileFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	offset := max(q.Offset, 0)
	var users []*store.User
	if hasJSONKey(keys) {
		users, err = db.mergedPage(ctx, c, order, keys, q.After, offset, q.Limit+1)
	} else {
		users, err = db.sortedPage(ctx, c, keys, q.After, offset, q.Limit+1)
	}
	if err != nil {
		return nil, err
	}
	return store.PageOf(users, q.Limit), nil
}

// sortedPage reads a page in the server's order: every key sorts natively.
func (db *DB) sortedPage(ctx context.Context, c cond, keys []sortKey, from *store.Cursor, skip, limit int) ([]*store.User, error) {
	if from != nil {
		c = and(c, after(keys, from))
	}
	opts := options.Find().SetSort(sortSpec(keys)).SetSkip(int64(skip)).SetLimit(int64(limit))
	return db.findUsers(ctx, c.query(), opts)
}

// mergedPage answers an order with JSON keys (see order.go): the first
// offset+limit natively sorted users, plus every misfit after the cursor,
// sorted together by the spec's comparator. The page is exact because no
// user beyond the native prefix can come before its last one.
func (db *DB) mergedPage(ctx context.Context, c cond, order []store.UserOrder, keys []sortKey, from *store.Cursor, skip, limit int) ([]*store.User, error) {
	native := nativeOrder(keys)
	users, err := db.sortedPage(ctx, and(c, native), keys, from, 0, skip+limit)
	if err != nil {
		return nil, err
	}
	misfits, err := db.findUsers(ctx, and(c, not(native)).query(), nil)
	if err != nil {
		return nil, err
	}
	type positioned struct {
		u   *store.User
		pos *store.Cursor
	}
	all := make([]positioned, 0, len(users)+len(misfits))
	for _, u := range users {
		all = append(all, positioned{u, store.CursorOf(u, order)})
	}
	for _, u := range misfits {
		pos := store.CursorOf(u, order)
		if from == nil || compareCursors(order, pos, from) > 0 {
			all = append(all, positioned{u, pos})
		}
	}
	slices.SortFunc(all, func(a, b positioned) int { return compareCursors(order, a.pos, b.pos) })
	if skip >= len(all) {
		return nil, nil
	}
	all = all[skip:min(skip+limit, len(all))]
	out := make([]*store.User, len(all))
	for i, p := range all {
		out[i] = p.u
	}
	return out, nil
}

// CountUsers counts the users matching f.
func (db *DB) CountUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	c, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	n, err := db.users.CountDocuments(ctx, c.query())
	if err != nil {
		return 0, wrap("count users", err)
	}
	return int(n), nil
}

// chunk is how many users PatchUsers and DeleteUsers read at a time.
const chunk = 500

// PatchUsers applies p (store.ApplyPatch) to every matching user, each
// with its own version check: users are walked in id order a chunk at a
// time, so a patch over a million users never holds them all.
func (db *DB) PatchUsers(ctx context.Context, f *store.UserFilter, p store.UserPatch) (int, error) {
	c, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	// A merge patch that cannot apply fails before anyone is changed.
	if p.AppMetadata != nil {
		if _, err := store.MergeObject(nil, p.AppMetadata); err != nil {
			return 0, err
		}
	}
	matched, last := 0, ""
	for {
		q := c
		if last != "" {
			q = and(c, field("_id", ops("$gt", last)))
		}
		users, err := db.findUsers(ctx, q.query(), options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(chunk))
		if err != nil {
			return 0, err
		}
		if len(users) == 0 {
			return matched, nil
		}
		for _, u := range users {
			ok, err := db.patchUser(ctx, c, u, p)
			if err != nil {
				return 0, err
			}
			if ok {
				matched++
			}
		}
		last = users[len(users)-1].ID
	}
}

// patchUser applies p to u and writes it if it changed. When u changed
// meanwhile, it reads u again, still under the filter: a user that no
// longer matches is left alone and not counted.
func (db *DB) patchUser(ctx context.Context, c cond, u *store.User, p store.UserPatch) (bool, error) {
	matched := true
	err := retry(ctx, "patch user", func() error {
		read := u.Version
		changed, err := store.ApplyPatch(u, p)
		if err != nil || !changed {
			return err
		}
		u.Normalize()
		evs := store.EventsFor(store.EventsOf(ctx), u.ID)
		err = db.replaceUser(ctx, u, read, evs)
		if err == nil {
			return db.relay(ctx, u.ID, evs)
		}
		if !errors.Is(err, errStale) {
			return err
		}
		fresh, err := db.findUsers(ctx, and(c, field("_id", u.ID)).query(), nil)
		if err != nil {
			return err
		}
		if len(fresh) == 0 {
			matched = false
			return nil
		}
		u = fresh[0]
		return errStale
	})
	return matched && err == nil, err
}

// DeleteUsers removes the matching users with their sessions and tokens,
// a chunk at a time: sessions and tokens first, as DeleteUser does.
func (db *DB) DeleteUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	c, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	deleted, last := 0, ""
	for {
		q := c
		if last != "" {
			q = and(c, field("_id", ops("$gt", last)))
		}
		ids, err := db.userIDs(ctx, q)
		if err != nil || len(ids) == 0 {
			return deleted, err
		}
		marked, plain, err := db.markUsersDeleted(ctx, c, ids)
		if err != nil {
			return deleted, err
		}
		for _, id := range marked {
			if err := db.finishDelete(ctx, db.users, id, true); err != nil {
				return deleted, err
			}
			deleted++
		}
		last = ids[len(ids)-1]
		if ids = plain; len(ids) == 0 {
			continue
		}
		if err := db.deleteUserData(ctx, ids); err != nil {
			return deleted, err
		}
		res, err := db.users.DeleteMany(ctx, and(c, field("_id", ops("$in", ids))).query())
		if err != nil {
			return deleted, wrap("delete users", err)
		}
		deleted += int(res.DeletedCount)
		if err := db.deleteIdentityClaims(ctx, ids); err != nil {
			return deleted, err
		}
	}
}

// markUsersDeleted marks those of the users ids that still match c and
// have events in ctx deleted, each pushing its events, in one bulk write
// (pending.go), and returns the ids marked (with any a crashed delete
// left marked) and those without events, to delete plainly.
func (db *DB) markUsersDeleted(ctx context.Context, c cond, ids []string) (marked, plain []string, err error) {
	all := store.EventsOf(ctx)
	var models []mongo.WriteModel
	for _, id := range ids {
		evs := store.EventsFor(all, id)
		if len(evs) == 0 {
			plain = append(plain, id)
			continue
		}
		update, err := pushEvents(bson.D{{Key: "$set", Value: bson.D{{Key: fieldDeleting, Value: true}}}}, evs)
		if err != nil {
			return nil, nil, err
		}
		// Not one a crashed delete marked: its deletion and events stand.
		f := append(bson.D{live}, and(c, field("_id", id)).query()...)
		models = append(models, mongo.NewUpdateOneModel().SetFilter(f).SetUpdate(update))
	}
	if len(models) > 0 {
		if _, err := db.users.BulkWrite(ctx, models, options.BulkWrite().SetOrdered(false)); err != nil {
			return nil, nil, wrap("mark users deleted", err)
		}
	}
	marked, err = db.idsOf(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}, {Key: fieldDeleting, Value: true}}, 0)
	return marked, plain, err
}

// userIDs returns the first chunk of matching ids, in id order.
func (db *DB) userIDs(ctx context.Context, c cond) ([]string, error) {
	opts := options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}).
		SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(chunk)
	cur, err := db.users.Find(ctx, c.query(), opts)
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
