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
// nesting and document size), and one step past any limit must be
// ErrInvalid before anything runs.

// WidestFilter returns a filter that reaches every limit of l at once: an
// "or" of l.Width branches, one nested l.Depth deep, a list and an "and" of
// l.Width items, l.Predicates JSON predicates (one IN of l.Width values),
// strings of store.MaxFilterString bytes on a path of the greatest length,
// and exactly l.Terms terms (store.FilterLimits.Terms). It selects the user
// with id hit and nobody else. l.Width must be at least 5 and l.Terms large
// enough for the parts; WidestFilter panics otherwise.
func WidestFilter(l store.FilterLimits, hit string) store.UserFilter {
	b := widest{limits: l, terms: 1} // the root
	branches := []store.UserFilter{b.deep(hit), b.predicates(), b.and(), b.lists()}
	for len(branches) < l.Width {
		branches = append(branches, b.nobody())
	}
	b.fill(branches[4:])
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

// predicates holds l.Predicates predicates of every operator on the
// longest path, the first an IN of l.Width values.
func (b *widest) predicates() store.UserFilter {
	path := strings.TrimSuffix(strings.Repeat(strings.Repeat("k", 64)+".", store.MaxPathSegments), ".")
	str, _ := json.Marshal(long(0))
	values := make([]string, b.limits.Width) // one long, within store.MaxPredicateValue
	values[0] = string(str)
	for i := 1; i < len(values); i++ {
		values[i] = fmt.Sprintf(`"v%d"`, i)
	}
	ops := []struct {
		op    store.JSONOp
		value string
	}{
		{store.JSONNin, `[1, "a", true, null]`}, {store.JSONEq, string(str)}, {store.JSONNe, `2.5`},
		{store.JSONGt, `1`}, {store.JSONGte, string(str)}, {store.JSONLt, `-1`}, {store.JSONLte, `"a"`},
		{store.JSONExists, `true`}, {store.JSONContains, string(str)}, {store.JSONPrefix, string(str)},
	}
	f := b.nobody()
	f.Metadata = []store.JSONPredicate{{Path: path, Op: store.JSONIn, Value: json.RawMessage("[" + strings.Join(values, ",") + "]")}}
	b.terms += 3 + b.limits.Width
	for i := 1; i < b.limits.Predicates; i++ {
		o := ops[i%len(ops)]
		p := store.JSONPredicate{Path: path, Op: o.op, Value: json.RawMessage(o.value)}
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

// and is an "and" of l.Width branches.
func (b *widest) and() store.UserFilter {
	f := store.UserFilter{And: make([]store.UserFilter, b.limits.Width)}
	b.terms++
	for i := range f.And {
		f.And[i] = b.nobody()
	}
	return f
}

// lists has the longest search and role lists of l.Width long names.
func (b *widest) lists() store.UserFilter {
	names := func(from int) []string {
		l := make([]string, b.limits.Width)
		for i := range l {
			l[i] = long(from + i)
		}
		return l
	}
	b.terms += 2 + 2*b.limits.Width
	return store.UserFilter{Search: long(0), Roles: &store.SetMatch{Any: names(0), All: names(b.limits.Width)}}
}

// fill adds ids to the branches, none past l.Width, until the filter has
// exactly l.Terms terms.
func (b *widest) fill(branches []store.UserFilter) {
	for i := range branches {
		for len(branches[i].IDs) < b.limits.Width && b.terms < b.limits.Terms {
			branches[i].IDs = append(branches[i].IDs, fmt.Sprintf("no-such-id-%d-%d", i, len(branches[i].IDs)))
			b.terms++
		}
	}
}

// dropIDs removes n ids from the filler branches of a WidestFilter, making
// room for n terms.
func dropIDs(f *store.UserFilter, n int) {
	for i := len(f.Or) - 1; i >= 4 && n > 0; i-- {
		for len(f.Or[i].IDs) > 1 && n > 0 {
			f.Or[i].IDs = f.Or[i].IDs[:len(f.Or[i].IDs)-1]
			n--
		}
	}
}

func testFilterAtLimits(t *testing.T, s store.Store) {
	names, byLabel := seedFilterPopulation(t, s)
	f := WidestFilter(store.HardFilterLimits, byLabel["ann"])
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
	n, err := s.PatchUsers(t.Context(), &f, store.UserPatch{AddTags: []string{"widest"}, UpdatedAt: day(99)})
	if err != nil || n != 1 {
		t.Errorf("PatchUsers: got %d, %v; want 1, nil", n, err)
	}
}

func testFilterPastLimits(t *testing.T, s store.Store) {
	seedFilterPopulation(t, s)
	defer checkNothingChanged(t, s)
	l := store.HardFilterLimits
	cases := []struct {
		name string
		past func(f *store.UserFilter)
	}{
		{"terms", func(f *store.UserFilter) { f.Or[len(f.Or)-1].IDs = append(f.Or[len(f.Or)-1].IDs, "one-more") }},
		{"or branches", func(f *store.UserFilter) {
			dropIDs(f, 2)
			f.Or = append(f.Or, store.UserFilter{IDs: []string{"one-more"}})
		}},
		{"and branches", func(f *store.UserFilter) {
			dropIDs(f, 2)
			f.Or[2].And = append(f.Or[2].And, store.UserFilter{IDs: []string{"one-more"}})
		}},
		{"depth", func(f *store.UserFilter) {
			dropIDs(f, 1)
			inner := f.Or[0]
			f.Or[0] = store.UserFilter{Not: &inner}
		}},
		{"list items", func(f *store.UserFilter) {
			dropIDs(f, 1)
			f.Or[3].Roles.Any = append(f.Or[3].Roles.Any, "one-more")
		}},
		{"IN values", func(f *store.UserFilter) {
			dropIDs(f, 1)
			p := &f.Or[1].Metadata[0]
			p.Value = json.RawMessage(strings.TrimSuffix(string(p.Value), "]") + `,"one-more"]`)
		}},
		{"predicates", func(f *store.UserFilter) {
			dropIDs(f, 3)
			f.Or[1].Metadata = append(f.Or[1].Metadata, jp("age", store.JSONExists, `true`))
		}},
		{"search bytes", func(f *store.UserFilter) { f.Or[3].Search += "x" }},
		{"list item bytes", func(f *store.UserFilter) { f.Or[3].Roles.All[0] += "x" }},
		{"path bytes", func(f *store.UserFilter) { f.Or[1].Metadata[1].Path += "k" }},
		{"value bytes", func(f *store.UserFilter) {
			f.Or[1].Metadata[1].Value = json.RawMessage(strings.Repeat(" ", store.MaxPredicateValue) + `"x"`)
		}},
	}
	for _, tc := range cases {
		f := WidestFilter(l, "no-such-id")
		tc.past(&f)
		if err := store.ValidateFilter(&f); err == nil {
			t.Fatalf("%s: one past the limit validates", tc.name)
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
