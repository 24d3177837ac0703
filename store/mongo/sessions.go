package mongo

import (
	"context"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// CreateSession inserts s, then its tokens. Without a transaction, a
// failed token insert is undone by deleting the session and whatever
// tokens of it were stored; should that fail too, what is left is a
// session no client holds a token of, which expires unused.
func (db *DB) CreateSession(ctx context.Context, s *store.Session, tokens ...*store.RefreshToken) error {
	s.Normalize()
	if _, err := db.sessions.InsertOne(ctx, toSessionDoc(s)); err != nil {
		return idConflict("insert session", err, store.FieldID)
	}
	if len(tokens) == 0 {
		return nil
	}
	docs := make([]any, len(tokens))
	for i, t := range tokens {
		docs[i] = toTokenDoc(t)
	}
	if _, err := db.tokens.InsertMany(ctx, docs); err != nil {
		undo := context.WithoutCancel(ctx)
		_, _ = db.tokens.DeleteMany(undo, bson.D{{Key: "sessionId", Value: s.ID}})
		_, _ = db.sessions.DeleteOne(undo, bson.D{{Key: "_id", Value: s.ID}})
		return idConflict("insert refresh token", err, store.FieldID)
	}
	return nil
}

// GetSession returns store.ErrNotFound if no session has the id.
func (db *DB) GetSession(ctx context.Context, id string) (*store.Session, error) {
	var d sessionDoc
	if err := db.sessions.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&d); err != nil {
		return nil, wrap("find session", err)
	}
	return d.session(), nil
}

// ListSessions returns the live sessions of userIDs, oldest first. Expiry
// is checked here: the TTL index only deletes long-expired sessions.
func (db *DB) ListSessions(ctx context.Context, userIDs []string, now time.Time) ([]*store.Session, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	f := bson.D{
		{Key: "userId", Value: bson.D{{Key: "$in", Value: userIDs}}},
		{Key: "revokedAt", Value: never},
		{Key: "expiresAt", Value: bson.D{{Key: "$gt", Value: dateOf(store.Trunc(now))}}},
	}
	opts := options.Find().SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}})
	cur, err := db.sessions.Find(ctx, f, opts)
	if err != nil {
		return nil, wrap("list sessions", err)
	}
	var docs []sessionDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("list sessions", err)
	}
	out := make([]*store.Session, len(docs))
	for i := range docs {
		out[i] = docs[i].session()
	}
	return out, nil
}

// UpdateSession is a read-modify-write with a version check (cas.go).
func (db *DB) UpdateSession(ctx context.Context, id string, update func(*store.Session) error) (*store.Session, error) {
	var out *store.Session
	err := retry(ctx, "update session", func() error {
		s, err := db.GetSession(ctx, id)
		if err != nil {
			return err
		}
		read := s.Version
		if err := update(s); err != nil {
			return err
		}
		s.ID = id
		s.Normalize()
		s.Version = read + 1
		res, err := db.sessions.ReplaceOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}}, toSessionDoc(s))
		if err != nil {
			return wrap("update session", err)
		}
		if res.MatchedCount == 0 {
			return errStale
		}
		out = s
		return nil
	})
	return out, err
}

// RevokeSession ends one session; an already revoked one keeps its time.
func (db *DB) RevokeSession(ctx context.Context, id string, at time.Time) error {
	res, err := db.sessions.UpdateOne(ctx,
		bson.D{{Key: "_id", Value: id}, {Key: "revokedAt", Value: never}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: dateOf(store.Trunc(at))}}}, {Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}})
	if err != nil {
		return wrap("revoke session", err)
	}
	if res.MatchedCount == 1 {
		return nil
	}
	// Not revoked now: either revoked before (fine) or not there.
	n, err := db.sessions.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return wrap("revoke session", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// RevokeSessions ends every live session of the users except one. It
// reads the ids first (a multi-document update returns no ids), then
// revokes exactly those that are still unrevoked.
func (db *DB) RevokeSessions(ctx context.Context, r store.SessionRevocation) ([]string, error) {
	if len(r.UserIDs) == 0 {
		return nil, nil
	}
	f := bson.D{
		{Key: "userId", Value: bson.D{{Key: "$in", Value: r.UserIDs}}},
		{Key: "revokedAt", Value: never},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: r.ExceptID}}},
	}
	ids, err := db.sessionIDs(ctx, f)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	_, err = db.sessions.UpdateMany(ctx,
		bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}, {Key: "revokedAt", Value: never}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: dateOf(store.Trunc(r.At))}}}, {Key: "$inc", Value: bson.D{{Key: "version", Value: 1}}}})
	if err != nil {
		return nil, wrap("revoke sessions", err)
	}
	return ids, nil
}

