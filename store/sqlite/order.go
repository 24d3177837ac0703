package sqlite

import (
	"strings"

	"github.com/usergraph/usergraph/store"
)

// sortKey is one SQL expression of an ORDER BY and how to read the matching
// cursor value. A METADATA order is two keys: the type rank, then the value.
type sortKey struct {
	expr  string
	desc  bool
	value func(store.SortValue) any
	field int // index of the order field (and cursor value) it belongs to
}

// sortKeys expands the order into SQL keys (without the id tiebreak).
func sortKeys(order []store.UserOrder) ([]sortKey, error) {
	if err := store.ValidateOrder(order); err != nil {
		return nil, err
	}
	if len(order) == 0 {
		order = store.DefaultOrder
	}
	var keys []sortKey
	timeOf := func(v store.SortValue) any { return ms(v.Time) }
	strOf := func(v store.SortValue) any { return v.Str }
	for i, o := range order {
		n := len(keys)
		switch o.Field {
		case store.OrderCreatedAt:
			keys = append(keys, sortKey{expr: "created_at", desc: o.Desc, value: timeOf})
		case store.OrderUpdatedAt:
			keys = append(keys, sortKey{expr: "updated_at", desc: o.Desc, value: timeOf})
		case store.OrderLastLoginAt:
			keys = append(keys, sortKey{expr: "last_login_at", desc: o.Desc, value: timeOf})
		case store.OrderLastRequestAt:
			keys = append(keys, sortKey{expr: "last_request_at", desc: o.Desc, value: timeOf})
		case store.OrderUsername:
			keys = append(keys, sortKey{expr: "IFNULL(username_key, '')", desc: o.Desc, value: strOf})
		case store.OrderEmail:
			keys = append(keys, sortKey{expr: "IFNULL(email_key, '')", desc: o.Desc, value: strOf})
		case store.OrderMetadata, store.OrderAppMetadata:
			_, expr, err := pathExpr(o.Field == store.OrderAppMetadata, o.Path)
			if err != nil {
				return nil, err
			}
			keys = append(keys, jsonSortKeys(expr, o.Desc)...)
		}
		for j := n; j < len(keys); j++ {
			keys[j].field = i
		}
	}
	return keys, nil
}

// jsonSortKeys orders by type rank (store.JSONType order: null and missing,
// numbers, strings, objects, arrays, booleans), then by value where the type
// has one. Objects, arrays and nulls get the value 0 so they tie.
func jsonSortKeys(expr string, desc bool) []sortKey {
	jt := "json_type(" + expr + ")"
	rank := "CASE " + jt + " WHEN 'integer' THEN 1 WHEN 'real' THEN 1 WHEN 'text' THEN 2" +
		" WHEN 'object' THEN 3 WHEN 'array' THEN 4 WHEN 'true' THEN 5 WHEN 'false' THEN 5 ELSE 0 END"
	value := "CASE WHEN " + jt + " IN ('integer', 'real', 'text', 'true', 'false') THEN json_extract(" + expr + ") ELSE 0 END"
	return []sortKey{
		{expr: rank, desc: desc, value: func(v store.SortValue) any { return int(v.Type) }},
		{expr: value, desc: desc, value: func(v store.SortValue) any {
			switch v.Type {
			case store.TypeNumber:
				return v.Num
			case store.TypeString:
				return v.Str
			case store.TypeBool:
				return boolInt(v.Bool)
			}
			return 0
		}},
	}
}

// orderBy writes the ORDER BY list, ending with the id tiebreak.
func orderBy(keys []sortKey) string {
	parts := make([]string, 0, len(keys)+1)
	for _, k := range keys {
		if k.desc {
			parts = append(parts, k.expr+" DESC")
		} else {
			parts = append(parts, k.expr)
		}
	}
	return strings.Join(append(parts, "id"), ", ")
}

// after writes the keyset condition "strictly after cursor c". When every
// key ascends it is one row-value comparison, which SQLite serves from an
// index; otherwise the expanded (a > x) OR (a = x AND …) form.
func (w *where) after(keys []sortKey, c *store.Cursor) {
	allAsc := true
	for _, k := range keys {
		allAsc = allAsc && !k.desc
	}
	vals := cursorValues(keys, c)
	if allAsc {
		exprs := make([]string, 0, len(keys)+1)
		for _, k := range keys {
			exprs = append(exprs, k.expr)
		}
		exprs = append(exprs, "id")
		w.add("("+strings.Join(exprs, ", ")+") > ("+placeholders(len(vals))+")", vals...)
		return
	}
	w.add("(")
	for i := range keys {
		w.add("(")
		for j := 0; j < i; j++ {
			w.add(keys[j].expr+" = ? AND ", vals[j])
		}
		op := ">"
		if keys[i].desc {
			op = "<"
		}
		w.add(keys[i].expr+" "+op+" ?) OR ", vals[i])
	}
	w.add("(")
	for j := range keys {
		w.add(keys[j].expr+" = ? AND ", vals[j])
	}
	w.add("id > ?))", c.ID)
}

// cursorValues maps the cursor to one value per SQL key, then the id.
func cursorValues(keys []sortKey, c *store.Cursor) []any {
	vals := make([]any, 0, len(keys)+1)
	for _, k := range keys {
		vals = append(vals, k.value(c.Values[k.field]))
	}
	return append(vals, c.ID)
}
