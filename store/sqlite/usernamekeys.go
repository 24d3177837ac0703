package sqlite

import (
	"context"
	"database/sql"

	"github.com/usergraph/usergraph/store"
)

// ListUsernameKeys reads ids, usernames and keys in id order (the primary
// key), a batch at a time.
func (db *DB) ListUsernameKeys(ctx context.Context, after string, limit int) ([]store.UsernameKey, error) {
	if limit < 1 {
		return nil, nil
	}
	rows, err := db.r.QueryContext(ctx, `SELECT id, username, username_key FROM users
		WHERE id > ? AND username <> '' ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []store.UsernameKey
	for rows.Next() {
		var k store.UsernameKey
		var key sql.NullString
		if err := rows.Scan(&k.ID, &k.Username, &key); err != nil {
			return nil, mapErr(err)
		}
		k.Key = key.String
		out = append(out, k)
	}
	return out, mapErr(rows.Err())
}

// SetUsernameKey is one conditional UPDATE; the unique index refuses a
// taken key. Only when it changes nothing does a read tell a missing user
// from a moved key.
func (db *DB) SetUsernameKey(ctx context.Context, id, old, key string) error {
	if key == "" {
		return store.Invalidf("an empty username key")
	}
	return db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET username_key = ?, version = version + 1
			WHERE id = ? AND username_key IS ?`, key, id, nullKey(old))
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id).Scan(&one); err != nil {
			return mapErr(err)
		}
		return store.ErrConflict
	})
}
