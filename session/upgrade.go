package session

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/store"
)

// Promote makes the user's live GUEST sessions USER sessions, once the
// account service has made the guest a full account (upgradeGuest): the
// caller goes on in the same session, and from now on the session check
// sees USER (it reads the stored kind, never the token's), and the next
// refresh signs tokens that say so. The cache forgets the user before and
// after, as a revocation does.
func (m *Manager) Promote(ctx context.Context, userID string) error {
	m.ForgetUsers(userID)
	defer m.ForgetUsers(userID)
	sessions, err := m.store.ListSessions(ctx, []string{userID}, m.now())
	if err != nil {
		return err
	}
	for _, s := range sessions {
		if s.Kind != store.SessionGuest {
			continue
		}
		_, err := m.store.UpdateSession(ctx, s.ID, func(s *store.Session) error {
			s.Kind = store.SessionUser
			return nil
		})
		if err != nil && !errors.Is(err, store.ErrNotFound) { // purged meanwhile: nothing to promote
			return err
		}
	}
	return nil
}