func (db *DB) sessionIDs(ctx context.Context, f bson.D) ([]string, error) {
	cur, err := db.sessions.Find(ctx, f, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, wrap("find sessions", err)
	}
	var docs []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("find sessions", err)
	}
	ids := make([]string, len(docs))
	for i, d := range docs {
		ids[i] = d.ID
	}
	return ids, nil
}

// CreateRefreshToken inserts t; its hash is the _id.
func (db *DB) CreateRefreshToken(ctx context.Context, t *store.RefreshToken) error {
	if _, err := db.tokens.InsertOne(ctx, toTokenDoc(t)); err != nil {
		return idConflict("insert refresh token", err, store.FieldID)
	}
	return nil
}

// GetRefreshToken returns store.ErrNotFound if no token has the hash.
func (db *DB) GetRefreshToken(ctx context.Context, hash string) (*store.RefreshToken, error) {
	var d tokenDoc
	if err := db.tokens.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d); err != nil {
		return nil, wrap("find refresh token", err)
	}
	return d.token(), nil
}

// RotateRefreshToken is a compare-and-swap on consumedAt (the update
// matches only a token not consumed yet, so of concurrent calls one wins;
// it records the successor's hash in the same update) followed by the
// insert of the successor. Without a transaction, a failed insert leaves
// the session without a current token: its next refresh fails, and the
// user signs in again.
func (db *DB) RotateRefreshToken(ctx context.Context, hash, nextHash string, at time.Time) (*store.RefreshToken, error) {
	var old tokenDoc
	err := db.tokens.FindOneAndUpdate(ctx,
		bson.D{{Key: "_id", Value: hash}, {Key: "consumedAt", Value: never}},
		bson.D{{Key: "$set", Value: bson.D{
			{Key: "consumedAt", Value: dateOf(store.Trunc(at))},
			{Key: "successor", Value: nextHash},
		}}}).Decode(&old)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, db.consumedOrMissing(ctx, hash)
	}
	if err != nil {
		return nil, wrap("rotate refresh token", err)
	}
	prev := old.token()
	next := &store.RefreshToken{Hash: nextHash, SessionID: prev.SessionID, UserID: prev.UserID,
		CreatedAt: store.Trunc(at), ExpiresAt: prev.ExpiresAt}
	if err := db.CreateRefreshToken(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}

// consumedOrMissing tells why a token could not be consumed.
func (db *DB) consumedOrMissing(ctx context.Context, hash string) error {
	n, err := db.tokens.CountDocuments(ctx, bson.D{{Key: "_id", Value: hash}})
	if err != nil {
		return wrap("rotate refresh token", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return store.ErrConflict
}

// PurgeSessions deletes what the TTL indexes delete on a server that has
// them; on one without (FerretDB 1.x) it is the only cleanup. Tokens go
// first, so an interrupted purge leaves no token without its session.
func (db *DB) PurgeSessions(ctx context.Context, t time.Time) (int, error) {
	f := bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: dateOf(store.Trunc(t))}}}}
	if _, err := db.tokens.DeleteMany(ctx, f); err != nil {
		return 0, wrap("purge refresh tokens", err)
	}
	res, err := db.sessions.DeleteMany(ctx, f)
	if err != nil {
		return 0, wrap("purge sessions", err)
	}
	return int(res.DeletedCount), nil
}
