package access

import (
	"context"
	"slices"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// The resources the GraphQL API guards with @hasPermission. Roles grant
// verbs on them through permission patterns, so their names are part of
// every deployment's stored roles: renaming one takes a migration.
// TestSchemaResources checks that schema.graphqls names exactly these.
const (
	ResourceUsers     = "graphql/users"       // reading and administering users
	ResourceUserRoles = "graphql/users/roles" // granting (PUT) and taking away (DELETE) roles
	ResourceRoles     = "graphql/roles"       // reading and editing the role catalogue
	// ResourceUserDevices guards other users' devices: seeing (GET),
	// permitting (PUT), restricting and forgetting (DELETE), renaming
	// (PATCH). Users manage their own without it.
	ResourceUserDevices = "graphql/users/devices"
	// ResourceApplications guards the client applications and their
	// credentials: listing (GET), creating (POST), changing and rotating
	// the secret (PATCH), deleting (DELETE).
	ResourceApplications = "graphql/applications"
	// ResourceAudit guards reading the audit trail (GET).
	ResourceAudit = "graphql/audit"
	// ResourceWebhooks guards the webhooks: listing them and their
	// deliveries (GET), creating (POST), changing and redelivering
	// (PATCH), deleting (DELETE).
	ResourceWebhooks = "graphql/webhooks"
)

// Require returns nil if roles grant verb on resource, and FORBIDDEN naming
// the missing permission if they do not. Errors of Allowed pass through.
func (s *Service) Require(ctx context.Context, roles []string, resource string, verb store.Verb) error {
	ok, err := s.Allowed(ctx, roles, resource, verb)
	if err != nil {
		return err
	}
	if !ok {
		return apperr.New(apperr.Forbidden, "this needs %s on %s", verb, resource)
	}
	return nil
}

// RequireRole returns nil if roles include role, and FORBIDDEN naming it
// if they do not. Holding a role is checked by name: unlike Require, it
// does not ask what the role grants.
func RequireRole(roles []string, role string) error {
	if !slices.Contains(roles, role) {
		return apperr.New(apperr.Forbidden, "this needs the %q role", role)
	}
	return nil
}

// RoleByID returns the role with id to a viewer whose roles may read roles
// (GET on ResourceRoles), and nil to anyone else: to a caller who may not
// list roles, a role's id is as unknown as an id no role has.
func (s *Service) RoleByID(ctx context.Context, viewerRoles []string, id string) (*store.Role, error) {
	ok, err := s.Allowed(ctx, viewerRoles, ResourceRoles, store.VerbGet)
	if err != nil || !ok {
		return nil, err
	}
	roles, err := s.Roles(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range roles {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, nil
}
