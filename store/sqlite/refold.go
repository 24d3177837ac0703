package sqlite

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

// refoldBatch is how many users refoldSearchText reads at a time, so its
// memory stays flat however many users there are.
const refoldBatch = 1000

// refoldSearchText is a migration in code: search_text now holds the full
// name as shown (store.SearchText), which changes it for the users with no
// stored full name but a first or last name. Their text is rewritten with
// the Go fold; SQLite's lower() folds ASCII only and could not produce it.
func refoldSearchText(ctx context.Context, tx txn) error {
	after := ""
	for {
		users, err := unfolded(ctx, tx, after)
		if err != nil {
			return err
		}
		for _, u := range users {
			if _, err := tx.ExecContext(ctx, `UPDATE users SET search_text = ? WHERE id = ?`, store.SearchText(u), u.ID); err != nil {
				return mapErr(err)
			}
		}
		if len(users) < refoldBatch {
			return nil
		}
		after = users[len(users)-1].ID
	}
}

// unfolded returns the next batch, by id after after, of the users whose
// search text the full name as shown changes, with the fields it is made of.
func unfolded(ctx context.Context, tx txn, after string) ([]*store.User, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, username, email, first_name, last_name FROM users
		WHERE id > ? AND full_name = '' AND (first_name <> '' OR last_name <> '')
		ORDER BY id LIMIT ?`, after, refoldBatch)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.User
	for rows.Next() {
		u := &store.User{}
		if err := rows.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName); err != nil {
			return nil, mapErr(err)
		}
		out = append(out, u)
	}
	return out, mapErr(rows.Err())
}
