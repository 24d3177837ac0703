package sqlite

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

const webhookColumns = `id, url, events, secret, active, consecutive_failures, failing_since, last_delivery_at, created_at, version`

func webhookArgs(w *store.Webhook) []any {
	return []any{w.ID, w.URL, jsonList(w.Events), w.Secret, boolInt(w.Active), w.ConsecutiveFailures,
		ms(w.FailingSince), ms(w.LastDeliveryAt), ms(w.CreatedAt), w.Version}
}

func scanWebhook(row scanner) (*store.Webhook, error) {
	var w store.Webhook
	var events string
	var failing, last, created int64
	if err := row.Scan(&w.ID, &w.URL, &events, &w.Secret, &w.Active, &w.ConsecutiveFailures,
		&failing, &last, &created, &w.Version); err != nil {
		return nil, mapErr(err)
	}
	w.Events = parseList(events)
	w.FailingSince, w.LastDeliveryAt, w.CreatedAt = fromMS(failing), fromMS(last), fromMS(created)
	return &w, nil
}

var webhooksTable = table[store.Webhook]{name: "webhooks", columns: webhookColumns, scan: scanWebhook, args: webhookArgs,
	restamp: func(w *store.Webhook, id string) { w.ID = id; w.Normalize(); w.Version++ }}

// CreateWebhook inserts w.
func (db *DB) CreateWebhook(ctx context.Context, w *store.Webhook) error {
	w.Normalize()
	_, err := db.exec(ctx, `INSERT INTO webhooks (`+webhookColumns+`) VALUES (`+placeholders(10)+`)`, webhookArgs(w)...)
	return mapErr(err)
}

// GetWebhook returns store.ErrNotFound if no webhook has the id.
func (db *DB) GetWebhook(ctx context.Context, id string) (*store.Webhook, error) {
	return scanWebhook(db.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
}

// ListWebhooks returns every webhook, oldest first.
func (db *DB) ListWebhooks(ctx context.Context) ([]*store.Webhook, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks ORDER BY created_at, id`)
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

// UpdateWebhook reads, changes and writes a webhook in one transaction.
func (db *DB) UpdateWebhook(ctx context.Context, id string, update func(*store.Webhook) error) (*store.Webhook, error) {
	return modify(ctx, db, webhooksTable, "id", id, update)
}

// DeleteWebhook removes a webhook and its deliveries.
func (db *DB) DeleteWebhook(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE id = ?`, id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE webhook_id = ?`, id)
		return mapErr(err)
	})
}

const deliveryColumns = `id, webhook_id, event_id, event_type, attempt, status, error, at, delivered`

func scanDelivery(row scanner) (*store.WebhookDelivery, error) {
	var d store.WebhookDelivery
	var at int64
	if err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.Attempt, &d.Status, &d.Error, &at, &d.Delivered); err != nil {
		return nil, mapErr(err)
	}
	d.At = fromMS(at)
	return &d, nil
}

// AddWebhookDelivery records one attempt.
func (db *DB) AddWebhookDelivery(ctx context.Context, d *store.WebhookDelivery) error {
	d.At = store.Trunc(d.At)
	_, err := db.exec(ctx, `INSERT INTO webhook_deliveries (`+deliveryColumns+`) VALUES (`+placeholders(9)+`)`,
		d.ID, d.WebhookID, d.EventID, d.EventType, d.Attempt, d.Status, d.Error, ms(d.At), boolInt(d.Delivered))
	return mapErr(err)
}

// GetWebhookDelivery returns store.ErrNotFound if no delivery has the id.
func (db *DB) GetWebhookDelivery(ctx context.Context, id string) (*store.WebhookDelivery, error) {
	return scanDelivery(db.r.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = ?`, id))
}

// ListWebhookDeliveries pages deliveries newest first by id.
func (db *DB) ListWebhookDeliveries(ctx context.Context, webhookID string, first int, after string) ([]*store.WebhookDelivery, bool, error) {
	if first < 1 {
		return nil, false, store.Invalidf("first must be at least 1")
	}
	q := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE (? = '' OR webhook_id = ?) AND (? = '' OR id < ?)
		ORDER BY id DESC LIMIT ?`
	rows, err := db.r.QueryContext(ctx, q, webhookID, webhookID, after, after, first+1)
	if err != nil {
		return nil, false, mapErr(err)
	}
	defer rows.Close()
	var out []*store.WebhookDelivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, false, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, false, mapErr(err)
	}
	return out[:min(len(out), first)], len(out) > first, nil
}

// PurgeWebhookDeliveries deletes up to limit deliveries older than t.
func (db *DB) PurgeWebhookDeliveries(ctx context.Context, t time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, nil
	}
	res, err := db.exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN
		(SELECT id FROM webhook_deliveries WHERE at < ? ORDER BY at LIMIT ?)`, ms(store.Trunc(t)), limit)
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
