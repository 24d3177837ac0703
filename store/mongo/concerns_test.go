package mongo

import (
	"testing"

	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
)

// Without a choice in the connection string, writes wait for a majority
// and reads go to the primary; a choice made there is kept.
func TestDefaultConcerns(t *testing.T) {
	for _, tc := range []struct {
		uri      string
		wantW    any
		wantMode readpref.Mode
	}{
		{"mongodb://db1,db2,db3/usergraph?replicaSet=rs0", "majority", readpref.PrimaryMode},
		{"mongodb://db1/?w=1", 1, readpref.PrimaryMode},
		{"mongodb://db1/?w=2&readPreference=secondaryPreferred", 2, readpref.SecondaryPreferredMode},
		{"mongodb://db1/?readPreference=nearest", "majority", readpref.NearestMode},
	} {
		co := options.Client().ApplyURI(tc.uri)
		defaultConcerns(co)
		if co.WriteConcern == nil || co.WriteConcern.W != tc.wantW {
			t.Errorf("%s: write concern %+v, want w %v", tc.uri, co.WriteConcern, tc.wantW)
		}
		if co.ReadPreference == nil || co.ReadPreference.Mode() != tc.wantMode {
			t.Errorf("%s: read preference %v, want %v", tc.uri, co.ReadPreference, tc.wantMode)
		}
	}
}
