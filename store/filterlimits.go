package store

// Limits that keep one filter cheap to check, to compile and to run,
// whatever a client sends (docs/FILTERS.md, "Limits"). Each is checked before
// the part it bounds is looked at, so the check itself costs at most the
// limits, never the size of the request.
const (
	MaxFilterDepth      = 8        // nesting of and / or / not
	DefaultFilterWidth  = 500      // USERGRAPH_MAX_FILTER_WIDTH's default
	MaxFilterWidth      = 1000     // the widest a deployment may configure; the backends' own bound
	MaxFilterPredicates = 100      // JSON predicates in the whole filter
	MaxFilterTerms      = 5000     // see FilterLimits.Terms
	MaxFilterString     = 1024     // bytes of one string: an id, a name, search, a JSON string value
	MaxPredicateValue   = 64 << 10 // bytes of one JSON predicate's value, before it is decoded
)

// FilterLimits bound the size of one filter.
type FilterLimits struct {
	Depth      int // nesting of and / or / not below the top filter
	Width      int // branches of one and / or; items of one list (ids, status, roles.any, IN values, …)
	Predicates int // JSON predicates in the whole filter
	// Terms counts the whole filter: every filter object, every part set
	// in it, every list item, and every JSON predicate (3) with its IN
	// values. A term binds at most one SQL variable, which keeps every
	// filter far within SQLite's 32,766.
	Terms int
}

// ClientFilterLimits are the limits services apply to a client's filter,
// with the configured width (0: DefaultFilterWidth; at most MaxFilterWidth).
func ClientFilterLimits(width int) FilterLimits {
	if width <= 0 {
		width = DefaultFilterWidth
	}
	return FilterLimits{Depth: MaxFilterDepth, Width: min(width, MaxFilterWidth),
		Predicates: MaxFilterPredicates, Terms: MaxFilterTerms}
}

// HardFilterLimits are the backends' backstop (ValidateFilter): every
// backend compiles and runs any filter within them (store/storetest runs one
// at exactly these) and refuses anything beyond with ErrInvalid. They are
// wider than ClientFilterLimits by what services wrap around a client's
// filter: two levels (the soft-delete default, the last-admin guard) and a
// few terms (7 today). No wider: SQLite's work to prepare a statement grows
// with the square of its bound values.
var HardFilterLimits = FilterLimits{Depth: MaxFilterDepth + 2, Width: MaxFilterWidth,
	Predicates: MaxFilterPredicates, Terms: MaxFilterTerms + 100}

// ValidateFilter checks a filter against HardFilterLimits: paths, operator
// values, nesting and sizes. Backends rely on it having passed (and return
// ErrInvalid if it did not); services check ClientFilterLimits first to
// answer clients clearly.
func ValidateFilter(f *UserFilter) error { return HardFilterLimits.Check(f) }

// Check validates f within l. Work is linear in the part of f it has seen,
// and it stops at the first limit exceeded.
func (l FilterLimits) Check(f *UserFilter) error {
	c := filterCheck{limits: l}
	return c.filter(f, 0)
}

// filterCheck walks one filter, counting what the limits bound.
type filterCheck struct {
	limits     FilterLimits
	predicates int
	terms      int
}

func (c *filterCheck) filter(f *UserFilter, depth int) error {
	if f == nil {
		return nil
	}
	if depth > c.limits.Depth {
		return Invalidf("filter nested deeper than %d", c.limits.Depth)
	}
	if err := c.count(1 + scalarParts(f)); err != nil {
		return err
	}
	if len(f.Search) > MaxFilterString {
		return Invalidf("search is longer than %d bytes", MaxFilterString)
	}
	if p := f.NamePrefix; p != nil && (len(p.Username) > MaxFilterString || len(p.Name) > MaxFilterString) {
		return Invalidf("a name prefix is longer than %d bytes", MaxFilterString)
	}
	if err := c.lists(f); err != nil {
		return err
	}
	if err := c.jsonPredicates(f); err != nil {
		return err
	}
	for _, j := range []struct {
		name string
		fs   []UserFilter
	}{{"and", f.And}, {"or", f.Or}} {
		if len(j.fs) > c.limits.Width {
			return Invalidf("%s has more than %d branches", j.name, c.limits.Width)
		}
		for i := range j.fs {
			if err := c.filter(&j.fs[i], depth+1); err != nil {
				return err
			}
		}
	}
	return c.filter(f.Not, depth+1)
}

