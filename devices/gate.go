package devices

import (
	"context"
	"errors"

	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

var _ session.DeviceGate = (*Service)(nil)

// AdmitsSession is the session check's question (session.DeviceGate):
// while device control is on, a session opened on a device lives only as
// long as the device stays permitted and known. restrictDevice and
// forgetDevice end such sessions themselves; this catches what they
// cannot: a sign-in that read the device permitted just before a
// restriction and opened its session just after. The session check asks
// only when it reads the store (once per session-cache-ttl per token), so
// this read is not paid per request. Sessions without a device (opened
// while control was off) are not this rule's.
func (s *Service) AdmitsSession(ctx context.Context, sess *store.Session) (bool, error) {
	if !s.cfg.Control || sess.DeviceID == "" {
		return true, nil
	}
	d, err := s.store.GetDevice(ctx, sess.DeviceID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	case err != nil:
		return false, err
	}
	return d.UserID == sess.UserID && d.CanAccess, nil
}
