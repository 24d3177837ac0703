package mongo

import (
	"encoding/json"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// JSON predicates (docs/FILTERS.md) on the embedded metadata documents.
//
// MongoDB walks into arrays on its own: "metadata.org.id" matches an org
// that is an array of objects, "langs: 'go'" matches an array holding
// "go", and $type, $regex and comparisons test array elements. The spec
// walks objects only and never matches arrays with scalars, so every test
// here is guarded: each proper prefix of the path must not be an array (a
// scalar prefix already makes the path missing), and a value compared as a
// scalar must not be an array itself.

// jsonPath is a validated path inside the document root.
type jsonPath struct {
	root string // "metadata" or "appMetadata"
	segs []string
}

func newJSONPath(root, path string) (jsonPath, error) {
	segs, err := store.ParsePath(path)
	if err != nil {
		return jsonPath{}, err
	}
	return jsonPath{root: root, segs: segs}, nil
}

// name is the dotted field name of the path.
func (p jsonPath) name() string { return p.root + "." + strings.Join(p.segs, ".") }

// walks holds when no value on the way to the path is an array.
func (p jsonPath) walks() cond {
	var cs []cond
	for i := 1; i < len(p.segs); i++ {
		prefix := p.root + "." + strings.Join(p.segs[:i], ".")
		cs = append(cs, field(prefix, notArray()))
	}
	return and(cs...)
}

// resolves is c on a path that walks objects only.
func (p jsonPath) resolves(c cond) cond { return and(p.walks(), c) }

// scalar holds when the value is not an array, has BSON type alias t
// ("number", "string", "bool", "null") and passes the operators in more.
func (p jsonPath) scalar(t string, more ...bson.E) cond {
	d := append(ops("$not", ops("$type", "array"), "$type", t), more...)
	return field(p.name(), d)
}

func notArray() bson.D { return ops("$not", ops("$type", "array")) }

// predicate compiles one JSON predicate on root.
func predicate(root string, pr store.JSONPredicate) (cond, error) {
	p, err := newJSONPath(root, pr.Path)
	if err != nil {
		return cond{}, err
	}
	v := store.PredicateValue(pr)
	switch pr.Op {
	case store.JSONEq, store.JSONNe:
		c, err := p.eq([]any{v})
		return boolean(pr.Op == store.JSONEq, c), err
	case store.JSONIn, store.JSONNin:
		list, _ := v.([]any)
		c, err := p.eq(list)
		return boolean(pr.Op == store.JSONIn, c), err
	case store.JSONGt, store.JSONGte, store.JSONLt, store.JSONLte:
		return p.compare(pr.Op, v)
	case store.JSONExists:
		b, _ := v.(bool)
		return boolean(b, p.resolves(field(p.name(), ops("$exists", true)))), nil
	case store.JSONContains:
		return p.contains(v)
	case store.JSONPrefix:
		s, _ := v.(string)
		return p.resolves(p.scalar("string", bson.E{Key: "$regex", Value: "^" + quoteRegex(s)})), nil
	}
	return cond{}, store.Invalidf("unknown operator %q", pr.Op)
}

// eq holds when the value is a scalar equal to one of vals, of the same
// type: numbers numerically (1 = 1.0), null only an explicit null. Values
// are grouped by type so each group is one $in an index can serve.
func (p jsonPath) eq(vals []any) (cond, error) {
	var nums, strs, bools bson.A
	var terms []cond
	for _, v := range vals {
		switch store.TypeOf(v) {
		case store.TypeNumber:
			n, err := numberValue(v)
			if err != nil {
				return cond{}, err
			}
			nums = append(nums, n)
		case store.TypeString:
			strs = append(strs, v)
		case store.TypeBool:
			bools = append(bools, v)
		default:
			terms = append(terms, p.scalar("null"))
		}
	}
	for _, g := range []struct {
		t    string
		vals bson.A
	}{{"number", nums}, {"string", strs}, {"bool", bools}} {
		if len(g.vals) > 0 {
			terms = append(terms, p.scalar(g.t, bson.E{Key: "$in", Value: g.vals}))
		}
	}
	return p.resolves(or(terms...)), nil
}

var rangeOps = map[store.JSONOp]string{
	store.JSONGt: "$gt", store.JSONGte: "$gte", store.JSONLt: "$lt", store.JSONLte: "$lte",
}

// compare is a range test that holds only for values of v's type.
func (p jsonPath) compare(op store.JSONOp, v any) (cond, error) {
	t, val := "string", v
	if store.TypeOf(v) == store.TypeNumber {
		n, err := numberValue(v)
		if err != nil {
			return cond{}, err
		}
		t, val = "number", n
	}
	return p.resolves(p.scalar(t, bson.E{Key: rangeOps[op], Value: val})), nil
}

// contains: an array with an element equal to v, or (v a string) a string
// holding v. The array test and the element test are separate clauses:
// one field may appear only once in a query document.
func (p jsonPath) contains(v any) (cond, error) {
	elem := v
	if store.TypeOf(v) == store.TypeNumber {
		n, err := numberValue(v)
		if err != nil {
			return cond{}, err
		}
		elem = n
	}
	array := and(field(p.name(), ops("$type", "array")), field(p.name(), ops("$eq", elem)))
	if s, ok := v.(string); ok {
		return p.resolves(or(array, p.scalar("string", bson.E{Key: "$regex", Value: quoteRegex(s)}))), nil
	}
	return p.resolves(array), nil
}

// numberValue converts a decoded JSON number as stored (int64 or double).
func numberValue(v any) (any, error) {
	n, ok := v.(json.Number)
	if !ok {
		return store.Float(v), nil
	}
	out, err := bsonNumber(n)
	if err != nil {
		return nil, store.Invalidf("number %s out of range", n)
	}
	return out, nil
}
