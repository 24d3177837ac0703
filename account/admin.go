package account

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Administrators' operations on single users. The GraphQL directives
// check the caller's permission for each operation; the rules here add what
// depends on the input (granting roles needs the roles permission) and keep
// at least one active administrator (lastadmin.go). Metadata changes are in
// metadata.go.

// CreateUser creates an account on an administrator's behalf. Roles other
// than the default need permission to grant roles.
func (s *Service) CreateUser(ctx context.Context, actor *session.Principal, in NewUser) (*store.User, error) {
	if in.Status == "" {
		in.Status = store.StatusActive
	}
	def := s.access.DefaultRole()
	if in.Roles == nil && def != "" {
		in.Roles = []string{def}
	}
	roles, err := s.checkRoles(ctx, "roles", in.Roles)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(roles, func(r string) bool { return r != def }) {
		if err := s.require(ctx, actor, access.ResourceUserRoles, store.VerbPut); err != nil {
			return nil, err
		}
	}
	in.Roles = roles
	u, err := s.build(ctx, in, false)
	if err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.UserSignedUp, u.ID, audit.Data{"status": u.Status, "by": "administrator"})
	return u, userErr(s.store.CreateUser(audit.With(ctx, ev), u))
}

// AdminChange is ProfileChange plus what only administrators change.
type AdminChange struct {
	ProfileChange
	Username         *string
	Password         *string // a new password ends the user's sessions
	EmailVerified    *bool
	AppMetadataPatch json.RawMessage
}

// UpdateUser changes any field of a user but roles and status. An email
// set here applies at once, whatever the email verification: the
// administrator vouches for it (and may set emailVerified, or send a
// verification mail).
func (s *Service) UpdateUser(ctx context.Context, id string, ch AdminChange) (*store.User, error) {
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	hash, err := s.newPasswordHash(ctx, ch.Password)
	if err != nil {
		return nil, err
	}
	u, err := s.update(audit.With(ctx, adminChangeEvents(ctx, id, ch)...), id, func(u *store.User) error {
		if ch.Username != nil {
			if err := s.changeUsername(u, *ch.Username); err != nil {
				return err
			}
		}
		if err := s.applyChange(u, ch.ProfileChange, true); err != nil {
			return err
		}
		if ch.EmailVerified != nil {
			u.EmailVerified = *ch.EmailVerified && u.Email != ""
		}
		if ch.AppMetadataPatch != nil {
			merged, err := s.mergeObject("appMetadata", u.AppMetadata, ch.AppMetadataPatch)
			if err != nil {
				return err
			}
			u.AppMetadata = merged
		}
		if hash != "" {
			u.PasswordHash = hash
		}
		return nil
	})
	if err != nil || hash == "" {
		return u, err
	}
	_, err = s.sessions.RevokeUser(ctx, id, "")
	return u, err
}

// adminChangeEvents are the events of an administrator's change of a user:
// user.updated naming the fields, and the password's and metadata's own.
func adminChangeEvents(ctx context.Context, id string, ch AdminChange) []*store.Event {
	fields := ch.ProfileChange.fields()
	if ch.Username != nil {
		fields = append(fields, "username")
	}
	if ch.EmailVerified != nil {
		fields = append(fields, "emailVerified")
	}
	var evs []*store.Event
	if len(fields) > 0 {
		evs = append(evs, audit.New(ctx, audit.UserUpdated, id, audit.Data{"fields": fields}))
	}
	if ch.AppMetadataPatch != nil {
		evs = append(evs, audit.New(ctx, audit.UserMetadataChanged, id, audit.Data{"field": "appMetadata"}))
	}
	if ch.Password != nil {
		evs = append(evs, audit.New(ctx, audit.PasswordChanged, id, audit.Data{"by": "administrator"}))
	}
	return evs
}

func (s *Service) changeUsername(u *store.User, username string) error {
	if username == "" {
		if u.Email == "" {
			return apperr.Input("username", "an account without an email needs a username")
		}
		setUsername(u, "", "")
		return nil
	}
	name, key, err := s.checkUsername(username)
	if err != nil {
		return err
	}
	setUsername(u, name, key)
	return nil
}

func (s *Service) newPasswordHash(ctx context.Context, pw *string) (string, error) {
	if pw == nil {
		return "", nil
	}
	if err := s.checkPassword("password", *pw); err != nil {
		return "", err
	}
	return s.hash(ctx, *pw)
}

