package sqlite

import (
	"context"
	"slices"
	"strconv"

	"github.com/usergraph/usergraph/store"
)

// ListUsers returns one page of matching users in order, fetching one row
// more than asked to learn whether another page follows.
func (db *DB) ListUsers(ctx context.Context, q store.UserQuery) (*store.UserPage, error) {
	order, err := q.Check()
	if err != nil {
		return nil, err
	}
	keys, err := sortKeys(order)
	if err != nil {
		return nil, err
	}
	cond, args, err := compileFilter(q.Filter)
	if err != nil {
		return nil, err
	}
	if q.After != nil {
		var w where
		w.after(keys, q.After)
		cond += " AND " + w.sql.String()
		args = append(args, w.args...)
	}
	query := `SELECT ` + userColumns + ` FROM users WHERE ` + cond +
		` ORDER BY ` + orderBy(keys) + ` LIMIT ` + strconv.Itoa(q.Limit+1)
	if q.Offset > 0 {
		query += ` OFFSET ` + strconv.Itoa(q.Offset)
	}
	var users []*store.User
	err = db.scans.do(ctx, func() (err error) {
		users, err = db.queryUsers(ctx, db.r, query, args...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return store.PageOf(users, q.Limit), nil
}

// CountUsers counts the users matching f.
func (db *DB) CountUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	cond, args, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	var n int
	err = db.scans.do(ctx, func() error {
		return mapErr(db.r.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE `+cond, args...).Scan(&n))
	})
	return n, err
}

// PatchUsers applies the patch to every matching user in one transaction,
// using store.ApplyPatch so both backends share one definition of a patch.
func (db *DB) PatchUsers(ctx context.Context, f *store.UserFilter, p store.UserPatch) (int, error) {
	cond, args, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	matched := 0
	// The events go in the transaction, but only those of the users the
	// patch changes: one a patch leaves as it was has nothing to tell.
	evs := store.EventsOf(ctx)
	changed := map[string]bool{}
	err = db.tx(store.WithoutEvents(ctx), func(tx txn) error {
		// Walk the matches in id order, a chunk at a time, so a patch over
		// a million users never holds them all in memory.
		last := ""
		matched = 0
		clear(changed)
		for {
			chunk, err := db.queryUsers(ctx, tx, `SELECT `+userColumns+` FROM users WHERE `+cond+
				` AND id > ? ORDER BY id LIMIT 500`, append(append([]any{}, args...), last)...)
			if err != nil {
				return err
			}
			if len(chunk) == 0 {
				return insertEvents(ctx, tx, slices.DeleteFunc(slices.Clone(evs), func(e *store.Event) bool { return !changed[e.SubjectID] }))
			}
			matched += len(chunk)
			if err := patchEach(ctx, tx, chunk, p, changed); err != nil {
				return err
			}
			last = chunk[len(chunk)-1].ID
		}
	})
	if err != nil {
		return 0, err
	}
	return matched, nil
}

// patchEach writes p to each of users it changes, and adds their ids to
// changed.
func patchEach(ctx context.Context, tx txn, users []*store.User, p store.UserPatch, changed map[string]bool) error {
	stmt, err := tx.PrepareContext(ctx, `UPDATE users SET status = ?, roles = ?, tags = ?,
		app_metadata = ?, deleted_at = ?, updated_at = ?, version = version + 1 WHERE id = ?`)
	if err != nil {
		return mapErr(err)
	}
	defer stmt.Close()
	for _, u := range users {
		ok, err := store.ApplyPatch(u, p)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		changed[u.ID] = true
		if _, err := stmt.ExecContext(ctx, string(u.Status), jsonList(u.Roles), jsonList(u.Tags),
			jsonObject(u.AppMetadata), ms(u.DeletedAt), ms(u.UpdatedAt), u.ID); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// DeleteUsers removes the matching users with their sessions and tokens.
func (db *DB) DeleteUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	cond, args, err := compileFilter(f)
	if err != nil {
		return 0, err
	}
	n := 0
	err = db.tx(ctx, func(tx txn) error {
		sel := `SELECT id FROM users WHERE ` + cond
		if err := deleteUserData(ctx, tx, `IN (`+sel+`)`, args...); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE `+cond, args...)
		if err != nil {
			return mapErr(err)
		}
		affected, _ := res.RowsAffected()
		n = int(affected)
		return nil
	})
	return n, err
}
