package store_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/storetest"
)

func TestClientFilterLimitsWidth(t *testing.T) {
	for _, c := range []struct{ configured, want int }{
		{0, store.DefaultFilterWidth}, {10, 10}, {store.MaxFilterWidth, store.MaxFilterWidth}, {5000, store.MaxFilterWidth},
	} {
		if got := store.ClientFilterLimits(c.configured).Width; got != c.want {
			t.Errorf("ClientFilterLimits(%d).Width = %d, want %d", c.configured, got, c.want)
		}
	}
}

// Each list and junction is bounded by the width: n items pass, n+1 do not.
func TestFilterWidth(t *testing.T) {
	const width = 3
	l := store.ClientFilterLimits(width)
	names := func(n int) []string { return strings.Split(strings.Repeat("x,", n-1)+"x", ",") }
	branches := func(n int) []store.UserFilter { return make([]store.UserFilter, n) }
	in := func(n int) []store.JSONPredicate {
		v, _ := json.Marshal(make([]int, n))
		return []store.JSONPredicate{{Path: "a", Op: store.JSONNin, Value: v}}
	}
	cases := []struct {
		name string
		f    func(n int) store.UserFilter
	}{
		{"or", func(n int) store.UserFilter { return store.UserFilter{Or: branches(n)} }},
		{"and", func(n int) store.UserFilter { return store.UserFilter{And: branches(n)} }},
		{"ids", func(n int) store.UserFilter { return store.UserFilter{IDs: names(n)} }},
		{"usernames", func(n int) store.UserFilter { return store.UserFilter{Usernames: names(n)} }},
		{"emails", func(n int) store.UserFilter { return store.UserFilter{Emails: names(n)} }},
		{"status", func(n int) store.UserFilter {
			return store.UserFilter{Status: slices.Repeat([]store.Status{store.StatusActive}, n)}
		}},
		{"roles.any", func(n int) store.UserFilter { return store.UserFilter{Roles: &store.SetMatch{Any: names(n)}} }},
		{"roles.all", func(n int) store.UserFilter { return store.UserFilter{Roles: &store.SetMatch{All: names(n)}} }},
		{"tags.any", func(n int) store.UserFilter { return store.UserFilter{Tags: &store.SetMatch{Any: names(n)}} }},
		{"tags.all", func(n int) store.UserFilter { return store.UserFilter{Tags: &store.SetMatch{All: names(n)}} }},
		{"NIN values", func(n int) store.UserFilter { return store.UserFilter{AppMetadata: in(n)} }},
	}
	for _, c := range cases {
		at, past := c.f(width), c.f(width+1)
		if err := l.Check(&at); err != nil {
			t.Errorf("%s of %d: %v", c.name, width, err)
		}
		if err := l.Check(&past); !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprint(width)) {
			t.Errorf("%s of %d: got %v, want ErrInvalid naming the bound %d", c.name, width+1, err, width)
		}
	}
}

// A client's filter at every limit still passes the backends' limits after
// the two conditions services wrap around it (leaveOutDeleted and
// guardLastAdmin in package account).
func TestHardLimitsHoldWrappedClientFilters(t *testing.T) {
	f := storetest.WidestFilter(store.ClientFilterLimits(store.DefaultFilterWidth), "hit")
	if err := store.ClientFilterLimits(store.DefaultFilterWidth).Check(&f); err != nil {
		t.Fatalf("the widest client filter: %v", err)
	}
	no, yes := false, true
	admins := store.UserFilter{Roles: &store.SetMatch{Any: []string{"admin"}}, Active: &yes}
	wrapped := store.UserFilter{And: []store.UserFilter{admins, {Deleted: &no, And: []store.UserFilter{f}}}}
	if err := store.ValidateFilter(&wrapped); err != nil {
		t.Errorf("wrapped twice: %v", err)
	}
}

// A path is bounded in bytes before it is split into keys.
func TestParsePathBoundedFirst(t *testing.T) {
	if _, err := store.ParsePath(strings.Repeat(".", 1<<20)); err == nil || !strings.Contains(err.Error(), "bytes") {
		t.Errorf("a megabyte of dots: got %v, want the byte bound", err)
	}
	longest := strings.TrimSuffix(strings.Repeat(strings.Repeat("k", 64)+".", store.MaxPathSegments), ".")
	if len(longest) != store.MaxPathLen {
		t.Fatalf("the longest path has %d bytes, MaxPathLen is %d", len(longest), store.MaxPathLen)
	}
	if _, err := store.ParsePath(longest); err != nil {
		t.Errorf("the longest path: %v", err)
	}
}
