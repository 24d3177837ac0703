package account

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Administrators' changes to every user a filter selects: a patch or a
// deletion, applied in chunks of ids. The filter must restrict (no "every
// user" by accident); role changes need the roles permission; the last
// active administrator is kept (lastadmin.go).

// Patch is a bulk change (UserPatchInput).
type Patch struct {
	Status      *store.Status
	AddRoles    []string
	RemoveRoles []string
	AddTags     []string
	RemoveTags  []string
	AppMetadata json.RawMessage
}

// UpdateUsers applies a patch to every user the filter selects and returns
// how many were selected. Role changes need the roles permission; a patch
// that suspends users ends their sessions.
func (s *Service) UpdateUsers(ctx context.Context, actor *session.Principal, f *store.UserFilter, p Patch) (int, error) {
	sp, err := s.checkPatch(ctx, actor, p)
	if err != nil {
		return 0, err
	}
	if f, err = s.checkBulkFilter(f); err != nil {
		return 0, err
	}
	removesAdmins := (sp.Status != nil && *sp.Status != store.StatusActive) || slices.Contains(sp.RemoveRoles, access.AdminRole)
	ids, unlock, err := s.selectForChange(ctx, f, removesAdmins)
	if err != nil {
		return 0, err
	}
	defer unlock()
	return len(ids), s.inChunks(ids, func(chunk []string) error {
		_, err := s.store.PatchUsers(audit.With(ctx, patchEvents(ctx, chunk, sp)...), &store.UserFilter{IDs: chunk}, sp)
		if err != nil {
			return userErr(err)
		}
		return s.afterBulk(ctx, chunk, sp.Status != nil && *sp.Status != store.StatusActive)
	})
}

// DeleteUsers soft- or hard-deletes every user the filter selects.
func (s *Service) DeleteUsers(ctx context.Context, f *store.UserFilter, hard bool) (int, error) {
	f, err := s.checkBulkFilter(f)
	if err != nil {
		return 0, err
	}
	ids, unlock, err := s.selectForChange(ctx, f, true)
	if err != nil {
		return 0, err
	}
	defer unlock()
	suspended := store.StatusSuspended
	soft := store.UserPatch{Status: &suspended, DeletedAt: store.Now(), UpdatedAt: store.Now()}
	return len(ids), s.inChunks(ids, func(chunk []string) error {
		var err error
		evs := make([]*store.Event, len(chunk))
		for i, id := range chunk {
			evs[i] = audit.New(ctx, audit.UserDeleted, id, audit.Data{"hard": hard, "bulk": true})
		}
		if hard {
			_, err = s.store.DeleteUsers(audit.With(ctx, evs...), &store.UserFilter{IDs: chunk})
		} else {
			_, err = s.store.PatchUsers(audit.With(ctx, evs...), &store.UserFilter{IDs: chunk}, soft)
		}
		if err != nil {
			return userErr(err)
		}
		return s.afterBulk(ctx, chunk, true)
	})
}

// patchEvents are a bulk patch's events: one per user and change, each
// going with that user's write.
func patchEvents(ctx context.Context, ids []string, p store.UserPatch) []*store.Event {
	var evs []*store.Event
	for _, id := range ids {
		if p.Status != nil {
			evs = append(evs, audit.New(ctx, audit.UserStatusChanged, id, audit.Data{"status": *p.Status, "bulk": true}))
		}
		for _, r := range p.AddRoles {
			evs = append(evs, audit.New(ctx, audit.RoleGranted, id, audit.Data{"role": r, "bulk": true}))
		}
		for _, r := range p.RemoveRoles {
			evs = append(evs, audit.New(ctx, audit.RoleRevoked, id, audit.Data{"role": r, "bulk": true}))
		}
		if len(p.AddTags) > 0 || len(p.RemoveTags) > 0 {
			evs = append(evs, audit.New(ctx, audit.UserUpdated, id, audit.Data{"fields": []string{"tags"}, "bulk": true}))
		}
		if p.AppMetadata != nil {
			evs = append(evs, audit.New(ctx, audit.UserMetadataChanged, id, audit.Data{"field": "appMetadata", "bulk": true}))
		}
	}
	return evs
}

// checkBulkFilter is checkFilter that also refuses a filter selecting
// everybody (restricts walks only a filter that passed the limits).
func (s *Service) checkBulkFilter(f *store.UserFilter) (*store.UserFilter, error) {
	if err := s.filterLimits.Check(f); err != nil {
		return nil, inputErr("filter", err)
	}
	if !restricts(f) {
		return nil, apperr.Input("filter", "an empty filter would select every user; say which users")
	}
	return leaveOutDeleted(s.withPhoneKeys(s.withUsernameKeys(f))), nil
}

