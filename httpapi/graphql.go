package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/usergraph/usergraph/graph"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/resolvers"
	"github.com/vektah/gqlparser/v2/ast"
)

// newGraphQL builds the GraphQL handler with explicit transports (POST
// JSON and GET for queries, nothing that a form could send), the error
// presenter, depth and complexity limits, a parsed-query cache and
// automatic persisted queries.
func newGraphQL(r *resolvers.Resolver, cfg Config, log *slog.Logger) (http.Handler, error) {
	gcfg := r.Config()
	gcfg.Complexity.Query.Users = usersComplexity
	schema := graph.NewExecutableSchema(gcfg)
	if err := resolvers.CheckAccessDirectives(schema.Schema()); err != nil {
		return nil, err
	}
	srv := handler.New(schema)
	srv.AddTransport(transport.POST{})
	srv.AddTransport(getQueries{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverFunc())
	srv.SetParserTokenLimit(cfg.MaxTokens)
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true) // suggestions would leak field names
		srv.AroundFields(refuseIntrospection)
	}
	hashes, err := newHashLimit(schema.Schema(), cfg.MaxHashes)
	if err != nil {
		return nil, err
	}
	srv.Use(hashes)
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(depthLimit{max: cfg.MaxDepth})
	srv.Use(inputDepthLimit{max: maxInputDepth})
	srv.Use(extension.FixedComplexityLimit(cfg.MaxComplexity))
	srv.AroundOperations(r.WithLoaders)
	return srv, nil
}

// usersComplexity counts a page of users as its size times the cost of one.
func usersComplexity(child int, _ *model.UserFilter, _ []*model.UserOrder, first *int, _ *string, _ *int) int {
	n := 50
	if first != nil {
		n = max(*first, 1)
	}
	return 1 + n*child
}

// graphiQL serves the GraphiQL IDE (it loads its scripts from a CDN in the
// browser).
func graphiQL() http.Handler {
	return playground.Handler("usergraph", "/graphql")
}
