package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
)

// Backup writes a consistent copy of the database file at path to dest, a
// new file, while servers go on using the original: SQLite's VACUUM INTO
// reads one snapshot (a read transaction, which WAL lets run beside the
// writer) and writes it compacted. The original is opened read-only and
// not migrated, so a backup never changes what it copies. The copy is a
// complete database: `-database-url sqlite:DEST` serves it.
func Backup(ctx context.Context, path, dest string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: the database: %w", err) // opening would create an empty one
	}
	// The copy holds password hashes and signing keys: it is created empty
	// and readable by its owner only before SQLite fills it (VACUUM INTO
	// accepts an empty file), and never over an existing one.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s exists; a backup writes a new file", dest)
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f.Close()
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(10000)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		os.Remove(dest)
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dest); err != nil {
		os.Remove(dest) // a partial copy is no backup
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}
