package sqlite

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// idleGuests selects a batch of guests idle since before a time: last
// request (0: never) and creation both before it, read from the partial
// index users_guests_idle (TestGuestPurgeQueryPlan), never from the whole
// table.
const idleGuests = `SELECT id FROM users WHERE is_guest = 1 AND last_request_at < ? AND created_at < ?
	ORDER BY last_request_at LIMIT ?`

// PurgeGuests deletes a batch of idle guests with their data, and the
// event made for each (store.WithEventFor), in one transaction.
func (db *DB) PurgeGuests(ctx context.Context, idleBefore time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	cutoff := ms(idleBefore)
	var n int
	err := db.tx(ctx, func(tx txn) error {
		rows, err := tx.QueryContext(ctx, idleGuests, cutoff, cutoff, limit)
		if err != nil {
			return mapErr(err)
		}
		var ids []any
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return mapErr(err)
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return mapErr(err)
		}
		in := `IN (` + placeholders(len(ids)) + `)`
		if _, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id `+in, ids...); err != nil {
			return mapErr(err)
		}
		n = len(ids)
		if err := deleteUserData(ctx, tx, in, ids...); err != nil {
			return err
		}
		return insertEvents(ctx, tx, store.EventsForEach(ctx, guestIDs(ids)))
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

func guestIDs(ids []any) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.(string)
	}
	return out
}
