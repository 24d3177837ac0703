package mongo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// Updates without transactions: read the record, let the caller change
// it, and replace it only if its version is still the one read
// (replaceOne({_id, version})). A single-document write is atomic on every
// MongoDB, so of two concurrent updates one replaces and the other finds
// the version moved, reads again and reapplies its change: none is lost.
// Servers whose conditional writes are not atomic get the same from the
// claim each such write takes first (claims.go); a writer that finds the
// next version claimed reads again too.

// maxAttempts bounds the retries of one update. A writer can lose only to
// writes that completed or were claimed meanwhile, so this is room for 24
// of those.
const maxAttempts = 25

// errStale reports that the record changed between the read and the
// write, or that another writer holds the claim of its next version.
var errStale = errors.New("mongodb: record changed since it was read")

// errContended is what retry returns when the record stayed contended:
// an ErrConflict, told apart from the ErrConflict an attempt returns.
var errContended = fmt.Errorf("%w: still contended after %d attempts", store.ErrConflict, maxAttempts)

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
	return fmt.Errorf("mongodb: %s: %w", what, errContended)
}

// replaceKeeping is the update that writes the document d whole, as a
// replace would, except field, which it moves forward only ($max).
// RecordActivity moves that field without changing the version, so a
// write conditioned on the version read must not take it back to the
// value it read.
func replaceKeeping(d any, field string) (bson.D, error) {
	raw, err := bson.Marshal(d)
	if err != nil {
		return nil, &fault{op: "encode record", err: err}
	}
	elems, err := bson.Raw(raw).Elements()
	if err != nil {
		return nil, &fault{op: "encode record", err: err}
	}
	set := make(bson.D, 0, len(elems))
	var keep bson.RawValue
	for _, e := range elems {
		switch e.Key() {
		case "_id":
		case field:
			keep = e.Value()
		default:
			set = append(set, bson.E{Key: e.Key(), Value: e.Value()})
		}
	}
	return bson.D{{Key: "$set", Value: set}, {Key: "$max", Value: bson.D{{Key: field, Value: keep}}}}, nil
}
