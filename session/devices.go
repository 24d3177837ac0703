package session

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Sessions opened on a device (OpenOn) end with the device's access: when
// an administrator restricts or forgets it (RevokeDevices ends them at once
// here, and in the store for every instance), and, while device control is
// on, whenever the session check finds the device no longer permitted.
// The device rules are package devices'; the session check asks them
// through a DeviceGate, and only when it reads the session from the store:
// a request answered from the cache (cache.go) pays nothing, and what is
// cached was admitted. A restriction made on another instance is thus
// refused here within CacheTTL, like any revocation.

// DeviceGate decides whether a session may still be used on its device.
type DeviceGate interface {
	// AdmitsSession reports whether s (live, of an active user) may still
	// be used on its device. An error is a fault, not a refusal.
	AdmitsSession(ctx context.Context, s *store.Session) (bool, error)
}

var errDeviceRefused = apperr.New(apperr.Unauthenticated, "the session's device is no longer permitted").WithStatus(apperr.StatusInvalidToken)

// GateDevices makes every session check ask g. Call it before serving.
func (m *Manager) GateDevices(g DeviceGate) { m.gate = g }

// admitDevice asks the gate about s, if there is a gate.
func (m *Manager) admitDevice(ctx context.Context, s *store.Session) error {
	if m.gate == nil {
		return nil
	}
	ok, err := m.gate.AdmitsSession(ctx, s)
	switch {
	case err != nil:
		return err
	case !ok:
		return errDeviceRefused
	}
	return nil
}

// RevokeDevices ends the user's sessions opened on the devices and returns
// how many it ended. Like every revocation, it makes this process's cache
// forget the user before and after (revoke).
func (m *Manager) RevokeDevices(ctx context.Context, userID string, deviceIDs []string) (int, error) {
	if len(deviceIDs) == 0 || userID == "" {
		return 0, nil
	}
	m.ForgetUsers(userID)
	ids, err := m.store.RevokeSessions(ctx, store.SessionRevocation{UserIDs: []string{userID}, DeviceIDs: deviceIDs, At: m.now()})
	m.ForgetUsers(userID)
	return len(ids), err
}
