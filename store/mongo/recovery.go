package mongo

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Recovery tokens. A token's document has _id "<purpose>:<subject>", so a
// new token of the subject replaces the old one in one single-document
// write (the newest request supersedes). Its own id (tokenId) is new for
// every token.
//
// Using a token once, and counting its wrong tries, are claims written as
// inserts under a unique key, as the outbox's are (outbox.go says why:
// FerretDB's conditional updates are not atomic under concurrency, an
// insert of an existing _id fails everywhere). In recovery_claims:
//   - "<tokenId>:used": whoever inserts it uses the token (or, at the last
//     allowed wrong try, burns it); only that caller then writes usedAt;
//   - "<tokenId>:fail:<n>": the n-th wrong try. A caller inserts the first
//     n after the count it read that is free, so concurrent tries take
//     distinct numbers and none is counted twice or lost; the count on the
//     token ($max) is a reader's start, and may lag on FerretDB, never
//     lead.
// Claims carry their token's expiry, and are purged with it.

type recoveryTokenDoc struct {
	Key       string        `bson:"_id"`
	TokenID   string        `bson:"tokenId"`
	Purpose   string        `bson:"purpose"`
	Subject   string        `bson:"subject"`
	Hash      string        `bson:"hash"`
	UserID    string        `bson:"userId"`
	Email     string        `bson:"email"`
	CreatedAt bson.DateTime `bson:"createdAt"`
	ExpiresAt bson.DateTime `bson:"expiresAt"`
	UsedAt    bson.DateTime `bson:"usedAt"`
	Failures  int64         `bson:"failures"`
}

type recoveryClaimDoc struct {
	ID        string        `bson:"_id"`
	ExpiresAt bson.DateTime `bson:"expiresAt"`
}

func recoveryKey(purpose store.TokenPurpose, subject string) string {
	return string(purpose) + ":" + subject
}

func toRecoveryTokenDoc(t *store.RecoveryToken) *recoveryTokenDoc {
	return &recoveryTokenDoc{Key: recoveryKey(t.Purpose, t.Subject), TokenID: t.ID, Purpose: string(t.Purpose),
		Subject: t.Subject, Hash: t.Hash, UserID: t.UserID, Email: t.Email,
		CreatedAt: dateOf(t.CreatedAt), ExpiresAt: dateOf(t.ExpiresAt), UsedAt: dateOf(t.UsedAt), Failures: int64(t.Failures)}
}

func (d *recoveryTokenDoc) token() *store.RecoveryToken {
	return &store.RecoveryToken{ID: d.TokenID, Purpose: store.TokenPurpose(d.Purpose), Subject: d.Subject,
		Hash: d.Hash, UserID: d.UserID, Email: d.Email, CreatedAt: timeOf(d.CreatedAt),
		ExpiresAt: timeOf(d.ExpiresAt), UsedAt: timeOf(d.UsedAt), Failures: int(d.Failures)}
}

// maxUpsertTries bounds the retries of a replacing upsert that lost a race
// to insert the same _id (FerretDB reports it as a duplicate key).
const maxUpsertTries = 3

// PutRecoveryToken replaces the subject's token (an upsert of one
// document). A duplicate key is another token's hash or id, unless the
// collision was on the subject's own _id, inserted meanwhile by a
// concurrent put: then the replace is tried again.
func (db *DB) PutRecoveryToken(ctx context.Context, t *store.RecoveryToken) error {
	if t.ID == "" || t.Purpose == "" || t.Subject == "" || t.Hash == "" {
		return store.Invalidf("a recovery token needs an id, a purpose, a subject and a hash")
	}
	t.Normalize()
	t.UsedAt, t.Failures = time.Time{}, 0
	d := toRecoveryTokenDoc(t)
	for range maxUpsertTries {
		_, err := db.recoveryTokens.ReplaceOne(ctx, bson.D{{Key: "_id", Value: d.Key}}, d, options.Replace().SetUpsert(true))
		if err == nil {
			return nil
		}
		if !onServer(err) {
			return wrap("put recovery token", err)
		}
		taken, lerr := db.recoveryTokenTaken(ctx, d)
		switch {
		case lerr != nil:
			return lerr
		case taken:
			return store.AlreadyExists(store.FieldID)
		}
		if _, dup := dupIndex(err); !dup {
			return wrap("put recovery token", err)
		}
		// A concurrent put inserted the subject's _id first: replace it.
	}
	return wrap("put recovery token", store.ErrConflict)
}

// recoveryTokenTaken reports whether another subject's token holds d's
// hash or id.
func (db *DB) recoveryTokenTaken(ctx context.Context, d *recoveryTokenDoc) (bool, error) {
	n, err := db.recoveryTokens.CountDocuments(ctx, bson.D{
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: d.Key}}},
		{Key: "$or", Value: bson.A{bson.D{{Key: "hash", Value: d.Hash}}, bson.D{{Key: "tokenId", Value: d.TokenID}}}},
	})
	if err != nil {
		return false, wrap("find recovery token", err)
	}
	return n > 0, nil
}

// GetRecoveryToken returns store.ErrNotFound if the subject has no token
// of the purpose.
func (db *DB) GetRecoveryToken(ctx context.Context, purpose store.TokenPurpose, subject string) (*store.RecoveryToken, error) {
	return db.findRecoveryToken(ctx, bson.D{{Key: "_id", Value: recoveryKey(purpose, subject)}})
}

// FindRecoveryToken returns store.ErrNotFound if no token of the purpose
// has the hash.
func (db *DB) FindRecoveryToken(ctx context.Context, purpose store.TokenPurpose, hash string) (*store.RecoveryToken, error) {
	if hash == "" {
		return nil, store.ErrNotFound
	}
	return db.findRecoveryToken(ctx, bson.D{{Key: "hash", Value: hash}, {Key: "purpose", Value: string(purpose)}})
}

