package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// pool is a *sql.DB whose queries run as prepared statements kept for
// reuse: SQLite then parses and plans a hot query once per connection
// instead of on every call (a fifth of a refresh's CPU before).
type pool struct {
	*sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

// maxStmts bounds the cache. Filter queries vary with the filter's shape;
// past the bound new texts simply run unprepared (nothing is evicted, so a
// statement in use is never closed under a caller).
const maxStmts = 1000

func newPool(db *sql.DB) *pool { return &pool{DB: db, stmts: make(map[string]*sql.Stmt)} }

// stmt returns the cached statement for q, preparing it on first use; nil
// when the cache is full or preparing failed (the caller runs q directly
// and so reports the error).
func (p *pool) stmt(ctx context.Context, q string) *sql.Stmt {
	p.mu.Lock()
	s, ok := p.stmts[q]
	full := len(p.stmts) >= maxStmts
	p.mu.Unlock()
	if ok || full {
		return s
	}
	// Prepared without the lock: preparing may wait for a connection that
	// a transaction holds, and that transaction needs the lock.
	s, err := p.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, ok := p.stmts[q]; ok {
		s.Close()
		return prev
	}
	p.stmts[q] = s
	return s
}

func (p *pool) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return p.DB.QueryRowContext(ctx, q, args...)
}

func (p *pool) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if s := p.stmt(ctx, q); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return p.DB.QueryContext(ctx, q, args...)
}

func (p *pool) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if s := p.stmt(ctx, q); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return p.DB.ExecContext(ctx, q, args...)
}

// Close closes the cached statements, then the pool.
func (p *pool) Close() error {
	p.mu.Lock()
	for _, s := range p.stmts {
		s.Close()
	}
	p.stmts = nil
	p.mu.Unlock()
	return p.DB.Close()
}

// cached returns the statement for q if it is prepared already.
func (p *pool) cached(q string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stmts[q]
}

// txn is a write transaction whose queries use the writer's cached
// statements (database/sql binds them to the transaction's connection,
// where they are already prepared). A query not cached yet runs directly
// and is prepared after the transaction: preparing on the pool meanwhile
// would wait for its only connection, which the transaction holds.
type txn struct {
	*sql.Tx
	w       *pool
	pending *[]string
}

func (t txn) stmt(q string) *sql.Stmt {
	s := t.w.cached(q)
	if s == nil {
		*t.pending = append(*t.pending, q)
	}
	return s
}

// The txn methods detach from the caller's context: interrupting one
// statement would roll back the whole (shared) transaction.

func (t txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(q); s != nil {
		return t.Tx.StmtContext(ctx, s).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (t txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(q); s != nil {
		return t.Tx.StmtContext(ctx, s).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	if s := t.stmt(q); s != nil {
		return t.Tx.StmtContext(ctx, s).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}
