package mongo

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Identities of social sign-in, without transactions. The user document
// is the record: it holds its identities (identities) and their providers
// (providers, which the users filter tests), written together in one
// versioned write under the claim of the user's next version (claims.go),
// so no other write of the user is lost to it or undoes it. UpdateUser's
// writes set the fields of userDoc only and leave these two as they are.
//
// What makes a provider account one user's at most is a claim: a document
// in identities whose _id is the account's key, inserted before the user
// document is written (an insert of an existing _id fails on every
// server). A claim whose user lacks the identity is a link in progress,
// or the trace of one that failed half-way (a process that died between
// the two writes, a user deleted since): once older than claimHold, the
// next link of that account removes it and takes its place.

// fieldProviders is the user document's list of its identities' providers.
const fieldProviders = "providers"

// identityDoc is an identity inside its user's document.
type identityDoc struct {
	Provider string        `bson:"provider"`
	Subject  string        `bson:"subject"`
	Email    string        `bson:"email"`
	LinkedAt bson.DateTime `bson:"linkedAt"`
}

// identityClaimDoc is a provider account's claim, in identities.
type identityClaimDoc struct {
	Key       string        `bson:"_id"`
	UserID    string        `bson:"userId"`
	ClaimedAt bson.DateTime `bson:"claimedAt"`
}

// userIdentities is what identity writes read of a user document.
type userIdentities struct {
	ID         string        `bson:"_id"`
	Version    int64         `bson:"version"`
	Identities []identityDoc `bson:"identities"`
}

// identityKey is a provider account's claim id: the provider's length
// first, so that no two (provider, subject) pairs share a key whatever
// characters either holds.
func identityKey(provider, subject string) string {
	return strconv.Itoa(len(provider)) + ":" + provider + ":" + subject
}

func (d identityDoc) identity(userID string) *store.Identity {
	return &store.Identity{UserID: userID, Provider: d.Provider, Subject: d.Subject, Email: d.Email, LinkedAt: timeOf(d.LinkedAt)}
}

// CreateIdentity claims the provider account, then adds the identity to
// its user, by an update that carries the events of ctx (events.go); if
// that fails, the claim is given back.
func (db *DB) CreateIdentity(ctx context.Context, id *store.Identity) error {
	if id.UserID == "" || id.Provider == "" || id.Subject == "" {
		return store.Invalidf("an identity needs a user, a provider and a subject")
	}
	id.Normalize()
	if _, err := db.readIdentities(ctx, id.UserID); err != nil {
		return err // no user: nothing to claim for
	}
	key := identityKey(id.Provider, id.Subject)
	if err := db.claimIdentity(ctx, key, id.UserID); err != nil {
		return err
	}
	err := retry(ctx, "link identity", func() error {
		u, err := db.readIdentities(ctx, id.UserID)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(u.Identities, func(d identityDoc) bool { return d.Provider == id.Provider }) {
			return store.AlreadyExists(store.FieldProvider)
		}
		doc := identityDoc{Provider: id.Provider, Subject: id.Subject, Email: id.Email, LinkedAt: dateOf(id.LinkedAt)}
		return db.writeIdentities(ctx, u, append(u.Identities, doc), store.EventsOf(ctx))
	})
	if err != nil {
		db.releaseIdentity(ctx, key, id.UserID)
		return err
	}
	return db.relay(ctx, id.UserID, store.EventsOf(ctx))
}

// maxClaimTakeovers bounds how often one link removes a stale claim and
// tries again.
const maxClaimTakeovers = 2

// claimIdentity inserts the claim of key for userID, taking the place of a
// stale one (see the top of this file).
func (db *DB) claimIdentity(ctx context.Context, key, userID string) error {
	for range maxClaimTakeovers {
		_, err := db.identities.InsertOne(ctx, identityClaimDoc{Key: key, UserID: userID, ClaimedAt: dateOf(time.Now())})
		if err == nil {
			return nil
		}
		if _, dup := dupIndex(err); !dup {
			return wrap("claim identity", err)
		}
		stale, err := db.removeStaleClaim(ctx, key)
		if err != nil {
			return err
		}
		if !stale {
			return store.AlreadyExists(store.FieldIdentity)
		}
	}
	return store.AlreadyExists(store.FieldIdentity)
}

