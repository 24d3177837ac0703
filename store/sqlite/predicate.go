package sqlite

import (
	"github.com/usergraph/usergraph/store"
)

// predicate writes one JSON predicate (docs/FILTERS.md). json_type tells
// the JSON type at the path (NULL when missing: SQLite paths walk objects
// only, as the spec wants), json_extract gives the value to compare. Type
// checks come first because json_extract maps true/false to 1/0.
func (w *where) predicate(app bool, p store.JSONPredicate) error {
	_, expr, err := pathExpr(app, p.Path)
	if err != nil {
		return err
	}
	jt, jx := "json_type("+expr+")", "json_extract("+expr+")"
	v := store.PredicateValue(p)
	switch p.Op {
	case store.JSONEq:
		w.eq(jt, jx, []any{v})
	case store.JSONNe:
		return w.not(func() error { w.eq(jt, jx, []any{v}); return nil })
	case store.JSONIn:
		w.eq(jt, jx, v.([]any))
	case store.JSONNin:
		return w.not(func() error { w.eq(jt, jx, v.([]any)); return nil })
	case store.JSONGt, store.JSONGte, store.JSONLt, store.JSONLte:
		w.compare(jt, jx, p.Op, v)
	case store.JSONExists:
		w.boolean(v.(bool), jt+" IS NOT NULL")
	case store.JSONContains:
		w.contains(expr, jt, jx, v)
	case store.JSONPrefix:
		s := v.(string)
		w.add("("+jt+" = 'text' AND "+jx+" >= ? AND substr("+jx+", 1, length(?)) = ?)", s, s, s)
	default:
		return store.Invalidf("unknown operator %q", p.Op)
	}
	return nil
}

// typeTest is the json_type condition for values of JSON type t.
func typeTest(jt string, t store.JSONType) string {
	switch t {
	case store.TypeNumber:
		return jt + " IN ('integer', 'real')"
	case store.TypeString:
		return jt + " = 'text'"
	default:
		return jt + " = 'null'"
	}
}

// eq writes "equals one of vals", grouping the values by type so each group
// is one IN over json_extract (which an expression index can serve).
func (w *where) eq(jt, jx string, vals []any) {
	var nums, strs []any
	var terms []string
	var args [][]any
	for _, v := range vals {
		switch store.TypeOf(v) {
		case store.TypeNumber:
			nums = append(nums, sqlValue(v))
		case store.TypeString:
			strs = append(strs, v)
		case store.TypeBool:
			if v.(bool) {
				terms, args = append(terms, jt+" = 'true'"), append(args, nil)
			} else {
				terms, args = append(terms, jt+" = 'false'"), append(args, nil)
			}
		default:
			terms, args = append(terms, typeTest(jt, store.TypeNull)), append(args, nil)
		}
	}
	if len(strs) > 0 {
		terms = append(terms, "("+typeTest(jt, store.TypeString)+" AND "+jx+" IN ("+placeholders(len(strs))+"))")
		args = append(args, strs)
	}
	if len(nums) > 0 {
		terms = append(terms, "("+typeTest(jt, store.TypeNumber)+" AND "+jx+" IN ("+placeholders(len(nums))+"))")
		args = append(args, nums)
	}
	if len(terms) == 0 {
		w.add("0")
		return
	}
	w.add("(")
	for i, t := range terms {
		if i > 0 {
			w.add(" OR ")
		}
		w.add(t, args[i]...)
	}
	w.add(")")
}

var sqlOps = map[store.JSONOp]string{store.JSONGt: ">", store.JSONGte: ">=", store.JSONLt: "<", store.JSONLte: "<="}

// compare writes a range test that holds only for values of v's type.
func (w *where) compare(jt, jx string, op store.JSONOp, v any) {
	w.add("("+typeTest(jt, store.TypeOf(v))+" AND "+jx+" "+sqlOps[op]+" ?)", sqlValue(v))
}

// contains: an array element equal to v, or (for strings) a substring.
func (w *where) contains(expr, jt, jx string, v any) {
	var elem string
	switch store.TypeOf(v) {
	case store.TypeNumber:
		elem = "type IN ('integer', 'real') AND value = ?"
	case store.TypeString:
		elem = "type = 'text' AND value = ?"
	default: // booleans: json_each reports their type, not a value to compare
		if v.(bool) {
			elem = "type = 'true' AND ? IS NOT NULL"
		} else {
			elem = "type = 'false' AND ? IS NOT NULL"
		}
	}
	w.add("(("+jt+" = 'array' AND EXISTS (SELECT 1 FROM json_each("+expr+") WHERE "+elem+"))", sqlValue(v))
	if s, ok := v.(string); ok {
		w.add(" OR ("+jt+" = 'text' AND instr("+jx+", ?) > 0)", s)
	}
	w.add(")")
}
