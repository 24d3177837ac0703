package mongo_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store/mongo"
)

// wantIndex is one index of docs/MONGODB.md's index table.
type wantIndex struct {
	coll, name string
	keys       string // "field:1,field:-1", in order
	unique     bool
	ttl        int64 // expireAfterSeconds; 0: not a TTL index
}

// documentedIndexes is the index table of docs/MONGODB.md ("Indexes"),
// with the indexed paths openTestDB passes (metadata.org.id,
// appMetadata.plan). Each serves a query named there.
var documentedIndexes = []wantIndex{
	{"users", "unique_username", "unique.username:1", true, 0},
	{"users", "unique_email", "unique.email:1", true, 0},
	{"users", "unique_phone", "unique.phone:1", true, 0},
	{"users", "createdAt_id", "createdAt:1,_id:1", false, 0},
	{"users", "createdAt_desc_id", "createdAt:-1,_id:1", false, 0},
	{"users", "updatedAt_id", "updatedAt:1,_id:1", false, 0},
	{"users", "lastLoginAt_id", "lastLoginAt:1,_id:1", false, 0},
	{"users", "lastRequestAt_id", "lastRequestAt:1,_id:1", false, 0},
	{"users", "usernameKey_id", "usernameKey:1,_id:1", false, 0},
	{"users", "emailKey_id", "emailKey:1,_id:1", false, 0},
	{"users", "roles", "roles:1", false, 0},
	{"users", "tags", "tags:1", false, 0},
	{"users", "firstNameKey", "firstNameKey:1", false, 0},
	{"users", "lastNameKey", "lastNameKey:1", false, 0},
	{"users", "fullNameKey", "fullNameKey:1", false, 0},
	{"users", "discoverable_createdAt_id", "status:1,deletedAt:1,isGuest:1,createdAt:1,_id:1", false, 0},
	{"users", "isGuest_lastRequestAt", "isGuest:1,lastRequestAt:1,createdAt:1", false, 0},
	{"applications", "unique_clientId", "clientId:1", true, 0},
	{"users", "metadata.org.id_createdAt_id", "metadata.org.id:1,createdAt:1,_id:1", false, 0},
	{"users", "appMetadata.plan_createdAt_id", "appMetadata.plan:1,createdAt:1,_id:1", false, 0},
	{"sessions", "userId_createdAt", "userId:1,createdAt:1", false, 0},
	{"sessions", "expiresAt_ttl", "expiresAt:1", false, 7 * 24 * 3600},
	{"devices", "unique_userId_token", "userId:1,token:1", true, 0},
	{"refresh_tokens", "sessionId", "sessionId:1", false, 0},
	{"refresh_tokens", "userId", "userId:1", false, 0},
	{"refresh_tokens", "expiresAt_ttl", "expiresAt:1", false, 7 * 24 * 3600},
	{"roles", "unique_name", "name:1", true, 0},
	{"identities", "userId", "userId:1", false, 0},
	{"oauth_states", "expiresAt", "expiresAt:1", false, 0},
	{"outbox", "kind_state_nextAttemptAt_id", "kind:1,state:1,nextAttemptAt:1,_id:1", false, 0},
	{"outbox", "orderKey_state_id", "orderKey:1,state:1,_id:1", false, 0},
	{"outbox", "state_doneAt", "state:1,doneAt:1", false, 0},
	{"outbox_claims", "until", "until:1", false, 0},
	{"write_claims", "until_ttl", "until:1", false, 3600},
	{"recovery_tokens", "unique_hash", "hash:1", true, 0},
	{"recovery_tokens", "unique_tokenId", "tokenId:1", true, 0},
	{"recovery_tokens", "expiresAt", "expiresAt:1", false, 0},
	{"recovery_claims", "expiresAt", "expiresAt:1", false, 0},
	{"throttle_turns", "lastAt", "lastAt:1", false, 0},
	{"throttle_claims", "at", "at:1", false, 0},
	{"avatars.files", "metadata.userId", "metadata.userId:1", false, 0},
	{"users", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"sessions", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"roles", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"devices", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"applications", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"webhooks", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"signing_keys", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"outbox", "pendingEvents_id", "pendingEvents._id:1", false, 0},
	{"audit_events", "type_id", "type:1,_id:1", false, 0},
	{"audit_events", "actorId_id", "actorId:1,_id:1", false, 0},
	{"audit_events", "subjectId_id", "subjectId:1,_id:1", false, 0},
	{"audit_events", "ip_id", "ip:1,_id:1", false, 0},
	{"audit_events", "at", "at:1", false, 0},
	{"webhook_deliveries", "webhookId_id", "webhookId:1,_id:1", false, 0},
	{"webhook_deliveries", "at", "at:1", false, 0},
}

