package devices

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// The rule of every way in, with device control on:
//
//	way in                       no or malformed token   unknown or restricted device          permitted
//	login, social sign-in        INVALID_DEVICE          DEVICE_DENIED, recorded not permitted  session
//	loginAsGuest                 INVALID_DEVICE          DEVICE_DENIED, nothing created         (cannot be)
//	signup                       INVALID_DEVICE          account created, device recorded, no session
//	initialize, usergraph init   INVALID_DEVICE          registered permitted with the first administrator
//
// With control off a token is optional, and every device given is recorded
// and listed. Devices recorded while control is off are recorded
// permitted: they are the ones in use when control is turned on, and
// recording them refused would lock everyone out, administrators too
// (permitDevice answers DEVICE_CONTROL_OFF until then). Turning control on
// admits those and refuses every new one. A session opened before has no
// device or a permitted one, and lives on.

var errDenied = apperr.New(apperr.DeviceDenied, "this device is not permitted to sign in to the account; ask an administrator to permit it")

// Admit is the device rule of a sign-in to an existing account: login,
// and social sign-in when it comes, each of which calls it once the user
// is known and, for a password, after the password check, so that
// DEVICE_DENIED tells nothing to someone without the password. It records
// the device (new ones are not permitted under control) and returns it
// for the session (session.Manager.OpenOn), nil if the client sent no
// token; under control it answers INVALID_DEVICE without a well-formed
// token and DEVICE_DENIED for a device not permitted. A way in that
// creates the account and signs it in at once calls AdmitNewAccount
// instead.
func (s *Service) Admit(ctx context.Context, userID, token string) (*store.Device, error) {
	d, err := s.Record(ctx, userID, token)
	if err != nil || d == nil {
		return d, err
	}
	if s.cfg.Control && !d.CanAccess {
		s.log.InfoContext(ctx, "sign-in refused: device not permitted", "user", userID, "device", d.ID)
		return nil, errDenied
	}
	return d, nil
}

// Record records the device of a user and returns it (nil if the client
// sent no token), deciding nothing: sign-up's rule (a new account's device
// cannot have been permitted yet, see AdmitsNewAccount). INVALID_DEVICE as
// CheckToken.
func (s *Service) Record(ctx context.Context, userID, token string) (*store.Device, error) {
	if err := s.CheckToken(token); err != nil || token == "" {
		return nil, err
	}
	return s.register(ctx, userID, token, !s.cfg.Control)
}

// AdmitNewAccount is the device rule of a way in that creates an account
// and signs it in at once (loginAsGuest; a social sign-up): called before
// anything is created, it answers INVALID_DEVICE as CheckToken, and under
// control DEVICE_DENIED, since nobody can have permitted the device of an
// account that does not exist yet, so that a refused device creates
// nothing. Once the account exists, Record its device and open the
// session on it.
func (s *Service) AdmitNewAccount(token string) error {
	if err := s.CheckToken(token); err != nil {
		return err
	}
	if s.cfg.Control {
		return errDenied
	}
	return nil
}

// AdmitsNewAccount reports whether a device of an account created just now
// may open a session: only while device control is off, since under
// control nobody can have permitted it yet. Sign-up asks before it
// creates the account, which is stored as signed in or not.
func (s *Service) AdmitsNewAccount() bool { return !s.cfg.Control }

// Enroll registers the first administrator's device permitted, whatever
// device control says, so that they can never lock themselves out; under
// control a token is required (CheckToken, which initialization calls
// before it creates anything). Returns nil if no token was given.
func (s *Service) Enroll(ctx context.Context, userID, token string) (*store.Device, error) {
	if err := s.CheckToken(token); err != nil || token == "" {
		return nil, err
	}
	return s.setAccess(ctx, userID, token, true)
}

// register returns the user's device with token, creating it with
// canAccess if there is none. Two sign-ins registering one device at once
// get the same record. A new device may push the user over the cap.
func (s *Service) register(ctx context.Context, userID, token string, canAccess bool) (*store.Device, error) {
	d, err := s.store.GetDeviceByToken(ctx, userID, token)
	if !errors.Is(err, store.ErrNotFound) {
		return d, err
	}
	d = &store.Device{ID: store.NewID(), UserID: userID, Token: token, CanAccess: canAccess, CreatedAt: store.Now()}
	err = s.store.CreateDevice(ctx, d)
	if store.ConflictField(err) == store.FieldToken {
		return s.store.GetDeviceByToken(ctx, userID, token) // registered meanwhile
	}
	if err != nil {
		return nil, err
	}
	s.trim(store.WithoutEvents(ctx), d) // the events, if any, went with the registration
	return d, nil
}

// trim keeps a user within the cap after d was registered: refused
// devices are forgotten first, then the ones unused longest (never d;
// store.DevicesToTrim), their sessions ended. It is
// housekeeping: a failure is logged, and the next registration trims.
func (s *Service) trim(ctx context.Context, d *store.Device) {
	evicted, err := s.store.TrimDevices(ctx, d.UserID, s.cfg.Max, d.ID)
	if err == nil && len(evicted) > 0 {
		_, err = s.sessions.RevokeDevices(ctx, d.UserID, evicted)
		s.log.InfoContext(ctx, "devices over the cap forgotten", "user", d.UserID, "devices", len(evicted), "max", s.cfg.Max)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "keeping a user's devices within the cap", "user", d.UserID, "err", err)
	}
}

// setAccess registers the device with canAccess, or changes the access of
// the one registered. Its device.permitted or device.restricted event goes
// with whichever write sets the access: the registration or the update.
func (s *Service) setAccess(ctx context.Context, userID, token string, canAccess bool) (*store.Device, error) {
	typ := audit.DeviceRestricted
	if canAccess {
		typ = audit.DevicePermitted
	}
	d, err := s.register(audit.With(ctx, audit.New(ctx, typ, userID, audit.Data{"registered": true})), userID, token, canAccess)
	if err != nil || d.CanAccess == canAccess {
		return d, err
	}
	ev := audit.New(ctx, typ, userID, audit.Data{"device": d.ID})
	return s.store.UpdateDevice(audit.With(ctx, ev), d.ID, func(d *store.Device) error {
		d.CanAccess = canAccess
		return nil
	})
}
