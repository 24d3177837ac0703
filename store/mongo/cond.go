package mongo

import (
	"regexp"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// cond is a compiled filter: a BSON query document, or one of the
// constants "everyone" and "nobody". Keeping the constants apart lets
// and/or/not simplify as they build (MongoDB rejects an empty $or, and an
// empty list part must match nobody, never widen into everyone).
//
// Every cond is two-valued: a document matches or it does not. $nor of one
// condition is therefore its exact negation, also where a path is missing.
type cond struct {
	kind condKind
	doc  bson.D
}

type condKind int

const (
	condDoc condKind = iota
	condAll
	condNone
)

var (
	everyone = cond{kind: condAll}
	nobody   = cond{kind: condNone}
)

// is wraps one query document. Its keys must be distinct: a field that
// needs two tests gets them in one operator document or through and.
func is(doc bson.D) cond { return cond{doc: doc} }

// field is the condition {name: value}.
func field(name string, value any) cond { return is(bson.D{{Key: name, Value: value}}) }

// ops is an operator document, {"$gt": 1, "$type": "number"}.
func ops(kv ...any) bson.D {
	d := make(bson.D, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		d = append(d, bson.E{Key: kv[i].(string), Value: kv[i+1]})
	}
	return d
}

// and holds when every c does; no c: everyone.
func and(cs ...cond) cond {
	var docs bson.A
	for _, c := range cs {
		switch c.kind {
		case condNone:
			return nobody
		case condDoc:
			docs = append(docs, flatten("$and", c.doc)...)
		}
	}
	return junction("$and", docs, everyone)
}

// or holds when one c does; no c: nobody.
func or(cs ...cond) cond {
	var docs bson.A
	for _, c := range cs {
		switch c.kind {
		case condAll:
			return everyone
		case condDoc:
			docs = append(docs, flatten("$or", c.doc)...)
		}
	}
	return junction("$or", docs, nobody)
}

// flatten lifts the members of a nested junction of the same kind, so
// and(and(a, b), c) is one $and of a, b, c.
func flatten(op string, doc bson.D) bson.A {
	if len(doc) == 1 && doc[0].Key == op {
		if members, ok := doc[0].Value.(bson.A); ok {
			return members
		}
	}
	return bson.A{doc}
}

func junction(op string, docs bson.A, empty cond) cond {
	switch len(docs) {
	case 0:
		return empty
	case 1:
		return is(docs[0].(bson.D))
	}
	return is(bson.D{{Key: op, Value: docs}})
}

// not holds exactly when c does not.
func not(c cond) cond {
	switch c.kind {
	case condAll:
		return nobody
	case condNone:
		return everyone
	}
	return is(bson.D{{Key: "$nor", Value: bson.A{c.doc}}})
}

// matchNone is a query no document matches: every document has an _id.
var matchNone = bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: bson.A{}}}}}

// query returns the BSON query document of c.
func (c cond) query() bson.D {
	switch c.kind {
	case condAll:
		return bson.D{}
	case condNone:
		return matchNone
	}
	return c.doc
}

// quoteRegex makes s a regular expression matching s literally, in PCRE
// (MongoDB) and RE2 (FerretDB) alike. NUL cannot appear in a BSON regex.
func quoteRegex(s string) string {
	return strings.ReplaceAll(regexp.QuoteMeta(s), "\x00", `\x00`)
}