// After Open the server holds exactly the documented indexes (besides
// each collection's _id index), with their keys in order, uniqueness and
// TTL. A server without TTL indexes (FerretDB) lacks those three and has
// every other one; the purges do the TTL indexes' work there.
func TestOpenCreatesDocumentedIndexes(t *testing.T) {
	db := openTestDB(t, mongo.ServerURI(t))
	ferret, err := mongo.IsFerretDB()
	if err != nil {
		t.Fatal(err)
	}
	colls := map[string]bool{}
	for _, w := range documentedIndexes {
		colls[w.coll] = true
	}
	got := map[string]wantIndex{}
	for coll := range colls {
		for _, ix := range listIndexes(t, db, coll) {
			got[coll+"."+ix.name] = ix
		}
	}
	for _, w := range documentedIndexes {
		id := w.coll + "." + w.name
		g, ok := got[id]
		delete(got, id)
		switch {
		case !ok && w.ttl > 0 && ferret:
			t.Logf("%s: absent, as FerretDB has no TTL indexes", id)
		case !ok:
			t.Errorf("index %s is missing", id)
		case g != w:
			t.Errorf("index %s: got keys %s unique %v ttl %d; want keys %s unique %v ttl %d",
				id, g.keys, g.unique, g.ttl, w.keys, w.unique, w.ttl)
		}
	}
	for id := range got {
		t.Errorf("index %s is not in docs/MONGODB.md's table (add it there and here, or drop it)", id)
	}
}

// listIndexes returns the indexes of coll but _id's.
func listIndexes(t *testing.T, db *mongo.DB, coll string) []wantIndex {
	t.Helper()
	cur, err := db.Driver().Collection(coll).Indexes().List(t.Context())
	if err != nil {
		t.Fatalf("listIndexes %s: %v", coll, err)
	}
	var raws []bson.Raw
	if err := cur.All(t.Context(), &raws); err != nil {
		t.Fatalf("listIndexes %s: %v", coll, err)
	}
	var out []wantIndex
	for _, r := range raws {
		ix := wantIndex{coll: coll, name: r.Lookup("name").StringValue()}
		if ix.name == "_id_" {
			continue
		}
		var keys []string
		elems, err := r.Lookup("key").Document().Elements()
		if err != nil {
			t.Fatalf("index %s.%s: %v", coll, ix.name, err)
		}
		for _, e := range elems {
			keys = append(keys, fmt.Sprintf("%s:%d", e.Key(), number(e.Value())))
		}
		ix.keys = strings.Join(keys, ",")
		if u, ok := r.Lookup("unique").BooleanOK(); ok {
			ix.unique = u
		}
		if v, err := r.LookupErr("expireAfterSeconds"); err == nil {
			ix.ttl = number(v)
		}
		out = append(out, ix)
	}
	slices.SortFunc(out, func(a, b wantIndex) int { return strings.Compare(a.name, b.name) })
	return out
}

// number reads a BSON number of any type as an integer.
func number(v bson.RawValue) int64 {
	if n, ok := v.AsInt64OK(); ok {
		return n
	}
	return 0
}
