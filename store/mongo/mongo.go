// Package mongo implements store.Store on MongoDB through the official
// driver (go.mongodb.org/mongo-driver/v2): the production backend for
// replica sets and sharded clusters.
//
// It keeps to what every MongoDB-compatible server offers (the portability
// rule of docs/ARCHITECTURE.md, "Stores"): no collation, no multi-document transactions, no
// change streams, no aggregation expressions. Case-insensitive uniqueness
// uses the normalized key fields under unique indexes; updates are
// read-modify-write with an optimistic version check (cas.go), each write
// claimed first by an insert under a unique key (claims.go); expiry is
// checked in queries and TTL indexes only clean up.
//
// The semantics are those of the embedded backend, store/sqlite, checked by
// the same conformance suite (store/storetest).
package mongo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/usergraph/usergraph/store"
)

// Options tune a store. The zero value is usable.
type Options struct {
	// Database is the database name; empty: the URI's path, else "usergraph".
	Database string
	// Timeout bounds connecting, server selection and the ping at Open
	// (0: DefaultTimeout).
	Timeout time.Duration
	// MaxPoolSize caps the connections per server (0: the driver's
	// default, which DefaultMaxPoolSize repeats).
	MaxPoolSize uint64
	// IndexedPaths get an index each (see docs/FILTERS.md).
	IndexedPaths []store.IndexedPath
	// Log receives warnings about indexes the server cannot build (nil:
	// discarded).
	Log *slog.Logger
}

// Defaults of Options, for the configuration (USERGRAPH_MONGO_TIMEOUT,
// USERGRAPH_MONGO_MAX_POOL_SIZE).
const (
	DefaultTimeout     = 10 * time.Second
	DefaultMaxPoolSize = 100
)

// Collection names.
const (
	collUsers        = "users"
	collSessions     = "sessions"
	collDevices      = "devices"
	collApplications = "applications"
	collTokens       = "refresh_tokens"
	collRoles        = "roles"
	collKeys         = "signing_keys"
	collSettings     = "settings"
	collOutbox       = "outbox"
	collOutboxClaims = "outbox_claims"
	collWriteClaims  = "write_claims"

	collRecoveryTokens = "recovery_tokens"
	collRecoveryClaims = "recovery_claims"
	collTurns          = "throttle_turns"
	collTurnClaims     = "throttle_claims"

	collEvents      = "audit_events"
	collWebhooks    = "webhooks"
	collDeliveries  = "webhook_deliveries"
	collIdentities  = "identities" // claims of provider accounts (identities.go)
	collOAuthStates = "oauth_states"
)

// DB is a store.Store on one MongoDB database.
type DB struct {
	client   *mongo.Client
	db       *mongo.Database
	users    *mongo.Collection
	sessions *mongo.Collection
	devices  *mongo.Collection
	apps     *mongo.Collection
	tokens   *mongo.Collection
	roles    *mongo.Collection
	keys     *mongo.Collection
	settings *mongo.Collection
	outbox   *mongo.Collection
	// One document per claim of an outbox message, and per claim of a
	// versioned write or a token's consumption (claims.go).
	outboxClaims *mongo.Collection
	writeClaims  *mongo.Collection

	recoveryTokens *mongo.Collection // recovery.go
	recoveryClaims *mongo.Collection // the uses and wrong tries of recovery tokens
	turns          *mongo.Collection // throttle.go
	turnClaims     *mongo.Collection // one document per turn taken

	events      *mongo.Collection   // the audit trail (events.go)
	webhooks    *mongo.Collection   // webhooks.go
	deliveries  *mongo.Collection   // webhooks' delivery attempts
	avatars     *mongo.GridFSBucket // avatars.go
	identities  *mongo.Collection   // identities.go
	oauthStates *mongo.Collection   // oauthstates.go

	log *slog.Logger

	// crashBeforeRelay, set by tests only (export_test.go), makes every
	// write stop after its change, before relaying the events it carries:
	// what a process that died between the two leaves behind.
	crashBeforeRelay bool
}

var _ store.Store = (*DB)(nil)

