package resolvers

import (
	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/store"
)

// connection builds a Relay connection from a page. totalCount and the
// edges' cursors are left to their own resolvers, which run only when a
// client selects them.
func connection(page *store.UserPage, q account.Query, f *store.UserFilter) *model.UserConnection {
	c := &model.UserConnection{
		Edges:    make([]*model.UserEdge, len(page.Users)),
		Nodes:    make([]*model.User, len(page.Users)),
		PageInfo: &model.PageInfo{HasNextPage: page.HasNext, HasPreviousPage: q.After != "" || q.Offset > 0},
		Filter:   f,
	}
	for i, u := range page.Users {
		n := toUser(u)
		c.Edges[i], c.Nodes[i] = &model.UserEdge{Node: n, Record: u, Order: q.Order}, n
	}
	if n := len(page.Users); n > 0 {
		start, end := store.CursorOf(page.Users[0], q.Order).Encode(), store.CursorOf(page.Users[n-1], q.Order).Encode()
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = &start, &end
	}
	return c
}
