package sqlite

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/usergraph/usergraph/store"
)

// where is a compiled SQL condition with its arguments. Conditions may
// evaluate to NULL where a JSON path is missing; WHERE treats NULL as false,
// and "not" wraps its operand in IFNULL(…, 0) so negation stays two-valued
// (docs/FILTERS.md).
type where struct {
	sql  strings.Builder
	args []any
}

func (w *where) add(sql string, args ...any) {
	w.sql.WriteString(sql)
	w.args = append(w.args, args...)
}

// compileFilter returns the SQL condition for f ("1" for the zero filter).
func compileFilter(f *store.UserFilter) (string, []any, error) {
	if err := store.ValidateFilter(f); err != nil {
		return "", nil, err
	}
	var w where
	if err := w.filter(f); err != nil {
		return "", nil, err
	}
	return w.sql.String(), w.args, nil
}

// filter writes the conjunction of every part of f.
func (w *where) filter(f *store.UserFilter) error {
	if f == nil {
		w.add("1")
		return nil
	}
	parts := w.parts(f)
	if len(parts) == 0 {
		w.add("1")
		return nil
	}
	return w.join(" AND ", len(parts), func(i int) error { return parts[i]() })
}

// join writes n terms joined by op as a balanced tree of parentheses.
// SQLite parses "a OR b OR c …" into a left-deep tree one level deeper per
// term and refuses depth 1000 (SQLITE_MAX_EXPR_DEPTH), which a wide filter
// would reach; halving keeps a junction of n terms log2(n) deep.
func (w *where) join(op string, n int, term func(i int) error) error {
	if n == 1 {
		return term(0)
	}
	half := n / 2
	w.add("(")
	if err := w.join(op, half, term); err != nil {
		return err
	}
	w.add(op)
	if err := w.join(op, n-half, func(i int) error { return term(half + i) }); err != nil {
		return err
	}
	w.add(")")
	return nil
}

// parts lists a writer for each set part of f, in a fixed order.
func (w *where) parts(f *store.UserFilter) []func() error {
	var ps []func() error
	add := func(p func()) { ps = append(ps, func() error { p(); return nil }) }
	if f.IDs != nil {
		add(func() { w.in("id", toAny(f.IDs)) })
	}
	if f.Usernames != nil {
		add(func() { w.in("username_key", toAny(f.Usernames)) })
	}
	if f.Emails != nil {
		add(func() { w.in("email_key", folded(f.Emails)) })
	}
	if f.Search != "" {
		add(func() { w.add("instr(search_text, ?) > 0", strings.ToLower(f.Search)) })
	}
	if f.Phones != nil {
		add(func() { w.in("phone_key", toAny(f.Phones)) })
	}
	for _, n := range []struct {
		col  string
		vals []string
	}{{"first_name_key", f.FirstNames}, {"last_name_key", f.LastNames}, {"full_name_key", f.FullNames}} {
		if n.vals != nil {
			add(func() { w.in(n.col, nameKeys(n.vals)) })
		}
	}
	if f.NamePrefix != nil {
		add(func() { w.namePrefix(f.NamePrefix) })
	}
	if f.Status != nil {
		add(func() { w.in("status", statuses(f.Status)) })
	}
	if f.Active != nil {
		add(func() { w.boolean(*f.Active, "(status = 'ACTIVE' AND deleted_at = 0)") })
	}
	if f.IsGuest != nil {
		// A literal, like active's, so that the partial indexes on
		// is_guest (users_discoverable, users_guests_idle) can serve it.
		add(func() { w.add(map[bool]string{true: "is_guest = 1", false: "is_guest = 0"}[*f.IsGuest]) })
	}
	if f.EmailVerified != nil {
		add(func() { w.add("email_verified = ?", boolInt(*f.EmailVerified)) })
	}
	if f.Deleted != nil {
		// Written as equality for false, the admin API's default, so the
		// path indexes (which hold deleted_at) can serve it.
		add(func() { w.add(map[bool]string{true: "deleted_at <> 0", false: "deleted_at = 0"}[*f.Deleted]) })
	}
	if f.Roles != nil {
		add(func() { w.set("roles", f.Roles) })
	}
	if f.Tags != nil {
		add(func() { w.set("tags", f.Tags) })
	}
	if f.Providers != nil {
		add(func() { w.providers(f.Providers) })
	}
	for _, t := range []struct {
		col string
		r   *store.TimeRange
	}{{"created_at", f.CreatedAt}, {"last_login_at", f.LastLoginAt}, {"last_request_at", f.LastRequestAt}} {
		if t.r != nil {
			add(func() { w.timeRange(t.col, t.r) })
		}
	}
	for _, p := range f.Metadata {
		ps = append(ps, func() error { return w.predicate(false, p) })
	}
	for _, p := range f.AppMetadata {
		ps = append(ps, func() error { return w.predicate(true, p) })
	}
	if f.And != nil {
		ps = append(ps, func() error { return w.junction(" AND ", "1", f.And) })
	}
	if f.Or != nil {
		ps = append(ps, func() error { return w.junction(" OR ", "0", f.Or) })
	}
	if f.Not != nil {
		ps = append(ps, func() error { return w.not(func() error { return w.filter(f.Not) }) })
	}
	return ps
}

func (w *where) junction(op, empty string, fs []store.UserFilter) error {
	if len(fs) == 0 {
		w.add(empty)
		return nil
	}
	return w.join(op, len(fs), func(i int) error { return w.filter(&fs[i]) })
}

