package sqlite

import (
	"context"
	"fmt"
)

// writer commits every write through one goroutine and groups the writes
// that wait meanwhile into one SQLite transaction (group commit). SQLite
// allows one writer at a time and a commit costs WAL appends and locking,
// so under load a batch of refreshes or sign-ins shares one commit instead
// of queueing for one each. Each write runs inside its own savepoint, so a
// failing write is undone alone and the others of its batch still commit.
type writer struct {
	w    *pool
	ops  chan *writeOp
	done chan struct{}
}

type writeOp struct {
	ctx  context.Context
	fn   func(txn) error
	errc chan error
}

// maxBatch bounds how many writes share a commit, and so how long the
// first of them waits for the others.
const maxBatch = 64

func startWriter(w *pool) *writer {
	wr := &writer{w: w, ops: make(chan *writeOp, maxBatch), done: make(chan struct{})}
	go wr.run()
	return wr
}

// do runs fn in a write transaction and returns once it is committed.
func (wr *writer) do(ctx context.Context, fn func(txn) error) error {
	op := &writeOp{ctx: ctx, fn: fn, errc: make(chan error, 1)}
	select {
	case wr.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the write is waited for even if ctx ends: it may be
	// committing, and the caller must learn whether it did.
	return <-op.errc
}

// stop ends the goroutine after the queued writes.
func (wr *writer) stop() {
	close(wr.ops)
	<-wr.done
}

func (wr *writer) run() {
	defer close(wr.done)
	for op := range wr.ops {
		batch := []*writeOp{op}
	fill:
		for len(batch) < maxBatch {
			select {
			case next, ok := <-wr.ops:
				if !ok {
					break fill
				}
				batch = append(batch, next)
			default:
				break fill
			}
		}
		wr.commit(batch)
	}
}

// commit runs a batch in one transaction and reports to each write. The
// transaction does not follow any caller's context: a cancelled request
// must not roll back the others' writes (SQLite rolls back the whole
// transaction when a statement is interrupted).
func (wr *writer) commit(batch []*writeOp) {
	errs := make([]error, len(batch))
	var pending []string
	tx, err := wr.w.BeginTx(context.Background(), nil)
	if err == nil {
		t := txn{Tx: tx, w: wr.w, pending: &pending}
		for i, op := range batch {
			errs[i] = runOp(t, op)
		}
		err = tx.Commit()
	}
	for i, op := range batch {
		if err != nil && errs[i] == nil {
			errs[i] = mapErr(err)
		}
		op.errc <- errs[i]
	}
	for _, q := range pending {
		wr.w.stmt(context.Background(), q)
	}
}

// runOp runs one write inside a savepoint, undone if the write fails, so
// its batch-mates commit without it.
func runOp(tx txn, op *writeOp) error {
	if err := op.ctx.Err(); err != nil {
		return err // never started: its caller gave up while it waited
	}
	if _, err := tx.Tx.Exec(`SAVEPOINT op`); err != nil {
		return mapErr(err)
	}
	err := op.fn(tx)
	if err != nil {
		if _, rerr := tx.Tx.Exec(`ROLLBACK TO op`); rerr != nil {
			return fmt.Errorf("%w (and undoing it: %v)", err, rerr)
		}
	}
	if _, rerr := tx.Tx.Exec(`RELEASE op`); rerr != nil && err == nil {
		return mapErr(rerr)
	}
	return err
}