// removeStaleClaim deletes the claim of key if it is stale and reports
// whether the key may be claimed again (also when the claim went meanwhile).
func (db *DB) removeStaleClaim(ctx context.Context, key string) (bool, error) {
	var c identityClaimDoc
	err := db.identities.FindOne(ctx, bson.D{{Key: "_id", Value: key}}).Decode(&c)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return true, nil
	}
	if err != nil {
		return false, wrap("find identity claim", err)
	}
	if time.Since(timeOf(c.ClaimedAt)) < claimHold {
		return false, nil // a link in progress, or a fresh one
	}
	holder, err := db.readIdentities(ctx, c.UserID)
	if err == nil && slices.ContainsFunc(holder.Identities, func(d identityDoc) bool { return identityKey(d.Provider, d.Subject) == key }) {
		return false, nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	// Only this claim: a later one for the key has another claimedAt.
	_, err = db.identities.DeleteOne(ctx, bson.D{{Key: "_id", Value: key}, {Key: "userId", Value: c.UserID}, {Key: "claimedAt", Value: c.ClaimedAt}})
	return err == nil, wrap("remove stale identity claim", err)
}

// releaseIdentity gives back userID's claim of key after its link failed,
// even if the caller has given up: a claim left behind blocks the account
// for claimHold.
func (db *DB) releaseIdentity(ctx context.Context, key, userID string) {
	_, _ = db.identities.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: key}, {Key: "userId", Value: userID}})
}

// readIdentities reads a user's version and identities.
func (db *DB) readIdentities(ctx context.Context, userID string) (*userIdentities, error) {
	var u userIdentities
	opts := options.FindOne().SetProjection(bson.D{{Key: "version", Value: 1}, {Key: "identities", Value: 1}})
	if err := db.users.FindOne(ctx, bson.D{{Key: "_id", Value: userID}}, opts).Decode(&u); err != nil {
		return nil, wrap("find user", err)
	}
	return &u, nil
}

// writeIdentities replaces the user's identities and providers, read at
// u.Version, in one versioned write (errStale if the user moved since)
// that pushes evs onto the user's pending events.
func (db *DB) writeIdentities(ctx context.Context, u *userIdentities, ids []identityDoc, evs []*store.Event) error {
	providers := make([]string, len(ids))
	for i, d := range ids {
		providers[i] = d.Provider
	}
	if ids == nil {
		ids = []identityDoc{}
	}
	return db.writeVersion(ctx, db.users, u.ID, u.Version, func(ctx context.Context, next int64) (bool, error) {
		update, err := pushEvents(bson.D{{Key: "$set", Value: bson.D{{Key: "identities", Value: ids}, {Key: fieldProviders, Value: providers},
			{Key: "version", Value: next}}}}, evs)
		if err != nil {
			return false, err
		}
		res, err := db.users.UpdateOne(ctx, bson.D{{Key: "_id", Value: u.ID}, {Key: "version", Value: u.Version}}, update)
		if err != nil {
			return false, wrap("write identities", err)
		}
		return res.MatchedCount == 1, nil
	})
}

// GetIdentity finds the claim, then the identity in its user: a claim
// whose user lacks it is no identity.
func (db *DB) GetIdentity(ctx context.Context, provider, subject string) (*store.Identity, error) {
	var c identityClaimDoc
	if err := db.identities.FindOne(ctx, bson.D{{Key: "_id", Value: identityKey(provider, subject)}}).Decode(&c); err != nil {
		return nil, wrap("find identity", err)
	}
	u, err := db.readIdentities(ctx, c.UserID)
	if err != nil {
		return nil, err
	}
	for _, d := range u.Identities {
		if d.Provider == provider && d.Subject == subject {
			return d.identity(u.ID), nil
		}
	}
	return nil, store.ErrNotFound
}

