package sqlite

import (
	"context"
	"strings"

	"github.com/usergraph/usergraph/store"
)

// table maps one record type to its table for modify.
type table[T any] struct {
	name    string
	columns string                    // id first
	scan    func(scanner) (*T, error) // reads columns
	args    func(*T) []any            // values of columns, id first
	restamp func(r *T, id string)     // keeps the id, normalizes, bumps Version
}

// modify is the read-modify-write of every Update* method: it reads the row
// whose column key equals value, lets change edit the record and writes it
// back, all in one write transaction, so updates of a record never
// interleave (SQLite has one writer; no retries are needed). Only columns
// whose value changed are written, so SQLite leaves the indexes of the
// others alone (a login's last-login stamp touches one index, not eight).
func modify[T any](ctx context.Context, db *DB, t table[T], key string, value any, change func(*T) error) (*T, error) {
	var out *T
	err := db.tx(ctx, func(tx txn) error {
		rec, err := t.scan(tx.QueryRowContext(ctx, `SELECT `+t.columns+` FROM `+t.name+` WHERE `+key+` = ?`, value))
		if err != nil {
			return err
		}
		before := t.args(rec)
		id := before[0].(string)
		if err := change(rec); err != nil {
			return err
		}
		t.restamp(rec, id)
		set, args := changedColumns(t.columns, before, t.args(rec))
		if _, err := tx.ExecContext(ctx, `UPDATE `+t.name+` SET `+set+` WHERE id = ?`, append(args, id)...); err != nil {
			return mapErr(err)
		}
		out = rec
		return nil
	})
	return out, err
}

// changedColumns returns "a = ?, b = ?" for the columns (after the id)
// whose values differ, with the new values. Version always differs.
func changedColumns(columns string, before, after []any) (string, []any) {
	cols := strings.Split(columns, ",")
	var set []string
	var args []any
	for i := 1; i < len(cols); i++ {
		if before[i] != after[i] {
			set = append(set, strings.TrimSpace(cols[i])+" = ?")
			args = append(args, after[i])
		}
	}
	return strings.Join(set, ", "), args
}

var (
	usersTable = table[store.User]{name: "users", columns: userColumns, scan: scanUser, args: userArgs,
		restamp: func(u *store.User, id string) { u.ID = id; u.Normalize(); u.Version++ }}
	sessionsTable = table[store.Session]{name: "sessions", columns: sessionColumns, scan: scanSession, args: sessionArgs,
		restamp: func(s *store.Session, id string) { s.ID = id; s.Normalize(); s.Version++ }}
	rolesTable = table[store.Role]{name: "roles", columns: roleColumns, scan: scanRole, args: roleArgs,
		restamp: func(r *store.Role, id string) { r.ID = id; r.Normalize(); r.Version++ }}
)
