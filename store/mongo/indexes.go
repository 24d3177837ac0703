package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Indexes are created at every Open; createIndexes with an existing name
// and the same definition does nothing, so this is idempotent.
//
// Unique indexes carry correctness and must exist. The others (sort and
// look-up indexes, TTL cleanup) only make things faster or tidier: a
// server that refuses one as not implemented (FerretDB 1.x has no TTL)
// gets a warning in the log and the store stays correct without it,
// because queries check expiry themselves.

// expiredGrace is how long TTL cleanup keeps sessions and refresh tokens
// after they expire (store.ExpiredRetention, in seconds): the index never
// decides whether a session is live. PurgeSessions does the same work where
// the server has no TTL indexes.
const expiredGrace = int32(store.ExpiredRetention / time.Second)

// indexSpec is one index of one collection.
type indexSpec struct {
	coll     *mongo.Collection
	name     string
	keys     bson.D
	unique   bool
	ttl      int32 // expireAfterSeconds; 0: none
	required bool  // the store is wrong without it
}

func (db *DB) indexSpecs(paths []store.IndexedPath) ([]indexSpec, error) {
	k := func(fields ...string) bson.D {
		d := make(bson.D, len(fields))
		for i, f := range fields {
			d[i] = bson.E{Key: f, Value: 1}
		}
		return d
	}
	specs := []indexSpec{
		{coll: db.users, name: indexUsername, keys: k(fieldUniqueUsername), unique: true, required: true},
		{coll: db.users, name: indexEmail, keys: k(fieldUniqueEmail), unique: true, required: true},
		{coll: db.users, name: indexPhone, keys: k(fieldUniquePhone), unique: true, required: true},
		{coll: db.users, name: "createdAt_id", keys: k("createdAt", "_id")},
		// Newest first is {createdAt: -1, _id: 1} (DESC does not reverse
		// the id tiebreak), which the ascending index cannot serve.
		{coll: db.users, name: "createdAt_desc_id", keys: bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: 1}}},
		{coll: db.users, name: "updatedAt_id", keys: k("updatedAt", "_id")},
		{coll: db.users, name: "lastLoginAt_id", keys: k("lastLoginAt", "_id")},
		{coll: db.users, name: "lastRequestAt_id", keys: k("lastRequestAt", "_id")},
		{coll: db.users, name: "usernameKey_id", keys: k("usernameKey", "_id")},
		{coll: db.users, name: "emailKey_id", keys: k("emailKey", "_id")},
		{coll: db.users, name: "roles", keys: k("roles")},
		{coll: db.users, name: "tags", keys: k("tags")},
		// Discovery (docs/FILTERS.md): exact names and name prefixes, and
		// an unfiltered page of the users it may show, in the default order.
		{coll: db.users, name: "firstNameKey", keys: k("firstNameKey")},
		{coll: db.users, name: "lastNameKey", keys: k("lastNameKey")},
		{coll: db.users, name: "fullNameKey", keys: k("fullNameKey")},
		{coll: db.users, name: "discoverable_createdAt_id", keys: k("status", "deletedAt", "isGuest", "createdAt", "_id")},
		// The guests the janitor deletes once idle (PurgeGuests).
		{coll: db.users, name: "isGuest_lastRequestAt", keys: k("isGuest", "lastRequestAt", "createdAt")},
		{coll: db.apps, name: indexClientID, keys: k("clientId"), unique: true, required: true},
		{coll: db.sessions, name: "userId_createdAt", keys: k("userId", "createdAt")},
		{coll: db.sessions, name: "expiresAt_ttl", keys: k("expiresAt"), ttl: expiredGrace},
		// A sign-in finds its device by user and token; listings use the prefix.
		{coll: db.devices, name: indexDeviceToken, keys: k("userId", "token"), unique: true, required: true},
		{coll: db.tokens, name: "sessionId", keys: k("sessionId")},
		{coll: db.tokens, name: "userId", keys: k("userId")},
		{coll: db.tokens, name: "expiresAt_ttl", keys: k("expiresAt"), ttl: expiredGrace},
		{coll: db.roles, name: indexRoleName, keys: k("name"), unique: true, required: true},
		// A user's avatars are deleted with the user; GridFS makes its own
		// indexes (filename, and the chunks') at the first upload.
		{coll: db.avatarFiles(), name: "metadata.userId", keys: k("metadata.userId")},
		// A provider account's claim is found by _id; a deleted user's by user.
		{coll: db.identities, name: "userId", keys: k("userId")},
		{coll: db.oauthStates, name: "expiresAt", keys: k("expiresAt")},
		// Claims are looked up by _id only; this deletes them (claims.go).
		{coll: db.writeClaims, name: "until_ttl", keys: k("until"), ttl: claimKeep},
	}
	specs = append(specs, db.outboxIndexSpecs(k)...)
	specs = append(specs, db.recoveryIndexSpecs(k)...)
	specs = append(specs, db.eventIndexSpecs(k)...)
	for _, p := range paths {
		root := "metadata"
		if p.AppMetadata {
			root = "appMetadata"
		}
		jp, err := newJSONPath(root, p.Path)
		if err != nil {
			return nil, err
		}
		// Named after the dotted path itself, so two paths never share a name.
		specs = append(specs, indexSpec{coll: db.users, name: jp.name() + "_createdAt_id", keys: k(jp.name(), "createdAt", "_id")})
	}
	return specs, nil
}

// createIndexes creates every index, failing on a required one.
func (db *DB) createIndexes(ctx context.Context, paths []store.IndexedPath) error {
	specs, err := db.indexSpecs(paths)
	if err != nil {
		return err
	}
	for _, s := range specs {
		opts := options.Index().SetName(s.name)
		if s.unique {
			opts.SetUnique(true)
		}
		if s.ttl > 0 {
			opts.SetExpireAfterSeconds(s.ttl)
		}
		_, err := s.coll.Indexes().CreateOne(ctx, mongo.IndexModel{Keys: s.keys, Options: opts})
		switch {
		case err == nil:
		case !s.required && notImplemented(err):
			db.log.Warn("mongodb: the server cannot build this index; continuing without it",
				"collection", s.coll.Name(), "index", s.name, "reason", describe(err))
		default:
			return fmt.Errorf("mongodb: create index %s.%s: %w", s.coll.Name(), s.name, wrap("create index", err))
		}
	}
	return nil
}