// not negates a condition, counting NULL (a missing path) as false first.
func (w *where) not(inner func() error) error {
	w.add("NOT IFNULL(")
	if err := inner(); err != nil {
		return err
	}
	w.add(", 0)")
	return nil
}

func (w *where) boolean(want bool, cond string) {
	if want {
		w.add(cond)
	} else {
		w.add("NOT " + cond)
	}
}

// in writes col IN (...); an empty list matches nothing, one value is an
// equality (SQLite codes each IN list once per statement, comparing it with
// every list before: a filter of a thousand one-id branches paid for that).
func (w *where) in(col string, vals []any) {
	switch len(vals) {
	case 0:
		w.add("0")
	case 1:
		w.add(col+" = ?", vals[0])
	default:
		w.add(col+" IN ("+placeholders(len(vals))+")", vals...)
	}
}

// set tests a JSON array column of names. "all" is one subquery that
// counts the distinct names held among those asked for, whatever their
// number: a subquery per name would scan the array once per name and make
// SQLite plan a thousand subqueries for a filter at the width limit.
func (w *where) set(col string, m *store.SetMatch) {
	w.add("(")
	if m.Any != nil {
		if len(m.Any) == 0 {
			w.add("0")
		} else {
			w.add("EXISTS (SELECT 1 FROM json_each("+col+") WHERE value IN ("+placeholders(len(m.Any))+"))", toAny(m.Any)...)
		}
	} else {
		w.add("1")
	}
	if all := distinct(m.All); len(all) > 0 {
		w.add(" AND (SELECT count(DISTINCT value) FROM json_each("+col+") WHERE value IN ("+placeholders(len(all))+")) = ?",
			append(toAny(all), len(all))...)
	}
	w.add(")")
}

// providers tests the providers of the user's identities, which live in a
// table of their own (identities.go): the same any and all as set, over
// the rows of the user, through the identities_user index.
func (w *where) providers(m *store.SetMatch) {
	w.add("(")
	if m.Any != nil {
		if len(m.Any) == 0 {
			w.add("0")
		} else {
			w.add("EXISTS (SELECT 1 FROM identities WHERE identities.user_id = users.id AND identities.provider IN ("+
				placeholders(len(m.Any))+"))", toAny(m.Any)...)
		}
	} else {
		w.add("1")
	}
	if all := distinct(m.All); len(all) > 0 {
		// One identity per provider and user: counting rows counts providers.
		w.add(" AND (SELECT count(*) FROM identities WHERE identities.user_id = users.id AND identities.provider IN ("+
			placeholders(len(all))+")) = ?", append(toAny(all), len(all))...)
	}
	w.add(")")
}

// distinct drops repeated names, keeping the first of each.
func distinct(names []string) []string {
	seen := make(map[string]bool, len(names))
	var out []string
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

func (w *where) timeRange(col string, r *store.TimeRange) {
	w.add("(1")
	for _, b := range []struct {
		op string
		t  time.Time
	}{{">", r.Gt}, {">=", r.Gte}, {"<", r.Lt}, {"<=", r.Lte}} {
		if !b.t.IsZero() {
			w.add(" AND "+col+" "+b.op+" ?", b.t.UnixMilli())
		}
	}
	w.add(")")
}

func toAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// nameKeys folds names as store.NameKeys does, dropping empty ones: ""
// matches nobody, though a user without a first name has the key "".
func nameKeys(l []string) []any {
	out := make([]any, 0, len(l))
	for _, s := range l {
		if k := store.FoldKey(s); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// namePrefix writes the ranges of a store.NamePrefix: one per key, ORed,
// each answered by that key's index.
func (w *where) namePrefix(p *store.NamePrefix) {
	var ranges []func()
	between := func(col, prefix string) func() {
		return func() { w.add("("+col+" >= ? AND "+col+" < ?)", prefix, store.PrefixEnd(prefix)) }
	}
	if p.Username != "" {
		ranges = append(ranges, between("username_key", p.Username))
	}
	if name := store.FoldKey(p.Name); name != "" {
		for _, col := range []string{"first_name_key", "last_name_key", "full_name_key"} {
			ranges = append(ranges, between(col, name))
		}
	}
	if len(ranges) == 0 {
		w.add("0")
		return
	}
	// Selective, and SQLite cannot know it without statistics: beside a
	// filter it cannot use (tags) it would rather walk users_discoverable
	// in order than search the four indexes and sort what they find.
	w.add("likelihood(")
	_ = w.join(" OR ", len(ranges), func(i int) error { ranges[i](); return nil })
	w.add(", 0.001)")
}

func folded(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = store.FoldKey(s)
	}
	return out
}

func statuses(l []store.Status) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = string(s)
	}
	return out
}

// pathExpr returns the column and the "column, 'json path'" argument list
// of json_extract / json_type for a dot path. The path is inlined as a
// literal (its keys are restricted by store.ParsePath), because SQLite only
// uses an expression index when the query's expression is textually the same.
func pathExpr(app bool, path string) (col, expr string, err error) {
	segs, err := store.ParsePath(path)
	if err != nil {
		return "", "", err
	}
	col = "metadata"
	if app {
		col = "app_metadata"
	}
	return col, fmt.Sprintf(`%s, '$."%s"'`, col, strings.Join(segs, `"."`)), nil
}

// sqlValue converts a decoded JSON scalar to the value SQLite's
// json_extract yields for it: integers as int64, other numbers as float64.
func sqlValue(v any) any {
	if n, ok := v.(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return i
		}
		return store.Float(n)
	}
	return v
}