// ListIdentities reads the identities out of the users' documents.
func (db *DB) ListIdentities(ctx context.Context, userIDs []string) ([]*store.Identity, error) {
	if len(userIDs) == 0 {
		return nil, nil
	}
	cur, err := db.users.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: userIDs}}}},
		options.Find().SetProjection(bson.D{{Key: "identities", Value: 1}}))
	if err != nil {
		return nil, wrap("list identities", err)
	}
	var users []userIdentities
	if err := cur.All(ctx, &users); err != nil {
		return nil, wrap("list identities", err)
	}
	var out []*store.Identity
	for _, u := range users {
		for _, d := range u.Identities {
			out = append(out, d.identity(u.ID))
		}
	}
	slices.SortFunc(out, func(a, b *store.Identity) int {
		return cmp.Or(cmp.Compare(a.UserID, b.UserID), a.LinkedAt.Compare(b.LinkedAt), cmp.Compare(a.Provider, b.Provider))
	})
	return out, nil
}

// DeleteIdentity removes the identity from its user in a versioned write
// (so check sees the user as the write leaves it) that carries the events
// of ctx, then the claim.
func (db *DB) DeleteIdentity(ctx context.Context, userID, provider string, check func(*store.User, []*store.Identity) error) error {
	var gone identityDoc
	err := retry(ctx, "unlink identity", func() error {
		u, ids, err := db.readUserWithIdentities(ctx, userID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(ids.Identities, func(d identityDoc) bool { return d.Provider == provider })
		if i < 0 {
			return store.ErrNotFound
		}
		gone = ids.Identities[i]
		remaining := slices.Delete(slices.Clone(ids.Identities), i, i+1)
		list := make([]*store.Identity, len(remaining))
		for j, d := range remaining {
			list[j] = d.identity(userID)
		}
		if err := check(u, list); err != nil {
			return err
		}
		return db.writeIdentities(ctx, ids, remaining, store.EventsOf(ctx))
	})
	if err != nil {
		return err
	}
	db.releaseIdentity(ctx, identityKey(gone.Provider, gone.Subject), userID)
	return db.relay(ctx, userID, store.EventsOf(ctx))
}

// readUserWithIdentities reads a user document once, as the record and as
// what identity writes need of it.
func (db *DB) readUserWithIdentities(ctx context.Context, userID string) (*store.User, *userIdentities, error) {
	raw, err := db.users.FindOne(ctx, bson.D{{Key: "_id", Value: userID}}).Raw()
	if err != nil {
		return nil, nil, wrap("find user", err)
	}
	var d userDoc
	var ids userIdentities
	if err := bson.Unmarshal(raw, &d); err != nil {
		return nil, nil, &fault{op: "decode user", err: err}
	}
	if err := bson.Unmarshal(raw, &ids); err != nil {
		return nil, nil, &fault{op: "decode user", err: err}
	}
	u, err := d.user()
	return u, &ids, err
}

// deleteIdentityClaims removes the claims of deleted users' identities.
// It runs after the users are gone, and leaves the claims of any of them
// still there (a bulk delete whose filter stopped matching a user meanwhile
// spares it): a claim left by a failure here is stale, and the next link
// of its account takes it over.
func (db *DB) deleteIdentityClaims(ctx context.Context, userIDs []string) error {
	left, err := versionsOf(ctx, db.users, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: userIDs}}}})
	if err != nil {
		return err
	}
	gone := slices.DeleteFunc(slices.Clone(userIDs), func(id string) bool { _, ok := left[id]; return ok })
	if len(gone) == 0 {
		return nil
	}
	_, err = db.identities.DeleteMany(ctx, bson.D{{Key: "userId", Value: bson.D{{Key: "$in", Value: gone}}}})
	return wrap("delete identity claims", err)
}