// scalarParts counts the parts of f that are not nested filters, besides
// their list items (roles and tags count once more: "all" binds its count).
func scalarParts(f *UserFilter) int {
	n := 0
	for _, set := range []bool{f.Search != "", f.Active != nil, f.IsGuest != nil, f.EmailVerified != nil, f.Deleted != nil,
		f.Roles != nil, f.Tags != nil, f.Providers != nil} {
		if set {
			n++
		}
	}
	if f.NamePrefix != nil {
		n += 8 // two bounds for each of four keys
	}
	for _, r := range []*TimeRange{f.CreatedAt, f.LastLoginAt, f.LastRequestAt} {
		if r != nil {
			n += 4 // one per bound, at most
		}
	}
	return n
}

// namedList is a list part of a filter, named as clients write it.
type namedList struct {
	name  string
	items []string
}

// lists checks every list part: its length first, then its items.
func (c *filterCheck) lists(f *UserFilter) error {
	ls := []namedList{{"ids", f.IDs}, {"usernames", f.Usernames}, {"emails", f.Emails}, {"phones", f.Phones},
		{"firstNames", f.FirstNames}, {"lastNames", f.LastNames}, {"fullNames", f.FullNames}}
	if f.Roles != nil {
		ls = append(ls, namedList{"roles.any", f.Roles.Any}, namedList{"roles.all", f.Roles.All})
	}
	if f.Tags != nil {
		ls = append(ls, namedList{"tags.any", f.Tags.Any}, namedList{"tags.all", f.Tags.All})
	}
	if f.Providers != nil {
		ls = append(ls, namedList{"providers.any", f.Providers.Any}, namedList{"providers.all", f.Providers.All})
	}
	for _, l := range ls {
		if err := c.list(l.name, len(l.items)); err != nil {
			return err
		}
		for _, v := range l.items {
			if len(v) > MaxFilterString {
				return Invalidf("an item of %s is longer than %d bytes", l.name, MaxFilterString)
			}
		}
	}
	if err := c.list("status", len(f.Status)); err != nil {
		return err
	}
	for _, s := range f.Status {
		if !s.Valid() {
			return Invalidf("unknown status %q", s)
		}
	}
	return nil
}

// list bounds one list of n items and counts them.
func (c *filterCheck) list(name string, n int) error {
	if n > c.limits.Width {
		return Invalidf("%s has more than %d items", name, c.limits.Width)
	}
	return c.count(n)
}

func (c *filterCheck) jsonPredicates(f *UserFilter) error {
	n := len(f.Metadata) + len(f.AppMetadata)
	c.predicates += n
	if c.predicates > c.limits.Predicates {
		return Invalidf("filter has more than %d predicates", c.limits.Predicates)
	}
	if err := c.count(3 * n); err != nil {
		return err
	}
	for _, ps := range [][]JSONPredicate{f.Metadata, f.AppMetadata} {
		for _, p := range ps {
			values, err := checkPredicate(p, c.limits.Width)
			if err != nil {
				return err
			}
			if err := c.count(values); err != nil {
				return err
			}
		}
	}
	return nil
}

// count adds n terms.
func (c *filterCheck) count(n int) error {
	c.terms += n
	if c.terms > c.limits.Terms {
		return Invalidf("filter has more than %d terms (objects, parts, list items and values)", c.limits.Terms)
	}
	return nil
}
