package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/usergraph/usergraph/store"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// uniqueColumns maps the column named in a UNIQUE failure to the field the
// store reports.
var uniqueColumns = map[string]string{
	"users.id":               store.FieldID,
	"users.username_key":     store.FieldUsername,
	"users.email_key":        store.FieldEmail,
	"users.phone_key":        store.FieldPhone,
	"roles.name":             store.FieldName,
	"roles.id":               store.FieldID,
	"sessions.id":            store.FieldID,
	"refresh_tokens.hash":    store.FieldID,
	"signing_keys.id":        store.FieldID,
	"settings.name":          store.FieldName,
	"devices.id":             store.FieldID,
	"devices.token":          store.FieldToken, // of the (user_id, token) index
	"applications.id":        store.FieldID,
	"applications.client_id": store.FieldClientID,
	"recovery_tokens.hash":   store.FieldID,
	"recovery_tokens.id":     store.FieldID,
	// The primary key's failure names both columns, the per-user index's
	// user_id and provider: each is told by a column the other lacks.
	"identities.subject": store.FieldIdentity,
	"identities.user_id": store.FieldProvider,
	"oauth_states.hash":  store.FieldID,
}

// mapErr turns driver errors into the store's sentinels. Everything else is
// wrapped without driver details reaching callers' messages beyond "sqlite".
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return store.AlreadyExists(conflictField(se.Error()))
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			return store.Invalidf("a JSON column is not valid JSON")
		}
	}
	return fmt.Errorf("sqlite: %w", err)
}

// conflictField reads "UNIQUE constraint failed: users.email_key" (the only
// place SQLite names the column).
func conflictField(msg string) string {
	for col, field := range uniqueColumns {
		if strings.Contains(msg, col) {
			return field
		}
	}
	return store.FieldID
}
