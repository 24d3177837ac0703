package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/usergraph/usergraph/store"
)

// The outbox needs no claim protocol here: every write runs in the one
// writer's transaction (and, across processes on one file, under SQLite's
// write lock), so a claim's select-and-lease is a single atomic UPDATE.

const outboxColumns = `id, kind, payload, order_key, ref, state, attempts, next_attempt_at,
	lease_owner, lease_seq, lease_until, last_error, created_at, done_at`

func scanOutbox(row scanner) (*store.OutboxMessage, error) {
	var m store.OutboxMessage
	var state string
	var next, until, created, done int64
	if err := row.Scan(&m.ID, &m.Kind, &m.Payload, &m.OrderKey, &m.Ref, &state, &m.Attempts, &next,
		&m.Lease.Owner, &m.Lease.Seq, &until, &m.LastError, &created, &done); err != nil {
		return nil, mapErr(err)
	}
	if m.Payload == nil {
		m.Payload = []byte{} // SQLite gives an empty BLOB back as NULL
	}
	m.State = store.OutboxState(state)
	m.NextAttemptAt, m.Lease.Until = fromMS(next), fromMS(until)
	m.CreatedAt, m.DoneAt = fromMS(created), fromMS(done)
	return &m, nil
}

// EnqueueOutbox inserts the messages in one transaction, skipping ids that
// are stored already.
func (db *DB) EnqueueOutbox(ctx context.Context, msgs ...*store.OutboxMessage) error {
	for _, m := range msgs {
		if m.ID == "" || m.Kind == "" {
			return store.Invalidf("an outbox message needs an id and a kind")
		}
		m.Normalize()
	}
	if len(msgs) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx txn) error {
		for _, m := range msgs {
			if err := insertOutbox(ctx, tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertOutbox inserts a normalized message unless its id is stored.
func insertOutbox(ctx context.Context, tx txn, m *store.OutboxMessage) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox
		(id, kind, payload, order_key, ref, state, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`,
		m.ID, m.Kind, m.Payload, m.OrderKey, m.Ref, string(m.State), ms(m.NextAttemptAt), ms(m.CreatedAt))
	return mapErr(err)
}

// claimOutbox leases the claimable messages in one statement. The order-key
// test repeats the partial index's conditions (a key that is not empty, a
// pending state) so that SQLite uses outbox_order for it.
const claimOutbox = `UPDATE outbox SET lease_owner = ?, lease_seq = lease_seq + 1, lease_until = ?, attempts = attempts + 1
	WHERE id IN (SELECT o.id FROM outbox o
		WHERE o.kind = ? AND o.state = 'pending' AND o.next_attempt_at <= ? AND o.lease_until <= ?
		AND (o.order_key = '' OR NOT EXISTS (SELECT 1 FROM outbox p
			WHERE p.order_key = o.order_key AND p.order_key <> '' AND p.state = 'pending' AND p.id < o.id))
		ORDER BY o.next_attempt_at, o.id LIMIT ?)
	RETURNING ` + outboxColumns

// ClaimOutbox leases up to c.Limit claimable messages to c.Owner.
func (db *DB) ClaimOutbox(ctx context.Context, c store.OutboxClaim) ([]*store.OutboxMessage, error) {
	if c.Kind == "" || c.Owner == "" || c.Lease <= 0 {
		return nil, store.Invalidf("an outbox claim needs a kind, an owner and a positive lease")
	}
	if c.Limit < 1 {
		return nil, nil
	}
	now := ms(store.Trunc(c.Now))
	until := ms(store.Trunc(c.Now.Add(c.Lease)))
	var out []*store.OutboxMessage
	err := db.tx(ctx, func(tx txn) error {
		out = out[:0]
		rows, err := tx.QueryContext(ctx, claimOutbox, c.Owner, until, c.Kind, now, now, c.Limit)
		if err != nil {
			return mapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			m, err := scanOutbox(rows)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return mapErr(rows.Err())
	})
	if err != nil {
		return nil, err
	}
	// RETURNING comes in no promised order.
	slices.SortFunc(out, func(a, b *store.OutboxMessage) int {
		if c := a.NextAttemptAt.Compare(b.NextAttemptAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// CompleteOutbox marks a message sent, holder only.
func (db *DB) CompleteOutbox(ctx context.Context, id string, lease store.OutboxLease, at time.Time) error {
	return db.settleOutbox(ctx, id, lease, `state = 'sent', done_at = ?, payload = X''`, ms(store.Trunc(at)))
}

// RetryOutbox makes a message due again at next, holder only.
func (db *DB) RetryOutbox(ctx context.Context, id string, lease store.OutboxLease, next time.Time, errText string) error {
	return db.settleOutbox(ctx, id, lease, `next_attempt_at = ?, last_error = ?`, ms(store.Trunc(next)), errText)
}

// DropOutbox marks a message dead, holder only.
func (db *DB) DropOutbox(ctx context.Context, id string, lease store.OutboxLease, at time.Time, errText string) error {
	return db.settleOutbox(ctx, id, lease, `state = 'dead', done_at = ?, payload = X'', last_error = ?`, ms(store.Trunc(at)), errText)
}

// settleOutbox applies set to a pending message whose lease is still the
// caller's and releases the lease; ErrNotFound or ErrConflict otherwise.
func (db *DB) settleOutbox(ctx context.Context, id string, lease store.OutboxLease, set string, args ...any) error {
	if lease.Owner == "" {
		return store.ErrConflict // a released lease has no owner: nobody holds it
	}
	args = append(args, id, lease.Owner, lease.Seq)
	return db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET `+set+`, lease_owner = '', lease_until = 0
			WHERE id = ? AND state = 'pending' AND lease_owner = ? AND lease_seq = ?`, args...)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE id = ?`, id).Scan(&exists); err != nil {
			return mapErr(err)
		}
		if exists == 0 {
			return store.ErrNotFound
		}
		return store.ErrConflict
	})
}

// nextOutboxDue is the earliest due time and the earliest lease end after
// a moment, of one kind's pending messages: the first half reads one entry
// of outbox_due; the second scans the kind's pending entries of it, which
// are few unless a backlog builds up.
const nextOutboxDue = `SELECT min(t) FROM (
	SELECT min(next_attempt_at) AS t FROM outbox WHERE kind = ? AND state = 'pending' AND next_attempt_at > ?
	UNION ALL
	SELECT min(lease_until) FROM outbox WHERE kind = ? AND state = 'pending' AND lease_until > ?)`

// NextOutboxDue returns the earliest moment after after at which a
// pending message of kind comes due or its lease runs out; zero if none.
func (db *DB) NextOutboxDue(ctx context.Context, kind string, after time.Time) (time.Time, error) {
	at := ms(store.Trunc(after))
	var next sql.NullInt64
	if err := db.r.QueryRowContext(ctx, nextOutboxDue, kind, at, kind, at).Scan(&next); err != nil {
		return time.Time{}, mapErr(err)
	}
	if !next.Valid {
		return time.Time{}, nil
	}
	return fromMS(next.Int64), nil
}

// GetOutbox returns store.ErrNotFound if no message has the id.
func (db *DB) GetOutbox(ctx context.Context, id string) (*store.OutboxMessage, error) {
	return scanOutbox(db.r.QueryRowContext(ctx, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
}

const purgeOutbox = `DELETE FROM outbox WHERE id IN
	(SELECT id FROM outbox WHERE state <> 'pending' AND done_at < ? LIMIT ?)`

// PurgeOutbox deletes old done messages a batch at a time, so the writer is
// never held for long.
func (db *DB) PurgeOutbox(ctx context.Context, t time.Time) (int, error) {
	total := 0
	for {
		res, err := db.exec(ctx, purgeOutbox, ms(store.Trunc(t)), purgeBatch)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n < purgeBatch {
			return total, nil
		}
	}
}
