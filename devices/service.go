// Package devices holds the rules of the devices users sign in from (the
// umpack device allow-list): a device per user and device token, recorded
// on every way in, and, with device control on, sessions only from the
// devices an administrator permitted. It knows nothing of GraphQL; the
// account service calls it on each way in, resolvers for the rest.
//
// Where each rule is:
//   - token.go: what a device token is (INVALID_DEVICE);
//   - admit.go: the rule of each way in (Admit, Record, Enroll) and the cap
//     on a user's devices;
//   - gate.go: a session ends with its device's access (the session check
//     asks AdmitsSession);
//   - control.go: permitDevice and restrictDevice (DEVICE_CONTROL_OFF);
//   - manage.go: listing, renaming and forgetting, for the user or an
//     administrator.
package devices

import (
	"context"
	"log/slog"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// DefaultMax is how many devices a user holds at most: registering one
// more forgets a refused device, else the one unused longest (admit.go,
// store.DevicesToTrim).
const DefaultMax = 100

// Config is the device rules a deployment chooses.
type Config struct {
	// Control requires a permitted device token on every way in that opens
	// a session (USERGRAPH_DEVICE_CONTROL).
	Control bool
	// Max is how many devices a user holds at most (0: DefaultMax).
	Max int
}

// Deps are the services the device rules build on.
type Deps struct {
	Store    store.DevicesStore
	Sessions *session.Manager // ends the sessions of restricted and forgotten devices
	Access   *access.Service  // may a viewer see or manage another user's devices
	Log      *slog.Logger
}

// Service is the device service.
type Service struct {
	store    store.DevicesStore
	sessions *session.Manager
	access   *access.Service
	cfg      Config
	log      *slog.Logger
}

// New returns the device service. Pass it to the session manager
// (GateDevices) so that sessions end with their device's access.
func New(d Deps, cfg Config) *Service {
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	return &Service{store: d.Store, sessions: d.Sessions, access: d.Access, cfg: cfg, log: d.Log}
}

// allowed reports whether viewer may do verb on other users' devices.
func (s *Service) allowed(ctx context.Context, viewer *session.Principal, verb store.Verb) (bool, error) {
	return s.access.Allowed(ctx, viewer.Roles(), access.ResourceUserDevices, verb)
}
