package access_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// The resource constants are the names schema.graphqls guards with
// @hasPermission, both ways round: a resource only the schema names would
// be checked by the directive but by no rule in Go; a constant the schema
// no longer names would have the services check a permission that guards
// nothing.
func TestSchemaResources(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if err != nil {
		t.Fatalf("parse schema.graphqls: %v", err)
	}
	known := []string{access.ResourceUsers, access.ResourceUserRoles, access.ResourceRoles, access.ResourceUserDevices,
		access.ResourceApplications, access.ResourceAudit, access.ResourceWebhooks}
	named := map[string]bool{}
	for _, def := range schema.Types {
		for _, f := range def.Fields {
			for _, d := range f.Directives.ForNames("hasPermission") {
				arg := d.Arguments.ForName("resource")
				if arg == nil || arg.Value.Kind != ast.StringValue {
					t.Errorf("%s.%s: @hasPermission without a literal resource", def.Name, f.Name)
					continue
				}
				named[arg.Value.Raw] = true
				if !slices.Contains(known, arg.Value.Raw) {
					t.Errorf("%s.%s: @hasPermission(resource: %q) is not one of access's resource constants %q",
						def.Name, f.Name, arg.Value.Raw, known)
				}
			}
		}
	}
	for _, r := range known {
		if !named[r] {
			t.Errorf("resource constant %q: no @hasPermission in schema.graphqls names it", r)
		}
	}
	if len(named) == 0 {
		t.Fatal("no @hasPermission found in schema.graphqls")
	}
}

// Require is the check behind @hasPermission and the services' own checks:
// nil when a role grants the verb, FORBIDDEN naming what is missing when
// none does.
func TestRequire(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	if _, err := s.CreateRole(ctx, "viewer", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPermission(ctx, "viewer", access.PermissionInput{Pattern: access.ResourceUsers, Verbs: []store.Verb{store.VerbGet}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Require(ctx, []string{"user", "viewer"}, access.ResourceUsers, store.VerbGet); err != nil {
		t.Errorf("Require(viewer, GET users) = %v, want nil", err)
	}
	if err := s.Require(ctx, []string{access.AdminRole}, access.ResourceRoles, store.VerbDelete); err != nil {
		t.Errorf("Require(admin, DELETE roles) = %v, want nil", err)
	}
	err := s.Require(ctx, []string{"viewer"}, access.ResourceUsers, store.VerbPatch)
	if got, want := apperr.CodeOf(err), apperr.Forbidden; got != want {
		t.Fatalf("Require(viewer, PATCH users) code = %v (%v), want %v", got, err, want)
	}
	if got, want := err.Error(), "FORBIDDEN: this needs PATCH on graphql/users"; got != want {
		t.Errorf("Require(viewer, PATCH users) = %q, want %q", got, want)
	}
}

// RoleByID shows a role to those who may read roles and to nobody else.
func TestRoleByID(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	editor, err := s.CreateRole(ctx, "editor", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateRole(ctx, "rolereader", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddPermission(ctx, "rolereader", access.PermissionInput{Pattern: access.ResourceRoles, Verbs: []store.Verb{store.VerbGet}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		viewer []string
		id     string
		want   string // the role's name; "" for none
	}{
		{"admin", []string{access.AdminRole}, editor.ID, "editor"},
		{"role reader", []string{"user", "rolereader"}, editor.ID, "editor"},
		{"plain user", []string{"user"}, editor.ID, ""},
		{"no roles", nil, editor.ID, ""},
		{"unknown id", []string{access.AdminRole}, store.NewID(), ""},
	} {
		r, err := s.RoleByID(ctx, c.viewer, c.id)
		if err != nil {
			t.Errorf("%s: RoleByID error %v", c.name, err)
			continue
		}
		got := ""
		if r != nil {
			got = r.Name
		}
		if got != c.want {
			t.Errorf("%s: RoleByID = %q, want %q", c.name, got, c.want)
		}
	}
}

// RequireRole checks a role by name: FORBIDDEN unless the roles hold it.
func TestRequireRole(t *testing.T) {
	if err := access.RequireRole([]string{"user", access.AdminRole}, access.AdminRole); err != nil {
		t.Errorf("RequireRole(user+admin, admin) = %v, want nil", err)
	}
	for _, roles := range [][]string{nil, {"user"}, {"Admin"}} {
		if got := apperr.CodeOf(access.RequireRole(roles, access.AdminRole)); got != apperr.Forbidden {
			t.Errorf("RequireRole(%q, admin) code = %v, want %v", roles, got, apperr.Forbidden)
		}
	}
}
