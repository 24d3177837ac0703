package mongo

import (
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"go.mongodb.org/mongo-driver/v2/mongo/writeconcern"
)

// defaultConcerns sets what usergraph's single-use records need from a
// replica set, where the connection string chose nothing itself
// (docs/SCALING.md, "Read and write concerns"):
//
//   - Writes are acknowledged once a majority of the members has them
//     (w: majority). A write only the primary has is rolled back when it
//     fails over before a secondary copied it: a consumed refresh token
//     would be consumable again, a revocation undone, a claim
//     (a unique-key insert) free to be taken twice. MongoDB 5.0 and
//     later default to majority already; 4.4, which the driver still
//     serves, defaulted to 1.
//   - Reads go to the primary, the driver's default, stated here so that
//     it is a decision: a secondary lags, and a session check there would
//     miss a revocation for as long as it lags, on top of
//     -session-cache-ttl.
//
// An operator who sets w or readPreference in the connection string gets
// what they set. The read concern stays the server's (local): reading
// from the primary, a client sees every write acknowledged to it.
func defaultConcerns(co *options.ClientOptions) {
	if co.WriteConcern == nil {
		co.SetWriteConcern(writeconcern.Majority())
	}
	if co.ReadPreference == nil {
		co.SetReadPreference(readpref.Primary())
	}
}
