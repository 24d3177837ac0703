package mongo

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/usergraph/usergraph/store"
)

// Hooks for the package's external tests (package mongo_test).

// ServerURI is testURI: the server's URI, or tb skipped.
func ServerURI(tb testing.TB) string {
	tb.Helper()
	return testURI(tb)
}

// IsFerretDB reports whether the test server is FerretDB (asked once).
func IsFerretDB() (bool, error) { return isFerretDB() }

// PlantWriteClaim inserts the write claim of record id of collection coll
// (refresh_tokens: id is the token's hash) at seq, held until until: what
// a writer that died after claiming leaves behind.
func (db *DB) PlantWriteClaim(ctx context.Context, coll, id string, seq int64, until time.Time) error {
	_, err := db.writeClaims.InsertOne(ctx, claimDoc{ID: claimID(coll+":"+id, seq), Until: dateOf(until)})
	return err
}

// WriteClaimExists reports whether that claim is stored.
func (db *DB) WriteClaimExists(ctx context.Context, coll, id string, seq int64) (bool, error) {
	n, err := db.writeClaims.CountDocuments(ctx, bson.D{{Key: "_id", Value: claimID(coll+":"+id, seq)}})
	return n > 0, err
}

// UpdateUserUnclaimed is UpdateUser's read and conditional replace without
// the claim in front (one attempt): what a write cost before claims, for
// the benchmark.
func (db *DB) UpdateUserUnclaimed(ctx context.Context, id string, update func(*store.User)) error {
	u, err := db.GetUser(ctx, id)
	if err != nil {
		return err
	}
	read := u.Version
	update(u)
	u.Version = read + 1
	d, err := toUserDoc(u)
	if err != nil {
		return err
	}
	res, err := db.users.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}}, d)
	if err == nil && res.MatchedCount == 0 {
		return errStale
	}
	return err
}

// TakeWriteClaim takes a write claim alone, for the benchmark.
func (db *DB) TakeWriteClaim(ctx context.Context, key string) error {
	_, ok, err := db.claimWrite(ctx, key, 1)
	if err == nil && !ok {
		return errStale
	}
	return err
}

// Driver is the driver's handle on the store's database, for checks of
// what Open created.
func (db *DB) Driver() *mongo.Database { return db.db }

// UpdateUserUnrelayed is UpdateUser that stops after its write, before the
// relay: what a process that died between the two leaves behind.
func (db *DB) UpdateUserUnrelayed(ctx context.Context, id string, update func(*store.User) error) error {
	u, err := db.GetUser(ctx, id)
	if err != nil {
		return err
	}
	read := u.Version
	if err := update(u); err != nil {
		return err
	}
	u.Normalize()
	return db.replaceUser(ctx, u, read, store.EventsOf(ctx))
}

// CrashBeforeRelay makes every write of db with events stop after its
// change, before the relay (on), or work whole again (off).
func (db *DB) CrashBeforeRelay(on bool) { db.crashBeforeRelay = on }

// DocumentExists reports whether coll holds a document with the id,
// marked deleted or not.
func (db *DB) DocumentExists(ctx context.Context, coll, id string) (bool, error) {
	n, err := db.db.Collection(coll).CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	return n > 0, err
}
