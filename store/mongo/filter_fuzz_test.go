package mongo

import (
	"encoding/json"
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// FuzzCompileFilter compiles filters (JSON decoded into store.UserFilter,
// field names matching case-insensitively, so the seeds read like GraphQL
// filters) into BSON without a server. It holds that:
//   - a filter ValidateFilter refuses is ErrInvalid and compiles to nothing;
//   - a valid one marshals to a query MongoDB accepts in shape: at most 16
//     MiB, nested at most 100 deep;
//   - the query grows at most linearly with the input.
//
// What the queries match is the conformance suite's to check, on a server.
// The committed corpus (testdata/fuzz/FuzzCompileFilter, the same as
// store/sqlite's) holds the attack inputs.
func FuzzCompileFilter(f *testing.F) {
	f.Add([]byte(`{"or":[{"ids":["a"]},{"tags":{"all":["x","y"]}}],"not":{"search":"Ann"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var uf store.UserFilter
		if json.Unmarshal(data, &uf) != nil {
			return
		}
		c, err := compileFilter(&uf)
		if verr := store.ValidateFilter(&uf); verr != nil {
			if !errors.Is(err, store.ErrInvalid) || c.doc != nil {
				t.Fatalf("invalid filter (%v) compiled: %v, %v", verr, c.query(), err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid filter does not compile: %v", err)
		}
		raw, err := bson.Marshal(c.query())
		if err != nil {
			t.Fatalf("query does not marshal: %v", err)
		}
		if max := min(bsonPerInputByte*len(data)+64, maxBSONBytes); len(raw) > max {
			t.Errorf("%d bytes of BSON from %d bytes of filter, want at most %d", len(raw), len(data), max)
		}
		if d := bsonDepth(c.query()); d > maxBSONDepth {
			t.Errorf("query nested %d deep, want at most %d", d, maxBSONDepth)
		}
	})
}

// bsonPerInputByte bounds the query per byte of the filter's JSON. The
// largest expansion is a JSON predicate on a path of many short keys: each
// proper prefix gets its own not-an-array guard.
const bsonPerInputByte = 24
