package mongo

import (
	"cmp"
	"slices"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// Orders and keyset pagination, identical to SQLite's (docs/FILTERS.md):
// each key in turn, then the id ascending.
//
// Time, username and email keys sort natively. For a JSON path, MongoDB's
// own BSON order already puts null and missing first, then numbers
// (numerically), strings (byte-wise), objects, arrays and booleans — the
// order the spec asks for — for every value except three: objects compare
// by content (the spec ties them), arrays by their smallest or largest
// element (the spec ties them after objects), and a path crossing an
// array finds the elements (the spec calls it missing). Aggregation
// expressions that could rewrite those values are not portable (FerretDB
// 1.x has almost none), so a JSON order runs as two finds: the documents
// whose values sort natively (the usual case), read in order from the
// server, and the rest ("misfits"), sorted here with the spec's
// comparator; the page is taken from both (see query.go).

// sortKey is one order key as the server sorts it.
type sortKey struct {
	order store.UserOrder
	field string    // the BSON field sorted on
	path  *jsonPath // the JSON path, for METADATA and APP_METADATA
}

var orderFields = map[store.OrderField]string{
	store.OrderCreatedAt:     "createdAt",
	store.OrderUpdatedAt:     "updatedAt",
	store.OrderLastLoginAt:   "lastLoginAt",
	store.OrderLastRequestAt: "lastRequestAt",
	store.OrderUsername:      "usernameKey",
	store.OrderEmail:         "emailKey",
}

// sortKeys maps a validated order to server keys.
func sortKeys(order []store.UserOrder) ([]sortKey, error) {
	keys := make([]sortKey, len(order))
	for i, o := range order {
		keys[i] = sortKey{order: o, field: orderFields[o.Field]}
		if o.Field == store.OrderMetadata || o.Field == store.OrderAppMetadata {
			root := "metadata"
			if o.Field == store.OrderAppMetadata {
				root = "appMetadata"
			}
			p, err := newJSONPath(root, o.Path)
			if err != nil {
				return nil, err
			}
			keys[i].path, keys[i].field = &p, p.name()
		}
	}
	return keys, nil
}

func hasJSONKey(keys []sortKey) bool {
	for _, k := range keys {
		if k.path != nil {
			return true
		}
	}
	return false
}

// sortSpec is the server's sort document, ending with the id tiebreak.
func sortSpec(keys []sortKey) bson.D {
	spec := make(bson.D, 0, len(keys)+1)
	for _, k := range keys {
		dir := 1
		if k.order.Desc {
			dir = -1
		}
		spec = append(spec, bson.E{Key: k.field, Value: dir})
	}
	return append(spec, bson.E{Key: "_id", Value: 1})
}

// nativeOrder holds for the documents whose values at every JSON key sort
// natively as the spec orders them: the path walks objects only and ends
// at a scalar, a null or nothing.
func nativeOrder(keys []sortKey) cond {
	var cs []cond
	for _, k := range keys {
		if k.path != nil {
			cs = append(cs, k.path.walks(), field(k.field, ops("$not", ops("$type", bson.A{"object", "array"}))))
		}
	}
	return and(cs...)
}

// after is the keyset condition "strictly after cursor c" for documents
// that sort natively: (k1 beyond) or (k1 equal and k2 beyond) or … or
// (every key equal and a greater id).
func after(keys []sortKey, c *store.Cursor) cond {
	terms := make([]cond, 0, len(keys)+1)
	var equal []cond
	for i, k := range keys {
		terms = append(terms, and(append(slices.Clone(equal), k.beyond(c.Values[i]))...))
		equal = append(equal, k.equal(c.Values[i]))
	}
	terms = append(terms, and(append(equal, field("_id", ops("$gt", c.ID)))...))
	return or(terms...)
}

// equal holds for the values that tie with v.
func (k sortKey) equal(v store.SortValue) cond {
	switch {
	case k.path != nil:
		return k.jsonValue(v, "$eq")
	case k.order.Field == store.OrderUsername || k.order.Field == store.OrderEmail:
		return field(k.field, v.Str)
	}
	return field(k.field, dateOf(v.Time))
}

// beyond holds for the values that come after v in k's direction.
func (k sortKey) beyond(v store.SortValue) cond {
	op := "$gt"
	if k.order.Desc {
		op = "$lt"
	}
	switch {
	case k.path != nil:
		return k.jsonBeyond(v, op)
	case k.order.Field == store.OrderUsername || k.order.Field == store.OrderEmail:
		return field(k.field, ops(op, v.Str))
	}
	return field(k.field, ops(op, dateOf(v.Time)))
}

// nativeRanks are the type ranks a natively sorted value can have.
var nativeRanks = []store.JSONType{store.TypeNull, store.TypeNumber, store.TypeString, store.TypeBool}

// jsonBeyond: a greater (or, descending, smaller) value of v's type, or
// any value of a type ranked after (before) it.
func (k sortKey) jsonBeyond(v store.SortValue, op string) cond {
	cs := []cond{k.jsonValue(v, op)}
	for _, r := range nativeRanks {
		if (op == "$gt" && r > v.Type) || (op == "$lt" && r < v.Type) {
			cs = append(cs, k.rank(r))
		}
	}
	return or(cs...)
}

// jsonValue compares with v within its type; types without an order of
// their own (null, objects, arrays) tie under $eq and never pass $gt/$lt.
func (k sortKey) jsonValue(v store.SortValue, op string) cond {
	switch v.Type {
	case store.TypeNumber:
		return field(k.field, ops("$type", "number", op, v.Num))
	case store.TypeString:
		return field(k.field, ops("$type", "string", op, v.Str))
	case store.TypeBool:
		return field(k.field, ops("$type", "bool", op, v.Bool))
	case store.TypeNull:
		if op == "$eq" {
			return k.rank(store.TypeNull)
		}
	}
	return nobody
}

// rank holds for the natively sorted values of type rank r. A null query
// matches null and missing alike, which is the spec's first rank.
func (k sortKey) rank(r store.JSONType) cond {
	switch r {
	case store.TypeNull:
		return field(k.field, nil)
	case store.TypeNumber:
		return field(k.field, ops("$type", "number"))
	case store.TypeString:
		return field(k.field, ops("$type", "string"))
	case store.TypeBool:
		return field(k.field, ops("$type", "bool"))
	}
	return nobody
}

// compareCursors orders two positions as docs/FILTERS.md does; it is the
// reference the misfits are sorted and merged with.
func compareCursors(order []store.UserOrder, a, b *store.Cursor) int {
	for i, o := range order {
		c := compareValues(o.Field, a.Values[i], b.Values[i])
		if o.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}

func compareValues(f store.OrderField, x, y store.SortValue) int {
	switch f {
	case store.OrderUsername, store.OrderEmail:
		return strings.Compare(x.Str, y.Str)
	case store.OrderMetadata, store.OrderAppMetadata:
		if x.Type != y.Type {
			return cmp.Compare(x.Type, y.Type)
		}
		switch x.Type {
		case store.TypeNumber:
			return cmp.Compare(x.Num, y.Num)
		case store.TypeString:
			return strings.Compare(x.Str, y.Str)
		case store.TypeBool:
			return cmp.Compare(boolRank(x.Bool), boolRank(y.Bool))
		}
		return 0
	}
	// Times as stored: "never" is the epoch.
	return cmp.Compare(dateOf(x.Time), dateOf(y.Time))
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}
