package sqlite

import (
	"context"
	"fmt"
	"strings"

	"github.com/usergraph/usergraph/store"
)

// Path indexes are named users_<column>_<path>; any index of that form is
// this file's to create, replace or drop.
var pathIndexPrefixes = []string{"users_metadata_", "users_app_metadata_"}

// pathIndex returns the name and the CREATE statement of the index of a
// declared metadata path. After the value comes its JSON type, which the
// compiled filter tests by equality (type = 'text'), then the default order,
// then deleted_at, which the admin API tests by default: a filtered page is
// read in order from the index, and a count never touches the table (a
// covering index).
func pathIndex(p store.IndexedPath) (name, stmt string, err error) {
	col, expr, err := pathExpr(p.AppMetadata, p.Path)
	if err != nil {
		return "", "", err
	}
	name = "users_" + col + "_" + strings.NewReplacer(".", "_", "-", "_").Replace(p.Path)
	stmt = fmt.Sprintf(`CREATE INDEX %q ON users (json_extract(%s), json_type(%s), created_at, id, deleted_at)`, name, expr, expr)
	return name, stmt, nil
}

// syncPathIndexes makes the path indexes match the declared paths: it
// creates missing ones, rebuilds those whose definition changed, and drops
// those no longer declared (each index costs every write of a user).
func (db *DB) syncPathIndexes(ctx context.Context, paths []store.IndexedPath) error {
	want := map[string]string{}
	for _, p := range paths {
		name, stmt, err := pathIndex(p)
		if err != nil {
			return err
		}
		want[name] = stmt
	}
	have, err := db.pathIndexes(ctx)
	if err != nil {
		return err
	}
	for name, stmt := range have {
		if want[name] != stmt {
			if _, err := db.w.ExecContext(ctx, fmt.Sprintf(`DROP INDEX %q`, name)); err != nil {
				return fmt.Errorf("sqlite: drop index %s: %w", name, err)
			}
		}
	}
	for name, stmt := range want {
		if have[name] != stmt {
			if _, err := db.w.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlite: index %s: %w", name, err)
			}
		}
	}
	// Let SQLite refresh its planner statistics where they are missing or
	// stale; cheap when nothing changed, unlike a full ANALYZE.
	if _, err := db.w.ExecContext(ctx, `PRAGMA optimize=0x10002`); err != nil {
		return fmt.Errorf("sqlite: optimize: %w", err)
	}
	return nil
}

// pathIndexes returns the existing path indexes and their definitions.
func (db *DB) pathIndexes(ctx context.Context) (map[string]string, error) {
	rows, err := db.w.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'users'`)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list indexes: %w", err)
	}
	defer rows.Close()
	have := map[string]string{}
	for rows.Next() {
		var name string
		var stmt *string
		if err := rows.Scan(&name, &stmt); err != nil {
			return nil, fmt.Errorf("sqlite: list indexes: %w", err)
		}
		for _, prefix := range pathIndexPrefixes {
			if strings.HasPrefix(name, prefix) && stmt != nil {
				have[name] = *stmt
			}
		}
	}
	return have, rows.Err()
}