func (db *DB) findRecoveryToken(ctx context.Context, f bson.D) (*store.RecoveryToken, error) {
	var d recoveryTokenDoc
	if err := db.recoveryTokens.FindOne(ctx, f).Decode(&d); err != nil {
		return nil, wrap("find recovery token", err)
	}
	return d.token(), nil
}

// UseRecoveryToken claims "<id>:used"; only the claimer writes usedAt.
func (db *DB) UseRecoveryToken(ctx context.Context, id string, at time.Time) error {
	t, err := db.findRecoveryToken(ctx, bson.D{{Key: "tokenId", Value: id}})
	if err != nil {
		return err
	}
	if !t.UsedAt.IsZero() {
		return store.ErrConflict
	}
	won, err := db.claimRecovery(ctx, id+":used", t.ExpiresAt)
	if err != nil {
		return err
	}
	if !won {
		return store.ErrConflict
	}
	return db.markUsed(ctx, id, at)
}

// markUsed writes usedAt on the token after its used claim was won.
// Nothing matches if the token was replaced or purged meanwhile, or if
// usedAt is set already: a claim purged after the token was used (see
// PurgeRecoveryTokens) is taken again, and usedAt still refuses it.
func (db *DB) markUsed(ctx context.Context, id string, at time.Time) error {
	res, err := db.recoveryTokens.UpdateOne(ctx,
		bson.D{{Key: "tokenId", Value: id}, {Key: "usedAt", Value: never}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "usedAt", Value: dateOf(store.Trunc(at))}}}})
	if err != nil {
		return wrap("use recovery token", err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	n, err := db.recoveryTokens.CountDocuments(ctx, bson.D{{Key: "tokenId", Value: id}})
	if err != nil {
		return wrap("use recovery token", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// maxFailureLimit bounds the claims one wrong try may step through.
const maxFailureLimit = 1000

// FailRecoveryToken claims the first free "<id>:fail:<n>" after the count
// read; the limit-th also claims "<id>:used" and burns the token.
func (db *DB) FailRecoveryToken(ctx context.Context, id string, at time.Time, limit int) (int, error) {
	if limit < 1 || limit > maxFailureLimit {
		return 0, store.Invalidf("the limit of wrong tries must be 1..%d", maxFailureLimit)
	}
	t, err := db.findRecoveryToken(ctx, bson.D{{Key: "tokenId", Value: id}})
	if err != nil {
		return 0, err
	}
	for n := t.Failures + 1; n <= limit; n++ {
		won, err := db.claimRecovery(ctx, id+":fail:"+strconv.Itoa(n), t.ExpiresAt)
		if err != nil {
			return 0, err
		}
		if !won {
			continue
		}
		if _, err := db.recoveryTokens.UpdateOne(ctx, bson.D{{Key: "tokenId", Value: id}},
			bson.D{{Key: "$max", Value: bson.D{{Key: "failures", Value: int64(n)}}}}); err != nil {
			return 0, wrap("count a wrong try", err)
		}
		if n == limit {
			return n, db.burn(ctx, id, at, t.ExpiresAt)
		}
		return n, nil
	}
	return limit, nil
}

// burn uses the token up at its last allowed wrong try. If it was used
// meanwhile (the right secret came first), that use stands.
func (db *DB) burn(ctx context.Context, id string, at, expires time.Time) error {
	won, err := db.claimRecovery(ctx, id+":used", expires)
	if err != nil || !won {
		return err
	}
	if err := db.markUsed(ctx, id, at); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// claimRecovery inserts the claim id; false if it exists.
func (db *DB) claimRecovery(ctx context.Context, id string, expires time.Time) (bool, error) {
	_, err := db.recoveryClaims.InsertOne(ctx, recoveryClaimDoc{ID: id, ExpiresAt: dateOf(expires)})
	if err == nil {
		return true, nil
	}
	if _, dup := dupIndex(err); dup {
		return false, nil
	}
	return false, wrap("claim recovery token", err)
}

// PurgeRecoveryTokens deletes the tokens that expired before t, then
// their claims.
func (db *DB) PurgeRecoveryTokens(ctx context.Context, t time.Time) (int, error) {
	cutoff := bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: dateOf(store.Trunc(t))}}}}
	res, err := db.recoveryTokens.DeleteMany(ctx, cutoff)
	if err != nil {
		return 0, wrap("purge recovery tokens", err)
	}
	if _, err := db.recoveryClaims.DeleteMany(ctx, cutoff); err != nil {
		return int(res.DeletedCount), wrap("purge recovery claims", err)
	}
	return int(res.DeletedCount), nil
}

// recoveryIndexSpecs are the indexes of recovery tokens and the throttle:
// a token is found by its hash and by its id (both unique), and the
// purges go by time.
func (db *DB) recoveryIndexSpecs(k func(...string) bson.D) []indexSpec {
	return []indexSpec{
		{coll: db.recoveryTokens, name: "unique_hash", keys: k("hash"), unique: true, required: true},
		{coll: db.recoveryTokens, name: "unique_tokenId", keys: k("tokenId"), unique: true, required: true},
		{coll: db.recoveryTokens, name: "expiresAt", keys: k("expiresAt")},
		{coll: db.recoveryClaims, name: "expiresAt", keys: k("expiresAt")},
		{coll: db.turns, name: "lastAt", keys: k("lastAt")},
		{coll: db.turnClaims, name: "at", keys: k("at")},
	}
}
