// Package apps holds the rules of client applications' credentials
// (ConnectyCube's application session, Kinvey's master secret):
// administrators create, change and delete applications and rotate their
// secrets; an application exchanges its client id and secret for an APP
// session, which has no user and acts with the application's roles
// (access.AppMayCall says what it may change without any). It knows
// nothing of GraphQL.
//
// Where each rule is:
//   - credentials.go: what a client id and a secret are, how the secret is
//     kept (a SHA-256: it is random, not a password) and compared;
//   - manage.go: creating, listing, changing, rotating and deleting, the
//     input rules, and who may grant an application roles;
//   - session.go: applicationSession, INVALID_CREDENTIALS and its limit.
package apps

import (
	"context"
	"errors"
	"log/slog"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/ratelimit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Deps are what the application rules build on.
type Deps struct {
	Store    store.ApplicationStore
	Sessions *session.Manager // opens APP sessions; forgets them when an application changes
	Access   *access.Service  // roles exist; may the caller grant them
	// SessionsPerIP limits applicationSession per client IP (nil: no
	// limit), as logins are: each one tries a secret.
	SessionsPerIP *ratelimit.Limiter
	Log           *slog.Logger
}

// Service is the application service.
type Service struct {
	store    store.ApplicationStore
	sessions *session.Manager
	access   *access.Service
	limit    *ratelimit.Limiter
	log      *slog.Logger
}

// New returns the application service.
func New(d Deps) *Service {
	return &Service{store: d.Store, sessions: d.Sessions, access: d.Access, limit: d.SessionsPerIP, log: d.Log}
}

var errNoApplication = apperr.New(apperr.NotFound, "no such application")

// maxIDBytes bounds an id before it reaches the store (store.NewID makes 32).
const maxIDBytes = 64

// Get returns the application with id; NOT_FOUND if there is none.
func (s *Service) Get(ctx context.Context, id string) (*store.Application, error) {
	if len(id) > maxIDBytes {
		return nil, errNoApplication
	}
	a, err := s.store.GetApplication(ctx, id)
	return a, notFound(err)
}

// notFound maps the store's ErrNotFound to NOT_FOUND.
func notFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return errNoApplication
	}
	return err
}

// SessionApplication returns the application of an APP session (id "":
// none) as viewer may see it: the session's own caller sees it (current),
// and so does whoever may read applications (GET on
// access.ResourceApplications); nil for anyone else, and for an
// application deleted since.
func (s *Service) SessionApplication(ctx context.Context, viewer *session.Principal, id string, current bool) (*store.Application, error) {
	if id == "" {
		return nil, nil
	}
	if !current {
		if viewer == nil {
			return nil, nil
		}
		ok, err := s.access.Allowed(ctx, viewer.Roles(), access.ResourceApplications, store.VerbGet)
		if err != nil || !ok {
			return nil, err
		}
	}
	a, err := s.Get(ctx, id)
	if apperr.CodeOf(err) == apperr.NotFound {
		return nil, nil
	}
	return a, err
}
