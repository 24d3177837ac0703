package access

import (
	"context"
	"slices"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// PermissionInput describes a permission to add or replace.
type PermissionInput struct {
	Name    string
	Pattern string
	Verbs   []store.Verb
}

// maxPermissionName bounds a permission's name, in characters.
const maxPermissionName = 128

func (in PermissionInput) check() (store.Permission, error) {
	if _, err := compilePattern(in.Pattern); err != nil {
		return store.Permission{}, err
	}
	name, err := checkText("name", in.Name, maxPermissionName)
	if err != nil {
		return store.Permission{}, err
	}
	// More verbs than there are can only repeat some.
	if len(in.Verbs) == 0 || len(in.Verbs) > len(store.AllVerbs) {
		return store.Permission{}, apperr.Input("verbs", "a permission needs 1 to %d verbs", len(store.AllVerbs))
	}
	for _, v := range in.Verbs {
		if !slices.Contains(store.AllVerbs, v) {
			return store.Permission{}, apperr.Input("verbs", "unknown verb %q", v)
		}
	}
	verbs := []store.Verb{}
	for _, v := range store.AllVerbs { // stable order, no duplicates
		if slices.Contains(in.Verbs, v) {
			verbs = append(verbs, v)
		}
	}
	return store.Permission{Name: name, Pattern: in.Pattern, Verbs: verbs}, nil
}

// AddPermission adds a permission to a role; PATTERN_EXISTS if the role
// already has one with the same pattern.
func (s *Service) AddPermission(ctx context.Context, role string, in PermissionInput) (*store.Permission, error) {
	p, err := in.check()
	if err != nil {
		return nil, err
	}
	p.ID = store.NewID()
	err = s.editPermissions(ctx, role, func(perms []store.Permission) ([]store.Permission, error) {
		if i := patternIndex(perms, p.Pattern); i >= 0 {
			return nil, patternExists(p.Pattern)
		}
		if len(perms) >= maxPermissions { // every authorization of the role's holders tries each
			return nil, apperr.Input("pattern", "a role has at most %d permissions", maxPermissions)
		}
		return append(perms, p), nil
	})
	return &p, err
}

// UpdatePermission replaces a permission of a role, keeping its id.
func (s *Service) UpdatePermission(ctx context.Context, role, id string, in PermissionInput) (*store.Permission, error) {
	p, err := in.check()
	if err != nil {
		return nil, err
	}
	p.ID = id
	err = s.editPermissions(ctx, role, func(perms []store.Permission) ([]store.Permission, error) {
		i := slices.IndexFunc(perms, func(q store.Permission) bool { return q.ID == id })
		if i < 0 {
			return nil, apperr.New(apperr.NotFound, "role %q has no permission %q", role, id)
		}
		if j := patternIndex(perms, p.Pattern); j >= 0 && j != i {
			return nil, patternExists(p.Pattern)
		}
		perms[i] = p
		return perms, nil
	})
	return &p, err
}

// RemovePermission removes a permission from a role.
func (s *Service) RemovePermission(ctx context.Context, role, id string) error {
	return s.editPermissions(ctx, role, func(perms []store.Permission) ([]store.Permission, error) {
		i := slices.IndexFunc(perms, func(q store.Permission) bool { return q.ID == id })
		if i < 0 {
			return nil, apperr.New(apperr.NotFound, "role %q has no permission %q", role, id)
		}
		return slices.Delete(perms, i, i+1), nil
	})
}

// editPermissions changes a role's permission list atomically. The admin
// role's permissions are fixed: it always has every permission.
func (s *Service) editPermissions(ctx context.Context, role string, edit func([]store.Permission) ([]store.Permission, error)) error {
	n, err := NormalizeRoleName(role)
	if err != nil {
		return err
	}
	if ctx, err = s.withRoleEvent(ctx, audit.PermissionChanged, n, audit.Data{"name": n}); err != nil {
		return err
	}
	_, err = s.store.UpdateRole(ctx, n, func(r *store.Role) error {
		if r.Name == AdminRole {
			return apperr.New(apperr.Forbidden, "the admin role always has every permission; it cannot be changed")
		}
		perms, err := edit(r.Permissions)
		if err != nil {
			return err
		}
		r.Permissions, r.UpdatedAt = perms, store.Now()
		return nil
	})
	if err != nil {
		return roleErr(err, n)
	}
	s.invalidate()
	return nil
}

func patternIndex(perms []store.Permission, pattern string) int {
	return slices.IndexFunc(perms, func(q store.Permission) bool { return q.Pattern == pattern })
}

func patternExists(pattern string) error {
	return apperr.New(apperr.PatternExists, "the role already has a permission with pattern %q", pattern).OnField("pattern")
}
