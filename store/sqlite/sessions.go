package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/usergraph/usergraph/store"
)

const sessionColumns = `id, user_id, kind, device_id, user_agent, ip, created_at, last_seen_at, expires_at, revoked_at, version,
	application_id`

func sessionArgs(s *store.Session) []any {
	return []any{s.ID, s.UserID, string(s.Kind), s.DeviceID, s.UserAgent, s.IP,
		ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt), ms(s.RevokedAt), s.Version, s.ApplicationID}
}

func scanSession(row scanner) (*store.Session, error) {
	var s store.Session
	var kind string
	var created, seen, expires, revoked int64
	if err := row.Scan(&s.ID, &s.UserID, &kind, &s.DeviceID, &s.UserAgent, &s.IP,
		&created, &seen, &expires, &revoked, &s.Version, &s.ApplicationID); err != nil {
		return nil, mapErr(err)
	}
	s.Kind = store.SessionKind(kind)
	s.CreatedAt, s.LastSeenAt = fromMS(created), fromMS(seen)
	s.ExpiresAt, s.RevokedAt = fromMS(expires), fromMS(revoked)
	return &s, nil
}

// CreateSession inserts s and its tokens in one transaction.
func (db *DB) CreateSession(ctx context.Context, s *store.Session, tokens ...*store.RefreshToken) error {
	s.Normalize()
	return db.tx(ctx, func(tx txn) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionColumns+`) VALUES (`+placeholders(12)+`)`, sessionArgs(s)...); err != nil {
			return mapErr(err)
		}
		for _, t := range tokens {
			if _, err := tx.ExecContext(ctx, insertToken, tokenArgs(t)...); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
}

// GetSession returns store.ErrNotFound if no session has the id.
func (db *DB) GetSession(ctx context.Context, id string) (*store.Session, error) {
	return scanSession(db.r.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id))
}

