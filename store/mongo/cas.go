package mongo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Updates without transactions: read the record, let the caller change
// it, and replace it only if its version is still the one read
// (replaceOne({_id, version})). A single-document write is atomic on every
// MongoDB, so of two concurrent updates one replaces and the other finds
// the version moved, reads again and reapplies its change: none is lost.

// maxAttempts bounds the retries of one update. A writer can lose only to
// writes that completed meanwhile, so this is room for 24 of those.
const maxAttempts = 25

// errStale reports that the record changed between the read and the write.
var errStale = errors.New("mongodb: record changed since it was read")

// retry runs attempt until it returns anything but errStale, with a short
// jittered pause between tries so contending writers spread out.
func retry(ctx context.Context, what string, attempt func() error) error {
	for i := range maxAttempts {
		err := attempt()
		if !errors.Is(err, errStale) {
			return err
		}
		pause := time.Duration(rand.Int64N(int64(time.Millisecond << min(i, 5))))
		select {
		case <-ctx.Done():
			return wrap(what, ctx.Err())
		case <-time.After(pause):
		}
	}
	return fmt.Errorf("mongodb: %s: %w: still contended after %d attempts", what, store.ErrConflict, maxAttempts)
}
