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

// createSession inserts s, then its tokens. Without a transaction, a
// failed token insert is undone by deleting the session and whatever
// tokens of it were stored; should that fail too, what is left is a
// session no client holds a token of, which expires unused.
func (db *DB) createSession(ctx context.Context, s *store.Session, evs []*store.Event, tokens ...*store.RefreshToken) error {
	s.Normalize()
	doc, err := withPending(toSessionDoc(s), evs)
	if err != nil {
		return err
	}
	if _, err := db.sessions.InsertOne(ctx, doc); err != nil {
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

// UpdateSession is a read-modify-write with a version check (cas.go), its
// write claimed first (claims.go).
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
		err = db.writeVersion(ctx, db.sessions, id, read, func(ctx context.Context, next int64) (bool, error) {
			s.Version = next
			update, err := replaceKeeping(toSessionDoc(s), "lastSeenAt")
			if err != nil {
				return false, err
			}
			res, err := db.sessions.UpdateOne(ctx, bson.D{{Key: "_id", Value: id}, {Key: "version", Value: read}}, update)
			if err != nil {
				return false, wrap("update session", err)
			}
			return res.MatchedCount == 1, nil
		})
		if err != nil {
			return err
		}
		out = s
		return nil
	})
	return out, err
}

// RevokeSession ends one session; an already revoked one keeps its time.
// The events of ctx ride in the session revoked; if it was revoked
// before, they describe no stored change and are stored alone.
func (db *DB) RevokeSession(ctx context.Context, id string, at time.Time) error {
	evs := store.EventsOf(ctx)
	all := func(string) []*store.Event { return evs }
	revoked, err := db.revokeSessions(ctx, bson.D{{Key: "_id", Value: id}, {Key: "revokedAt", Value: never}}, at, all)
	if err != nil {
		return err
	}
	if len(revoked) == 1 {
		return db.relayFrom(ctx, db.sessions, []string{id}, evs)
	}
	// Not revoked now: either revoked before (fine) or not there.
	n, err := db.sessions.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}})
	if err != nil {
		return wrap("revoke session", err)
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return db.relay(ctx, "", evs)
}

// RevokeSessions ends every live session of the users (on the devices, if
// named) except one. Each event rides in every session of its subject
// that the write revokes (one event in several documents is relayed once:
// relays are keyed by the event's id); the events of users none of whose
// sessions was live describe no stored change and are stored alone.
func (db *DB) RevokeSessions(ctx context.Context, r store.SessionRevocation) ([]string, error) {
	if len(r.UserIDs) == 0 {
		return nil, db.relay(ctx, "", store.EventsOf(ctx))
	}
	f := bson.D{
		{Key: "userId", Value: bson.D{{Key: "$in", Value: r.UserIDs}}},
		{Key: "revokedAt", Value: never},
		{Key: "_id", Value: bson.D{{Key: "$ne", Value: r.ExceptID}}},
	}
	if len(r.DeviceIDs) > 0 {
		f = append(f, bson.E{Key: "deviceId", Value: bson.D{{Key: "$in", Value: r.DeviceIDs}}})
	}
	evs := store.EventsOf(ctx)
	ids, err := db.revokeSessions(ctx, f, r.At, func(user string) []*store.Event { return store.EventsFor(evs, user) })
	if err != nil {
		return nil, err
	}
	return ids, db.relaySessions(ctx, ids, evs)
}

// relaySessions relays evs from the sessions ids that carry them, and
// those no session carries alone.
func (db *DB) relaySessions(ctx context.Context, ids []string, evs []*store.Event) error {
	if len(evs) == 0 {
		return nil
	}
	if len(ids) == 0 {
		return db.relay(ctx, "", evs)
	}
	owners, err := db.sessionOwners(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: ids}}}})
	if err != nil {
		return err
	}
	byUser := map[string][]string{}
	for id, o := range owners {
		byUser[o.UserID] = append(byUser[o.UserID], id)
	}
	var alone []*store.Event
	for _, e := range evs {
		if len(byUser[e.SubjectID]) == 0 {
			alone = append(alone, e)
		}
	}
	for user, sessions := range byUser {
		if err := db.relayFrom(ctx, db.sessions, sessions, store.EventsFor(evs, user)); err != nil {
			return err
		}
	}
	return db.relay(ctx, "", alone)
}

type sessionOwner struct {
	UserID  string
	Version int64
}

