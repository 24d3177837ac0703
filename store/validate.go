package store

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// ValidatePredicate checks the path and that the value has the shape the
// operator takes (see docs/FILTERS.md), within HardFilterLimits.
func ValidatePredicate(p JSONPredicate) error {
	_, err := checkPredicate(p, HardFilterLimits.Width)
	return err
}

// checkPredicate is ValidatePredicate with IN / NIN lists of at most width
// values; it returns how many values the list has (0 for other operators).
// The value is bounded in bytes before it is decoded.
func checkPredicate(p JSONPredicate, width int) (int, error) {
	if _, err := ParsePath(p.Path); err != nil {
		return 0, err
	}
	if len(p.Value) > MaxPredicateValue {
		return 0, Invalidf("value of %s on %q is larger than %d bytes", p.Op, p.Path, MaxPredicateValue)
	}
	v, err := predicateValue(p)
	if err != nil {
		return 0, err
	}
	bad := func(want string) error {
		return Invalidf("%s on %q takes %s", p.Op, p.Path, want)
	}
	if p.Op == JSONIn || p.Op == JSONNin {
		list, ok := v.([]any)
		if !ok || len(list) > width {
			return 0, bad(fmt.Sprintf("an array of at most %d scalars", width))
		}
		for _, e := range list {
			if !IsScalar(e) {
				return 0, bad("an array of strings, numbers, booleans or nulls")
			}
			if err := checkValueString(p, e); err != nil {
				return 0, err
			}
		}
		return len(list), nil
	}
	if err := checkValueString(p, v); err != nil {
		return 0, err
	}
	return 0, checkOperand(p, v, bad)
}

// checkValueString bounds a string operand: matching it costs its length
// for every user a query looks at.
func checkValueString(p JSONPredicate, v any) error {
	if s, ok := v.(string); ok && len(s) > MaxFilterString {
		return Invalidf("a string compared by %s on %q is longer than %d bytes", p.Op, p.Path, MaxFilterString)
	}
	return nil
}

// checkOperand checks the operand of an operator other than IN and NIN.
func checkOperand(p JSONPredicate, v any, bad func(string) error) error {
	t := TypeOf(v)
	switch p.Op {
	case JSONEq, JSONNe:
		if !IsScalar(v) {
			return bad("a string, number, boolean or null")
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
// are storable and queryable in every backend: no '.', no leading '$', no NUL;
// and whose numbers every backend can hold (a double: 1e400 is not one).
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
				return Invalidf("key %.64q: keys may not be empty, start with '$' or contain '.'", k)
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
	case json.Number:
		if f, err := strconv.ParseFloat(x.String(), 64); err != nil || math.IsInf(f, 0) {
			return Invalidf("number %.32s is out of range", x)
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
