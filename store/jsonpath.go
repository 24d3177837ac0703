package store

import (
	"bytes"
	"encoding/json"
	"math"
	"regexp"
	"strings"
)

// Limits on JSON paths in filters, orders and index declarations.
const (
	MaxPathSegments = 8
	maxSegmentLen   = 64
	MaxPathLen      = MaxPathSegments*(maxSegmentLen+1) - 1 // bytes
)

var segmentRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ParsePath splits a dot path ("org.id") into object keys. Keys are limited
// to letters, digits, '_' and '-', so a path can be inlined into SQL and BSON
// field names without escaping and means the same in every backend.
func ParsePath(path string) ([]string, error) {
	// Bounded in bytes before it is split: a megabyte of dots would
	// otherwise be split into half a million keys first.
	if len(path) > MaxPathLen {
		return nil, Invalidf("path is longer than %d bytes", MaxPathLen)
	}
	segs := strings.Split(path, ".")
	if path == "" || len(segs) > MaxPathSegments {
		return nil, Invalidf("path %q: want 1 to %d dot-separated keys", path, MaxPathSegments)
	}
	for _, s := range segs {
		if !segmentRE.MatchString(s) {
			return nil, Invalidf("path %q: key %q may hold only letters, digits, '_' and '-' (at most %d)", path, s, maxSegmentLen)
		}
	}
	return segs, nil
}

// JSONType classifies a JSON value. The order of the constants is the order
// in which listings sort values of different types (null and missing first),
// the same as MongoDB's BSON comparison order.
type JSONType int

const (
	TypeNull JSONType = iota // also: missing
	TypeNumber
	TypeString
	TypeObject
	TypeArray
	TypeBool
)

// decodeJSON decodes one JSON document keeping numbers as json.Number.
func decodeJSON(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, Invalidf("trailing data after JSON value")
	}
	return v, nil
}

// LookupPath returns the value at path inside the JSON object doc, walking
// objects only: a path through an array or a scalar is missing, as in every
// backend. Numbers come back as json.Number.
func LookupPath(doc json.RawMessage, path []string) (any, bool) {
	if len(doc) == 0 {
		return nil, false
	}
	v, err := decodeJSON(doc)
	if err != nil {
		return nil, false
	}
	for _, key := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[key]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TypeOf classifies a value decoded with numbers as json.Number (or float64).
func TypeOf(v any) JSONType {
	switch v.(type) {
	case json.Number, float64, int, int64:
		return TypeNumber
	case string:
		return TypeString
	case bool:
		return TypeBool
	case map[string]any:
		return TypeObject
	case []any:
		return TypeArray
	default:
		return TypeNull
	}
}

// Float returns a number value as float64 (NaN if v is not a number).
func Float(v any) float64 {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			return math.NaN()
		}
		return f
	case float64:
		return n
	case int:
		return float64(n)
	case int64:
		return float64(n)
	}
	return math.NaN()
}

// IsScalar reports whether v is a string, number, boolean or null.
func IsScalar(v any) bool {
	t := TypeOf(v)
	return t != TypeObject && t != TypeArray
}