// sessionOwners reads the user and the version of each session f matches.
func (db *DB) sessionOwners(ctx context.Context, f bson.D) (map[string]sessionOwner, error) {
	cur, err := db.sessions.Find(ctx, f, options.Find().SetProjection(bson.D{{Key: "userId", Value: 1}, {Key: "version", Value: 1}}))
	if err != nil {
		return nil, wrap("find sessions", err)
	}
	var docs []struct {
		ID      string `bson:"_id"`
		UserID  string `bson:"userId"`
		Version int64  `bson:"version"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, wrap("find sessions", err)
	}
	out := make(map[string]sessionOwner, len(docs))
	for _, d := range docs {
		out[d.ID] = sessionOwner{UserID: d.UserID, Version: d.Version}
	}
	return out, nil
}

// revokeSessions revokes the unrevoked sessions f matches and returns
// their ids; each session's revocation pushes the events carry returns
// for its user. It reads their versions first (a multi-document update
// returns no ids), then writes each as a versioned write under its claim
// (claimBatch), all in one bulk write; a session whose next version
// another writer holds is read again and retried.
func (db *DB) revokeSessions(ctx context.Context, f bson.D, at time.Time, carry func(user string) []*store.Event) ([]string, error) {
	var revoked []string
	err := retry(ctx, "revoke sessions", func() error {
		owners, err := db.sessionOwners(ctx, f)
		if err != nil || len(owners) == 0 {
			return err
		}
		versions := make(map[string]int64, len(owners))
		for id, o := range owners {
			versions[id] = o.Version
		}
		claimed, err := db.claimBatch(ctx, db.sessions, versions)
		if err != nil {
			return err
		}
		if err := db.writeRevocations(ctx, owners, claimed, at, carry); err != nil {
			return err
		}
		var left bson.A
		for id := range versions {
			if _, ok := claimed[id]; ok {
				revoked = append(revoked, id)
			} else {
				left = append(left, id)
			}
		}
		if len(left) > 0 {
			f = bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: left}}}, {Key: "revokedAt", Value: never}}
			return errStale
		}
		return nil
	})
	return revoked, err
}

// writeRevocations revokes the sessions claimed, each conditioned on the
// version read and pushing its user's events, on a context the caller's
// cancellation does not reach (writeClaimed says why).
func (db *DB) writeRevocations(ctx context.Context, owners map[string]sessionOwner, claimed map[string]int64, at time.Time, carry func(string) []*store.Event) error {
	if len(claimed) == 0 {
		return nil
	}
	models := make([]mongo.WriteModel, 0, len(claimed))
	for id, next := range claimed {
		update, err := pushEvents(bson.D{{Key: "$set", Value: bson.D{{Key: "revokedAt", Value: dateOf(store.Trunc(at))}, {Key: "version", Value: next}}}},
			carry(owners[id].UserID))
		if err != nil {
			return err
		}
		models = append(models, mongo.NewUpdateOneModel().
			SetFilter(bson.D{{Key: "_id", Value: id}, {Key: "version", Value: owners[id].Version}, {Key: "revokedAt", Value: never}}).
			SetUpdate(update))
	}
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), claimedWriteTimeout)
	defer cancel()
	_, err := db.sessions.BulkWrite(wctx, models, options.BulkWrite().SetOrdered(false))
	return wrap("revoke sessions", err)
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

// RotateRefreshToken consumes the token and inserts its successor. The
// consumption is claimed first (claims.go), so exactly one caller consumes
// a token on every server; the winner's update sets consumedAt and the
// successor's hash together, on a token not consumed yet. A caller that
// finds the claim held waits for that update (takeToken), so ErrConflict
// always means a token recorded as consumed, with the successor the
// session service's reuse window reads. Without a transaction, a failed
// insert of the successor leaves the session without a current token:
// its next refresh fails, and the user signs in again.
func (db *DB) RotateRefreshToken(ctx context.Context, hash, nextHash string, at time.Time) (*store.RefreshToken, error) {
	key, seq, err := db.takeToken(ctx, hash)
	if err != nil {
		return nil, err
	}
	var old tokenDoc
	err = db.writeClaimed(ctx, key, seq, func(ctx context.Context) (bool, error) {
		err := db.tokens.FindOneAndUpdate(ctx,
			bson.D{{Key: "_id", Value: hash}, {Key: "consumedAt", Value: never}},
			bson.D{{Key: "$set", Value: bson.D{
				{Key: "consumedAt", Value: dateOf(store.Trunc(at))},
				{Key: "successor", Value: nextHash},
			}}}).Decode(&old)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return false, nil
		}
		return err == nil, wrap("rotate refresh token", err)
	})
	if errors.Is(err, errStale) {
		return nil, db.consumedOrMissing(ctx, hash)
	}
	if err != nil {
		return nil, err
	}
	prev := old.token()
	next := &store.RefreshToken{Hash: nextHash, SessionID: prev.SessionID, UserID: prev.UserID,
		CreatedAt: store.Trunc(at), ExpiresAt: prev.ExpiresAt}
	if err := db.CreateRefreshToken(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}

// takeToken claims the consumption of the token with the hash. While
// another caller holds that claim and the token does not show it consumed
// yet, it waits (retry's pauses), since that caller's update is on its way;
// ErrConflict once it shows, ErrNotFound if there is no such token. A
// holder that never writes (it died) is outwaited by its claim's hold, not
// here: the caller gets a fault and may try again later.
func (db *DB) takeToken(ctx context.Context, hash string) (key string, seq int64, err error) {
	key = collTokens + ":" + hash
	err = retry(ctx, "rotate refresh token", func() error {
		s, ok, err := db.claimWrite(ctx, key, 1)
		switch {
		case err != nil:
			return err
		case ok:
			seq = s
			return nil
		}
		t, err := db.GetRefreshToken(ctx, hash)
		switch {
		case err != nil:
			return err
		case t.Consumed():
			return store.ErrConflict
		}
		return errStale
	})
	if errors.Is(err, errContended) {
		return "", 0, &fault{op: "rotate refresh token", err: errClaimHeld}
	}
	return key, seq, err
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
// first, so an interrupted purge leaves no token without its session. The
// write claims the TTL index would have deleted go too (purgeWriteClaims).
func (db *DB) PurgeSessions(ctx context.Context, t time.Time) (int, error) {
	cutoff := dateOf(store.Trunc(t))
	f := bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: cutoff}}}}
	if _, err := db.tokens.DeleteMany(ctx, f); err != nil {
		return 0, wrap("purge refresh tokens", err)
	}
	res, err := db.sessions.DeleteMany(ctx, f)
	if err != nil {
		return 0, wrap("purge sessions", err)
	}
	return int(res.DeletedCount), db.purgeWriteClaims(ctx)
}
