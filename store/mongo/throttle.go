package mongo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// The throttle: the turns of a key are numbered, and each turn is a claim
// inserted under a unique key, "<key>:<n>" in throttle_claims, recording
// when it was taken. The claims are the truth: a caller gets turn n only
// by inserting it, so of callers racing for the same turn one wins, and a
// caller that finds turn n taken within the interval is refused. The
// document in throttle_turns ({_id: key, seq, lastAt}) only tells a caller
// where to start; it may lag behind the claims (on FerretDB, or when a
// caller died between its two writes), never run ahead: a caller that
// starts from a lagging seq finds the turns after it taken and steps over
// those older than the interval.

type turnDoc struct {
	Key    string        `bson:"_id"`
	Seq    int64         `bson:"seq"`
	LastAt bson.DateTime `bson:"lastAt"`
}

type turnClaimDoc struct {
	ID string        `bson:"_id"`
	At bson.DateTime `bson:"at"`
}

// maxTurnSteps bounds how many old turns a caller steps over after a
// lagging seq; past it the turn is refused for this interval.
const maxTurnSteps = 8

// TakeTurn grants key the turn after its last one if that one is at least
// interval old.
func (db *DB) TakeTurn(ctx context.Context, key string, now time.Time, interval time.Duration) (bool, time.Time, error) {
	if key == "" || interval <= 0 {
		return false, time.Time{}, store.Invalidf("a turn needs a key and a positive interval")
	}
	now = store.Trunc(now)
	var last turnDoc
	err := db.turns.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&last)
	if err != nil && !errors.Is(err, mongo.ErrNoDocuments) {
		return false, time.Time{}, wrap("find throttle turn", err)
	}
	if at := timeOf(last.LastAt); last.Seq > 0 && now.Sub(at) < interval {
		return false, at.Add(interval), nil
	}
	for n := last.Seq + 1; n <= last.Seq+maxTurnSteps; n++ {
		granted, at, err := db.claimTurn(ctx, key, n, now)
		if err != nil {
			return false, time.Time{}, err
		}
		if granted {
			return true, time.Time{}, db.recordTurn(ctx, key, n, now)
		}
		if now.Sub(at) < interval {
			return false, at.Add(interval), nil
		}
	}
	return false, now.Add(interval), nil
}

// claimTurn inserts turn n of key; if it is taken, it returns when.
func (db *DB) claimTurn(ctx context.Context, key string, n int64, now time.Time) (bool, time.Time, error) {
	id := key + ":" + strconv.FormatInt(n, 10)
	_, err := db.turnClaims.InsertOne(ctx, turnClaimDoc{ID: id, At: dateOf(now)})
	if err == nil {
		return true, time.Time{}, nil
	}
	if _, dup := dupIndex(err); !dup {
		return false, time.Time{}, wrap("claim throttle turn", err)
	}
	var other turnClaimDoc
	err = db.turnClaims.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&other)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, now, nil // purged just now: taken a moment ago, as far as this caller knows
	}
	if err != nil {
		return false, time.Time{}, wrap("find throttle turn", err)
	}
	return false, timeOf(other.At), nil
}

// recordTurn moves the key's document up to turn n: $max, so a slower
// writer of an older turn never moves it back.
func (db *DB) recordTurn(ctx context.Context, key string, n int64, at time.Time) error {
	update := bson.D{{Key: "$max", Value: bson.D{{Key: "seq", Value: n}, {Key: "lastAt", Value: dateOf(at)}}}}
	for range maxUpsertTries {
		_, err := db.turns.UpdateOne(ctx, bson.D{{Key: "_id", Value: key}}, update, options.UpdateOne().SetUpsert(true))
		if _, dup := dupIndex(err); !dup {
			return wrap("record throttle turn", err)
		}
		// Another caller inserted the document first: update it.
	}
	return nil // the claim stands; the document only lags
}

// PurgeTurns deletes the keys whose last turn was before t, then the
// claims taken before t.
func (db *DB) PurgeTurns(ctx context.Context, t time.Time) (int, error) {
	cutoff := dateOf(store.Trunc(t))
	res, err := db.turns.DeleteMany(ctx, bson.D{{Key: "lastAt", Value: bson.D{{Key: "$lt", Value: cutoff}}}})
	if err != nil {
		return 0, wrap("purge throttle turns", err)
	}
	if _, err := db.turnClaims.DeleteMany(ctx, bson.D{{Key: "at", Value: bson.D{{Key: "$lt", Value: cutoff}}}}); err != nil {
		return int(res.DeletedCount), wrap("purge throttle claims", err)
	}
	return int(res.DeletedCount), nil
}
