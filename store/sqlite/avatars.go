package sqlite

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

// PutAvatar inserts a; an id stored already keeps its row (ids are
// derived from the image and its owner, so the row is the same).
func (db *DB) PutAvatar(ctx context.Context, a *store.Avatar) error {
	a.Normalize()
	_, err := db.exec(ctx, `INSERT INTO avatars (id, user_id, content_type, data, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, a.ID, a.UserID, a.ContentType, a.Data, ms(a.CreatedAt))
	return mapErr(err)
}

// GetAvatar returns store.ErrNotFound if no avatar has the id.
func (db *DB) GetAvatar(ctx context.Context, id string) (*store.Avatar, error) {
	var a store.Avatar
	var created int64
	err := db.r.QueryRowContext(ctx, `SELECT id, user_id, content_type, data, created_at FROM avatars WHERE id = ?`, id).
		Scan(&a.ID, &a.UserID, &a.ContentType, &a.Data, &created)
	if err != nil {
		return nil, mapErr(err)
	}
	a.CreatedAt = fromMS(created)
	return &a, nil
}

// DeleteAvatar removes the user's avatar with the id.
func (db *DB) DeleteAvatar(ctx context.Context, userID, id string) error {
	res, err := db.exec(ctx, `DELETE FROM avatars WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return mapErr(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}
