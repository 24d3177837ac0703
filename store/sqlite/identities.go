package sqlite

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/store"
)

// Identities of social sign-in, a table of their own (0015_social.sql):
// its primary key makes a provider account one user's at most, and each
// write is one transaction under the single writer, so "the user exists"
// and "never the last way to sign in" are checked in the same transaction
// as the write they guard.

const identityColumns = `user_id, provider, subject, email, linked_at`

func scanIdentity(row scanner) (*store.Identity, error) {
	var i store.Identity
	var linked int64
	if err := row.Scan(&i.UserID, &i.Provider, &i.Subject, &i.Email, &linked); err != nil {
		return nil, mapErr(err)
	}
	i.LinkedAt = fromMS(linked)
	return &i, nil
}

// CreateIdentity inserts the identity if its user exists.
func (db *DB) CreateIdentity(ctx context.Context, id *store.Identity) error {
	if id.UserID == "" || id.Provider == "" || id.Subject == "" {
		return store.Invalidf("an identity needs a user, a provider and a subject")
	}
	id.Normalize()
	return db.tx(ctx, func(tx txn) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE id = ?`, id.UserID).Scan(&one); err != nil {
			return mapErr(err)
		}
		// The account taken is told before the provider taken, whichever
		// constraint SQLite happens to check first.
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM identities WHERE provider = ? AND subject = ?`, id.Provider, id.Subject).Scan(&one)
		if err == nil {
			return store.AlreadyExists(store.FieldIdentity)
		}
		if err = mapErr(err); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO identities (`+identityColumns+`) VALUES (?, ?, ?, ?, ?)`,
			id.UserID, id.Provider, id.Subject, id.Email, ms(id.LinkedAt))
		return mapErr(err)
	})
}

// GetIdentity returns store.ErrNotFound if no user has the provider account.
func (db *DB) GetIdentity(ctx context.Context, provider, subject string) (*store.Identity, error) {
	return scanIdentity(db.r.QueryRowContext(ctx,
		`SELECT `+identityColumns+` FROM identities WHERE provider = ? AND subject = ?`, provider, subject))
}

// ListIdentities returns the identities of the users.
func (db *DB) ListIdentities(ctx context.Context, userIDs []string) ([]*store.Identity, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	return queryIdentities(ctx, db.r, `SELECT `+identityColumns+` FROM identities WHERE user_id IN (`+
		placeholders(len(userIDs))+`) ORDER BY user_id, linked_at, provider`, toAny(userIDs)...)
}

func queryIdentities(ctx context.Context, q querier, query string, args ...any) ([]*store.Identity, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Identity
	for rows.Next() {
		i, err := scanIdentity(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, i)
	}
	return out, mapErr(rows.Err())
}

// DeleteIdentity reads the user and its identities, asks check and
// deletes, in one transaction.
func (db *DB) DeleteIdentity(ctx context.Context, userID, provider string, check func(*store.User, []*store.Identity) error) error {
	return db.tx(ctx, func(tx txn) error {
		u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, userID))
		if err != nil {
			return err
		}
		all, err := queryIdentities(ctx, tx, `SELECT `+identityColumns+` FROM identities WHERE user_id = ? ORDER BY linked_at, provider`, userID)
		if err != nil {
			return err
		}
		var remaining []*store.Identity
		for _, i := range all {
			if i.Provider != provider {
				remaining = append(remaining, i)
			}
		}
		if len(remaining) == len(all) {
			return store.ErrNotFound
		}
		if err := check(u, remaining); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM identities WHERE user_id = ? AND provider = ?`, userID, provider)
		return mapErr(err)
	})
}
