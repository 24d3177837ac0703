// Package resolvers maps GraphQL to the services: each resolver turns its
// arguments into one service call and the result back into API types. No
// rule lives only here.
package resolvers

import (
	"log/slog"

	"github.com/usergraph/usergraph/access"
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apps"
	"github.com/usergraph/usergraph/avatars"
	"github.com/usergraph/usergraph/devices"
	"github.com/usergraph/usergraph/events"
	"github.com/usergraph/usergraph/graph"
	"github.com/usergraph/usergraph/recovery"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/social"
	"github.com/usergraph/usergraph/token"
)

// Resolver is the dependency root of every resolver.
type Resolver struct {
	Accounts *account.Service
	Sessions *session.Manager
	Access   *access.Service
	Devices  *devices.Service
	Apps     *apps.Service
	Tokens   *token.Service
	Recovery *recovery.Service
	Events   *events.Service
	Avatars  *avatars.Service
	Social   *social.Service
	Log      *slog.Logger
}

// Config returns the executable schema's configuration: these resolvers and
// the access directives.
func (r *Resolver) Config() graph.Config {
	return graph.Config{
		Resolvers: r,
		Directives: graph.DirectiveRoot{
			Public:        r.public,
			SignedIn:      r.signedIn,
			HasRole:       r.hasRole,
			HasPermission: r.hasPermission,
		},
	}
}
