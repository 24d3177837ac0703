// Package sqlite implements store.Store on an SQLite file: the embedded
// default that a fresh checkout runs on with no setup.
//
// It opens two pools on the same WAL-mode file: one connection for writes
// (SQLite allows one writer at a time, so queueing them in Go is cheaper than
// retrying on SQLITE_BUSY) and several read-only connections that run
// concurrently with it.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"

	"github.com/usergraph/usergraph/store"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune a store. The zero value is usable.
type Options struct {
	// IndexedPaths get an expression index each (see docs/FILTERS.md).
	IndexedPaths []store.IndexedPath
	// Readers is the size of the read pool (default: 2 × GOMAXPROCS, at least 4).
	Readers int
}

// DB is a store.Store on one SQLite file.
type DB struct {
	w      *pool   // exactly one connection: every write
	r      *pool   // read-only connections
	writer *writer // groups writes into shared commits
	scans  *scans  // users pages and counts queue here, in order
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database file at path, applies
// pending migrations and creates the indexes for opts.IndexedPaths.
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("sqlite: create directory: %w", err)
		}
	}
	db := &DB{}
	w, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.w = newPool(w)
	db.w.SetMaxOpenConns(1)
	db.w.SetMaxIdleConns(1)
	db.w.SetConnMaxLifetime(0)
	if err := db.migrate(ctx); err != nil {
		db.w.Close()
		return nil, err
	}
	if err := db.syncPathIndexes(ctx, opts.IndexedPaths); err != nil {
		db.w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		db.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.r = newPool(r)
	readers := opts.Readers
	if readers <= 0 {
		readers = max(4, 2*runtime.GOMAXPROCS(0))
	}
	db.r.SetMaxOpenConns(readers)
	db.r.SetMaxIdleConns(readers)
	db.r.SetConnMaxLifetime(0)
	db.scans = newScans(readers)
	db.writer = startWriter(db.w)
	return db, nil
}

// dsn builds the connection string. WAL lets readers run beside the writer;
// synchronous=NORMAL is durable across application crashes and costs one
// fsync per checkpoint instead of per commit; _txlock=immediate takes the
// write lock at BEGIN so a read-modify-write transaction cannot deadlock.
// Page caches are small (8 MiB for the writer, 4 MiB per reader): they sit
// outside the Go heap and its memory limit, and the operating system's file
// cache serves the rest.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	q.Add("_pragma", "temp_store(MEMORY)")
	if readOnly {
		q.Add("_pragma", "cache_size(-4096)")
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Add("_pragma", "cache_size(-8192)")
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	if err := db.r.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return fmt.Errorf("sqlite: ping: %w", err)
	}
	return nil
}

// Close finishes the queued writes and closes both pools, checkpointing
// the WAL.
func (db *DB) Close() error {
	db.writer.stop()
	rerr := db.r.Close()
	if _, err := db.w.Exec("PRAGMA wal_checkpoint(TRUNCATE)"); err != nil && rerr == nil {
		rerr = err
	}
	if err := db.w.Close(); err != nil {
		return err
	}
	return rerr
}

// codeMigrations are the migrations SQL cannot express, run in name order
// among the embedded SQL files and recorded like them.
var codeMigrations = map[string]func(context.Context, txn) error{
	"0005_search_text_display_full_name":   refoldSearchText,
	"0013_guests_apps_discovery_name_keys": fillNameKeys,
}

// migrate applies the migrations not yet recorded, each in its own
// transaction, in name order.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("sqlite: migrations table: %w", err)
	}
	files, err := migrations.ReadDir("migrations")
	if err != nil {
		return err
	}
	names := slices.Collect(maps.Keys(codeMigrations))
	for _, f := range files {
		names = append(names, f.Name())
	}
	slices.Sort(names)
	for _, name := range names {
		if err := db.applyMigration(ctx, name); err != nil {
			return fmt.Errorf("sqlite: migration %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) applyMigration(ctx context.Context, name string) error {
	return db.tx(ctx, func(tx txn) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
			return err
		}
		if err := runMigration(ctx, tx, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name)
		return err
	})
}

// runMigration runs one migration: in code, or the embedded SQL file.
func runMigration(ctx context.Context, tx txn, name string) error {
	if code, ok := codeMigrations[name]; ok {
		return code(ctx, tx)
	}
	body, err := migrations.ReadFile("migrations/" + name)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, string(body))
	return err
}

// tx runs fn in a write transaction: through the group-committing writer
// once the store is open, directly while Open migrates.
// Events the context carries (store.WithEvents) are written in the same
// transaction, after fn: with the change, or, if fn fails, not at all.
func (db *DB) tx(ctx context.Context, fn func(txn) error) error {
	if evs := store.EventsOf(ctx); len(evs) > 0 {
		change := fn
		fn = func(tx txn) error {
			if err := change(tx); err != nil {
				return err
			}
			return insertEvents(ctx, tx, evs)
		}
	}
	if db.writer != nil {
		return db.writer.do(ctx, fn)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return mapErr(err)
	}
	var pending []string
	if err := fn(txn{Tx: tx, w: db.w, pending: &pending}); err != nil {
		tx.Rollback()
		return err
	}
	return mapErr(tx.Commit())
}

// execOne runs one write statement that must change a row: none changed
// is store.ErrNotFound, returned inside the transaction, so the events it
// carries are not stored either.
func (db *DB) execOne(ctx context.Context, q string, args ...any) error {
	return db.tx(ctx, func(tx txn) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return mapErr(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return nil
	})
}

// exec runs one write statement.
func (db *DB) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.tx(ctx, func(tx txn) error {
		var err error
		res, err = tx.ExecContext(ctx, q, args...)
		return mapErr(err)
	})
	return res, err
}
