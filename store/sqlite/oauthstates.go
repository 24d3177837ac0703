package sqlite

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// The states of redirect flows. Consuming one is a DELETE … RETURNING: one
// statement under the single writer (and SQLite's write lock across
// processes), so of concurrent consumers exactly one gets the row.

const oauthStateColumns = `hash, provider, action, verifier, nonce, redirect_uri, user_id, device_token, created_at, expires_at`

func scanOAuthState(row scanner) (*store.OAuthState, error) {
	var s store.OAuthState
	var action string
	var created, expires int64
	if err := row.Scan(&s.Hash, &s.Provider, &action, &s.Verifier, &s.Nonce, &s.RedirectURI, &s.UserID, &s.DeviceToken,
		&created, &expires); err != nil {
		return nil, mapErr(err)
	}
	s.Action = store.OAuthAction(action)
	s.CreatedAt, s.ExpiresAt = fromMS(created), fromMS(expires)
	return &s, nil
}

// CreateOAuthState inserts s.
func (db *DB) CreateOAuthState(ctx context.Context, s *store.OAuthState) error {
	if s.Hash == "" {
		return store.Invalidf("an OAuth state needs a hash")
	}
	s.Normalize()
	return db.tx(ctx, func(tx txn) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO oauth_states (`+oauthStateColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.Hash, s.Provider, string(s.Action), s.Verifier, s.Nonce, s.RedirectURI, s.UserID, s.DeviceToken,
			ms(s.CreatedAt), ms(s.ExpiresAt))
		return mapErr(err)
	})
}

// ConsumeOAuthState deletes the state and returns what it held.
func (db *DB) ConsumeOAuthState(ctx context.Context, hash string) (*store.OAuthState, error) {
	var out *store.OAuthState
	err := db.tx(ctx, func(tx txn) error {
		s, err := scanOAuthState(tx.QueryRowContext(ctx, `DELETE FROM oauth_states WHERE hash = ? RETURNING `+oauthStateColumns, hash))
		out = s
		return err
	})
	return out, err
}

// PurgeOAuthStates deletes the states that expired before t.
func (db *DB) PurgeOAuthStates(ctx context.Context, t time.Time) (int, error) {
	var n int64
	err := db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM oauth_states WHERE expires_at < ?`, ms(t))
		if err != nil {
			return mapErr(err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
