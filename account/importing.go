package account

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Imported is a user brought from another system by `usergraph import`:
// what NewUser carries (its Password and DeviceToken unused), plus what
// only an import sets. The import runs on the server's host with the
// database's own settings, so it is trusted with roles and status; it is
// held to every other rule an account follows.
type Imported struct {
	NewUser
	ID           string // "": a new one; else kept, so the old system's references still hold
	PasswordHash string // "": no password; else a hash password.Hasher.Check accepts
	IsGuest      bool
	CreatedAt    time.Time // zero: now
	LastLoginAt  time.Time
	DeletedAt    time.Time // set: imported soft-deleted, keys reserved
}

// importedID is what a kept id may look like: the ids of Firebase
// (28 characters), Supabase (UUIDs) and usergraph (32 hex digits) fit, and
// nothing that would need escaping anywhere an id travels.
var importedID = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)

// Import is one run of an import: the account rules for each row, with
// the roles found to exist remembered, so that a hundred thousand rows
// naming the same role read it once. A role deleted during the run may
// still be given to the rows after: as with a createUser racing a
// deleteRole, the holders keep a name nothing grants.
type Import struct {
	s     *Service
	roles map[string]bool // role name → exists
}

// StartImport begins an import run.
func (s *Service) StartImport() *Import { return &Import{s: s, roles: map[string]bool{}} }

// roleExists is access.Exists, remembered for the run.
func (im *Import) roleExists(ctx context.Context, name string) (bool, error) {
	if ok, known := im.roles[name]; known {
		return ok, nil
	}
	ok, err := im.s.access.Exists(ctx, name)
	if err == nil {
		im.roles[name] = ok
	}
	return ok, err
}

// Build validates in and returns the record to store. The hash is
// checked, not computed: a scheme the hasher does not know, or costs
// above its bounds, are refused here rather than failing every sign-in
// later. Errors are apperr errors naming the field.
func (im *Import) Build(ctx context.Context, in Imported) (*store.User, error) {
	s := im.s
	if in.ID != "" && !importedID.MatchString(in.ID) {
		return nil, apperr.Input("id", "id must be 1 to 64 letters, digits or . _ : -")
	}
	if in.Status == "" {
		in.Status = store.StatusActive
	}
	if !in.Status.Valid() {
		return nil, apperr.Input("status", "status %q is not ACTIVE, PENDING or SUSPENDED", in.Status)
	}
	if in.Roles == nil && s.access.DefaultRole() != "" {
		in.Roles = []string{s.access.DefaultRole()}
	}
	roles, err := checkRolesWith(ctx, "roles", in.Roles, im.roleExists)
	if err != nil {
		return nil, err
	}
	in.Roles, in.Password = roles, ""
	u, err := s.build(ctx, in.NewUser, false)
	if err != nil {
		return nil, err
	}
	if in.PasswordHash != "" {
		if err := s.hasher.Check(in.PasswordHash); err != nil {
			return nil, apperr.Input("passwordHash", "%s", strings.TrimPrefix(err.Error(), "password: "))
		}
	}
	if in.ID != "" {
		u.ID = in.ID
	}
	if !in.CreatedAt.IsZero() {
		u.CreatedAt = in.CreatedAt
	}
	u.PasswordHash, u.IsGuest = in.PasswordHash, in.IsGuest
	u.LastLoginAt, u.DeletedAt = in.LastLoginAt, in.DeletedAt
	if u.Deleted() {
		u.Status = store.StatusSuspended // as a soft delete leaves it
	}
	return u, nil
}

// Replace overwrites the stored user id with the imported record u (from
// Build), for an import that updates existing users: every imported field
// is replaced; the id, the lockout and the verification mail state stay,
// and so do the stored password and avatar when u has none (an uploaded
// avatar replaced is deleted, so a file without avatars must not clear
// them). A replacement that
// would take away the last active administrator is refused
// (lastadmin.go): it is retried under the guard once the stored user turns
// out to be an active administrator that u is not.
func (im *Import) Replace(ctx context.Context, id string, u *store.User) (*store.User, error) {
	got, err := im.replace(ctx, id, u, false)
	if !errors.Is(err, errRemovesAdmin) {
		return got, err
	}
	unlock, err := im.s.lockAndGuard(ctx, id)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return im.replace(ctx, id, u, true)
}

// errRemovesAdmin stops an unguarded replacement of an active
// administrator by a record that is not one.
var errRemovesAdmin = errors.New("account: the import would remove an active administrator")

func (im *Import) replace(ctx context.Context, id string, u *store.User, guarded bool) (*store.User, error) {
	return im.s.update(ctx, id, func(old *store.User) error {
		if !guarded && isActiveAdmin(old) && !isActiveAdmin(u) {
			return errRemovesAdmin
		}
		keep := *old
		*old = *u.Clone()
		old.ID, old.Version = keep.ID, keep.Version
		old.Lockout, old.EmailVerification = keep.Lockout, keep.EmailVerification
		old.LastRequestAt = keep.LastRequestAt
		if old.PasswordHash == "" {
			old.PasswordHash = keep.PasswordHash
		}
		if old.AvatarURL == "" {
			old.AvatarURL = keep.AvatarURL
		}
		return nil
	})
}

func isActiveAdmin(u *store.User) bool { return u.Active() && u.HasRole(access.AdminRole) }
