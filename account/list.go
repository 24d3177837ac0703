package account

import (
	"context"
	"slices"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// Administrators' listings: a page of the users a client's filter selects,
// and their count. The filter is checked within the configured limits and
// leaves soft-deleted accounts out unless it mentions them; bulk.go checks
// its filters the same way.

// Page sizes for listings.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
	MaxOffset       = 10_000
)

// Query is an administrator's listing request.
type Query struct {
	Filter *store.UserFilter
	Order  []store.UserOrder
	First  int
	After  string // cursor
	Offset int
}

// ListUsers returns one page of users. Soft-deleted accounts are left out
// unless the filter mentions "deleted".
func (s *Service) ListUsers(ctx context.Context, q Query) (*store.UserPage, *store.UserFilter, error) {
	f, err := s.checkFilter(q.Filter)
	if err != nil {
		return nil, nil, err
	}
	return s.page(ctx, f, q.Order, q.First, q.After, q.Offset)
}

// page reads one page of the users a checked filter selects, after
// checking the order and the paging arguments (discovery pages the same
// way).
func (s *Service) page(ctx context.Context, f *store.UserFilter, order []store.UserOrder, first int, after string, offset int) (*store.UserPage, *store.UserFilter, error) {
	if err := store.ValidateOrder(order); err != nil {
		return nil, nil, inputErr("orderBy", err)
	}
	if first < 0 || first > MaxPageSize {
		return nil, nil, apperr.Input("first", "first must be between 0 and %d", MaxPageSize)
	}
	if offset < 0 || offset > MaxOffset {
		return nil, nil, apperr.Input("offset", "offset must be between 0 and %d; page with after instead", MaxOffset)
	}
	sq := store.UserQuery{Filter: f, Order: order, Limit: first, Offset: offset}
	if after != "" {
		var err error
		if sq.After, err = store.DecodeCursor(after, order); err != nil {
			return nil, nil, inputErr("after", err)
		}
	}
	if first == 0 {
		return &store.UserPage{}, f, nil
	}
	page, err := s.store.ListUsers(ctx, sq)
	return page, f, userErr(err)
}

// CountUsers counts the users a checked filter selects.
func (s *Service) CountUsers(ctx context.Context, f *store.UserFilter) (int, error) {
	n, err := s.store.CountUsers(ctx, f)
	return n, userErr(err)
}

// checkFilter validates a client's filter within the configured limits and
// leaves soft-deleted accounts out unless it mentions them.
func (s *Service) checkFilter(f *store.UserFilter) (*store.UserFilter, error) {
	if err := s.filterLimits.Check(f); err != nil {
		return nil, inputErr("filter", err)
	}
	return leaveOutDeleted(s.withPhoneKeys(s.withUsernameKeys(f))), nil
}

// leaveOutDeleted wraps a checked filter so that it selects no soft-deleted
// account unless it mentions them. The wrapper is one of the levels
// store.HardFilterLimits leaves room for.
func leaveOutDeleted(f *store.UserFilter) *store.UserFilter {
	if mentionsDeleted(f) {
		return f
	}
	out := store.UserFilter{Deleted: ptr(false)}
	if f != nil {
		out.And = []store.UserFilter{*f}
	}
	return &out
}

func mentionsDeleted(f *store.UserFilter) bool {
	if f == nil {
		return false
	}
	if f.Deleted != nil || mentionsDeleted(f.Not) {
		return true
	}
	return slices.ContainsFunc(f.And, func(g store.UserFilter) bool { return mentionsDeleted(&g) }) ||
		slices.ContainsFunc(f.Or, func(g store.UserFilter) bool { return mentionsDeleted(&g) })
}
