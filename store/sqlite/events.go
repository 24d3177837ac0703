package sqlite

import (
	"context"
	"strings"
	"time"

	"github.com/usergraph/usergraph/store"
)

const eventColumns = `id, type, at, actor_id, actor_kind, subject_id, ip, user_agent, data`

func scanEvent(row scanner) (*store.Event, error) {
	var e store.Event
	var at int64
	var data string
	if err := row.Scan(&e.ID, &e.Type, &at, &e.ActorID, &e.ActorKind, &e.SubjectID, &e.IP, &e.UserAgent, &data); err != nil {
		return nil, mapErr(err)
	}
	e.At, e.Data = fromMS(at), []byte(data)
	return &e, nil
}

// insertEvents writes events into the audit trail and, for each active
// webhook that is to get one, its delivery into the outbox, in tx: the
// transaction of the change they describe. Ids stored already are left
// alone, so a repeated write stores nothing twice.
func insertEvents(ctx context.Context, tx txn, evs []*store.Event) error {
	var hooks []*store.Webhook
	for i, e := range evs {
		if e.ID == "" || e.Type == "" {
			return store.Invalidf("an event needs an id and a type")
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO NOTHING`,
			e.ID, e.Type, ms(e.At), e.ActorID, e.ActorKind, e.SubjectID, e.IP, e.UserAgent, string(e.Data)); err != nil {
			return mapErr(err)
		}
		if i == 0 {
			var err error
			if hooks, err = activeWebhooks(ctx, tx); err != nil {
				return err
			}
		}
		for _, w := range hooks {
			if !w.Gets(e) {
				continue
			}
			m := store.WebhookMessage(e, w.ID)
			m.Normalize()
			if err := insertOutbox(ctx, tx, m); err != nil {
				return err
			}
		}
	}
	return nil
}

// activeWebhooks reads the active webhooks in tx (a handful of rows).
func activeWebhooks(ctx context.Context, tx txn) ([]*store.Webhook, error) {
	rows, err := tx.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE active = 1`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, mapErr(rows.Err())
}

// RecordEvents stores events that come with no other change.
func (db *DB) RecordEvents(ctx context.Context, evs ...*store.Event) error {
	ctx = store.WithEvents(ctx, evs...)
	return db.tx(ctx, func(txn) error { return nil })
}

// GetEvent returns store.ErrNotFound if no event has the id.
func (db *DB) GetEvent(ctx context.Context, id string) (*store.Event, error) {
	return scanEvent(db.r.QueryRowContext(ctx, `SELECT `+eventColumns+` FROM audit_events WHERE id = ?`, id))
}

// ListEvents pages the trail newest first by id. Every condition is on an
// indexed column followed by id, so SQLite walks one index backwards.
func (db *DB) ListEvents(ctx context.Context, q store.EventQuery) ([]*store.Event, bool, error) {
	if q.First < 1 {
		return nil, false, store.Invalidf("first must be at least 1")
	}
	var conds []string
	var args []any
	add := func(cond string, a ...any) { conds = append(conds, cond); args = append(args, a...) }
	f := q.Filter
	if len(f.Types) > 0 {
		add(`type IN (`+placeholders(len(f.Types))+`)`, toAny(f.Types)...)
	}
	if f.ActorID != "" {
		add(`actor_id = ?`, f.ActorID)
	}
	if f.SubjectID != "" {
		add(`subject_id = ?`, f.SubjectID)
	}
	if f.IP != "" {
		add(`ip = ?`, f.IP)
	}
	timeConds(f.At, add)
	if q.After != "" {
		add(`id < ?`, q.After)
	}
	query := `SELECT ` + eventColumns + ` FROM audit_events`
	if len(conds) > 0 {
		query += ` WHERE ` + strings.Join(conds, ` AND `)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	rows, err := db.r.QueryContext(ctx, query, append(args, q.First+1)...)
	if err != nil {
		return nil, false, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, false, mapErr(err)
	}
	more := len(out) > q.First
	return out[:min(len(out), q.First)], more, nil
}

// timeConds adds a time range's bounds on the at column.
func timeConds(r store.TimeRange, add func(string, ...any)) {
	for _, b := range []struct {
		op string
		t  time.Time
	}{{">", r.Gt}, {">=", r.Gte}, {"<", r.Lt}, {"<=", r.Lte}} {
		if !b.t.IsZero() {
			add(`at `+b.op+` ?`, ms(store.Trunc(b.t)))
		}
	}
}

// PurgeEvents deletes the oldest events before t, up to limit.
func (db *DB) PurgeEvents(ctx context.Context, t time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	res, err := db.exec(ctx, `DELETE FROM audit_events WHERE id IN
		(SELECT id FROM audit_events WHERE at < ? ORDER BY at LIMIT ?)`, ms(store.Trunc(t)), limit)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// RelayEvents has nothing to do: events are written in their change's
// transaction.
func (db *DB) RelayEvents(context.Context, int) (int, error) { return 0, nil }
