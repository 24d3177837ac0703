package mongo

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// A claim is written as an insert under a unique key.
//
// Conditional updates are atomic on MongoDB, but not on every server that
// speaks its protocol: FerretDB 1.x reads the documents a filter matches,
// then writes them back whole, so two writers can both "win" an update
// conditioned on the same version, and the later write undoes the
// earlier. An insert of an _id that exists fails on every one of them (the
// _id is the storage's primary key). So a writer that must be the only one
// to take a step first inserts the claim {_id: "<key>:<seq>"}; a duplicate
// key means another writer has that step, and only the winner makes its
// conditional update. On MongoDB the update alone would do; the insert in
// front of it changes nothing there but costs a round trip.
//
// The steps claimed:
//   - an outbox lease (outbox.go): key the message id, seq its leaseSeq+1,
//     in outbox_claims, held until the lease ends;
//   - a versioned write of a user, role or session (writeVersion): key
//     "<collection>:<id>", seq the version written, in write_claims;
//   - the consumption of a refresh token (sessions.go): key
//     "refresh_tokens:<hash>", seq 1, in write_claims;
//   - a write that leaves the version as is (activity times, the search
//     text): it holds the claim of its record's next version while it
//     writes and gives it back after (writeHeld), so that it cannot undo a
//     versioned write either; bulk writes claim a batch in one insert
//     (claimBatch).
//
// A writer that dies, or loses its server, between its claim and its write
// leaves a claim the record does not show. Each claim carries the end of
// its hold (until): one found past it is stepped over, the writer taking
// the next seq (for a version, the next number: a version may be skipped),
// so a dead writer holds a record up for one hold at most. A write the
// server answered without applying gives its claim back at once.
//
// Claims matter only while held. A TTL index deletes them an hour after
// their hold where the server has TTL indexes; where it has not (FerretDB),
// PurgeOutbox and PurgeSessions delete them.

// errClaimHeld is a fault's cause when a claim stayed held by another
// writer, whose write never showed, for all of a caller's attempts.
var errClaimHeld = errors.New("claimed by another writer")

type claimDoc struct {
	ID    string        `bson:"_id"`
	Owner string        `bson:"owner,omitempty"`
	Until bson.DateTime `bson:"until"`
}

func claimID(key string, seq int64) string {
	return key + ":" + strconv.FormatInt(seq, 10)
}

// maxClaimSteps bounds how many run-out claims one claim steps over.
const maxClaimSteps = 8

// takeClaim inserts the claim key:seq for the first seq from `from` on
// that is free, stepping over claims whose hold ended before now. ok is
// false if a claim on the way still holds, or was given back just now (the
// caller reads again and retries).
func takeClaim(ctx context.Context, coll *mongo.Collection, key string, from int64, owner string, now, until bson.DateTime) (seq int64, ok bool, err error) {
	for seq = from; seq < from+maxClaimSteps; seq++ {
		_, err := coll.InsertOne(ctx, claimDoc{ID: claimID(key, seq), Owner: owner, Until: until})
		if err == nil {
			return seq, true, nil
		}
		if _, dup := dupIndex(err); !dup {
			return 0, false, wrap("insert claim", err)
		}
		var other claimDoc
		err = coll.FindOne(ctx, bson.D{{Key: "_id", Value: claimID(key, seq)}}).Decode(&other)
		if errors.Is(err, mongo.ErrNoDocuments) || (err == nil && other.Until > now) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, wrap("find claim", err)
		}
	}
	return 0, false, nil
}

// giveBackClaim deletes the claim key:seq, so the next writer of the step
// is not held up by it. Only a claim whose write the server answered
// without applying is given back; it is done even when the caller has
// given up, because then it matters most.
func giveBackClaim(ctx context.Context, coll *mongo.Collection, key string, seq int64) {
	_, _ = coll.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: claimID(key, seq)}})
}

// Write claims (versioned writes, held writes and token consumption).
const (
	// claimHold is how long a write claim holds off other writers. Its
	// write takes milliseconds; the margin covers a slow server and clocks
	// some seconds apart. A writer that died holds its record this long.
	claimHold = 30 * time.Second
	// claimedWriteTimeout bounds the write made under a claim, well
	// inside claimHold, so no write is still running when its claim is
	// stepped over.
	claimedWriteTimeout = 10 * time.Second
	// claimKeep is how long past its hold a TTL index keeps a claim.
	claimKeep = int32(time.Hour / time.Second)
)

// claimWrite takes the write claim key:seq for the first free seq from
// `from` on, held for claimHold from now.
func (db *DB) claimWrite(ctx context.Context, key string, from int64) (seq int64, ok bool, err error) {
	now := time.Now()
	return takeClaim(ctx, db.writeClaims, key, from, "", dateOf(now), dateOf(now.Add(claimHold)))
}

// writeVersion makes the conditional write of record id in coll, read at
// version read, under the claim of its next version: write gets the
// version to store and reports whether its filter ({_id, version: read})
// matched, or the error the write met, mapped. writeVersion returns
// errStale when another writer holds that version or the record moved,
// and write's error as is.
//
// The write runs on even if the caller gives up: a claim whose write was
// abandoned would hold the record up for a whole claimHold.
func (db *DB) writeVersion(ctx context.Context, coll *mongo.Collection, id string, read int64, write func(ctx context.Context, next int64) (matched bool, err error)) error {
	key := coll.Name() + ":" + id
	next, ok, err := db.claimWrite(ctx, key, read+1)
	if err != nil {
		return err
	}
	if !ok {
		return errStale
	}
	return db.writeClaimed(ctx, key, next, func(ctx context.Context) (bool, error) { return write(ctx, next) })
}

