package devices

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

var errControlOff = apperr.New(apperr.DeviceControlOff, "device control is off (USERGRAPH_DEVICE_CONTROL): every device may sign in")

// Permit lets a user's device in (permitDevice). A token the user never
// signed in from is registered permitted, ahead of its first sign-in.
// DEVICE_CONTROL_OFF while control is off; NOT_FOUND for an unknown user.
func (s *Service) Permit(ctx context.Context, userID, token string) (*store.Device, error) {
	if err := s.checkControl(ctx, userID, token); err != nil {
		return nil, err
	}
	d, err := s.setAccess(ctx, userID, token, true)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "device permitted", "user", userID, "device", d.ID)
	return d, nil
}

// Restrict refuses a user's device (restrictDevice): its sessions end at
// once (their next request is UNAUTHENTICATED, here and, within
// session-cache-ttl, on every instance) and its sign-ins get DEVICE_DENIED
// until it is permitted again. The access is changed before the sessions
// are ended, so that a sign-in racing the restriction either finds the
// device refused or opens a session the revocation or the session check
// (AdmitsSession) ends. A token never seen is registered refused.
// DEVICE_CONTROL_OFF while control is off; NOT_FOUND for an unknown user.
func (s *Service) Restrict(ctx context.Context, userID, token string) (*store.Device, error) {
	if err := s.checkControl(ctx, userID, token); err != nil {
		return nil, err
	}
	d, err := s.setAccess(ctx, userID, token, false)
	if err != nil {
		return nil, err
	}
	ended, err := s.sessions.RevokeDevices(ctx, userID, []string{d.ID})
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "device restricted", "user", userID, "device", d.ID, "sessions_ended", ended)
	return d, nil
}

// checkControl refuses a change of access while device control is off, a
// malformed token and an unknown user.
func (s *Service) checkControl(ctx context.Context, userID, token string) error {
	if !s.cfg.Control {
		return errControlOff
	}
	if err := s.CheckToken(token); err != nil {
		return err
	}
	if len(userID) > maxIDBytes {
		return errNoUser
	}
	_, err := s.store.GetUser(ctx, userID)
	if errors.Is(err, store.ErrNotFound) {
		return errNoUser
	}
	return err
}
