package sqlite

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

const deviceColumns = `id, user_id, token, name, can_access, last_used_at, created_at, version`

func deviceArgs(d *store.Device) []any {
	return []any{d.ID, d.UserID, d.Token, d.Name, boolInt(d.CanAccess), ms(d.LastUsedAt), ms(d.CreatedAt), d.Version}
}

func scanDevice(row scanner) (*store.Device, error) {
	var d store.Device
	var canAccess int
	var used, created int64
	if err := row.Scan(&d.ID, &d.UserID, &d.Token, &d.Name, &canAccess, &used, &created, &d.Version); err != nil {
		return nil, mapErr(err)
	}
	d.CanAccess = canAccess == 1
	d.LastUsedAt, d.CreatedAt = fromMS(used), fromMS(created)
	return &d, nil
}

var devicesTable = table[store.Device]{name: "devices", columns: deviceColumns, scan: scanDevice, args: deviceArgs,
	restamp: func(d *store.Device, id string) { d.ID = id; d.Normalize(); d.Version++ }}

// CreateDevice inserts d; the unique index on (user_id, token) refuses a
// second device with the same token for the user.
func (db *DB) CreateDevice(ctx context.Context, d *store.Device) error {
	d.Normalize()
	_, err := db.exec(ctx, `INSERT INTO devices (`+deviceColumns+`) VALUES (`+placeholders(8)+`)`, deviceArgs(d)...)
	return mapErr(err)
}

// GetDevice returns store.ErrNotFound if no device has the id.
func (db *DB) GetDevice(ctx context.Context, id string) (*store.Device, error) {
	return scanDevice(db.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE id = ?`, id))
}

// GetDeviceByToken finds a user's device through the unique index.
func (db *DB) GetDeviceByToken(ctx context.Context, userID, token string) (*store.Device, error) {
	return scanDevice(db.r.QueryRowContext(ctx, `SELECT `+deviceColumns+` FROM devices WHERE user_id = ? AND token = ?`, userID, token))
}

// ListDevices returns the devices of userIDs, oldest first.
func (db *DB) ListDevices(ctx context.Context, userIDs []string, canAccess *bool) ([]*store.Device, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(userIDs)+1)
	for _, id := range userIDs {
		args = append(args, id)
	}
	q := `SELECT ` + deviceColumns + ` FROM devices WHERE user_id IN (` + placeholders(len(userIDs)) + `)`
	if canAccess != nil {
		q += ` AND can_access = ?`
		args = append(args, boolInt(*canAccess))
	}
	return db.queryDevices(ctx, db.r, q+` ORDER BY created_at, id`, args...)
}

func (db *DB) queryDevices(ctx context.Context, q querier, query string, args ...any) ([]*store.Device, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, mapErr(rows.Err())
}

// UpdateDevice reads, changes and writes a device in one transaction. The
// user and the token are the device's identity: they stay as stored.
func (db *DB) UpdateDevice(ctx context.Context, id string, update func(*store.Device) error) (*store.Device, error) {
	return modify(ctx, db, devicesTable, "id", id, func(d *store.Device) error {
		userID, token, used := d.UserID, d.Token, d.LastUsedAt
		if err := update(d); err != nil {
			return err
		}
		d.UserID, d.Token = userID, token
		if d.LastUsedAt.Before(used) {
			d.LastUsedAt = used
		}
		return nil
	})
}

// DeleteDevice removes one device.
func (db *DB) DeleteDevice(ctx context.Context, id string) error {
	return db.execOne(ctx, `DELETE FROM devices WHERE id = ?`, id)
}

// TrimDevices reads the user's devices and deletes the excess in one
// transaction, so two trims of one user never both count the same device.
func (db *DB) TrimDevices(ctx context.Context, userID string, keep int, except string) ([]string, error) {
	var trimmed []string
	err := db.tx(ctx, func(tx txn) error {
		devices, err := db.queryDevices(ctx, tx, `SELECT `+deviceColumns+` FROM devices WHERE user_id = ?`, userID)
		if err != nil {
			return err
		}
		trimmed = store.DevicesToTrim(devices, keep, except)
		for _, id := range trimmed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM devices WHERE id = ?`, id); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return trimmed, nil
}

// recordDeviceUse moves a device's last use forward (RecordActivity).
func recordDeviceUse(ctx context.Context, tx txn, deviceID string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE devices SET last_used_at = ? WHERE id = ? AND last_used_at < ?`, ms(at), deviceID, ms(at))
	return mapErr(err)
}