// ListSessions returns the live sessions of userIDs, oldest first.
func (db *DB) ListSessions(ctx context.Context, userIDs []string, now time.Time) ([]*store.Session, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	args := make([]any, 0, len(userIDs)+1)
	for _, id := range userIDs {
		args = append(args, id)
	}
	args = append(args, ms(now))
	rows, err := db.r.QueryContext(ctx, `SELECT `+sessionColumns+` FROM sessions
		WHERE user_id IN (`+placeholders(len(userIDs))+`) AND revoked_at = 0 AND expires_at > ?
		ORDER BY created_at, id`, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Session
	for rows.Next() {
		s, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, mapErr(rows.Err())
}

// UpdateSession reads, changes and writes a session in one transaction.
func (db *DB) UpdateSession(ctx context.Context, id string, update func(*store.Session) error) (*store.Session, error) {
	return modify(ctx, db, sessionsTable, "id", id, update)
}

// RevokeSession ends one session; an already revoked one keeps its time.
func (db *DB) RevokeSession(ctx context.Context, id string, at time.Time) error {
	return db.execOne(ctx, `UPDATE sessions SET
		revoked_at = CASE WHEN revoked_at = 0 THEN ? ELSE revoked_at END,
		version = version + 1 WHERE id = ?`, ms(at), id)
}

// RevokeSessions ends every live session of the users (on the devices, if
// named) except one.
func (db *DB) RevokeSessions(ctx context.Context, r store.SessionRevocation) ([]string, error) {
	if len(r.UserIDs) == 0 {
		return nil, nil
	}
	args := []any{ms(r.At)}
	for _, id := range r.UserIDs {
		args = append(args, id)
	}
	args = append(args, r.ExceptID)
	onDevices := ""
	if len(r.DeviceIDs) > 0 {
		onDevices = ` AND device_id IN (` + placeholders(len(r.DeviceIDs)) + `)`
		for _, id := range r.DeviceIDs {
			args = append(args, id)
		}
	}
	var ids []string
	err := db.tx(ctx, func(tx txn) error {
		rows, err := tx.QueryContext(ctx, `UPDATE sessions SET revoked_at = ?, version = version + 1
			WHERE user_id IN (`+placeholders(len(r.UserIDs))+`) AND revoked_at = 0 AND id <> ?`+onDevices+`
			RETURNING id`, args...)
		if err != nil {
			return mapErr(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return mapErr(err)
			}
			ids = append(ids, id)
		}
		return mapErr(rows.Err())
	})
	return ids, err
}

const insertToken = `INSERT INTO refresh_tokens
	(hash, session_id, user_id, created_at, expires_at, consumed_at, successor) VALUES (?, ?, ?, ?, ?, ?, ?)`

func tokenArgs(t *store.RefreshToken) []any {
	return []any{t.Hash, t.SessionID, t.UserID, ms(t.CreatedAt), ms(t.ExpiresAt), ms(t.ConsumedAt), t.Successor}
}

// CreateRefreshToken inserts t.
func (db *DB) CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error {
	_, err := db.exec(ctx, insertToken, tokenArgs(t)...)
	return mapErr(err)
}

// GetRefreshToken returns store.ErrNotFound if no token has the hash.
func (db *DB) GetRefreshToken(ctx context.Context, hash string) (*store.RefreshToken, error) {
	var t store.RefreshToken
	var created, expires, consumed int64
	err := db.r.QueryRowContext(ctx, `SELECT hash, session_id, user_id, created_at, expires_at, consumed_at, successor
		FROM refresh_tokens WHERE hash = ?`, hash).Scan(&t.Hash, &t.SessionID, &t.UserID, &created, &expires, &consumed, &t.Successor)
	if err != nil {
		return nil, mapErr(err)
	}
	t.CreatedAt, t.ExpiresAt, t.ConsumedAt = fromMS(created), fromMS(expires), fromMS(consumed)
	return &t, nil
}

// RotateRefreshToken consumes the current token (a compare-and-swap on
// consumed_at, recording its successor) and inserts the successor in one
// transaction.
func (db *DB) RotateRefreshToken(ctx context.Context, hash, nextHash string, at time.Time) (*store.RefreshToken, error) {
	next := &store.RefreshToken{Hash: nextHash, CreatedAt: store.Trunc(at)}
	err := db.tx(ctx, func(tx txn) error {
		var expires int64
		err := tx.QueryRowContext(ctx, `UPDATE refresh_tokens SET consumed_at = ?, successor = ?
			WHERE hash = ? AND consumed_at = 0
			RETURNING session_id, user_id, expires_at`, ms(at), nextHash, hash).Scan(&next.SessionID, &next.UserID, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			return consumedOrMissing(ctx, tx, hash)
		}
		if err != nil {
			return mapErr(err)
		}
		next.ExpiresAt = fromMS(expires)
		_, err = tx.ExecContext(ctx, insertToken, tokenArgs(next)...)
		return mapErr(err)
	})
	if err != nil {
		return nil, err
	}
	return next, nil
}

// consumedOrMissing tells why a token could not be consumed.
func consumedOrMissing(ctx context.Context, tx txn, hash string) error {
	var exists int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM refresh_tokens WHERE hash = ?`, hash).Scan(&exists); err != nil {
		return mapErr(err)
	}
	if exists == 0 {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// purgeBatch is how many sessions one purge transaction deletes, so the
// writer is never held for long.
const purgeBatch = 500

// The statements of one purge batch: the expired tokens of the batch's
// users, then the batch. Both read sessions by sessions_expires and tokens
// by refresh_tokens_user (TestPurgeQueryPlan).
const (
	purgeTokens = `DELETE FROM refresh_tokens WHERE expires_at < ? AND user_id IN
		(SELECT user_id FROM sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`
	purgeSessions = `DELETE FROM sessions WHERE id IN
		(SELECT id FROM sessions WHERE expires_at < ? ORDER BY expires_at LIMIT ?)`
)

// PurgeSessions deletes expired sessions a batch at a time. Every token of a
// session expires with it, so the tokens of a batch are the expired ones of
// its users (found by the user index; refresh_tokens has no expiry index).
func (db *DB) PurgeSessions(ctx context.Context, t time.Time) (int, error) {
	cutoff := ms(t)
	total := 0
	for {
		var n int64
		err := db.tx(ctx, func(tx txn) error {
			if _, err := tx.ExecContext(ctx, purgeTokens, cutoff, cutoff, purgeBatch); err != nil {
				return mapErr(err)
			}
			res, err := tx.ExecContext(ctx, purgeSessions, cutoff, purgeBatch)
			if err != nil {
				return mapErr(err)
			}
			n, err = res.RowsAffected()
			return mapErr(err)
		})
		total += int(n)
		if err != nil || n < purgeBatch {
			return total, err
		}
	}
}
