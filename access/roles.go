package access

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

var roleNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.:-]{0,63}$`)

// Bounds of a role's name (before it is folded) and description.
const (
	maxRoleNameBytes   = 256 // 64 characters, four bytes each at most
	maxRoleDescription = 1024
)

var errRoleName = apperr.New(apperr.InvalidRole, "a role name is 1 to 64 letters, digits, '_', '.', ':' or '-', starting with a letter or digit").OnField("name")

// NormalizeRoleName folds a role name to its stored form (lower case) and
// checks it: letters, digits, '_', '.', ':' and '-', at most 64.
func NormalizeRoleName(name string) (string, error) {
	if len(name) > maxRoleNameBytes {
		return "", errRoleName
	}
	n := strings.ToLower(strings.TrimSpace(name))
	if !roleNameRE.MatchString(n) {
		return "", errRoleName
	}
	return n, nil
}

// checkText trims a free-text field and bounds it to max characters,
// counting bytes first.
func checkText(field, v string, max int) (string, error) {
	if len(v) > 4*max {
		return "", apperr.Input(field, "%s is longer than %d characters", field, max)
	}
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > max {
		return "", apperr.Input(field, "%s is longer than %d characters", field, max)
	}
	return v, nil
}

// Roles returns the whole catalogue, ordered by name.
func (s *Service) Roles(ctx context.Context) ([]*store.Role, error) {
	return s.store.ListRoles(ctx)
}

// Role returns one role; NOT_FOUND if it does not exist.
func (s *Service) Role(ctx context.Context, name string) (*store.Role, error) {
	n, err := NormalizeRoleName(name)
	if err != nil {
		return nil, err
	}
	r, err := s.store.GetRole(ctx, n)
	return r, roleErr(err, n)
}

// Exists reports whether a role of that name exists.
func (s *Service) Exists(ctx context.Context, name string) (bool, error) {
	_, err := s.Role(ctx, name)
	if apperr.CodeOf(err) == apperr.NotFound {
		return false, nil
	}
	return err == nil, err
}

// CreateRole adds a role without permissions.
func (s *Service) CreateRole(ctx context.Context, name, description string) (*store.Role, error) {
	n, err := NormalizeRoleName(name)
	if err != nil {
		return nil, err
	}
	if description, err = checkText("description", description, maxRoleDescription); err != nil {
		return nil, err
	}
	now := store.Now()
	r := &store.Role{ID: store.NewID(), Name: n, Description: description,
		Permissions: []store.Permission{}, CreatedAt: now, UpdatedAt: now}
	ev := audit.New(ctx, audit.RoleCreated, r.ID, audit.Data{"name": n})
	if err := s.store.CreateRole(audit.With(ctx, ev), r); err != nil {
		return nil, roleErr(err, n)
	}
	s.invalidate()
	return r, nil
}

// UpdateRole changes a role's name and description. A rename moves every
// holder to the new name; built-in roles cannot be renamed.
func (s *Service) UpdateRole(ctx context.Context, name, newName, description string) (*store.Role, error) {
	old, err := NormalizeRoleName(name)
	if err != nil {
		return nil, err
	}
	n, err := NormalizeRoleName(newName)
	if err != nil {
		return nil, err
	}
	if description, err = checkText("description", description, maxRoleDescription); err != nil {
		return nil, err
	}
	ctx, err = s.withRoleEvent(ctx, audit.RoleUpdated, old, audit.Data{"name": n, "previousName": old})
	if err != nil {
		return nil, err
	}
	r, err := s.store.UpdateRole(ctx, old, func(r *store.Role) error {
		if r.BuiltIn && n != old {
			return apperr.New(apperr.Forbidden, "built-in role %q cannot be renamed", old)
		}
		r.Name, r.Description, r.UpdatedAt = n, description, store.Now()
		return nil
	})
	if err != nil {
		return nil, roleErr(err, old)
	}
	s.invalidate()
	if n != old {
		return r, s.moveHolders(store.WithoutEvents(ctx), old, []string{n})
	}
	return r, nil
}

// DeleteRole removes a role and takes it away from every holder.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	n, err := NormalizeRoleName(name)
	if err != nil {
		return err
	}
	r, err := s.store.GetRole(ctx, n)
	if err != nil {
		return roleErr(err, n)
	}
	if r.BuiltIn {
		return apperr.New(apperr.Forbidden, "built-in role %q cannot be deleted", n)
	}
	ev := audit.New(ctx, audit.RoleDeleted, r.ID, audit.Data{"name": n})
	if err := s.store.DeleteRole(audit.With(ctx, ev), n); err != nil {
		return roleErr(err, n)
	}
	s.invalidate()
	return s.moveHolders(ctx, n, nil)
}

// withRoleEvent returns ctx carrying an event of type typ about the role
// named name (its id, read first), or NOT_FOUND.
func (s *Service) withRoleEvent(ctx context.Context, typ, name string, data audit.Data) (context.Context, error) {
	r, err := s.store.GetRole(ctx, name)
	if err != nil {
		return ctx, roleErr(err, name)
	}
	return audit.With(ctx, audit.New(ctx, typ, r.ID, data)), nil
}

// moveHolders replaces role old by add on every user holding it. Without
// multi-document transactions this runs after the role change; if it fails
// the holders keep a name that grants nothing, and the error is reported.
func (s *Service) moveHolders(ctx context.Context, old string, add []string) error {
	f := &store.UserFilter{Roles: &store.SetMatch{Any: []string{old}}}
	// The holders' ids, for the session cache: a cached principal still
	// carries the old name. No one can be granted the old name meanwhile,
	// since no role has it any more.
	ids, err := store.MatchingIDs(ctx, s.store, f)
	if err != nil {
		return err
	}
	patch := store.UserPatch{RemoveRoles: []string{old}, AddRoles: add, UpdatedAt: store.Now()}
	for chunk := range slices.Chunk(ids, holdersChunk) {
		// Each holder's change carries its events (the store keeps those
		// of the users it changes): the filter still asks for the old
		// name, so a holder who lost it meanwhile is neither changed nor
		// told so.
		f := &store.UserFilter{IDs: chunk, Roles: &store.SetMatch{Any: []string{old}}}
		if _, err = s.store.PatchUsers(audit.With(ctx, holderEvents(ctx, chunk, old, add)...), f, patch); err != nil {
			break
		}
	}
	s.forgetUsers(ids...)
	return err
}

// holdersChunk bounds the users (and events) of one PatchUsers of a
// role's holders.
const holdersChunk = 500

// holderEvents are the events of moving the holders ids off the role old
// (deleted, or renamed to add[0]): role.revoked of old and, on a rename,
// role.granted of the new name, for each of them.
func holderEvents(ctx context.Context, ids []string, old string, add []string) []*store.Event {
	evs := make([]*store.Event, 0, len(ids)*(1+len(add)))
	for _, id := range ids {
		if len(add) == 0 {
			evs = append(evs, audit.New(ctx, audit.RoleRevoked, id, audit.Data{"role": old, "roleDeleted": true}))
			continue
		}
		evs = append(evs, audit.New(ctx, audit.RoleRevoked, id, audit.Data{"role": old, "renamedTo": add[0]}))
		for _, n := range add {
			evs = append(evs, audit.New(ctx, audit.RoleGranted, id, audit.Data{"role": n, "renamedFrom": old}))
		}
	}
	return evs
}

// EnsureBuiltIns creates the admin role and the default role if missing.
func (s *Service) EnsureBuiltIns(ctx context.Context) error {
	now := store.Now()
	builtIns := []*store.Role{{
		ID: store.NewID(), Name: AdminRole, Description: "Every permission.", BuiltIn: true,
		Permissions: []store.Permission{{ID: store.NewID(), Name: "everything", Pattern: "**", Verbs: slices.Clone(store.AllVerbs)}},
		CreatedAt:   now, UpdatedAt: now,
	}}
	if s.defaultRole != "" && s.defaultRole != AdminRole {
		builtIns = append(builtIns, &store.Role{ID: store.NewID(), Name: s.defaultRole,
			Description: "Given to every new account.", BuiltIn: true,
			Permissions: []store.Permission{}, CreatedAt: now, UpdatedAt: now})
	}
	for _, r := range builtIns {
		if err := s.store.CreateRole(ctx, r); err != nil && !errors.Is(err, store.ErrAlreadyExists) {
			return err
		}
	}
	s.invalidate()
	return nil
}

// roleErr translates store errors about role name, keeping them as causes.
func roleErr(err error, name string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return apperr.Wrap(apperr.NotFound, err, "no role named %q", name)
	case errors.Is(err, store.ErrAlreadyExists):
		return apperr.Wrap(apperr.RoleExists, err, "a role with that name already exists").OnField("name")
	}
	return err
}
