package store

import (
	"cmp"
	"slices"
	"time"
)

// Device is a client a user signed in from, or tried to: known by the
// token the client sends (LoginInput.deviceToken), one record per user and
// token. Under device control only a device with CanAccess opens sessions
// (package devices has the rules); Session.DeviceID names the device a
// session was opened on.
type Device struct {
	ID         string
	UserID     string
	Token      string // the client's device token, as it sent it; unique per user
	Name       string // given by the user or an administrator; "" until then
	CanAccess  bool
	LastUsedAt time.Time // the latest request of a session on it; zero: never used
	CreatedAt  time.Time
	Version    int64
}

// Normalize puts d in its stored form (times in UTC, milliseconds; a new
// device gets version 1).
func (d *Device) Normalize() {
	if d.Version == 0 {
		d.Version = 1
	}
	d.LastUsedAt, d.CreatedAt = Trunc(d.LastUsedAt), Trunc(d.CreatedAt)
}

// lastTouched is when a device was last used, or registered if it never was.
func (d *Device) lastTouched() time.Time {
	if d.LastUsedAt.IsZero() {
		return d.CreatedAt
	}
	return d.LastUsedAt
}

// DevicesToTrim returns the ids of the devices TrimDevices deletes from one
// user's devices so that at most keep are left, except never: refused
// devices (CanAccess false) before permitted ones, so that sign-ins from
// new devices, refused under device control, cannot push out the devices
// an administrator permitted; within each, the ones unused longest (last
// used, or registered for a device never used; ties by id). Both backends
// decide with it, so they agree.
func DevicesToTrim(devices []*Device, keep int, except string) []string {
	others := slices.DeleteFunc(slices.Clone(devices), func(d *Device) bool { return d.ID == except })
	if len(others) < len(devices) {
		keep-- // except stays, and counts
	}
	excess := len(others) - max(keep, 0)
	if excess <= 0 {
		return nil
	}
	slices.SortFunc(others, func(a, b *Device) int {
		if a.CanAccess != b.CanAccess {
			if a.CanAccess {
				return 1
			}
			return -1
		}
		if c := a.lastTouched().Compare(b.lastTouched()); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	ids := make([]string, excess)
	for i, d := range others[:excess] {
		ids[i] = d.ID
	}
	return ids
}
