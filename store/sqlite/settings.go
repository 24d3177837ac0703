package sqlite

import "context"

// GetSetting returns store.ErrNotFound if name was never set.
func (db *DB) GetSetting(ctx context.Context, name string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE name = ?`, name).Scan(&v)
	return v, mapErr(err)
}

// CreateSetting sets a value once; the primary key makes the first writer win.
func (db *DB) CreateSetting(ctx context.Context, name, value string) error {
	_, err := db.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)`, name, value)
	return mapErr(err)
}

// PutSetting sets or replaces a value.
func (db *DB) PutSetting(ctx context.Context, name, value string) error {
	_, err := db.exec(ctx, `INSERT INTO settings (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value`, name, value)
	return mapErr(err)
}

// DeleteSetting removes a value if present.
func (db *DB) DeleteSetting(ctx context.Context, name string) error {
	_, err := db.exec(ctx, `DELETE FROM settings WHERE name = ?`, name)
	return mapErr(err)
}
