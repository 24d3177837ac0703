package mongo

import (
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Orders → sort documents and keyset conditions, without a server.

func mustKeys(t *testing.T, order []store.UserOrder) []sortKey {
	t.Helper()
	order, err := store.UserQuery{Order: order, Limit: 1}.Check()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := sortKeys(order)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

func TestSortSpec(t *testing.T) {
	cases := []struct {
		order []store.UserOrder
		want  string
	}{
		{nil, `{"createdAt":1,"_id":1}`},
		{[]store.UserOrder{{Field: store.OrderEmail, Desc: true}}, `{"emailKey":-1,"_id":1}`},
		{[]store.UserOrder{{Field: store.OrderAppMetadata, Path: "a.b", Desc: true}, {Field: store.OrderLastLoginAt}},
			`{"appMetadata.a.b":-1,"lastLoginAt":1,"_id":1}`},
	}
	for _, c := range cases {
		if got := extJSON(t, sortSpec(mustKeys(t, c.order))); got != c.want {
			t.Errorf("sortSpec(%v): got %s, want %s", c.order, got, c.want)
		}
	}
}

func TestAfterDefaultOrder(t *testing.T) {
	c := &store.Cursor{ID: "u9", Values: []store.SortValue{{Time: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}}}
	want := `{"$or":[{"createdAt":{"$gt":{"$date":"2024-01-02T00:00:00Z"}}},` +
		`{"$and":[{"createdAt":{"$date":"2024-01-02T00:00:00Z"}},{"_id":{"$gt":"u9"}}]}]}`
	if got := extJSON(t, after(mustKeys(t, nil), c).query()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

// After a number in a descending JSON order come smaller numbers, then
// the null-or-missing rank; equal numbers continue by id.
func TestAfterJSONDescending(t *testing.T) {
	keys := mustKeys(t, []store.UserOrder{{Field: store.OrderMetadata, Path: "rank", Desc: true}})
	c := &store.Cursor{ID: "u9", Values: []store.SortValue{{Type: store.TypeNumber, Num: 2}}}
	want := `{"$or":[{"metadata.rank":{"$type":"number","$lt":2.0}},{"metadata.rank":null},` +
		`{"$and":[{"metadata.rank":{"$type":"number","$eq":2.0}},{"_id":{"$gt":"u9"}}]}]}`
	if got := extJSON(t, after(keys, c).query()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	// After an object (a misfit's position) ascending: only booleans.
	keys = mustKeys(t, []store.UserOrder{{Field: store.OrderMetadata, Path: "rank"}})
	c = &store.Cursor{ID: "u9", Values: []store.SortValue{{Type: store.TypeObject}}}
	want = `{"metadata.rank":{"$type":"bool"}}`
	if got := extJSON(t, after(keys, c).query()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
}

func TestNativeOrder(t *testing.T) {
	keys := mustKeys(t, []store.UserOrder{{Field: store.OrderCreatedAt}, {Field: store.OrderMetadata, Path: "org.id"}})
	want := `{"$and":[{"metadata.org":{"$not":{"$type":"array"}}},{"metadata.org.id":{"$not":{"$type":["object","array"]}}}]}`
	if got := extJSON(t, nativeOrder(keys).query()); got != want {
		t.Errorf("\n got %s\nwant %s", got, want)
	}
	if got := nativeOrder(mustKeys(t, nil)); got.kind != condAll {
		t.Errorf("nativeOrder without JSON keys: got %v, want everyone", got)
	}
}

// The comparator orders JSON values by type rank, then value, as
// docs/FILTERS.md does; objects and arrays tie and the id decides.
func TestCompareCursors(t *testing.T) {
	order := []store.UserOrder{{Field: store.OrderMetadata, Path: "v"}}
	vals := map[string]store.SortValue{
		"null": {Type: store.TypeNull}, "neg": {Type: store.TypeNumber, Num: -1},
		"two": {Type: store.TypeNumber, Num: 2}, "s10": {Type: store.TypeString, Str: "10"},
		"sB": {Type: store.TypeString, Str: "B"}, "sa": {Type: store.TypeString, Str: "a"},
		"obj": {Type: store.TypeObject}, "arr": {Type: store.TypeArray},
		"false": {Type: store.TypeBool}, "true": {Type: store.TypeBool, Bool: true},
	}
	ids := []string{"true", "arr", "sa", "null", "two", "false", "obj", "sB", "neg", "s10"}
	slices.SortFunc(ids, func(a, b string) int {
		return compareCursors(order, &store.Cursor{ID: a, Values: []store.SortValue{vals[a]}},
			&store.Cursor{ID: b, Values: []store.SortValue{vals[b]}})
	})
	want := []string{"null", "neg", "two", "s10", "sB", "sa", "obj", "arr", "false", "true"}
	if !slices.Equal(ids, want) {
		t.Errorf("got %v, want %v", ids, want)
	}
	// "never" is the epoch, before every later time.
	times := []store.UserOrder{{Field: store.OrderLastLoginAt, Desc: true}}
	never := &store.Cursor{ID: "a", Values: []store.SortValue{{}}}
	later := &store.Cursor{ID: "b", Values: []store.SortValue{{Time: time.Unix(1, 0)}}}
	if compareCursors(times, never, later) <= 0 {
		t.Errorf("descending: never sorted before a real time")
	}
}
