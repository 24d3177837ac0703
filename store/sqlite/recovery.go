package sqlite

import (
	"context"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Recovery tokens and throttle turns. Every write is one statement or one
// transaction under the single writer (and SQLite's write lock across
// processes), so "used once" and "one turn per interval" are conditional
// UPDATEs that either match or do not.

const recoveryTokenColumns = `id, purpose, subject, hash, user_id, email, created_at, expires_at, used_at, failures`

func scanRecoveryToken(row scanner) (*store.RecoveryToken, error) {
	var t store.RecoveryToken
	var purpose string
	var created, expires, used int64
	if err := row.Scan(&t.ID, &purpose, &t.Subject, &t.Hash, &t.UserID, &t.Email, &created, &expires, &used, &t.Failures); err != nil {
		return nil, mapErr(err)
	}
	t.Purpose = store.TokenPurpose(purpose)
	t.CreatedAt, t.ExpiresAt, t.UsedAt = fromMS(created), fromMS(expires), fromMS(used)
	return &t, nil
}

// PutRecoveryToken replaces the subject's token of the purpose in one
// transaction: the delete and the insert commit together or not at all.
func (db *DB) PutRecoveryToken(ctx context.Context, t *store.RecoveryToken) error {
	if t.ID == "" || t.Purpose == "" || t.Subject == "" || t.Hash == "" {
		return store.Invalidf("a recovery token needs an id, a purpose, a subject and a hash")
	}
	t.Normalize()
	t.UsedAt, t.Failures = time.Time{}, 0
	return db.tx(ctx, func(tx txn) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_tokens WHERE purpose = ? AND subject = ?`,
			string(t.Purpose), t.Subject); err != nil {
			return mapErr(err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO recovery_tokens (`+recoveryTokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0)`,
			t.ID, string(t.Purpose), t.Subject, t.Hash, t.UserID, t.Email, ms(t.CreatedAt), ms(t.ExpiresAt))
		return mapErr(err)
	})
}

// GetRecoveryToken returns store.ErrNotFound if the subject has no token
// of the purpose.
func (db *DB) GetRecoveryToken(ctx context.Context, purpose store.TokenPurpose, subject string) (*store.RecoveryToken, error) {
	return scanRecoveryToken(db.r.QueryRowContext(ctx,
		`SELECT `+recoveryTokenColumns+` FROM recovery_tokens WHERE purpose = ? AND subject = ?`, string(purpose), subject))
}

// FindRecoveryToken returns store.ErrNotFound if no token of the purpose
// has the hash.
func (db *DB) FindRecoveryToken(ctx context.Context, purpose store.TokenPurpose, hash string) (*store.RecoveryToken, error) {
	if hash == "" {
		return nil, store.ErrNotFound
	}
	return scanRecoveryToken(db.r.QueryRowContext(ctx,
		`SELECT `+recoveryTokenColumns+` FROM recovery_tokens WHERE hash = ? AND purpose = ?`, hash, string(purpose)))
}

// UseRecoveryToken sets used_at where it is still 0: one statement, so
// exactly one caller matches.
func (db *DB) UseRecoveryToken(ctx context.Context, id string, at time.Time) error {
	return db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, `UPDATE recovery_tokens SET used_at = ? WHERE id = ? AND used_at = 0`,
			ms(store.Trunc(at)), id)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return nil
		}
		return db.missingOrUsed(ctx, tx, id)
	})
}

// missingOrUsed tells ErrNotFound from ErrConflict after a write that
// matched nothing.
func (db *DB) missingOrUsed(ctx context.Context, tx txn, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM recovery_tokens WHERE id = ?`, id).Scan(&n); err != nil {
		return mapErr(err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// FailRecoveryToken counts a wrong try, and burns the token at the limit,
// in one UPDATE.
func (db *DB) FailRecoveryToken(ctx context.Context, id string, at time.Time, limit int) (int, error) {
	if limit < 1 {
		return 0, store.Invalidf("the limit of wrong tries must be at least 1")
	}
	var failures int
	err := db.tx(ctx, func(tx txn) error {
		err := tx.QueryRowContext(ctx, `UPDATE recovery_tokens
			SET failures = failures + 1,
			    used_at = CASE WHEN failures + 1 >= ? AND used_at = 0 THEN ? ELSE used_at END
			WHERE id = ? AND failures < ?
			RETURNING failures`, limit, ms(store.Trunc(at)), id, limit).Scan(&failures)
		if err == nil {
			return nil
		}
		if err = mapErr(err); err != store.ErrNotFound {
			return err
		}
		if err := db.missingOrUsed(ctx, tx, id); err != store.ErrConflict {
			return err
		}
		failures = limit // at the limit already: nothing more to count
		return nil
	})
	return failures, err
}

// PurgeRecoveryTokens deletes the tokens that expired before t.
func (db *DB) PurgeRecoveryTokens(ctx context.Context, t time.Time) (int, error) {
	res, err := db.exec(ctx, `DELETE FROM recovery_tokens WHERE expires_at < ?`, ms(store.Trunc(t)))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// TakeTurn inserts the key's turn, or moves it to now only where the last
// one is at least interval old: one statement, which returns the row only
// when it wrote it.
func (db *DB) TakeTurn(ctx context.Context, key string, now time.Time, interval time.Duration) (bool, time.Time, error) {
	if key == "" || interval <= 0 {
		return false, time.Time{}, store.Invalidf("a turn needs a key and a positive interval")
	}
	at := ms(store.Trunc(now))
	var granted bool
	var last int64
	err := db.tx(ctx, func(tx txn) error {
		var got string
		err := tx.QueryRowContext(ctx, `INSERT INTO throttle_turns (key, last_at) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET last_at = excluded.last_at WHERE last_at <= ?
			RETURNING key`, key, at, at-interval.Milliseconds()).Scan(&got)
		if err == nil {
			granted = true
			return nil
		}
		if err = mapErr(err); err != store.ErrNotFound {
			return err
		}
		return mapErr(tx.QueryRowContext(ctx, `SELECT last_at FROM throttle_turns WHERE key = ?`, key).Scan(&last))
	})
	if err != nil || granted {
		return granted, time.Time{}, err
	}
	return false, fromMS(last).Add(interval), nil
}

// PurgeTurns deletes the turns taken before t.
func (db *DB) PurgeTurns(ctx context.Context, t time.Time) (int, error) {
	res, err := db.exec(ctx, `DELETE FROM throttle_turns WHERE last_at < ?`, ms(store.Trunc(t)))
	if err != nil {
		return 0, err
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
