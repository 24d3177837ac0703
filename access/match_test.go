package access_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// What a permission's pattern matches: `*` stays within a segment, `**`
// crosses segments, `?` is one character of a segment, `{a,b}` picks an
// alternative, `[a-c]` and `[!a-c]` a class; everything else is literal and
// case-sensitive. The resource asked about loses its query, fragment and
// trailing slash first.
func TestPatternMatching(t *testing.T) {
	t.Parallel()
	cases := []struct {
		pattern string
		yes, no []string
	}{
		{"graphql/users", []string{"graphql/users", "graphql/users/"}, []string{"graphql/users/roles", "graphql/usersx", "graphql/user", "GraphQL/users"}},
		{"/api/*", []string{"/api/x", "/api/x.json", "/api/x?page=2", "/api/x#top", "/api/x/"}, []string{"/api", "/api/", "/api/x/y", "/apix/y"}},
		{"/api/**", []string{"/api/x", "/api/x/y/z"}, []string{"/api", "/apix/y"}},
		{"/api/**/edit", []string{"/api/a/edit", "/api/a/b/c/edit"}, []string{"/api/edit", "/api/a/edit/x"}},
		{"*", []string{"graphql", "a.b"}, []string{"/a", "a/b"}},
		{"**", []string{"/", "/a/b/c", "graphql/users/roles"}, nil},
		{"/v?/items", []string{"/v1/items", "/vx/items"}, []string{"/v/items", "/v12/items", "/v//items"}},
		{"/{users,groups}/*", []string{"/users/1", "/groups/1"}, []string{"/admins/1", "/users", "/usersgroups/1"}},
		{"/files/[a-c]*", []string{"/files/apple", "/files/c"}, []string{"/files/dog", "/files/"}},
		{"/files/[!a-c]*", []string{"/files/dog"}, []string{"/files/apple"}},
		{"/a.b", []string{"/a.b"}, []string{"/aXb"}}, // '.' is no wildcard
		{"/a+b(c)", []string{"/a+b(c)"}, []string{"/aab(c)", "/a+bc"}},
	}
	s := newService(t)
	for i, c := range cases {
		role := fmt.Sprintf("p%d", i)
		createRole(t, s, role)
		grant(t, s, role, c.pattern, store.VerbGet)
		for _, r := range c.yes {
			if !allowed(t, s, []string{role}, r, store.VerbGet) {
				t.Errorf("pattern %q does not match %q, want it to", c.pattern, r)
			}
		}
		for _, r := range c.no {
			if allowed(t, s, []string{role}, r, store.VerbGet) {
				t.Errorf("pattern %q matches %q, want it not to", c.pattern, r)
			}
		}
	}
}

// A permission grants only its verbs; HEAD wherever GET is (not the other
// way round). Verbs are stored once each, in store.AllVerbs order.
func TestPermissionVerbs(t *testing.T) {
	t.Parallel()
	s := newService(t)
	createRole(t, s, "writer")
	p := grant(t, s, "writer", "/docs/**", store.VerbDelete, store.VerbPut, store.VerbDelete)
	if want := []store.Verb{store.VerbPut, store.VerbDelete}; !slices.Equal(p.Verbs, want) {
		t.Errorf("verbs stored as %v, want %v", p.Verbs, want)
	}
	createRole(t, s, "reader")
	grant(t, s, "reader", "/docs/**", store.VerbGet)
	createRole(t, s, "pinger")
	grant(t, s, "pinger", "/docs/**", store.VerbHead)

	for _, c := range []struct {
		role string
		verb store.Verb
		want bool
	}{
		{"writer", store.VerbPut, true},
		{"writer", store.VerbDelete, true},
		{"writer", store.VerbGet, false},
		{"writer", store.VerbPost, false},
		{"writer", store.VerbPatch, false},
		{"writer", store.VerbHead, false},
		{"reader", store.VerbGet, true},
		{"reader", store.VerbHead, true},
		{"reader", store.VerbPost, false},
		{"pinger", store.VerbHead, true},
		{"pinger", store.VerbGet, false},
	} {
		if got := allowed(t, s, []string{c.role}, "/docs/a", c.verb); got != c.want {
			t.Errorf("%s %s /docs/a: %v, want %v", c.role, c.verb, got, c.want)
		}
	}
	// Any one role of the caller's suffices.
	if !allowed(t, s, []string{"reader", "writer"}, "/docs/a", store.VerbPut) {
		t.Error("reader+writer may not PUT, want the writer's permission to count")
	}
}

// The admin role allows everything, whatever the catalogue says; the
// default role starts with nothing; unknown role names grant nothing.
func TestBuiltInRolesGrant(t *testing.T) {
	t.Parallel()
	s := newService(t)
	for _, v := range store.AllVerbs {
		if !allowed(t, s, []string{access.AdminRole}, "/any/thing", v) {
			t.Errorf("admin may not %s /any/thing", v)
		}
	}
	for _, roles := range [][]string{{"user"}, {"no-such-role"}, nil, {}} {
		if allowed(t, s, roles, "graphql/users", store.VerbGet) {
			t.Errorf("roles %v may GET graphql/users, want nothing granted", roles)
		}
	}
}

// A resource longer than the bound is refused before any pattern runs.
func TestAllowedBoundsTheResource(t *testing.T) {
	t.Parallel()
	s := newService(t)
	createRole(t, s, "reader")
	grant(t, s, "reader", "/**", store.VerbGet)
	_, err := s.Allowed(t.Context(), []string{"reader"}, "/"+strings.Repeat("a", 2048), store.VerbGet)
	wantCode(t, "a resource of 2049 bytes", err, apperr.BadUserInput, "resource")
	// Bounded once normalized: the query string does not count.
	if !allowed(t, s, []string{"reader"}, "/"+strings.Repeat("a", 2047)+"?"+strings.Repeat("q", 2048), store.VerbGet) {
		t.Error("a resource of 2048 bytes (with a long query) is refused, want it matched")
	}
}
