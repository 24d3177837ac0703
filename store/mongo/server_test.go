package mongo

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// The one place the tests learn which server they run on.

// testURIVar names the MongoDB server of every test that needs one, this
// package's and the end-to-end suite's (app.TestMongoURIVar).
const testURIVar = "USERGRAPH_TEST_MONGODB_URI"

// testURI returns the server the tests run on, and skips tb when none is
// named.
func testURI(tb testing.TB) string {
	tb.Helper()
	uri := serverURI()
	if uri == "" {
		tb.Skip("no MongoDB server named: set " + testURIVar + ", e.g. mongodb://127.0.0.1:27017/")
	}
	return uri
}

func serverURI() string { return os.Getenv(testURIVar) }

// isFerretDB asks the server once per test run whether it is FerretDB:
// its buildInfo answer has a ferretdbVersion key (whose value may read
// "unknown" in an embedded build), which MongoDB's never has.
var isFerretDB = sync.OnceValues(func() (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(serverURI()).SetServerSelectionTimeout(10 * time.Second))
	if err != nil {
		return false, err
	}
	defer client.Disconnect(ctx)
	var info bson.Raw
	if err := client.Database("admin").RunCommand(ctx, bson.D{{Key: "buildInfo", Value: 1}}).Decode(&info); err != nil {
		return false, err
	}
	_, err = info.LookupErr("ferretdbVersion")
	return err == nil, nil
})
