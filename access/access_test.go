package access_test

import (
	"context"
	"testing"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

func TestAllowedMatchesGlobsAndVerbs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateRole(ctx, "Editor", "edits things"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []access.PermissionInput{
		{Pattern: "/api/*", Verbs: []store.Verb{store.VerbGet}},
		{Pattern: "/files/**", Verbs: []store.Verb{store.VerbPut, store.VerbDelete}},
		{Pattern: "graphql/users", Verbs: []store.Verb{store.VerbGet}},
		{Pattern: "/v{1,2}/items", Verbs: []store.Verb{store.VerbPost}},
	} {
		if _, err := s.AddPermission(ctx, "editor", p); err != nil {
			t.Fatalf("add %s: %v", p.Pattern, err)
		}
	}
	cases := []struct {
		roles    []string
		resource string
		verb     store.Verb
		want     bool
	}{
		{[]string{"editor"}, "/api/items", store.VerbGet, true},
		{[]string{"editor"}, "/api/items?page=2", store.VerbGet, true}, // query ignored
		{[]string{"editor"}, "/api/items/", store.VerbGet, true},       // trailing slash ignored
		{[]string{"editor"}, "/api/items/1", store.VerbGet, false},     // * stays in one segment
		{[]string{"editor"}, "/api/items", store.VerbHead, true},       // HEAD where GET is
		{[]string{"editor"}, "/api/items", store.VerbPost, false},
		{[]string{"editor"}, "/files/a/b/c.txt", store.VerbDelete, true},
		{[]string{"editor"}, "/files/a/b/c.txt", store.VerbGet, false},
		{[]string{"editor"}, "graphql/users", store.VerbGet, true},
		{[]string{"editor"}, "graphql/users/roles", store.VerbGet, false},
		{[]string{"editor"}, "/v2/items", store.VerbPost, true},
		{[]string{"editor"}, "/v3/items", store.VerbPost, false},
		{[]string{"user"}, "/api/items", store.VerbGet, false},
		{[]string{"ghost"}, "/api/items", store.VerbGet, false},
		{nil, "/api/items", store.VerbGet, false},
		{[]string{"admin"}, "/anything/at/all", store.VerbDelete, true},
	}
	for _, c := range cases {
		got, err := s.Allowed(ctx, c.roles, c.resource, c.verb)
		if err != nil || got != c.want {
			t.Errorf("Allowed(%v, %s %s) = %v, %v; want %v", c.roles, c.verb, c.resource, got, err, c.want)
		}
	}
}

func TestPermissionChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	s.CreateRole(ctx, "reader", "")
	p, err := s.AddPermission(ctx, "reader", access.PermissionInput{Pattern: "/docs/*", Verbs: []store.Verb{store.VerbGet}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Allowed(ctx, []string{"reader"}, "/docs/a", store.VerbGet); !ok {
		t.Fatal("permission not granted")
	}
	if err := s.RemovePermission(ctx, "reader", p.ID); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Allowed(ctx, []string{"reader"}, "/docs/a", store.VerbGet); ok {
		t.Fatal("a removed permission still grants access (stale catalogue)")
	}
}

func TestRoleAndPatternErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newService(t)
	s.CreateRole(ctx, "ops", "")
	cases := []struct {
		name string
		err  error
		want apperr.Code
	}{
		{"bad role name", func() error { _, err := s.CreateRole(ctx, "no spaces please", ""); return err }(), apperr.InvalidRole},
		{"duplicate role in other case", func() error { _, err := s.CreateRole(ctx, "OPS", ""); return err }(), apperr.RoleExists},
		{"empty pattern", func() error {
			_, err := s.AddPermission(ctx, "ops", access.PermissionInput{Pattern: "", Verbs: []store.Verb{store.VerbGet}})
			return err
		}(), apperr.InvalidPattern},
		{"unclosed brace", func() error {
			_, err := s.AddPermission(ctx, "ops", access.PermissionInput{Pattern: "/a/{b", Verbs: []store.Verb{store.VerbGet}})
			return err
		}(), apperr.InvalidPattern},
		{"no verbs", func() error {
			_, err := s.AddPermission(ctx, "ops", access.PermissionInput{Pattern: "/a"})
			return err
		}(), apperr.BadUserInput},
		{"unknown role", func() error {
			_, err := s.AddPermission(ctx, "nobody", access.PermissionInput{Pattern: "/a", Verbs: []store.Verb{store.VerbGet}})
			return err
		}(), apperr.NotFound},
		{"delete built-in", s.DeleteRole(ctx, "admin"), apperr.Forbidden},
		{"change admin permissions", func() error {
			_, err := s.AddPermission(ctx, "admin", access.PermissionInput{Pattern: "/a", Verbs: []store.Verb{store.VerbGet}})
			return err
		}(), apperr.Forbidden},
	}
	for _, c := range cases {
		if got := apperr.CodeOf(c.err); got != c.want {
			t.Errorf("%s: code %s (%v), want %s", c.name, got, c.err, c.want)
		}
	}
	if _, err := s.AddPermission(ctx, "ops", access.PermissionInput{Pattern: "/a", Verbs: []store.Verb{store.VerbGet}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.AddPermission(ctx, "ops", access.PermissionInput{Pattern: "/a", Verbs: []store.Verb{store.VerbPost}})
	if apperr.CodeOf(err) != apperr.PatternExists {
		t.Errorf("same pattern twice: %v, want PATTERN_EXISTS", err)
	}
}
