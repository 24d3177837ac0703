package sqlite

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// CreateSigningKey inserts k.
func (db *DB) CreateSigningKey(ctx context.Context, k *store.SigningKey) error {
	_, err := db.exec(ctx, `INSERT INTO signing_keys
		(id, algorithm, private_key, public_key, created_at, retired_at) VALUES (?, ?, ?, ?, ?, ?)`,
		k.ID, k.Algorithm, k.Private, k.Public, ms(k.CreatedAt), ms(k.RetiredAt))
	return mapErr(err)
}

// ListSigningKeys returns every key, newest first.
func (db *DB) ListSigningKeys(ctx context.Context) ([]*store.SigningKey, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, algorithm, private_key, public_key, created_at, retired_at
		FROM signing_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.SigningKey
	for rows.Next() {
		var k store.SigningKey
		var created, retired int64
		if err := rows.Scan(&k.ID, &k.Algorithm, &k.Private, &k.Public, &created, &retired); err != nil {
			return nil, mapErr(err)
		}
		k.CreatedAt, k.RetiredAt = fromMS(created), fromMS(retired)
		out = append(out, &k)
	}
	return out, mapErr(rows.Err())
}

// RetireSigningKey stops a key from signing.
func (db *DB) RetireSigningKey(ctx context.Context, id string, at time.Time) error {
	return db.execOne(ctx, `UPDATE signing_keys SET retired_at = ? WHERE id = ?`, ms(at), id)
}

// DeleteSigningKey removes a key.
func (db *DB) DeleteSigningKey(ctx context.Context, id string) error {
	return db.execOne(ctx, `DELETE FROM signing_keys WHERE id = ?`, id)
}
