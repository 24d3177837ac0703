package access_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/store/sqlite"
)

// Role names are folded to lower case and trimmed; they are 1 to 64
// letters, digits, '_', '.', ':' or '-', starting with a letter or digit,
// and unique in any case.
func TestRoleNames(t *testing.T) {
	t.Parallel()
	s := newService(t)
	for _, c := range []struct{ given, stored string }{
		{"Editor", "editor"},
		{"  ops  ", "ops"},
		{"team:eu-west_2.read", "team:eu-west_2.read"},
		{"9lives", "9lives"},
		{strings.Repeat("x", 64), strings.Repeat("x", 64)},
	} {
		r, err := s.CreateRole(t.Context(), c.given, "")
		if err != nil {
			t.Errorf("CreateRole(%q): %v", c.given, err)
			continue
		}
		if r.Name != c.stored {
			t.Errorf("CreateRole(%q) stored %q, want %q", c.given, r.Name, c.stored)
		}
		if got, err := s.Role(t.Context(), strings.ToUpper(c.given)); err != nil || got.Name != c.stored {
			t.Errorf("Role(%q) = %v, %v; want the role %q", strings.ToUpper(c.given), got, err, c.stored)
		}
	}
	for _, bad := range []string{"", "   ", "two words", "-lead", "_x", ".x", "a/b", "a*", "é", strings.Repeat("x", 65)} {
		_, err := s.CreateRole(t.Context(), bad, "")
		wantCode(t, fmt.Sprintf("CreateRole(%q)", bad), err, apperr.InvalidRole, "name")
	}
	_, err := s.CreateRole(t.Context(), "EDITOR", "")
	wantCode(t, "a second editor in capitals", err, apperr.RoleExists, "name")
	_, err = s.CreateRole(t.Context(), "user", "")
	wantCode(t, "a role named like the default role", err, apperr.RoleExists, "name")

	_, err = s.Role(t.Context(), "nobody")
	wantCode(t, "Role of an unknown name", err, apperr.NotFound, "")
	for name, want := range map[string]bool{"EDITOR": true, "nobody": false, "admin": true} {
		if got, err := s.Exists(t.Context(), name); err != nil || got != want {
			t.Errorf("Exists(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := s.Exists(t.Context(), "two words"); apperr.CodeOf(err) != apperr.InvalidRole {
		t.Errorf("Exists of an invalid name: %v, want INVALID_ROLE", err)
	}
}

// A description is trimmed and at most 1024 characters.
func TestRoleDescriptions(t *testing.T) {
	t.Parallel()
	s := newService(t)
	r, err := s.CreateRole(t.Context(), "ops", "  runs things  ")
	if err != nil || r.Description != "runs things" {
		t.Fatalf("CreateRole with a padded description: %+v, %v; want it trimmed", r, err)
	}
	if _, err := s.CreateRole(t.Context(), "long", strings.Repeat("é", 1024)); err != nil {
		t.Errorf("a description of 1024 two-byte characters: %v", err)
	}
	_, err = s.CreateRole(t.Context(), "longer", strings.Repeat("d", 1025))
	wantCode(t, "a description of 1025 characters", err, apperr.BadUserInput, "description")
	_, err = s.UpdateRole(t.Context(), "ops", "ops", strings.Repeat("d", 1025))
	wantCode(t, "updated to 1025 characters", err, apperr.BadUserInput, "description")
	if got, _ := s.Role(t.Context(), "ops"); got.Description != "runs things" {
		t.Errorf("a refused update changed the description to %q", got.Description)
	}
}

// The built-in roles: admin, with every permission, and the default role
// new accounts get. Neither is deleted or renamed; admin's permissions are
// fixed, the default role's are the deployment's to edit, and a restart
// (EnsureBuiltIns again) keeps them.
func TestBuiltInRoles(t *testing.T) {
	t.Parallel()
	db := newStore(t)
	s := newAccess(t, db, "member", time.Minute)
	if got := s.DefaultRole(); got != "member" {
		t.Errorf("DefaultRole() = %q, want member", got)
	}
	roles, err := s.Roles(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range roles {
		names = append(names, r.Name)
		if !r.BuiltIn {
			t.Errorf("role %s is not marked built-in", r.Name)
		}
	}
	if want := []string{"admin", "member"}; !slices.Equal(names, want) {
		t.Fatalf("roles after EnsureBuiltIns = %v, want %v", names, want)
	}

	for _, name := range []string{"admin", "member"} {
		wantCode(t, "delete "+name, s.DeleteRole(t.Context(), name), apperr.Forbidden, "")
		_, err := s.UpdateRole(t.Context(), name, name+"2", "")
		wantCode(t, "rename "+name, err, apperr.Forbidden, "")
		if _, err := s.UpdateRole(t.Context(), name, strings.ToUpper(name), "a new description"); err != nil {
			t.Errorf("describe %s: %v, want a built-in role's description editable", name, err)
		}
	}
	in := access.PermissionInput{Name: "docs", Pattern: "/docs/**", Verbs: []store.Verb{store.VerbGet}}
	_, err = s.AddPermission(t.Context(), "admin", in)
	wantCode(t, "add a permission to admin", err, apperr.Forbidden, "")
	admin, _ := s.Role(t.Context(), "admin")
	_, err = s.UpdatePermission(t.Context(), "admin", admin.Permissions[0].ID, in)
	wantCode(t, "narrow admin's permission", err, apperr.Forbidden, "")
	wantCode(t, "remove admin's permission", s.RemovePermission(t.Context(), "admin", admin.Permissions[0].ID), apperr.Forbidden, "")

	grant(t, s, "member", "/docs/**", store.VerbGet)
	restarted := newAccess(t, db, "member", time.Minute)
	if !allowed(t, restarted, []string{"member"}, "/docs/a", store.VerbGet) {
		t.Error("after a restart the default role lost the permission it was given")
	}
	if r, _ := restarted.Role(t.Context(), "member"); r.Description != "a new description" {
		t.Errorf("after a restart the default role's description is %q, want the one it was given", r.Description)
	}
}

// Without a default role (or with admin as it) only admin is built in.
func TestBuiltInRolesWithoutDefault(t *testing.T) {
	t.Parallel()
	for _, def := range []string{"", access.AdminRole} {
		s := newAccess(t, newStore(t), def, time.Minute)
		roles, err := s.Roles(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(roles) != 1 || roles[0].Name != access.AdminRole {
			t.Errorf("default role %q: roles %v, want admin only", def, roles)
		}
	}
}

// A rename moves every holder to the new name, with the role's
// permissions, and reports the holders so that their cached sessions are
// re-read; nobody else is touched.
func TestRenameMovesHolders(t *testing.T) {
	t.Parallel()
	db := newStore(t)
	s := newAccess(t, db, "user", time.Hour)
	var f forgotten
	s.OnHoldersChanged(f.hook)
	createRole(t, s, "editor")
	createRole(t, s, "writer")
	grant(t, s, "editor", "/docs/**", store.VerbPut)
	a := holder(t, db, "a", "user", "editor")
	b := holder(t, db, "b", "editor")
	c := holder(t, db, "c", "user", "writer")
	if !allowed(t, s, []string{"editor"}, "/docs/x", store.VerbPut) { // and the catalogue is loaded
		t.Fatal("editor may not PUT /docs/x before the rename")
	}

	_, err := s.UpdateRole(t.Context(), "editor", "writer", "")
	wantCode(t, "rename onto an existing role", err, apperr.RoleExists, "name")
	_, err = s.UpdateRole(t.Context(), "nobody", "somebody", "")
	wantCode(t, "rename of an unknown role", err, apperr.NotFound, "")
	_, err = s.UpdateRole(t.Context(), "editor", "two words", "")
	wantCode(t, "rename to an invalid name", err, apperr.InvalidRole, "name")
	if got := f.take(); len(got) != 0 || !slices.Equal(rolesOf(t, db, a.ID), []string{"user", "editor"}) {
		t.Fatalf("refused renames reported %v and left a with %v; want nothing moved", got, rolesOf(t, db, a.ID))
	}

	if _, err := s.UpdateRole(t.Context(), "Editor", "Author", "writes"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		u    *store.User
		want []string
	}{{a, []string{"user", "author"}}, {b, []string{"author"}}, {c, []string{"user", "writer"}}} {
		if got := rolesOf(t, db, c.u.ID); !slices.Equal(got, c.want) {
			t.Errorf("%s holds %v after the rename, want %v", c.u.Username, got, c.want)
		}
	}
	if got, want := f.take(), slices.Sorted(slices.Values([]string{a.ID, b.ID})); !slices.Equal(got, want) {
		t.Errorf("OnHoldersChanged got %v, want the holders %v", got, want)
	}
	for _, u := range []*store.User{a, b} {
		wantRoleEvents(t, db, u.ID, []string{"role.granted author", "role.revoked editor"})
	}
	wantRoleEvents(t, db, c.ID, nil)
	if !allowed(t, s, []string{"author"}, "/docs/x", store.VerbPut) || allowed(t, s, []string{"editor"}, "/docs/x", store.VerbPut) {
		t.Error("after the rename the permission should be the new name's, at once, and no longer the old's")
	}

	if _, err := s.UpdateRole(t.Context(), "author", "author", "only a description"); err != nil {
		t.Fatal(err)
	}
	if got := f.take(); len(got) != 0 {
		t.Errorf("a change of description reported holders %v, want none", got)
	}
}

// Deleting a role takes it from every holder and reports them; its
// permissions stop at once, and a new role of the same name gives the
// former holders nothing.
func TestDeleteRemovesFromHolders(t *testing.T) {
	t.Parallel()
	db := newStore(t)
	s := newAccess(t, db, "user", time.Hour)
	var f forgotten
	s.OnHoldersChanged(f.hook)
	createRole(t, s, "editor")
	grant(t, s, "editor", "/docs/**", store.VerbPut)
	a := holder(t, db, "a", "user", "editor")
	b := holder(t, db, "b", "user")
	if !allowed(t, s, []string{"editor"}, "/docs/x", store.VerbPut) { // and the catalogue is loaded
		t.Fatal("editor may not PUT /docs/x before the deletion")
	}

	wantCode(t, "delete an unknown role", s.DeleteRole(t.Context(), "nobody"), apperr.NotFound, "")
	if err := s.DeleteRole(t.Context(), "EDITOR"); err != nil {
		t.Fatal(err)
	}
	if got := rolesOf(t, db, a.ID); !slices.Equal(got, []string{"user"}) {
		t.Errorf("the holder keeps %v, want [user]", got)
	}
	if got := rolesOf(t, db, b.ID); !slices.Equal(got, []string{"user"}) {
		t.Errorf("a non-holder has %v, want [user] untouched", got)
	}
	if got := f.take(); !slices.Equal(got, []string{a.ID}) {
		t.Errorf("OnHoldersChanged got %v, want the holder %v", got, a.ID)
	}
	wantRoleEvents(t, db, a.ID, []string{"role.revoked editor"})
	wantRoleEvents(t, db, b.ID, nil)
	if allowed(t, s, []string{"editor"}, "/docs/x", store.VerbPut) {
		t.Error("a deleted role still grants its permission")
	}
	if _, err := s.Role(t.Context(), "editor"); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("Role of the deleted role: %v, want NOT_FOUND", err)
	}
	createRole(t, s, "editor")
	if got := rolesOf(t, db, a.ID); slices.Contains(got, "editor") {
		t.Errorf("a new role of the old name went to the former holder: %v", got)
	}
}

// Editing permissions: patterns are checked (INVALID_PATTERN), one pattern
// per role (PATTERN_EXISTS), names and verbs bounded, at most 100 per
// role; an update keeps the permission's id; a refused edit changes
// nothing.
func TestPermissionEditing(t *testing.T) {
	t.Parallel()
	s := newService(t)
	createRole(t, s, "ops")
	get := []store.Verb{store.VerbGet}
	docs := grant(t, s, "ops", "/docs/*", store.VerbGet)
	files := grant(t, s, "ops", "/files/*", store.VerbGet)

	for _, c := range []struct {
		name  string
		in    access.PermissionInput
		code  apperr.Code
		field string
	}{
		{"empty pattern", access.PermissionInput{Pattern: "", Verbs: get}, apperr.InvalidPattern, "pattern"},
		{"space", access.PermissionInput{Pattern: "/a b", Verbs: get}, apperr.InvalidPattern, "pattern"},
		{"unclosed brace", access.PermissionInput{Pattern: "/a/{b", Verbs: get}, apperr.InvalidPattern, "pattern"},
		{"unclosed class", access.PermissionInput{Pattern: "/a/[b", Verbs: get}, apperr.InvalidPattern, "pattern"},
		{"257 bytes", access.PermissionInput{Pattern: "/" + strings.Repeat("a", 256), Verbs: get}, apperr.InvalidPattern, "pattern"},
		{"17 wildcards", access.PermissionInput{Pattern: strings.Repeat("/*", 17), Verbs: get}, apperr.InvalidPattern, "pattern"},
		{"no verbs", access.PermissionInput{Pattern: "/a"}, apperr.BadUserInput, "verbs"},
		{"seven verbs", access.PermissionInput{Pattern: "/a", Verbs: append(slices.Clone(store.AllVerbs), store.VerbGet)}, apperr.BadUserInput, "verbs"},
		{"an unknown verb", access.PermissionInput{Pattern: "/a", Verbs: []store.Verb{store.VerbGet, "FOO"}}, apperr.BadUserInput, "verbs"},
		{"name of 129 characters", access.PermissionInput{Name: strings.Repeat("n", 129), Pattern: "/a", Verbs: get}, apperr.BadUserInput, "name"},
		{"a pattern the role has", access.PermissionInput{Pattern: "/files/*", Verbs: get}, apperr.PatternExists, "pattern"},
	} {
		_, err := s.AddPermission(t.Context(), "ops", c.in)
		wantCode(t, "add: "+c.name, err, c.code, c.field)
		_, err = s.UpdatePermission(t.Context(), "ops", docs.ID, c.in)
		wantCode(t, "update of /docs/*: "+c.name, err, c.code, c.field)
	}
	r, _ := s.Role(t.Context(), "ops")
	if len(r.Permissions) != 2 || r.Permissions[0].Pattern != "/docs/*" || r.Permissions[1].Pattern != "/files/*" {
		t.Fatalf("after refused edits the role has %+v, want its two permissions unchanged", r.Permissions)
	}

	// An update may keep its own pattern; it keeps its id.
	p, err := s.UpdatePermission(t.Context(), "ops", docs.ID, access.PermissionInput{Name: "docs", Pattern: "/docs/*", Verbs: []store.Verb{store.VerbPost}})
	if err != nil {
		t.Fatalf("update keeping the pattern: %v", err)
	}
	if p.ID != docs.ID {
		t.Errorf("update gave id %s, want %s kept", p.ID, docs.ID)
	}
	if allowed(t, s, []string{"ops"}, "/docs/a", store.VerbGet) || !allowed(t, s, []string{"ops"}, "/docs/a", store.VerbPost) {
		t.Error("after the update the permission should grant POST, not GET, at once")
	}
	_, err = s.UpdatePermission(t.Context(), "ops", "no-such-id", access.PermissionInput{Pattern: "/x", Verbs: get})
	wantCode(t, "update an unknown permission", err, apperr.NotFound, "")
	wantCode(t, "remove an unknown permission", s.RemovePermission(t.Context(), "ops", "no-such-id"), apperr.NotFound, "")
	_, err = s.AddPermission(t.Context(), "nobody", access.PermissionInput{Pattern: "/x", Verbs: get})
	wantCode(t, "add to an unknown role", err, apperr.NotFound, "")

	if err := s.RemovePermission(t.Context(), "ops", files.ID); err != nil {
		t.Fatal(err)
	}
	for i := range 99 {
		grant(t, s, "ops", fmt.Sprintf("/r%d", i), store.VerbGet)
	}
	_, err = s.AddPermission(t.Context(), "ops", access.PermissionInput{Pattern: "/one-too-many", Verbs: get})
	wantCode(t, "the 101st permission", err, apperr.BadUserInput, "pattern")
}

// Another instance's changes to the catalogue reach this one's answers
// within its TTL; this instance's own changes at once.
func TestCatalogueTTL(t *testing.T) {
	t.Parallel()
	db := newStore(t)
	writer := newAccess(t, db, "user", time.Hour)
	slow := newAccess(t, db, "user", time.Hour)
	quick := newAccess(t, db, "user", 20*time.Millisecond)
	createRole(t, writer, "reader")
	for _, s := range []*access.Service{slow, quick} {
		if allowed(t, s, []string{"reader"}, "/docs/a", store.VerbGet) {
			t.Fatal("reader may read before it has a permission")
		}
	}
	grant(t, writer, "reader", "/docs/*", store.VerbGet)

	if !allowed(t, writer, []string{"reader"}, "/docs/a", store.VerbGet) {
		t.Error("the instance that granted the permission does not apply it at once")
	}
	if allowed(t, slow, []string{"reader"}, "/docs/a", store.VerbGet) {
		t.Error("an instance with an hour's TTL re-read the catalogue at once, want its copy used")
	}
	time.Sleep(30 * time.Millisecond) // past quick's TTL; only a lower bound matters
	if !allowed(t, quick, []string{"reader"}, "/docs/a", store.VerbGet) {
		t.Error("an instance past its TTL still answers from its old catalogue")
	}
}

// wantRoleEvents fails unless the trail of user holds exactly the role
// events want ("<type> <role>", sorted).
func wantRoleEvents(t *testing.T, db *sqlite.DB, user string, want []string) {
	t.Helper()
	evs, _, err := db.ListEvents(t.Context(), store.EventQuery{First: 50,
		Filter: store.AuditFilter{SubjectID: user, Types: []string{"role.granted", "role.revoked"}}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		var d struct{ Role string }
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		got = append(got, e.Type+" "+d.Role)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("role events of %s: got %v, want %v", user, got, want)
	}
}
