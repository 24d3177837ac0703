package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
)

var roleTests = []subTest{
	{"RoleCreateGet", testRoleCreateGet},
	{"RoleEmptyPermissions", testRoleEmptyPermissions},
	{"RoleDuplicateName", testRoleDuplicate},
	{"ListRolesByName", testListRoles},
	{"UpdateRole", testUpdateRole},
	{"UpdateRoleReturnsStoredForm", testUpdateRoleStoredForm},
	{"RenameRole", testRenameRole},
	{"RenameRoleCollision", testRenameRoleCollision},
	{"UpdateRoleCallbackError", testUpdateRoleCallbackError},
	{"DeleteRole", testDeleteRole},
	{"RoleNotFound", testRoleNotFound},
}

func newRole(name string) *store.Role {
	return &store.Role{ID: store.NewID(), Name: name, CreatedAt: day(1), UpdatedAt: day(1)}
}

func adminRole() *store.Role {
	zone := time.FixedZone("UTC+8", 8*3600)
	return &store.Role{
		ID:          store.NewID(),
		Name:        "admin",
		Description: "Administrators: \"everything\"",
		Permissions: []store.Permission{
			{ID: store.NewID(), Name: "users", Pattern: "users/*", Verbs: []store.Verb{store.VerbGet, store.VerbPost, store.VerbDelete}},
			{ID: store.NewID(), Name: "all", Pattern: "**", Verbs: store.AllVerbs},
			{ID: store.NewID(), Name: "head", Pattern: "health", Verbs: []store.Verb{store.VerbHead}},
		},
		BuiltIn:   true,
		CreatedAt: time.Date(2024, 2, 3, 4, 5, 6, 789012345, zone),
		UpdatedAt: time.Date(2024, 2, 4, 4, 5, 6, 1, zone),
	}
}

func mustCreateRoles(t *testing.T, s store.Store, roles ...*store.Role) {
	t.Helper()
	for _, r := range roles {
		if err := s.CreateRole(t.Context(), r.Clone()); err != nil {
			t.Fatalf("CreateRole(%q): %v", r.Name, err)
		}
	}
}

func mustGetRole(t *testing.T, s store.Store, name string) *store.Role {
	t.Helper()
	r, err := s.GetRole(t.Context(), name)
	if err != nil {
		t.Fatalf("GetRole(%q): %v", name, err)
	}
	return r
}

func checkRole(t *testing.T, what string, got, want *store.Role) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Description != want.Description || got.BuiltIn != want.BuiltIn {
		t.Errorf("%s: got id/name/description/builtIn %q/%q/%q/%v, want %q/%q/%q/%v", what,
			got.ID, got.Name, got.Description, got.BuiltIn, want.ID, want.Name, want.Description, want.BuiltIn)
	}
	checkTime(t, what+": CreatedAt", got.CreatedAt, want.CreatedAt)
	checkTime(t, what+": UpdatedAt", got.UpdatedAt, want.UpdatedAt)
	if got.Permissions == nil {
		t.Errorf("%s: Permissions got nil, want a non-nil slice", what)
	}
	if len(got.Permissions) != len(want.Permissions) {
		t.Errorf("%s: got %d permissions, want %d", what, len(got.Permissions), len(want.Permissions))
		return
	}
	for i, p := range got.Permissions {
		w := want.Permissions[i]
		if p.ID != w.ID || p.Name != w.Name || p.Pattern != w.Pattern || !slices.Equal(orEmpty(p.Verbs), orEmpty(w.Verbs)) {
			t.Errorf("%s: permission %d got %+v, want %+v", what, i, p, w)
		}
	}
}

func testRoleCreateGet(t *testing.T, s store.Store) {
	want := adminRole()
	mustCreateRoles(t, s, want)
	checkRole(t, "GetRole", mustGetRole(t, s, "admin"), want)
	plain := newRole("viewer") // BuiltIn false must read back false
	mustCreateRoles(t, s, plain)
	checkRole(t, "GetRole viewer", mustGetRole(t, s, "viewer"), plain)
}

func testRoleEmptyPermissions(t *testing.T, s store.Store) {
	mustCreateRoles(t, s, newRole("empty"))
	if got := mustGetRole(t, s, "empty"); got.Permissions == nil || len(got.Permissions) != 0 {
		t.Errorf("Permissions: got %#v, want an empty non-nil slice", got.Permissions)
	}
}

func testRoleDuplicate(t *testing.T, s store.Store) {
	first := adminRole()
	mustCreateRoles(t, s, first)
	dupe := newRole("admin")
	wantConflict(t, "CreateRole with a taken name", s.CreateRole(t.Context(), dupe), store.FieldName)
	checkRole(t, "role after the duplicate", mustGetRole(t, s, "admin"), first)
}

func testListRoles(t *testing.T, s store.Store) {
	roles, err := s.ListRoles(t.Context())
	if err != nil || len(roles) != 0 {
		t.Errorf("ListRoles on an empty store: got %d roles, %v; want none", len(roles), err)
	}
	for _, name := range []string{"viewer", "admins", "editor", "admin"} {
		mustCreateRoles(t, s, newRole(name))
	}
	roles, err = s.ListRoles(t.Context())
	if err != nil {
		t.Fatalf("ListRoles: %v", err)
	}
	var got []string
	for _, r := range roles {
		got = append(got, r.Name)
	}
	if want := []string{"admin", "admins", "editor", "viewer"}; !slices.Equal(got, want) {
		t.Errorf("ListRoles: got %v, want %v", got, want)
	}
}

func testUpdateRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	r := adminRole()
	mustCreateRoles(t, s, r)
	before := mustGetRole(t, s, "admin")
	want := before.Clone()
	want.Description = "changed"
	want.Permissions = []store.Permission{
		want.Permissions[1],
		{ID: store.NewID(), Name: "patch", Pattern: "roles/*", Verbs: []store.Verb{store.VerbPatch, store.VerbPut}},
	}
	want.UpdatedAt = day(8)
	got, err := s.UpdateRole(ctx, "admin", func(r *store.Role) error {
		r.Description = want.Description
		r.Permissions = want.Clone().Permissions
		r.UpdatedAt = day(8)
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	checkRole(t, "UpdateRole result", got, want)
	after := mustGetRole(t, s, "admin")
	checkRole(t, "GetRole after update", after, want)
	if after.Version <= before.Version {
		t.Errorf("Version after UpdateRole: got %d, want > %d", after.Version, before.Version)
	}
}

// The record UpdateRole returns is the stored one: times Trunc'ed to UTC
// milliseconds, nil Permissions as an empty slice, as GetRole reads them
// (see testUpdateUserStoredForm).
func testUpdateRoleStoredForm(t *testing.T, s store.Store) {
	r := adminRole()
	mustCreateRoles(t, s, r)
	want := r.Clone()
	want.Permissions = nil
	want.UpdatedAt = time.Date(2024, 2, 8, 1, 2, 3, 400500600, time.FixedZone("UTC+1", 3600))
	got, err := s.UpdateRole(t.Context(), "admin", func(r *store.Role) error {
		r.Permissions, r.UpdatedAt = nil, want.UpdatedAt
		return nil
	})
	if err != nil {
		t.Fatalf("UpdateRole: %v", err)
	}
	checkRole(t, "GetRole after UpdateRole", mustGetRole(t, s, "admin"), want)
	checkRole(t, "UpdateRole result", got, want)
}

func testRenameRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	editor := newRole("editor")
	mustCreateRoles(t, s, editor, newRole("viewer"))
	if _, err := s.UpdateRole(ctx, "editor", func(r *store.Role) error { r.Name = "author"; return nil }); err != nil {
		t.Fatalf("UpdateRole rename: %v", err)
	}
	got := mustGetRole(t, s, "author")
	if got.ID != editor.ID {
		t.Errorf("renamed role: got id %s, want %s", got.ID, editor.ID)
	}
	_, err := s.GetRole(ctx, "editor")
	wantErrIs(t, "GetRole of the old name", err, store.ErrNotFound)
	// The old name is free again.
	if err := s.CreateRole(ctx, newRole("editor")); err != nil {
		t.Errorf("CreateRole with the freed name: %v", err)
	}
}

func testRenameRoleCollision(t *testing.T, s store.Store) {
	ctx := t.Context()
	admin, editor := adminRole(), newRole("editor")
	mustCreateRoles(t, s, admin, editor)
	before := mustGetRole(t, s, "editor")
	_, err := s.UpdateRole(ctx, "editor", func(r *store.Role) error {
		r.Name = "admin"
		r.Description = "written?"
		return nil
	})
	wantConflict(t, "UpdateRole rename onto admin", err, store.FieldName)
	checkRole(t, "editor after the collision", mustGetRole(t, s, "editor"), before)
	checkRole(t, "admin after the collision", mustGetRole(t, s, "admin"), admin)
}

func testUpdateRoleCallbackError(t *testing.T, s store.Store) {
	mustCreateRoles(t, s, adminRole())
	before := mustGetRole(t, s, "admin")
	_, err := s.UpdateRole(t.Context(), "admin", func(r *store.Role) error {
		r.Description = "nope"
		r.Permissions = nil
		return errBoom
	})
	wantErrIs(t, "UpdateRole with failing callback", err, errBoom)
	after := mustGetRole(t, s, "admin")
	checkRole(t, "role after aborted update", after, before)
	if after.Version != before.Version {
		t.Errorf("Version after aborted update: got %d, want %d", after.Version, before.Version)
	}
}

func testDeleteRole(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateRoles(t, s, adminRole(), newRole("viewer"))
	if err := s.DeleteRole(ctx, "admin"); err != nil {
		t.Fatalf("DeleteRole: %v", err)
	}
	_, err := s.GetRole(ctx, "admin")
	wantErrIs(t, "GetRole after delete", err, store.ErrNotFound)
	wantErrIs(t, "second DeleteRole", s.DeleteRole(ctx, "admin"), store.ErrNotFound)
	mustGetRole(t, s, "viewer")
	if err := s.CreateRole(ctx, adminRole()); err != nil {
		t.Errorf("CreateRole again after delete: %v", err)
	}
}

func testRoleNotFound(t *testing.T, s store.Store) {
	ctx := t.Context()
	mustCreateRoles(t, s, newRole("viewer"))
	_, err := s.GetRole(ctx, "missing")
	wantErrIs(t, "GetRole", err, store.ErrNotFound)
	_, err = s.UpdateRole(ctx, "missing", func(r *store.Role) error { r.Description = "x"; return nil })
	wantErrIs(t, "UpdateRole", err, store.ErrNotFound)
	wantErrIs(t, "DeleteRole", s.DeleteRole(ctx, "missing"), store.ErrNotFound)
	// Names are unique as given: a differently cased name is another role.
	_, err = s.GetRole(ctx, "Viewer")
	wantErrIs(t, "GetRole with another case", err, store.ErrNotFound)
}