func (s *Service) checkPatch(ctx context.Context, actor *session.Principal, p Patch) (store.UserPatch, error) {
	sp := store.UserPatch{Status: p.Status, UpdatedAt: store.Now()}
	if p.Status != nil && !p.Status.Valid() {
		return sp, apperr.Input("status", "unknown status")
	}
	var err error
	if sp.AddTags, err = checkTags("addTags", p.AddTags); err != nil {
		return sp, err
	}
	if sp.RemoveTags, err = checkTags("removeTags", p.RemoveTags); err != nil {
		return sp, err
	}
	if p.AppMetadata != nil {
		if sp.AppMetadata, err = checkObject("appMetadata", p.AppMetadata, s.cfg.MetadataMaxBytes); err != nil {
			return sp, err
		}
	}
	if len(p.AddRoles) > 0 {
		if err := s.require(ctx, actor, access.ResourceUserRoles, store.VerbPut); err != nil {
			return sp, err
		}
		if sp.AddRoles, err = s.checkRoles(ctx, "addRoles", p.AddRoles); err != nil {
			return sp, err
		}
	}
	if len(p.RemoveRoles) > 0 {
		if err := s.require(ctx, actor, access.ResourceUserRoles, store.VerbDelete); err != nil {
			return sp, err
		}
		if sp.RemoveRoles, err = roleNames("removeRoles", p.RemoveRoles); err != nil {
			return sp, err
		}
	}
	return sp, nil
}

// roleNames folds the names of roles to take away. They need not exist
// (a deleted role's name may linger on users), so only their number and
// size are checked.
func roleNames(field string, names []string) ([]string, error) {
	if err := checkCount(field, len(names), maxRoles); err != nil {
		return nil, err
	}
	out := make([]string, 0, len(names))
	for _, r := range names {
		if len(r) > maxRoleBytes {
			return nil, apperr.Input(field, "a role name is at most %d bytes", maxRoleBytes)
		}
		out = append(out, strings.ToLower(strings.TrimSpace(r)))
	}
	return out, nil
}

// selectForChange lists the ids a checked filter selects, for a bulk change
// of them. A change that can take administrators away (removesAdmins)
// takes adminChanges first and is refused if it would leave no active
// administrator (lastadmin.go); the caller calls unlock after its writes.
func (s *Service) selectForChange(ctx context.Context, f *store.UserFilter, removesAdmins bool) (ids []string, unlock func(), err error) {
	unlock = func() {}
	if removesAdmins {
		if unlock, err = s.adminChanges.lock(ctx); err != nil {
			return nil, nil, err
		}
	}
	ids, err = store.MatchingIDs(ctx, s.store, f)
	if err = userErr(err); err == nil && removesAdmins {
		err = s.guardLastAdmin(ctx, ids)
	}
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return ids, unlock, nil
}

func (s *Service) inChunks(ids []string, fn func([]string) error) error {
	for start := 0; start < len(ids); start += store.MaxFilterWidth {
		if err := fn(ids[start:min(start+store.MaxFilterWidth, len(ids))]); err != nil {
			return err
		}
	}
	return nil
}

// afterBulk makes cached sessions re-read the users and, if they lost
// access, ends their sessions.
func (s *Service) afterBulk(ctx context.Context, ids []string, endSessions bool) error {
	if !endSessions {
		s.sessions.ForgetUsers(ids...)
		return nil
	}
	_, err := s.sessions.RevokeUsers(ctx, ids, "")
	return err
}

// restricts reports whether a filter can leave anybody out. {} does not,
// and neither do {and: []}, {roles: {}} or {createdAt: {}}: a bulk change
// must say which users it means.
func restricts(f *store.UserFilter) bool {
	if f == nil {
		return false
	}
	if f.IDs != nil || f.Usernames != nil || f.Emails != nil || f.Status != nil || f.Search != "" ||
		f.Phones != nil || f.FirstNames != nil || f.LastNames != nil || f.FullNames != nil || f.NamePrefix != nil ||
		f.Active != nil || f.IsGuest != nil || f.EmailVerified != nil || f.Deleted != nil ||
		len(f.Metadata) > 0 || len(f.AppMetadata) > 0 || f.Or != nil || f.Not != nil {
		return true
	}
	for _, m := range []*store.SetMatch{f.Roles, f.Tags, f.Providers} {
		if m != nil && (m.Any != nil || len(m.All) > 0) {
			return true
		}
	}
	for _, r := range []*store.TimeRange{f.CreatedAt, f.LastLoginAt, f.LastRequestAt} {
		if r != nil && *r != (store.TimeRange{}) {
			return true
		}
	}
	return slices.ContainsFunc(f.And, func(g store.UserFilter) bool { return restricts(&g) })
}
