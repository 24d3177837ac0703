package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// The states of redirect flows, by _id the state's hash. Consuming one is
// a claim written as an insert under a unique key (claims.go says why: a
// conditional delete or update is not atomic on every server that speaks
// MongoDB's protocol, an insert of an existing _id fails on all of them):
// whoever inserts "oauth_states:<hash>:1" into write_claims takes the state,
// then deletes it. The claim holds until the state expires, and is purged
// with the write claims an hour later, when the state is refused as
// expired anyway.

type oauthStateDoc struct {
	Hash        string        `bson:"_id"`
	Provider    string        `bson:"provider"`
	Action      string        `bson:"action"`
	Verifier    string        `bson:"verifier"`
	Nonce       string        `bson:"nonce"`
	RedirectURI string        `bson:"redirectUri"`
	UserID      string        `bson:"userId"`
	DeviceToken string        `bson:"deviceToken"`
	CreatedAt   bson.DateTime `bson:"createdAt"`
	ExpiresAt   bson.DateTime `bson:"expiresAt"`
}

func (d *oauthStateDoc) state() *store.OAuthState {
	return &store.OAuthState{Hash: d.Hash, Provider: d.Provider, Action: store.OAuthAction(d.Action), Verifier: d.Verifier,
		Nonce: d.Nonce, RedirectURI: d.RedirectURI, UserID: d.UserID, DeviceToken: d.DeviceToken,
		CreatedAt: timeOf(d.CreatedAt), ExpiresAt: timeOf(d.ExpiresAt)}
}

// CreateOAuthState inserts s.
func (db *DB) CreateOAuthState(ctx context.Context, s *store.OAuthState) error {
	if s.Hash == "" {
		return store.Invalidf("an OAuth state needs a hash")
	}
	s.Normalize()
	_, err := db.oauthStates.InsertOne(ctx, &oauthStateDoc{Hash: s.Hash, Provider: s.Provider, Action: string(s.Action),
		Verifier: s.Verifier, Nonce: s.Nonce, RedirectURI: s.RedirectURI, UserID: s.UserID, DeviceToken: s.DeviceToken,
		CreatedAt: dateOf(s.CreatedAt), ExpiresAt: dateOf(s.ExpiresAt)})
	if _, dup := dupIndex(err); dup {
		return store.AlreadyExists(store.FieldID)
	}
	return wrap("insert oauth state", err)
}

// ConsumeOAuthState claims the state, then deletes it.
func (db *DB) ConsumeOAuthState(ctx context.Context, hash string) (*store.OAuthState, error) {
	var d oauthStateDoc
	if err := db.oauthStates.FindOne(ctx, bson.D{{Key: "_id", Value: hash}}).Decode(&d); err != nil {
		return nil, wrap("find oauth state", err)
	}
	_, err := db.writeClaims.InsertOne(ctx, claimDoc{ID: claimID(collOAuthStates+":"+hash, 1), Until: d.ExpiresAt})
	if _, dup := dupIndex(err); dup {
		return nil, store.ErrNotFound // consumed by another caller
	}
	if err != nil {
		return nil, wrap("claim oauth state", err)
	}
	// The claim decides; the delete only tidies up (the purge would).
	_, _ = db.oauthStates.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: hash}})
	return d.state(), nil
}

// PurgeOAuthStates deletes the states that expired before t.
func (db *DB) PurgeOAuthStates(ctx context.Context, t time.Time) (int, error) {
	res, err := db.oauthStates.DeleteMany(ctx, bson.D{{Key: "expiresAt", Value: bson.D{{Key: "$lt", Value: dateOf(store.Trunc(t))}}}})
	if err != nil {
		return 0, wrap("purge oauth states", err)
	}
	return int(res.DeletedCount), nil
}
