package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/store"
)

var limitTests = []subTest{
	{"UserFilterAtTheLimits", testFilterAtLimits},
	{"UserFilterPastTheLimits", testFilterPastLimits},
}

// The widest filter store.HardFilterLimits allows must compile and run on
// every backend (SQLite's expression depth and variable count, MongoDB's
// nesting and document size), and a filter past any limit must be
// ErrInvalid before anything runs.

// WidestFilter returns a filter at the limits of l: an "or" of l.Width
// branches, one nested l.Depth deep; an "and" of l.Width branches;
// l.Predicates JSON predicates of every operator, one on the longest path;
// strings of store.MaxFilterString bytes; and exactly l.Terms terms
// (store.FilterLimits.Terms), spent on lists in turn: roles.any, the IN
// values of a predicate, roles.all, then the branches' ids, none past
// l.Width. (The terms bound all lists together, so they cannot all be
// l.Width long at once.) It selects the user with id hit and nobody else.
// l.Width must be at least 5 and l.Terms enough for the fixed parts;
// WidestFilter panics otherwise.
func WidestFilter(l store.FilterLimits, hit string) store.UserFilter {
	b := widest{limits: l, terms: 1} // the root
	branches := []store.UserFilter{b.deep(hit), b.predicates(), b.and(), b.lists()}
	for len(branches) < l.Width {
		branches = append(branches, b.nobody())
	}
	lists := &branches[3]
	lists.Roles.Any = b.spend(lists.Roles.Any, func(i int) string { return long(i) })
	in := &branches[1].Metadata[0]
	in.Value = inValues(b.spend(nil, func(i int) string { return fmt.Sprintf(`"v%d"`, i) }))
	lists.Roles.All = b.spend(lists.Roles.All, func(i int) string { return long(l.Width + i) })
	for i := 4; i < len(branches); i++ {
		branches[i].IDs = b.spend(branches[i].IDs, func(j int) string { return fmt.Sprintf("no-such-id-%d-%d", i, j) })
	}
	if b.terms != l.Terms {
		panic(fmt.Sprintf("storetest: WidestFilter counted %d terms, want %d", b.terms, l.Terms))
	}
	return store.UserFilter{Or: branches}
}

// widest builds WidestFilter, counting terms as store.FilterLimits does.
type widest struct {
	limits store.FilterLimits
	terms  int
}

// spend grows list towards l.Width with item(i) while terms are left.
func (b *widest) spend(list []string, item func(i int) string) []string {
	for len(list) < b.limits.Width && b.terms < b.limits.Terms {
		list = append(list, item(len(list)))
		b.terms++
	}
	return list
}

// inValues is a JSON array of the JSON values given.
func inValues(values []string) json.RawMessage {
	return json.RawMessage("[" + strings.Join(values, ",") + "]")
}

// long is a string of the greatest length a filter takes, unique per n.
func long(n int) string {
	s := fmt.Sprintf("no-such-%d-", n)
	return s + strings.Repeat("x", store.MaxFilterString-len(s))
}

// nobody is a branch that selects nobody without being a constant, so a
// backend cannot drop it while compiling.
func (b *widest) nobody() store.UserFilter {
	b.terms += 2
	return store.UserFilter{IDs: []string{"no-such-id"}}
}

// deep selects hit, with its condition l.Depth levels down (the branch
// itself is level 1): under "not"s in pairs, the deepest nesting in either
// backend, and an "and" if a level is left over.
func (b *widest) deep(hit string) store.UserFilter {
	f := store.UserFilter{IDs: []string{hit}}
	b.terms += 2
	levels := b.limits.Depth - 1
	if levels%2 == 1 {
		f = store.UserFilter{And: []store.UserFilter{f}}
		b.terms++
	}
	for range levels / 2 {
		inner := f
		f = store.UserFilter{Not: &store.UserFilter{Not: &inner}}
		b.terms += 2
	}
	return f
}

// predicates holds l.Predicates predicates of every operator, the first an
// IN (its values come last, see WidestFilter) on the longest path. The
// others' paths are short: SQLite repeats a path for each test of its
// value, and a quarter of a megabyte of SQL would add time, not proof.
func (b *widest) predicates() store.UserFilter {
	path := strings.TrimSuffix(strings.Repeat(strings.Repeat("k", 64)+".", store.MaxPathSegments), ".")
	str, _ := json.Marshal(long(0))
	ops := []struct {
		op    store.JSONOp
		value string
	}{
		{store.JSONNin, `[1, "a", true, null]`}, {store.JSONEq, string(str)}, {store.JSONNe, `2.5`},
		{store.JSONGt, `1`}, {store.JSONGte, string(str)}, {store.JSONLt, `-1`}, {store.JSONLte, `"a"`},
		{store.JSONExists, `true`}, {store.JSONContains, string(str)}, {store.JSONPrefix, string(str)},
	}
	f := b.nobody()
	f.Metadata = []store.JSONPredicate{{Path: path, Op: store.JSONIn, Value: inValues(nil)}}
	b.terms += 3
	for i := 1; i < b.limits.Predicates; i++ {
		o := ops[i%len(ops)]
		p := store.JSONPredicate{Path: fmt.Sprintf("p%d.q", i), Op: o.op, Value: json.RawMessage(o.value)}
		b.terms += 3
		if o.op == store.JSONNin {
			b.terms += 4
		}
		if i%2 == 0 {
			f.AppMetadata = append(f.AppMetadata, p)
		} else {
			f.Metadata = append(f.Metadata, p)
		}
	}
	return f
}

