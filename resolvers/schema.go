package resolvers

import (
	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/graph"
	"github.com/usergraph/usergraph/graph/model"
)

// Schema returns the executable schema on r: these resolvers and the
// access directives, with every root field's access checked
// (CheckAccessDirectives: the server refuses to start without) and a page
// of users priced for the complexity limit. The HTTP surface serves it
// (httpapi.NewGraphQL, with WithLoaders around each operation).
func (r *Resolver) Schema() (graphql.ExecutableSchema, error) {
	cfg := r.Config()
	cfg.Complexity.Query.Users = usersComplexity
	cfg.Complexity.Query.DiscoverUsers = discoverComplexity
	schema := graph.NewExecutableSchema(cfg)
	if err := CheckAccessDirectives(schema.Schema()); err != nil {
		return nil, err
	}
	return schema, nil
}

// usersComplexity counts a page of users as its size times the cost of one.
func usersComplexity(child int, _ *model.UserFilter, _ []*model.UserOrder, first *int, _ *string, _ *int) int {
	n := 50
	if first != nil {
		n = max(*first, 1)
	}
	return 1 + n*child
}

// discoverComplexity prices a discovery page as a users page of that size.
func discoverComplexity(child int, _ *model.DiscoveryFilter, first *int, _ *string, _ *int) int {
	return usersComplexity(child, nil, nil, first, nil, nil)
}
