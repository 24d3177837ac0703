package store

import (
	"encoding/json"
	"fmt"
)

// Limits that keep one filter cheap to compile and to run.
const (
	MaxFilterDepth      = 8   // nesting of and / or / not
	MaxFilterPredicates = 100 // leaves in the whole tree
	MaxFilterListLen    = 1000
)

// ValidateFilter checks a filter's shape: paths, operator values, nesting
// and sizes. Services call it to answer bad input clearly; backends may rely
// on it having passed (and return ErrInvalid if it did not).
func ValidateFilter(f *UserFilter) error {
	n := 0
	return validateFilter(f, 0, &n)
}

func validateFilter(f *UserFilter, depth int, leaves *int) error {
	if f == nil {
		return nil
	}
	if depth > MaxFilterDepth {
		return Invalidf("filter nested deeper than %d", MaxFilterDepth)
	}
	for _, l := range [][]string{f.IDs, f.Usernames, f.Emails} {
		if len(l) > MaxFilterListLen {
			return Invalidf("filter list longer than %d", MaxFilterListLen)
		}
	}
	for _, s := range f.Status {
		if !s.Valid() {
			return Invalidf("unknown status %q", s)
		}
	}
	*leaves += len(f.Metadata) + len(f.AppMetadata)
	if *leaves > MaxFilterPredicates {
		return Invalidf("filter has more than %d predicates", MaxFilterPredicates)
	}
	for _, p := range append(append([]JSONPredicate{}, f.Metadata...), f.AppMetadata...) {
		if err := ValidatePredicate(p); err != nil {
			return err
		}
	}
	for i := range f.And {
		if err := validateFilter(&f.And[i], depth+1, leaves); err != nil {
			return err
		}
	}
	for i := range f.Or {
		if err := validateFilter(&f.Or[i], depth+1, leaves); err != nil {
			return err
		}
	}
	return validateFilter(f.Not, depth+1, leaves)
}

// ValidatePredicate checks the path and that the value has the shape the
// operator takes (see docs/FILTERS.md).
func ValidatePredicate(p JSONPredicate) error {
	if _, err := ParsePath(p.Path); err != nil {
		return err
	}
	v, err := predicateValue(p)
	if err != nil {
		return err
	}
	t := TypeOf(v)
	bad := func(want string) error {
		return Invalidf("%s on %q takes %s", p.Op, p.Path, want)
	}
	switch p.Op {
	case JSONEq, JSONNe:
		if !IsScalar(v) {
			return bad("a string, number, boolean or null")
		}
	case JSONIn, JSONNin:
		list, ok := v.([]any)
		if !ok || len(list) > MaxFilterListLen {
			return bad(fmt.Sprintf("an array of at most %d scalars", MaxFilterListLen))
		}
		for _, e := range list {
			if !IsScalar(e) {
				return bad("an array of strings, numbers, booleans or nulls")
			}
		}
	case JSONGt, JSONGte, JSONLt, JSONLte:
		if t != TypeNumber && t != TypeString {
			return bad("a number or a string")
		}
	case JSONExists:
		if t != TypeBool {
			return bad("true or false")
		}
	case JSONContains:
		if !IsScalar(v) || t == TypeNull {
			return bad("a string, number or boolean")
		}
	case JSONPrefix:
		if t != TypeString {
			return bad("a string")
		}
	default:
		return Invalidf("unknown operator %q", p.Op)
	}
	return nil
}

// PredicateValue decodes a predicate's value (numbers as json.Number).
// A missing value decodes as null.
func PredicateValue(p JSONPredicate) any {
	v, _ := predicateValue(p)
	return v
}

func predicateValue(p JSONPredicate) (any, error) {
	if len(p.Value) == 0 {
		return nil, nil
	}
	v, err := decodeJSON(p.Value)
	if err != nil {
		return nil, Invalidf("value of %s on %q is not JSON", p.Op, p.Path)
	}
	return v, nil
}

// ValidateOrder checks order keys: known fields, and a valid path exactly
// for the JSON fields.
func ValidateOrder(order []UserOrder) error {
	if len(order) > 4 {
		return Invalidf("at most 4 order keys")
	}
	for _, o := range order {
		switch o.Field {
		case OrderCreatedAt, OrderUpdatedAt, OrderUsername, OrderEmail, OrderLastLoginAt, OrderLastRequestAt:
			if o.Path != "" {
				return Invalidf("order by %s takes no path", o.Field)
			}
		case OrderMetadata, OrderAppMetadata:
			if _, err := ParsePath(o.Path); err != nil {
				return err
			}
		default:
			return Invalidf("unknown order field %q", o.Field)
		}
	}
	return nil
}

// ValidateObject checks that raw is a JSON object whose keys (at any depth)
// are storable and queryable in every backend: no '.', no leading '$', no NUL.
func ValidateObject(raw json.RawMessage) error {
	v, err := decodeJSON(raw)
	if err != nil {
		return Invalidf("not valid JSON")
	}
	if _, ok := v.(map[string]any); !ok {
		return Invalidf("must be a JSON object")
	}
	return validateKeys(v, 0)
}

const maxJSONDepth = 16

func validateKeys(v any, depth int) error {
	if depth > maxJSONDepth {
		return Invalidf("nested deeper than %d", maxJSONDepth)
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == "" || k[0] == '$' || containsAny(k, ".\x00") {
				return Invalidf("key %q: keys may not be empty, start with '$' or contain '.'", k)
			}
			if err := validateKeys(e, depth+1); err != nil {
				return err
			}
		}
	case []any:
		for _, e := range x {
			if err := validateKeys(e, depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}