// and is an "and" of l.Width branches, all but one of them {} (a term
// each; the backends still write or walk every one).
func (b *widest) and() store.UserFilter {
	f := store.UserFilter{And: make([]store.UserFilter, b.limits.Width)}
	b.terms += b.limits.Width // the branch and the empty ones
	f.And[0] = b.nobody()
	return f
}

// lists has the longest search; its role lists are filled last.
func (b *widest) lists() store.UserFilter {
	b.terms += 3 // the object, search, roles
	return store.UserFilter{Search: long(0), Roles: &store.SetMatch{Any: []string{}, All: []string{}}}
}

// testFilterAtLimits runs the widest filter of the backends' limits, and
// of the default limits for clients (where every list kind is long).
func testFilterAtLimits(t *testing.T, s store.Store) {
	names, byLabel := seedFilterPopulation(t, s)
	for _, l := range []store.FilterLimits{store.HardFilterLimits, store.ClientFilterLimits(store.DefaultFilterWidth)} {
		t.Run(fmt.Sprintf("width %d", l.Width), func(t *testing.T) {
			f := WidestFilter(l, byLabel["ann"])
			if err := store.ValidateFilter(&f); err != nil {
				t.Fatalf("the widest filter does not validate: %v", err)
			}
			page, err := s.ListUsers(t.Context(), store.UserQuery{Filter: &f, Limit: 100})
			if err != nil {
				t.Fatalf("ListUsers: %v", err)
			}
			if got := names.labels(page.Users); len(got) != 1 || got[0] != "ann" {
				t.Errorf("ListUsers: got %s, want [ann]", show(got))
			}
			if n := mustCount(t, s, &f); n != 1 {
				t.Errorf("CountUsers: got %d, want 1", n)
			}
			n, err := s.PatchUsers(t.Context(), &f, store.UserPatch{AddTags: []string{fmt.Sprint("widest-", l.Width)}, UpdatedAt: day(99)})
			if err != nil || n != 1 {
				t.Errorf("PatchUsers: got %d, %v; want 1, nil", n, err)
			}
		})
	}
}

func testFilterPastLimits(t *testing.T, s store.Store) {
	seedFilterPopulation(t, s)
	defer checkNothingChanged(t, s)
	l := store.HardFilterLimits
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("n%d", i)
		}
		return out
	}
	nobodies := func(n int) []store.UserFilter {
		out := make([]store.UserFilter, n)
		for i := range out {
			out[i] = store.UserFilter{IDs: []string{"no-such-id"}}
		}
		return out
	}
	deep := store.UserFilter{IDs: []string{"no-such-id"}}
	for range l.Depth + 1 {
		inner := deep
		deep = store.UserFilter{Not: &inner}
	}
	tooMany := store.UserFilter{Or: make([]store.UserFilter, l.Terms/l.Width+1)}
	for i := range tooMany.Or {
		tooMany.Or[i].IDs = names(l.Width)
	}
	values := make([]string, l.Width+1)
	for i := range values {
		values[i] = fmt.Sprint(i)
	}
	preds := make([]store.JSONPredicate, l.Predicates+1)
	for i := range preds {
		preds[i] = jp("age", store.JSONExists, `true`)
	}
	cases := []struct {
		name string
		f    store.UserFilter
	}{
		{"or branches", store.UserFilter{Or: nobodies(l.Width + 1)}},
		{"and branches", store.UserFilter{And: nobodies(l.Width + 1)}},
		{"depth", deep},
		{"list items", store.UserFilter{Roles: &store.SetMatch{Any: names(l.Width + 1)}}},
		{"IN values", md(jp("age", store.JSONIn, "["+strings.Join(values, ",")+"]"))},
		{"predicates", md(preds...)},
		{"terms", tooMany},
		{"search bytes", store.UserFilter{Search: long(0) + "x"}},
		{"list item bytes", store.UserFilter{Tags: &store.SetMatch{All: []string{long(0) + "x"}}}},
		{"path bytes", md(jp(strings.Repeat("k", store.MaxPathLen+1), store.JSONExists, `true`))},
		{"value bytes", md(jp("age", store.JSONEq, strings.Repeat(" ", store.MaxPredicateValue)+`"x"`))},
		{"one term past the widest", func() store.UserFilter {
			f := WidestFilter(l, "no-such-id")
			last := &f.Or[len(f.Or)-1]
			if len(last.IDs) < l.Width {
				last.IDs = append(last.IDs, "one-more")
			} else {
				last.Search = "one-more"
			}
			return f
		}()},
	}
	for _, tc := range cases {
		f := tc.f
		if err := store.ValidateFilter(&f); err == nil {
			t.Fatalf("%s: the filter past the limit validates", tc.name)
		}
		_, err := s.ListUsers(t.Context(), store.UserQuery{Filter: &f, Limit: 100})
		wantErrIs(t, "ListUsers past "+tc.name, err, store.ErrInvalid)
		_, err = s.CountUsers(t.Context(), &f)
		wantErrIs(t, "CountUsers past "+tc.name, err, store.ErrInvalid)
		_, err = s.PatchUsers(t.Context(), &f, store.UserPatch{AddTags: []string{"patched"}, UpdatedAt: day(99)})
		wantErrIs(t, "PatchUsers past "+tc.name, err, store.ErrInvalid)
		_, err = s.DeleteUsers(t.Context(), &f)
		wantErrIs(t, "DeleteUsers past "+tc.name, err, store.ErrInvalid)
	}
}