// SetStatus changes a user's status. SUSPENDED (or PENDING) ends the user's
// sessions at once; ACTIVE also restores a soft-deleted account.
func (s *Service) SetStatus(ctx context.Context, id string, status store.Status) (*store.User, error) {
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	if !status.Valid() {
		return nil, apperr.Input("status", "unknown status")
	}
	if status != store.StatusActive {
		unlock, err := s.lockAndGuard(ctx, id)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	ev := audit.New(ctx, audit.UserStatusChanged, id, audit.Data{"status": status})
	u, err := s.update(audit.With(ctx, ev), id, func(u *store.User) error {
		u.Status = status
		if status == store.StatusActive {
			u.DeletedAt = time.Time{}
		}
		return nil
	})
	if err != nil || status == store.StatusActive {
		return u, err
	}
	_, err = s.sessions.RevokeUser(ctx, id, "")
	return u, err
}

// GrantRole gives a user an existing role.
func (s *Service) GrantRole(ctx context.Context, id, role string) (*store.User, error) {
	if err := checkID("userId", id); err != nil {
		return nil, err
	}
	roles, err := s.checkRoles(ctx, "roles", []string{role})
	if err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.RoleGranted, id, audit.Data{"role": roles[0]})
	return s.update(audit.With(ctx, ev), id, func(u *store.User) error {
		if !u.HasRole(roles[0]) {
			u.Roles = append(u.Roles, roles[0])
		}
		return nil
	})
}

// RevokeRole takes a role away; the last active administrator keeps admin.
func (s *Service) RevokeRole(ctx context.Context, id, role string) (*store.User, error) {
	if err := checkID("userId", id); err != nil {
		return nil, err
	}
	name, err := access.NormalizeRoleName(role)
	if err != nil {
		return nil, apperr.OnFieldOf(err, "role")
	}
	if name == access.AdminRole {
		unlock, err := s.lockAndGuard(ctx, id)
		if err != nil {
			return nil, err
		}
		defer unlock()
	}
	ev := audit.New(ctx, audit.RoleRevoked, id, audit.Data{"role": name})
	return s.update(audit.With(ctx, ev), id, func(u *store.User) error {
		u.Roles = slices.DeleteFunc(u.Roles, func(r string) bool { return r == name })
		return nil
	})
}

// DeleteUser soft-deletes (suspends, marks deleted, keeps keys reserved) or,
// with hard, removes the account and its sessions.
func (s *Service) DeleteUser(ctx context.Context, id string, hard bool) error {
	if err := checkID("id", id); err != nil {
		return err
	}
	unlock, err := s.lockAndGuard(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	ev := audit.New(ctx, audit.UserDeleted, id, audit.Data{"hard": hard})
	if hard {
		err := s.store.DeleteUser(audit.With(ctx, ev), id)
		s.sessions.ForgetUsers(id)
		return userErr(err)
	}
	if _, err := s.update(audit.With(ctx, ev), id, func(u *store.User) error {
		u.Status = store.StatusSuspended
		if !u.Deleted() {
			u.DeletedAt = store.Now()
		}
		return nil
	}); err != nil {
		return err
	}
	_, err = s.sessions.RevokeUser(ctx, id, "")
	return err
}

// checkRoles normalizes role names and checks that each role exists: the
// count first (list names the input), then each name ("role" in errors, as
// clients know it), duplicates dropped.
func (s *Service) checkRoles(ctx context.Context, list string, names []string) ([]string, error) {
	return checkRolesWith(ctx, list, names, s.access.Exists)
}

// checkRolesWith is checkRoles asking exists whether a role exists.
func checkRolesWith(ctx context.Context, list string, names []string, exists func(context.Context, string) (bool, error)) ([]string, error) {
	if err := checkCount(list, len(names), maxRoles); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		n, err := access.NormalizeRoleName(name)
		if err != nil {
			return nil, apperr.OnFieldOf(err, "role")
		}
		if seen[n] {
			continue
		}
		seen[n] = true
		ok, err := exists(ctx, n)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.New(apperr.InvalidRole, "there is no role named %q", n).OnField("role")
		}
		out = append(out, n)
	}
	return out, nil
}

// require checks a permission the caller needs for this particular input.
func (s *Service) require(ctx context.Context, actor *session.Principal, resource string, verb store.Verb) error {
	if actor == nil {
		return apperr.New(apperr.Unauthenticated, "sign in first")
	}
	return s.access.Require(ctx, actor.Roles(), resource, verb)
}
