package mongo

import (
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/usergraph/usergraph/store"
)

// compileFilter returns the condition for f, following docs/FILTERS.md.
// A filter that does not validate is store.ErrInvalid and compiles to
// nothing, so no caller can run a part of it.
func compileFilter(f *store.UserFilter) (cond, error) {
	if err := store.ValidateFilter(f); err != nil {
		return cond{}, err
	}
	return filterCond(f)
}

// filterCond is the conjunction of every part of f that is set.
func filterCond(f *store.UserFilter) (cond, error) {
	if f == nil {
		return everyone, nil
	}
	parts := plainParts(f)
	for _, p := range f.Metadata {
		c, err := predicate("metadata", p)
		if err != nil {
			return cond{}, err
		}
		parts = append(parts, c)
	}
	for _, p := range f.AppMetadata {
		c, err := predicate("appMetadata", p)
		if err != nil {
			return cond{}, err
		}
		parts = append(parts, c)
	}
	nested, err := nestedParts(f)
	if err != nil {
		return cond{}, err
	}
	return and(append(parts, nested...)...), nil
}

// plainParts compiles the parts on the user's own fields.
func plainParts(f *store.UserFilter) []cond {
	var ps []cond
	if f.IDs != nil {
		ps = append(ps, in("_id", f.IDs))
	}
	if f.Usernames != nil {
		ps = append(ps, keyIn(fieldUniqueUsername, "usernameKey", f.Usernames))
	}
	if f.Emails != nil {
		ps = append(ps, keyIn(fieldUniqueEmail, "emailKey", folded(f.Emails)))
	}
	if f.Search != "" {
		// A substring of the lower-cased text: a literal regular
		// expression without the 'i' flag, the same with or without ICU.
		ps = append(ps, field("searchText", ops("$regex", quoteRegex(strings.ToLower(f.Search)))))
	}
	if f.Phones != nil {
		ps = append(ps, keyIn(fieldUniquePhone, "phoneKey", f.Phones))
	}
	for _, n := range []struct {
		name string
		vals []string
	}{{"firstNameKey", f.FirstNames}, {"lastNameKey", f.LastNames}, {"fullNameKey", f.FullNames}} {
		if n.vals != nil {
			ps = append(ps, in(n.name, nameKeys(n.vals)))
		}
	}
	if f.NamePrefix != nil {
		ps = append(ps, namePrefix(f.NamePrefix))
	}
	if f.Status != nil {
		names := make([]string, len(f.Status))
		for i, s := range f.Status {
			names[i] = string(s)
		}
		ps = append(ps, in("status", names))
	}
	if f.Active != nil {
		ps = append(ps, boolean(*f.Active, is(bson.D{{Key: "status", Value: string(store.StatusActive)}, {Key: "deletedAt", Value: never}})))
	}
	if f.IsGuest != nil {
		ps = append(ps, field("isGuest", *f.IsGuest))
	}
	if f.EmailVerified != nil {
		ps = append(ps, field("emailVerified", *f.EmailVerified))
	}
	if f.Deleted != nil {
		ps = append(ps, boolean(!*f.Deleted, field("deletedAt", never)))
	}
	if f.Roles != nil {
		ps = append(ps, set("roles", f.Roles))
	}
	if f.Tags != nil {
		ps = append(ps, set("tags", f.Tags))
	}
	if f.Providers != nil {
		ps = append(ps, set(fieldProviders, f.Providers)) // identities.go keeps it
	}
	ps = append(ps, timeRange("createdAt", f.CreatedAt), timeRange("lastLoginAt", f.LastLoginAt),
		timeRange("lastRequestAt", f.LastRequestAt))
	return ps
}

// nestedParts compiles and, or and not.
func nestedParts(f *store.UserFilter) ([]cond, error) {
	var ps []cond
	if f.And != nil {
		c, err := each(f.And, and)
		if err != nil {
			return nil, err
		}
		ps = append(ps, c)
	}
	if f.Or != nil {
		c, err := each(f.Or, or)
		if err != nil {
			return nil, err
		}
		ps = append(ps, c)
	}
	if f.Not != nil {
		c, err := filterCond(f.Not)
		if err != nil {
			return nil, err
		}
		ps = append(ps, not(c))
	}
	return ps, nil
}

func each(fs []store.UserFilter, join func(...cond) cond) (cond, error) {
	cs := make([]cond, len(fs))
	for i := range fs {
		c, err := filterCond(&fs[i])
		if err != nil {
			return cond{}, err
		}
		cs[i] = c
	}
	return join(cs...), nil
}

// never is how a zero time is stored: the epoch.
var never = bson.DateTime(0)

// in is "field holds one of vals"; an empty list matches nobody.
func in(name string, vals []string) cond {
	if len(vals) == 0 {
		return nobody
	}
	return field(name, ops("$in", vals))
}

// keyIn compares keys with a unique key. The unique field is indexed; the
// plain key field is checked too, so a value that happened to equal an
// unset key's placeholder could still not match. "" matches nobody (a user
// without an email has no email key).
func keyIn(unique, plain string, vals []string) cond {
	var keys []string
	for _, k := range vals {
		if k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nobody
	}
	return is(bson.D{{Key: unique, Value: ops("$in", keys)}, {Key: plain, Value: ops("$in", keys)}})
}

// nameKeys folds names as store.NameKeys does, dropping empty ones: ""
// matches nobody, though a user without a first name has the key "".
func nameKeys(vals []string) []string {
	out := make([]string, 0, len(vals))
	for _, v := range vals {
		if k := store.FoldKey(v); k != "" {
			out = append(out, k)
		}
	}
	return out
}

// namePrefix is one range per key of a store.NamePrefix, ORed: each is
// answered by that key's index (an $or whose branches are all indexed).
func namePrefix(p *store.NamePrefix) cond {
	var ranges []cond
	between := func(name, prefix string) cond {
		return field(name, ops("$gte", prefix, "$lt", store.PrefixEnd(prefix)))
	}
	if p.Username != "" {
		ranges = append(ranges, between("usernameKey", p.Username))
	}
	if name := store.FoldKey(p.Name); name != "" {
		ranges = append(ranges, between("firstNameKey", name), between("lastNameKey", name), between("fullNameKey", name))
	}
	return or(ranges...)
}

// folded returns the FoldKey of each value (emails are compared folded).
func folded(vals []string) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = store.FoldKey(v)
	}
	return out
}

func boolean(want bool, c cond) cond {
	if want {
		return c
	}
	return not(c)
}

// set tests an array of names: any (empty: nobody), all (empty: everyone).
func set(name string, m *store.SetMatch) cond {
	c := everyone
	if m.Any != nil {
		c = in(name, m.Any)
	}
	if len(m.All) > 0 {
		c = and(c, field(name, ops("$all", m.All)))
	}
	return c
}

// timeRange bounds a date field; "never" is stored as the epoch, so it is
// earlier than every bound a client sends, as docs/FILTERS.md wants.
func timeRange(name string, r *store.TimeRange) cond {
	if r == nil {
		return everyone
	}
	var bounds bson.D
	for _, b := range []struct {
		op string
		t  time.Time
	}{{"$gt", r.Gt}, {"$gte", r.Gte}, {"$lt", r.Lt}, {"$lte", r.Lte}} {
		if !b.t.IsZero() {
			bounds = append(bounds, bson.E{Key: b.op, Value: bson.DateTime(b.t.UnixMilli())})
		}
	}
	if len(bounds) == 0 {
		return everyone
	}
	return field(name, bounds)
}
