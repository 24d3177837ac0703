package devices

import (
	"context"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// A user sees, renames and forgets their own devices; an administrator
// anyone's, with GET, PATCH or DELETE on access.ResourceUserDevices. To
// anyone else another user's device is NOT_FOUND like a device that does
// not exist, so that device ids cannot be probed.

// MaxNameChars is the longest device name, in characters.
const MaxNameChars = 100

// maxIDBytes bounds an id before it reaches the store (store.NewID makes 32).
const maxIDBytes = 64

var (
	errNoDevice = apperr.New(apperr.NotFound, "no such device")
	errNoUser   = apperr.New(apperr.NotFound, "no such user")
)

// CanSee reports whether viewer may see userID's devices.
func (s *Service) CanSee(ctx context.Context, viewer *session.Principal, userID string) (bool, error) {
	if viewer == nil {
		return false, nil
	}
	if viewer.UserID != "" && viewer.UserID == userID { // an APP session has no user: never "" itself
		return true, nil
	}
	return s.allowed(ctx, viewer, store.VerbGet)
}

// List returns userID's devices, oldest first; with canAccess set, only
// those permitted (true) or not (false). FORBIDDEN for a viewer who may
// not see them.
func (s *Service) List(ctx context.Context, viewer *session.Principal, userID string, canAccess *bool) ([]*store.Device, error) {
	ok, err := s.CanSee(ctx, viewer, userID)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, apperr.New(apperr.Forbidden, "only the user and administrators see a user's devices")
	case len(userID) > maxIDBytes:
		return []*store.Device{}, nil
	}
	return s.store.ListDevices(ctx, []string{userID}, canAccess)
}

// ByUsers returns the devices of the users, keyed by user id, for batched
// loading; callers check CanSee.
func (s *Service) ByUsers(ctx context.Context, userIDs []string) (map[string][]*store.Device, error) {
	all, err := s.store.ListDevices(ctx, userIDs, nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*store.Device, len(userIDs))
	for _, id := range userIDs {
		out[id] = []*store.Device{}
	}
	for _, d := range all {
		out[d.UserID] = append(out[d.UserID], d)
	}
	return out, nil
}

// Get returns the device with id if viewer may see it, else nil (Relay's
// node).
func (s *Service) Get(ctx context.Context, viewer *session.Principal, id string) (*store.Device, error) {
	d, err := s.find(ctx, viewer, id, store.VerbGet)
	if errors.Is(err, errNoDevice) {
		return nil, nil
	}
	return d, err
}

// Rename names a device (renameDevice); an empty name clears it.
func (s *Service) Rename(ctx context.Context, viewer *session.Principal, id, name string) (*store.Device, error) {
	name, err := checkName(name)
	if err != nil {
		return nil, err
	}
	owner, err := s.find(ctx, viewer, id, store.VerbPatch)
	if err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.DeviceRenamed, owner.UserID, audit.Data{"device": id})
	d, err := s.store.UpdateDevice(audit.With(ctx, ev), id, func(d *store.Device) error {
		d.Name = name
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, errNoDevice
	}
	return d, err
}

// Forget deletes a device (forgetDevice) and ends its sessions first, so
// that no session outlives its device. Its next sign-in registers it anew
// (under device control: not permitted).
func (s *Service) Forget(ctx context.Context, viewer *session.Principal, id string) error {
	d, err := s.find(ctx, viewer, id, store.VerbDelete)
	if err != nil {
		return err
	}
	if _, err := s.sessions.RevokeDevices(ctx, d.UserID, []string{d.ID}); err != nil {
		return err
	}
	ev := audit.New(ctx, audit.DeviceForgotten, d.UserID, audit.Data{"device": d.ID})
	if err := s.store.DeleteDevice(audit.With(ctx, ev), d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.log.InfoContext(ctx, "device forgotten", "user", d.UserID, "device", d.ID, "by", viewer.UserID)
	return nil
}

// find returns the device with id if it is viewer's, or if viewer may do
// verb on other users' devices; errNoDevice otherwise.
func (s *Service) find(ctx context.Context, viewer *session.Principal, id string, verb store.Verb) (*store.Device, error) {
	if viewer == nil || len(id) > maxIDBytes {
		return nil, errNoDevice
	}
	d, err := s.store.GetDevice(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, errNoDevice
	case err != nil:
		return nil, err
	case viewer.UserID != "" && d.UserID == viewer.UserID:
		return d, nil
	}
	ok, err := s.allowed(ctx, viewer, verb)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, errNoDevice
	}
	return d, nil
}

// checkName trims a device name and bounds it: at most MaxNameChars
// printable characters.
func checkName(name string) (string, error) {
	if len(name) > utf8.UTFMax*MaxNameChars {
		return "", apperr.Input("name", "a device name is at most %d characters", MaxNameChars)
	}
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) || utf8.RuneCountInString(name) > MaxNameChars {
		return "", apperr.Input("name", "a device name is at most %d characters", MaxNameChars)
	}
	if strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", apperr.Input("name", "a device name has printable characters only")
	}
	return name, nil
}
