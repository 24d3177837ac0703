package mongo

import (
	"errors"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/storetest"
)

// MongoDB refuses documents nested deeper than 100 levels and larger than
// 16 MiB. The widest filter store.HardFilterLimits allows must build a query
// within both; what it matches is checked against a server by the
// conformance suite (UserFilterAtTheLimits).
const (
	maxBSONDepth = 100
	maxBSONBytes = 16 << 20
)

func TestCompileWidestFilter(t *testing.T) {
	for _, l := range []store.FilterLimits{store.HardFilterLimits, store.ClientFilterLimits(store.DefaultFilterWidth)} {
		f := storetest.WidestFilter(l, "hit")
		c, err := compileFilter(&f)
		if err != nil {
			t.Fatalf("width %d: compileFilter: %v", l.Width, err)
		}
		raw, err := bson.Marshal(c.query())
		if err != nil {
			t.Fatalf("width %d: bson.Marshal: %v", l.Width, err)
		}
		if len(raw) > maxBSONBytes {
			t.Errorf("width %d: query of %d bytes, want at most %d", l.Width, len(raw), maxBSONBytes)
		}
		if d := bsonDepth(c.query()); d > maxBSONDepth {
			t.Errorf("width %d: query nested %d deep, want at most %d", l.Width, d, maxBSONDepth)
		}
	}
}

func TestCompileFilterPastTheWidth(t *testing.T) {
	f := store.UserFilter{Or: make([]store.UserFilter, store.MaxFilterWidth+1)}
	if _, err := compileFilter(&f); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("or of %d branches: got %v, want ErrInvalid", len(f.Or), err)
	}
}

// bsonDepth is the nesting of documents and arrays in v (a document: 1).
func bsonDepth(v any) int {
	deepest := 0
	switch x := v.(type) {
	case bson.D:
		for _, e := range x {
			deepest = max(deepest, bsonDepth(e.Value))
		}
	case bson.A:
		for _, e := range x {
			deepest = max(deepest, bsonDepth(e))
		}
	case []string:
	default:
		return 0
	}
	return deepest + 1
}
