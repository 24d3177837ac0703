package apps

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Administrators manage applications with the permissions on
// access.ResourceApplications, which the schema's directives check.
// Giving an application a role it did not hold also needs PUT on
// access.ResourceUserRoles, the permission that grants roles to users: an
// application acts with its roles, so whoever could give it any role could
// act as any role through it.

// Bounds of an application's fields, in characters.
const (
	MaxNameChars        = 100
	MaxDescriptionChars = 1000
	MaxRoles            = 64
)

// Input is what createApplication and updateApplication give. Roles
// replace the application's (nil: none).
type Input struct {
	Name        string
	Description string
	Roles       []string
}

// Create makes an application with new credentials; the secret is in the
// result only.
func (s *Service) Create(ctx context.Context, actor *session.Principal, in Input) (*Credentials, error) {
	a := &store.Application{}
	if err := s.apply(ctx, actor, a, in); err != nil {
		return nil, err
	}
	secret, hash := newSecret()
	now := store.Now()
	a.ID, a.ClientID, a.SecretHash = store.NewID(), newClientID(), hash
	a.SecretSince, a.CreatedAt, a.UpdatedAt = now, now, now
	ev := audit.New(ctx, audit.ApplicationCreated, a.ID, audit.Data{"roles": a.Roles})
	if err := s.store.CreateApplication(audit.With(ctx, ev), a); err != nil {
		return nil, err // a collision of 128 random bits: a fault
	}
	s.log.InfoContext(ctx, "application created", "application", a.ID, "roles", a.Roles, "by", actor.UserID)
	return &Credentials{Application: a, ClientSecret: secret}, nil
}

// List returns every application, oldest first.
func (s *Service) List(ctx context.Context) ([]*store.Application, error) {
	return s.store.ListApplications(ctx)
}

// Update replaces an application's name, description and roles; its
// sessions act with the new roles from their next request.
func (s *Service) Update(ctx context.Context, actor *session.Principal, id string, in Input) (*store.Application, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.ApplicationUpdated, id, audit.Data{"roles": in.Roles})
	a, err := s.store.UpdateApplication(audit.With(ctx, ev), id, func(a *store.Application) error {
		if err := s.apply(ctx, actor, a, in); err != nil {
			return err
		}
		a.UpdatedAt = store.Now()
		return nil
	})
	s.sessions.ForgetApplication(id)
	return a, notFound(err)
}

// RotateSecret gives an application a new secret: the old one stops
// working at once, and the sessions opened with it end (their next check
// finds them older than the secret).
func (s *Service) RotateSecret(ctx context.Context, id string) (*Credentials, error) {
	if _, err := s.Get(ctx, id); err != nil {
		return nil, err
	}
	secret, hash := newSecret()
	ev := audit.New(ctx, audit.ApplicationSecretRotated, id, nil)
	a, err := s.store.UpdateApplication(audit.With(ctx, ev), id, func(a *store.Application) error {
		now := store.Now()
		a.SecretHash, a.SecretSince, a.UpdatedAt = hash, now, now
		return nil
	})
	s.sessions.ForgetApplication(id)
	if err != nil {
		return nil, notFound(err)
	}
	s.log.InfoContext(ctx, "application secret rotated", "application", id)
	return &Credentials{Application: a, ClientSecret: secret}, nil
}

// Delete removes an application; its sessions end at once (the session
// check requires the application).
func (s *Service) Delete(ctx context.Context, id string) error {
	if len(id) > maxIDBytes {
		return errNoApplication
	}
	err := s.store.DeleteApplication(audit.With(ctx, audit.New(ctx, audit.ApplicationDeleted, id, nil)), id)
	s.sessions.ForgetApplication(id)
	if err != nil {
		return notFound(err)
	}
	s.log.InfoContext(ctx, "application deleted", "application", id)
	return nil
}

// apply checks in and writes it on a: the name, the description, and the
// roles, which must exist, and which the actor may grant.
func (s *Service) apply(ctx context.Context, actor *session.Principal, a *store.Application, in Input) error {
	name, err := checkText("name", in.Name, MaxNameChars)
	if err != nil {
		return err
	}
	if name == "" {
		return apperr.Input("name", "an application needs a name")
	}
	desc, err := checkText("description", in.Description, MaxDescriptionChars)
	if err != nil {
		return err
	}
	roles, err := s.checkRoles(ctx, in.Roles)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(roles, func(r string) bool { return !slices.Contains(a.Roles, r) }) {
		if err := s.access.Require(ctx, actor.Roles(), access.ResourceUserRoles, store.VerbPut); err != nil {
			return err
		}
	}
	a.Name, a.Description, a.Roles = name, desc, roles
	return nil
}

// checkRoles normalizes role names, drops repeats, and refuses a name no
// role has (INVALID_ROLE).
func (s *Service) checkRoles(ctx context.Context, names []string) ([]string, error) {
	if len(names) > MaxRoles {
		return nil, apperr.Input("roles", "an application holds at most %d roles", MaxRoles)
	}
	out := make([]string, 0, len(names))
	for _, name := range names {
		n, err := access.NormalizeRoleName(name)
		if err != nil {
			return nil, apperr.OnFieldOf(err, "roles")
		}
		if slices.Contains(out, n) {
			continue
		}
		ok, err := s.access.Exists(ctx, n)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, apperr.New(apperr.InvalidRole, "there is no role named %q", n).OnField("roles")
		}
		out = append(out, n)
	}
	return out, nil
}

// checkText trims a text field and bounds it to max printable characters.
func checkText(field, v string, max int) (string, error) {
	if len(v) > utf8.UTFMax*max {
		return "", apperr.Input(field, "%s is at most %d characters", field, max)
	}
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > max {
		return "", apperr.Input(field, "%s is at most %d characters", field, max)
	}
	if strings.IndexFunc(v, func(r rune) bool { return !unicode.IsPrint(r) && r != '\n' }) >= 0 {
		return "", apperr.Input(field, "%s has printable characters only", field)
	}
	return v, nil
}
