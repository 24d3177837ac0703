package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/usergraph/usergraph/store"
)

// CreateUser inserts u.
func (db *DB) CreateUser(ctx context.Context, u *store.User) error {
	u.Normalize()
	_, err := db.exec(ctx, `INSERT INTO users (`+userColumns+`) VALUES (`+userPlaceholders+`)`, userArgs(u)...)
	return mapErr(err)
}

// CreateUsers inserts users in transactions of up to 1,000 rows through one
// prepared statement: the seeding path for large populations.
func (db *DB) CreateUsers(ctx context.Context, users []*store.User) error {
	const batch = 1000
	for start := 0; start < len(users); start += batch {
		chunk := users[start:min(start+batch, len(users))]
		err := db.tx(ctx, func(tx txn) error {
			stmt, err := tx.PrepareContext(ctx, `INSERT INTO users (`+userColumns+`) VALUES (`+userPlaceholders+`)`)
			if err != nil {
				return mapErr(err)
			}
			defer stmt.Close()
			for _, u := range chunk {
				u.Normalize()
				if _, err := stmt.ExecContext(ctx, userArgs(u)...); err != nil {
					return mapErr(err)
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// GetUser returns store.ErrNotFound if no user has the id.
func (db *DB) GetUser(ctx context.Context, id string) (*store.User, error) {
	return scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
}

// GetUsers returns the existing users among ids.
func (db *DB) GetUsers(ctx context.Context, ids []string) ([]*store.User, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT ` + userColumns + ` FROM users WHERE id IN (` + placeholders(len(ids)) + `)`
	return db.queryUsers(ctx, db.r, q, args...)
}

// GetUserByKey finds a user by a normalized unique key.
func (db *DB) GetUserByKey(ctx context.Context, field store.KeyField, key string) (*store.User, error) {
	col, ok := map[store.KeyField]string{
		store.KeyUsername: "username_key",
		store.KeyEmail:    "email_key",
		store.KeyPhone:    "phone_key",
	}[field]
	if !ok || key == "" {
		return nil, store.ErrNotFound
	}
	return scanUser(db.r.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE `+col+` = ?`, key))
}

// UpdateUser reads, changes and writes a user in one transaction.
func (db *DB) UpdateUser(ctx context.Context, id string, update func(*store.User) error) (*store.User, error) {
	return modify(ctx, db, usersTable, "id", id, update)
}

// DeleteUser removes the user with its sessions, refresh tokens, devices
// avatars and identities.
func (db *DB) DeleteUser(ctx context.Context, id string) error {
	return db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return deleteUserData(ctx, tx, `= ?`, id)
	})
}

// deleteUserData removes sessions, refresh tokens, devices, avatars and
// identities of the users selected by cond (an SQL comparison on user_id,
// e.g. "= ?" or "IN (...)").
func deleteUserData(ctx context.Context, tx txn, cond string, args ...any) error {
	for _, table := range []string{"refresh_tokens", "sessions", "devices", "avatars", "identities"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE user_id `+cond, args...); err != nil {
			return mapErr(err)
		}
	}
	return nil
}

// RecordActivity moves last-seen times forward in one transaction.
func (db *DB) RecordActivity(ctx context.Context, batch []store.Activity) error {
	if len(batch) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx txn) error {
		for _, a := range batch {
			at := ms(a.At)
			if a.SessionID != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?`, at, a.SessionID, at); err != nil {
					return mapErr(err)
				}
			}
			if a.UserID != "" {
				if _, err := tx.ExecContext(ctx, `UPDATE users SET last_request_at = ? WHERE id = ? AND last_request_at < ?`, at, a.UserID, at); err != nil {
					return mapErr(err)
				}
			}
			if a.DeviceID != "" {
				if err := recordDeviceUse(ctx, tx, a.DeviceID, a.At); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (db *DB) queryUsers(ctx context.Context, q querier, query string, args ...any) ([]*store.User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var users []*store.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, mapErr(rows.Err())
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
