package sqlite

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

const applicationColumns = `id, name, description, client_id, secret_hash, secret_since, roles, created_at, updated_at, last_used_at, version`

func applicationArgs(a *store.Application) []any {
	return []any{a.ID, a.Name, a.Description, a.ClientID, a.SecretHash, ms(a.SecretSince), jsonList(a.Roles),
		ms(a.CreatedAt), ms(a.UpdatedAt), ms(a.LastUsedAt), a.Version}
}

func scanApplication(row scanner) (*store.Application, error) {
	var a store.Application
	var roles string
	var since, created, updated, used int64
	if err := row.Scan(&a.ID, &a.Name, &a.Description, &a.ClientID, &a.SecretHash, &since, &roles,
		&created, &updated, &used, &a.Version); err != nil {
		return nil, mapErr(err)
	}
	a.Roles = parseList(roles)
	a.SecretSince, a.CreatedAt, a.UpdatedAt, a.LastUsedAt = fromMS(since), fromMS(created), fromMS(updated), fromMS(used)
	return &a, nil
}

var applicationsTable = table[store.Application]{name: "applications", columns: applicationColumns,
	scan: scanApplication, args: applicationArgs,
	restamp: func(a *store.Application, id string) { a.ID = id; a.Normalize(); a.Version++ }}

// CreateApplication inserts a; the unique index refuses a taken client id.
func (db *DB) CreateApplication(ctx context.Context, a *store.Application) error {
	a.Normalize()
	_, err := db.exec(ctx, `INSERT INTO applications (`+applicationColumns+`) VALUES (`+placeholders(11)+`)`, applicationArgs(a)...)
	return mapErr(err)
}

// GetApplication returns store.ErrNotFound if no application has the id.
func (db *DB) GetApplication(ctx context.Context, id string) (*store.Application, error) {
	return scanApplication(db.r.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE id = ?`, id))
}

// GetApplicationByClientID finds an application through the unique index.
func (db *DB) GetApplicationByClientID(ctx context.Context, clientID string) (*store.Application, error) {
	return scanApplication(db.r.QueryRowContext(ctx, `SELECT `+applicationColumns+` FROM applications WHERE client_id = ?`, clientID))
}

// ListApplications returns every application, oldest first.
func (db *DB) ListApplications(ctx context.Context) ([]*store.Application, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+applicationColumns+` FROM applications ORDER BY created_at, id`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Application
	for rows.Next() {
		a, err := scanApplication(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, mapErr(rows.Err())
}

// UpdateApplication reads, changes and writes an application in one
// transaction; the client id stays, the last use only moves forward.
func (db *DB) UpdateApplication(ctx context.Context, id string, update func(*store.Application) error) (*store.Application, error) {
	return modify(ctx, db, applicationsTable, "id", id, func(a *store.Application) error {
		clientID, used := a.ClientID, a.LastUsedAt
		if err := update(a); err != nil {
			return err
		}
		a.ClientID = clientID
		if a.LastUsedAt.Before(used) {
			a.LastUsedAt = used
		}
		return nil
	})
}

// DeleteApplication removes one application.
func (db *DB) DeleteApplication(ctx context.Context, id string) error {
	return db.execOne(ctx, `DELETE FROM applications WHERE id = ?`, id)
}
