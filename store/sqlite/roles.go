package sqlite

import (
	"context"
	"encoding/json"

	"github.com/usergraph/usergraph/store"
)

const roleColumns = `id, name, description, permissions, built_in, created_at, updated_at, version`

func roleArgs(r *store.Role) []any {
	perms := r.Permissions
	if perms == nil {
		perms = []store.Permission{}
	}
	b, _ := json.Marshal(perms)
	return []any{r.ID, r.Name, r.Description, string(b), boolInt(r.BuiltIn),
		ms(r.CreatedAt), ms(r.UpdatedAt), r.Version}
}

func scanRole(row scanner) (*store.Role, error) {
	var r store.Role
	var perms string
	var builtIn int
	var created, updated int64
	if err := row.Scan(&r.ID, &r.Name, &r.Description, &perms, &builtIn, &created, &updated, &r.Version); err != nil {
		return nil, mapErr(err)
	}
	r.Permissions = []store.Permission{}
	if err := json.Unmarshal([]byte(perms), &r.Permissions); err != nil {
		return nil, mapErr(err)
	}
	for i := range r.Permissions {
		if r.Permissions[i].Verbs == nil {
			r.Permissions[i].Verbs = []store.Verb{}
		}
	}
	r.BuiltIn = builtIn == 1
	r.CreatedAt, r.UpdatedAt = fromMS(created), fromMS(updated)
	return &r, nil
}

// CreateRole inserts r.
func (db *DB) CreateRole(ctx context.Context, r *store.Role) error {
	r.Normalize()
	_, err := db.exec(ctx, `INSERT INTO roles (`+roleColumns+`) VALUES (`+placeholders(8)+`)`, roleArgs(r)...)
	return mapErr(err)
}

// GetRole returns store.ErrNotFound if no role has the name.
func (db *DB) GetRole(ctx context.Context, name string) (*store.Role, error) {
	return scanRole(db.r.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles WHERE name = ?`, name))
}

// ListRoles returns every role ordered by name.
func (db *DB) ListRoles(ctx context.Context) ([]*store.Role, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles ORDER BY name`)
	if err != nil {
		return nil, mapErr(err)
	}
	defer rows.Close()
	var out []*store.Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, mapErr(rows.Err())
}

// UpdateRole reads, changes and writes a role in one transaction.
func (db *DB) UpdateRole(ctx context.Context, name string, update func(*store.Role) error) (*store.Role, error) {
	return modify(ctx, db, rolesTable, "name", name, update)
}

// DeleteRole removes a role by name.
func (db *DB) DeleteRole(ctx context.Context, name string) error {
	return db.execOne(ctx, `DELETE FROM roles WHERE name = ?`, name)
}