// Open connects to the server at uri (mongodb:// or mongodb+srv://), checks
// that it answers within opts.Timeout, creates the indexes and rewrites
// what an upgrade changed in stored users (refold.go). It fails fast
// with a message naming the host (never the credentials) when the server
// cannot be reached.
func Open(ctx context.Context, uri string, opts Options) (*DB, error) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	host, path := uriHostAndDatabase(uri)
	co := options.Client().ApplyURI(uri).
		SetConnectTimeout(opts.Timeout).
		SetServerSelectionTimeout(opts.Timeout)
	if opts.MaxPoolSize > 0 {
		co.SetMaxPoolSize(opts.MaxPoolSize)
	}
	defaultConcerns(co)
	client, err := mongo.Connect(co)
	if err != nil {
		// A malformed URI, or a mongodb+srv name that does not resolve.
		// The driver's message may quote the URI, so only the log gets it.
		opts.Log.Error("mongodb: connection string refused", "host", host, "err", &fault{op: "connect", err: err})
		return nil, fmt.Errorf("mongodb: cannot use the connection string for %s (see the log)", host)
	}
	db := newDB(client, databaseName(opts.Database, path), opts.Log)
	if err := db.ping(ctx, opts.Timeout, host); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.createIndexes(ctx, opts.IndexedPaths); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.refoldSearchText(ctx, refoldBatch); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.fillNameKeys(ctx, refoldBatch); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func newDB(client *mongo.Client, name string, log *slog.Logger) *DB {
	d := client.Database(name)
	return &DB{
		client:       client,
		db:           d,
		users:        d.Collection(collUsers),
		sessions:     d.Collection(collSessions),
		devices:      d.Collection(collDevices),
		apps:         d.Collection(collApplications),
		tokens:       d.Collection(collTokens),
		roles:        d.Collection(collRoles),
		keys:         d.Collection(collKeys),
		settings:     d.Collection(collSettings),
		outbox:       d.Collection(collOutbox),
		outboxClaims: d.Collection(collOutboxClaims),
		writeClaims:  d.Collection(collWriteClaims),

		recoveryTokens: d.Collection(collRecoveryTokens),
		recoveryClaims: d.Collection(collRecoveryClaims),
		turns:          d.Collection(collTurns),
		turnClaims:     d.Collection(collTurnClaims),

		events:      d.Collection(collEvents),
		webhooks:    d.Collection(collWebhooks),
		deliveries:  d.Collection(collDeliveries),
		avatars:     d.GridFSBucket(options.GridFSBucket().SetName(avatarsBucket)),
		identities:  d.Collection(collIdentities),
		oauthStates: d.Collection(collOAuthStates),

		log: log,
	}
}

// ping is Open's reachability check. The driver's error goes to the log
// (operators need it); the returned message names the host and the limit.
func (db *DB) ping(ctx context.Context, timeout time.Duration, host string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := db.Ping(ctx)
	if err == nil {
		return nil
	}
	db.log.Error("mongodb: ping at start-up failed", "host", host, "err", err)
	if ctx.Err() != nil || mongo.IsTimeout(err) || mongo.IsNetworkError(err) {
		return fmt.Errorf("mongodb: cannot reach the server at %s within %s", host, timeout)
	}
	return fmt.Errorf("mongodb: the server at %s refused the connection (check the credentials and TLS settings)", host)
}

// databaseName picks the database: the option, else the URI's path, else
// "usergraph".
func databaseName(option, fromURI string) string {
	switch {
	case option != "":
		return option
	case fromURI != "":
		return fromURI
	}
	return "usergraph"
}

// uriHostAndDatabase reads the host list and the database path of a
// connection string without resolving anything (mongodb+srv would need DNS)
// and without the user info, so both are safe to put in messages.
func uriHostAndDatabase(uri string) (host, database string) {
	rest := uri
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+3:]
	}
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		rest = rest[:i]
	}
	host, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		host = host[at+1:]
	}
	if db, err := url.PathUnescape(path); err == nil {
		database = db
	}
	return host, database
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err(); err != nil {
		return wrap("ping", err)
	}
	return nil
}

// Close disconnects, waiting up to 10 s for operations in flight.
func (db *DB) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.client.Disconnect(ctx); err != nil {
		return wrap("disconnect", err)
	}
	return nil
}

// Drop deletes the whole database. Tests use it to leave nothing behind.
func (db *DB) Drop(ctx context.Context) error {
	return wrap("drop database", db.db.Drop(ctx))
}
