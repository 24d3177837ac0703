package account

import (
	"context"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// The last-admin guard: no change may leave the service without an active
// administrator (a user holding the admin role who is ACTIVE and not
// deleted), since nobody could then administer it. The changes that can
// take one away are exactly these, and each is guarded: SetStatus to a
// status other than ACTIVE, RevokeRole of admin, DeleteUser, DeleteAccount,
// UpdateUsers with such a status or removing admin, DeleteUsers, and an
// import's replacement of an administrator (Import.Replace). No
// other write removes the admin role or makes a user inactive (access
// refuses to rename or delete the built-in admin role).
//
// A guarded change reads which users are active administrators, then
// writes; the store offers no transaction spanning that read and the
// writes (DESIGN.md's MongoDB portability rule: no multi-document
// transactions) and no compare-and-swap across users. So:
//
//   - Within one process, the guarded changes are serialized: each holds
//     adminChanges from before it reads the users it will change (a bulk
//     change lists its filter's ids first) until its last write is done,
//     and the guard counts the administrators left outside those ids. Two
//     changes removing each of the last two administrators therefore run
//     one after the other, and the second is refused.
//   - Across processes (several instances on one MongoDB database, or two
//     servers on one SQLite file), nothing serializes them: if two
//     instances each remove a different one of the last active
//     administrators, and each reads the administrators before the other's
//     write is stored, both changes succeed and none is left. The window of
//     each is from its guard's read to its last write: a few milliseconds
//     for one user, the whole chunked write for a bulk change.
//   - Unguarded writes may run meanwhile, but they can only add active
//     administrators (grantRole, a status set to ACTIVE, createUser with
//     admin): the guard may then see one administrator too few and refuse
//     a change it could have allowed, never the reverse. A bulk change acts
//     on the ids it listed under the lock, so a user that comes to match
//     its filter afterwards is neither changed nor counted.

// adminLock serializes the guarded changes of one process; see above. It is
// a channel, not a sync.Mutex, so that a caller whose request ends while
// it waits gives up.
type adminLock chan struct{}

func newAdminLock() adminLock { return make(adminLock, 1) }

// lock waits for the lock; it returns the function that releases it, or
// ctx.Err() if ctx ends first.
func (l adminLock) lock(ctx context.Context) (unlock func(), err error) {
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// guardLastAdmin refuses a change to the users ids that would leave no
// active administrator: when there is one and every one is among ids. The
// caller holds adminChanges until its change is written.
func (s *Service) guardLastAdmin(ctx context.Context, ids []string) error {
	admins, err := store.MatchingIDs(ctx, s.store, &store.UserFilter{
		Roles: &store.SetMatch{Any: []string{access.AdminRole}}, Active: ptr(true)})
	if err != nil || len(admins) == 0 {
		return err
	}
	changed := make(map[string]bool, len(ids))
	for _, id := range ids {
		changed[id] = true
	}
	for _, id := range admins {
		if !changed[id] {
			return nil
		}
	}
	return apperr.New(apperr.Forbidden, "this would leave no active administrator")
}

// lockAndGuard takes adminChanges and checks the change to ids with
// guardLastAdmin. On success the caller writes its change and then calls
// unlock; on error the lock is already released.
func (s *Service) lockAndGuard(ctx context.Context, ids ...string) (unlock func(), err error) {
	unlock, err = s.adminChanges.lock(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.guardLastAdmin(ctx, ids); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}
