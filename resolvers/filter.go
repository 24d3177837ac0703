package resolvers

import (
	"time"

	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/store"
)

// toFilter converts the GraphQL filter input into the store's filter.
// Lists keep the difference between absent (nil) and empty.
func toFilter(f *model.UserFilter) *store.UserFilter {
	if f == nil {
		return nil
	}
	out := &store.UserFilter{
		IDs: f.Ids, Usernames: f.Usernames, Emails: f.Emails, Phones: f.Phones, Search: val(f.Search),
		Active: f.Active, IsGuest: f.IsGuest, EmailVerified: f.EmailVerified, Deleted: f.Deleted,
		Roles: toSet(f.Roles), Tags: toSet(f.Tags), Providers: toSet(f.Providers),
		CreatedAt: toRange(f.CreatedAt), LastLoginAt: toRange(f.LastLoginAt), LastRequestAt: toRange(f.LastRequestAt),
		Metadata: toPredicates(f.Metadata), AppMetadata: toPredicates(f.AppMetadata),
		Not: toFilter(f.Not),
	}
	if f.Status != nil {
		out.Status = make([]store.Status, len(f.Status))
		for i, s := range f.Status {
			out.Status[i] = store.Status(s)
		}
	}
	out.And = toFilters(f.And)
	out.Or = toFilters(f.Or)
	return out
}

func toFilters(fs []*model.UserFilter) []store.UserFilter {
	if fs == nil {
		return nil
	}
	out := make([]store.UserFilter, 0, len(fs))
	for _, f := range fs {
		if f != nil {
			out = append(out, *toFilter(f))
		}
	}
	return out
}

func toSet(s *model.StringSetFilter) *store.SetMatch {
	if s == nil {
		return nil
	}
	return &store.SetMatch{Any: s.Any, All: s.All}
}

func toRange(t *model.TimeFilter) *store.TimeRange {
	if t == nil {
		return nil
	}
	at := func(p *time.Time) time.Time {
		if p == nil {
			return time.Time{}
		}
		return store.Trunc(*p)
	}
	return &store.TimeRange{Gt: at(t.Gt), Gte: at(t.Gte), Lt: at(t.Lt), Lte: at(t.Lte)}
}

func toPredicates(ps []*model.JSONPredicate) []store.JSONPredicate {
	if ps == nil {
		return nil
	}
	out := make([]store.JSONPredicate, 0, len(ps))
	for _, p := range ps {
		out = append(out, store.JSONPredicate{Path: p.Path, Op: store.JSONOp(p.Op), Value: p.Value})
	}
	return out
}

func toOrder(os []*model.UserOrder) []store.UserOrder {
	out := make([]store.UserOrder, 0, len(os))
	for _, o := range os {
		out = append(out, store.UserOrder{Field: store.OrderField(o.Field), Desc: o.Direction == model.OrderDirectionDesc, Path: val(o.Path)})
	}
	return out
}
