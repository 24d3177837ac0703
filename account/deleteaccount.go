package account

import (
	"context"

	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// DeleteAccount removes the caller's account for good, with its sessions.
func (s *Service) DeleteAccount(ctx context.Context, p *session.Principal, plain string) error {
	u, err := s.confirmPassword(ctx, p, plain)
	if err != nil {
		return err
	}
	if err := s.guardLastAdmin(ctx, &store.UserFilter{IDs: []string{u.ID}}); err != nil {
		return err
	}
	err = s.store.DeleteUser(ctx, u.ID)
	s.sessions.ForgetUsers(u.ID)
	return userErr(err)
}
