package sqlite

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

// RecordLoginFailure reads and rewrites the user's lockout columns in one
// write transaction; SQLite has one writer, so calls never interleave.
func (db *DB) RecordLoginFailure(ctx context.Context, id string, next func(store.Lockout) store.Lockout) (store.Lockout, error) {
	var out store.Lockout
	err := db.tx(ctx, func(tx txn) error {
		var cur store.Lockout
		var last, until int64
		err := tx.QueryRowContext(ctx, `SELECT login_failures, last_login_failure_at, locked_until FROM users WHERE id = ?`, id).
			Scan(&cur.Failures, &last, &until)
		if err != nil {
			return mapErr(err)
		}
		cur.LastFailure, cur.LockedUntil = fromMS(last), fromMS(until)
		l := next(cur)
		l.Normalize()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET login_failures = ?, last_login_failure_at = ?, locked_until = ?,
			version = version + 1 WHERE id = ?`, l.Failures, ms(l.LastFailure), ms(l.LockedUntil), id); err != nil {
			return mapErr(err)
		}
		out = l
		return nil
	})
	return out, err
}

// ClearLockout zeroes the user's lockout columns.
func (db *DB) ClearLockout(ctx context.Context, id string) error {
	return db.execOne(ctx, `UPDATE users SET login_failures = 0, last_login_failure_at = 0, locked_until = 0,
		version = version + 1 WHERE id = ?`, id)
}