// writeClaimed makes the write whose claim key:seq its caller holds, on a
// context the caller's cancellation does not reach, and gives the claim
// back if the server answered without applying it. It returns errStale if
// write matched nothing, else write's error.
func (db *DB) writeClaimed(ctx context.Context, key string, seq int64, write func(ctx context.Context) (matched bool, err error)) error {
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimedWriteTimeout)
	defer cancel()
	matched, err := write(wctx)
	if answered(err) && !matched {
		giveBackClaim(ctx, db.writeClaims, key, seq)
	}
	switch {
	case err != nil:
		return err
	case !matched:
		return errStale
	}
	return nil
}

// answered reports whether the server answered a single-document write:
// it then applied it or refused it (a store error is a refusal mapped),
// and nothing of it is still running. A network error or a timeout leaves
// that open.
func answered(err error) bool { return err == nil || onServer(err) || isStoreError(err) }

// purgeWriteClaims deletes the write claims whose hold ended claimKeep ago,
// as their TTL index does where the server has one. Their holds were set by
// the wall clock (claimWrite), so the wall clock, not the purge's own time,
// says which ended.
func (db *DB) purgeWriteClaims(ctx context.Context) error {
	cutoff := dateOf(time.Now().Add(-time.Duration(claimKeep) * time.Second))
	_, err := db.writeClaims.DeleteMany(ctx, bson.D{{Key: "until", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	return wrap("purge write claims", err)
}

// Batches: claims of many records in one insert, for the writes made in
// bulk (RecordActivity, RevokeSessions, the search-text refold).

// claimBatch takes, in one insert, the claim of the next version of each
// record of coll read at versions[id], and returns the version each claim
// it took is for. A record whose next version another writer holds is
// left out; for one whose claim ran out, takeClaim steps over it.
func (db *DB) claimBatch(ctx context.Context, coll *mongo.Collection, versions map[string]int64) (map[string]int64, error) {
	if len(versions) == 0 {
		return nil, nil
	}
	now := time.Now()
	until := dateOf(now.Add(claimHold))
	ids := slices.Sorted(maps.Keys(versions))
	docs := make([]any, len(ids))
	for i, id := range ids {
		docs[i] = claimDoc{ID: claimID(coll.Name()+":"+id, versions[id]+1), Until: until}
	}
	_, err := db.writeClaims.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	held, err := duplicates(err)
	if err != nil {
		return nil, wrap("insert claims", err)
	}
	claimed := make(map[string]int64, len(ids))
	for i, id := range ids {
		if !held[i] {
			claimed[id] = versions[id] + 1
			continue
		}
		seq, ok, err := takeClaim(ctx, db.writeClaims, coll.Name()+":"+id, versions[id]+1, "", dateOf(now), until)
		if err != nil {
			return nil, err
		}
		if ok {
			claimed[id] = seq
		}
	}
	return claimed, nil
}

// duplicates returns the positions of the documents an unordered insert
// refused as duplicate keys; any other failure is returned as is.
func duplicates(err error) (map[int]bool, error) {
	if err == nil {
		return nil, nil
	}
	if !onlyDuplicates(err) {
		return nil, err
	}
	var bwe mongo.BulkWriteException
	errors.As(err, &bwe)
	dups := make(map[int]bool, len(bwe.WriteErrors))
	for _, we := range bwe.WriteErrors {
		dups[we.Index] = true
	}
	return dups, nil
}

// writeHeld makes, in one bulk write, writes that leave the version as is
// (activity times, the search text), each while holding the claim of its
// record's next version, and gives the claims back after: on a server
// that writes whole documents back, such a write would otherwise undo a
// versioned write made between its read and its write, and versioned
// writers now wait for it as for one another. model gives the write of
// record id read at version. It returns the ids whose claim another
// writer holds, not written, and the bulk write's error as is.
func (db *DB) writeHeld(ctx context.Context, coll *mongo.Collection, versions map[string]int64, model func(id string, version int64) mongo.WriteModel) (left []string, err error) {
	claimed, err := db.claimBatch(ctx, coll, versions)
	if err != nil {
		return nil, err
	}
	var models []mongo.WriteModel
	for _, id := range slices.Sorted(maps.Keys(versions)) {
		if _, ok := claimed[id]; ok {
			models = append(models, model(id, versions[id]))
		} else {
			left = append(left, id)
		}
	}
	if len(models) == 0 {
		return left, nil
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimedWriteTimeout)
	defer cancel()
	_, err = coll.BulkWrite(wctx, models, options.BulkWrite().SetOrdered(false))
	if answered(err) {
		db.giveBackBatch(ctx, coll, claimed)
	}
	return left, err
}

// giveBackBatch deletes the claims claimBatch took, in one delete.
func (db *DB) giveBackBatch(ctx context.Context, coll *mongo.Collection, claimed map[string]int64) {
	ids := make(bson.A, 0, len(claimed))
	for id, seq := range claimed {
		ids = append(ids, claimID(coll.Name()+":"+id, seq))
	}
	_, _ = db.writeClaims.DeleteMany(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
}

// versionsOf reads the version of each record of coll that f matches.
func versionsOf(ctx context.Context, coll *mongo.Collection, f bson.D) (map[string]int64, error) {
	cur, err := coll.Find(ctx, f, options.Find().SetProjection(bson.D{{Key: "version", Value: 1}}))
	if err != nil {
		return nil, wrap("find versions", err)
	}
	var docs []struct {
		ID      string `bson:"_id"`
		Version int64  `bson:"version"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("find versions", err)
	}
	out := make(map[string]int64, len(docs))
	for _, d := range docs {
		out[d.ID] = d.Version
	}
	return out, nil
}
