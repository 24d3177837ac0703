package account

import (
	"context"

	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
)

// DeleteAccount removes the caller's account for good, with its sessions.
// The password is checked; a guest has none (confirmDeletion).
func (s *Service) DeleteAccount(ctx context.Context, p *session.Principal, plain string) error {
	u, err := s.confirmDeletion(ctx, p, plain)
	if err != nil {
		return err
	}
	unlock, err := s.lockAndGuard(ctx, u.ID)
	if err != nil {
		return err
	}
	defer unlock()
	ev := audit.New(ctx, audit.UserDeleted, u.ID, audit.Data{"hard": true, "by": "self"})
	err = s.store.DeleteUser(audit.With(ctx, ev), u.ID)
	s.sessions.ForgetUsers(u.ID)
	return userErr(err)
}
