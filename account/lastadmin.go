package account

import (
	"context"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// guardLastAdmin refuses a change that would leave no active administrator:
// when every active admin is among the users f selects.
func (s *Service) guardLastAdmin(ctx context.Context, f *store.UserFilter) error {
	admins := store.UserFilter{Roles: &store.SetMatch{Any: []string{access.AdminRole}}, Active: ptr(true)}
	all, err := s.store.CountUsers(ctx, &admins)
	if err != nil || all == 0 {
		return err
	}
	hit, err := s.store.CountUsers(ctx, &store.UserFilter{And: []store.UserFilter{admins, *f}})
	if err != nil {
		return err
	}
	if hit >= all {
		return apperr.New(apperr.Forbidden, "this would leave no active administrator")
	}
	return nil
}
