// Package access holds roles, their permissions and the matcher that
// answers "may these roles do VERB on RESOURCE". The same matcher serves the
// schema's @hasPermission directive, the authorize query and the
// /authorization endpoint that reverse proxies ask.
package access

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Built-in role names.
const (
	AdminRole = "admin" // every permission; cannot be deleted or emptied
)

// Defaults of New's arguments, for the configuration (USERGRAPH_DEFAULT_ROLE).
const (
	// DefaultRoleName is the role new accounts receive unless configured otherwise.
	DefaultRoleName = "user"
	// DefaultCacheTTL bounds how long another instance's change to the
	// role catalogue takes to be seen here.
	DefaultCacheTTL = 5 * time.Second
)

// Service manages roles and answers permission questions from an
// in-memory copy of the role catalogue.
type Service struct {
	store       store.AccessStore
	log         *slog.Logger
	defaultRole string
	ttl         time.Duration

	mu       sync.RWMutex
	compiled map[string]*compiledRole // by name
	loadedAt time.Time

	forgetUsers func(userIDs ...string) // see OnHoldersChanged
}

// OnHoldersChanged registers f, called with the ids of the users whose role
// names a rename or deletion of a role changed, so that cached sessions
// re-read them (session.Manager.ForgetUsers). Call it before serving.
func (s *Service) OnHoldersChanged(f func(userIDs ...string)) { s.forgetUsers = f }

type compiledRole struct {
	perms []compiledPermission
}

type compiledPermission struct {
	match *regexp.Regexp // see compilePattern
	verbs []store.Verb
}

// New returns the service. defaultRole is the role new accounts receive;
// ttl bounds how stale the catalogue may be when another instance changed it.
func New(st store.AccessStore, defaultRole string, ttl time.Duration, log *slog.Logger) *Service {
	return &Service{store: st, log: log, defaultRole: defaultRole, ttl: ttl, forgetUsers: func(...string) {}}
}

// DefaultRole is the role given at sign-up ("" for none).
func (s *Service) DefaultRole() string { return s.defaultRole }

// Allowed reports whether any of roles grants verb on resource. HEAD is
// allowed wherever GET is. A resource longer than maxResourceLen (once
// normalized) is BAD_USER_INPUT: matching costs its length per permission.
func (s *Service) Allowed(ctx context.Context, roles []string, resource string, verb store.Verb) (bool, error) {
	if slices.Contains(roles, AdminRole) {
		return true, nil
	}
	resource = NormalizeResource(resource)
	if len(resource) > maxResourceLen {
		return false, apperr.Input("resource", "a resource is at most %d bytes", maxResourceLen)
	}
	catalogue, err := s.catalogue(ctx)
	if err != nil {
		return false, err
	}
	for _, name := range roles {
		if r := catalogue[name]; r != nil && r.allows(resource, verb) {
			return true, nil
		}
	}
	return false, nil
}

func (r *compiledRole) allows(resource string, verb store.Verb) bool {
	for _, p := range r.perms {
		if (slices.Contains(p.verbs, verb) || verb == store.VerbHead && slices.Contains(p.verbs, store.VerbGet)) &&
			p.match.MatchString(resource) {
			return true
		}
	}
	return false
}

// catalogue returns the compiled roles, reloading them when older than ttl.
func (s *Service) catalogue(ctx context.Context) (map[string]*compiledRole, error) {
	s.mu.RLock()
	c, fresh := s.compiled, time.Since(s.loadedAt) < s.ttl
	s.mu.RUnlock()
	if c != nil && fresh {
		return c, nil
	}
	return s.reload(ctx)
}

// reload reads every role and compiles its patterns.
func (s *Service) reload(ctx context.Context) (map[string]*compiledRole, error) {
	roles, err := s.store.ListRoles(ctx)
	if err != nil {
		return nil, err
	}
	c := make(map[string]*compiledRole, len(roles))
	for _, r := range roles {
		c[r.Name] = compile(r, s.log)
	}
	s.mu.Lock()
	s.compiled, s.loadedAt = c, time.Now()
	s.mu.Unlock()
	return c, nil
}

func compile(r *store.Role, log *slog.Logger) *compiledRole {
	cr := &compiledRole{}
	for _, p := range r.Permissions {
		g, err := compilePattern(p.Pattern)
		if err != nil {
			log.Warn("ignoring a stored permission with a bad pattern", "role", r.Name, "pattern", p.Pattern)
			continue
		}
		cr.perms = append(cr.perms, compiledPermission{match: g, verbs: p.Verbs})
	}
	return cr
}

// invalidate makes the next question reload the catalogue.
func (s *Service) invalidate() {
	s.mu.Lock()
	s.compiled = nil
	s.mu.Unlock()
}
