package resolvers

import (
	"context"

	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
)

// userDevices resolves User.devices: the user's devices for the user and
// administrators (devices.Service.CanSee), none for anyone else, as
// User.sessions.
func (r *Resolver) userDevices(ctx context.Context, userID string) ([]*model.Device, error) {
	ok, err := r.Devices.CanSee(ctx, session.FromContext(ctx), userID)
	if err != nil || !ok {
		return []*model.Device{}, err
	}
	devices, err := loadersFrom(ctx).devices.Load(ctx, userID)
	if err != nil {
		return nil, err
	}
	return toDevices(devices), nil
}

// sessionDevice resolves Session.device: the session's device among its
// user's (one load per user, however many sessions ask). The caller's own
// session (current: also the one a sign-in or a refresh hands out) shows
// its device; another needs a viewer who may see the user's devices. Null
// without a device, and for a device forgotten since.
func (r *Resolver) sessionDevice(ctx context.Context, s *model.Session) (*model.Device, error) {
	if s.DeviceID == "" {
		return nil, nil
	}
	if !s.Current {
		ok, err := r.Devices.CanSee(ctx, session.FromContext(ctx), s.UserID)
		if err != nil || !ok {
			return nil, err
		}
	}
	devices, err := loadersFrom(ctx).devices.Load(ctx, s.UserID)
	if err != nil {
		return nil, err
	}
	for _, d := range devices {
		if d.ID == s.DeviceID {
			return toDevice(d), nil
		}
	}
	return nil, nil
}
