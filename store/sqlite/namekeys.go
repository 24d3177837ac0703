package sqlite

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

// fillNameKeys is a migration in code, after 0013 added the name keys'
// columns: it writes store.NameKeys for every user with a name, a batch
// at a time, with the Go fold (SQLite's lower() folds ASCII only). Users
// without one keep the columns' empty default, which is their key.
func fillNameKeys(ctx context.Context, tx txn) error {
	after := ""
	for {
		users, err := namedUsers(ctx, tx, after)
		if err != nil {
			return err
		}
		for _, u := range users {
			first, last, full := store.NameKeys(u)
			if _, err := tx.ExecContext(ctx, `UPDATE users SET first_name_key = ?, last_name_key = ?, full_name_key = ? WHERE id = ?`,
				first, last, full, u.ID); err != nil {
				return mapErr(err)
			}
		}
		if len(users) < refoldBatch {
			return nil
		}
		after = users[len(users)-1].ID
	}
}

// namedUsers returns the next batch, by id after after, of the users with
// a name, with their names.
func namedUsers(ctx context.Context, tx txn, after string) ([]*store.User, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, first_name, last_name, full_name FROM users
		WHERE id > ? AND (first_name <> '' OR last_name <> '' OR full_name <> '')
		ORDER BY id LIMIT ?`, after, refoldBatch)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u := &store.User{}
		if err := rows.Scan(&u.ID, &u.FirstName, &u.LastName, &u.FullName); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err())
}
