package store

import (
	"context"
	"encoding/json"
	"time"
)

// UserFilter selects users. Every part that is set must hold (AND); the zero
// filter matches every user. Backends compile it themselves (SQL, BSON) and
// must answer every filter identically: docs/FILTERS.md is the normative
// description and store/storetest holds the shared table of cases.
//
// List parts distinguish nil (not set) from empty (set, matches nothing), so
// a filter built from an empty id list can never widen into "everyone".
type UserFilter struct {
	IDs       []string
	Usernames []string // compared as given with UsernameKey (callers pass keys); "" matches nobody
	Emails    []string // compared as FoldKey(v) with EmailKey; "" matches nobody
	// Search is a case-insensitive substring of SearchText (username, email,
	// names): backends match strings.ToLower(Search), untrimmed; "" is unset.
	Search string
	// Phones are compared as given with PhoneKey: callers pass E.164, as
	// sign-in normalizes numbers; "" matches nobody.
	Phones []string
	// FirstNames, LastNames and FullNames are compared exactly with the
	// name keys (NameKeys: each name folded with FoldKey); backends fold
	// the values. "" matches nobody.
	FirstNames, LastNames, FullNames []string
	// NamePrefix selects users by how their username or a name starts,
	// answered from indexes (see NamePrefix); nil is unset.
	NamePrefix *NamePrefix

	Status        []Status
	Active        *bool // ACTIVE and not deleted
	IsGuest       *bool
	EmailVerified *bool
	Deleted       *bool

	Roles *SetMatch
	Tags  *SetMatch
	// Providers tests the providers of the user's linked identities
	// (IdentityStore).
	Providers *SetMatch

	CreatedAt     *TimeRange
	LastLoginAt   *TimeRange // "never" is earlier than every time
	LastRequestAt *TimeRange

	Metadata    []JSONPredicate
	AppMetadata []JSONPredicate

	And []UserFilter // all must hold; empty holds
	Or  []UserFilter // one must hold; empty (non-nil) holds for nobody
	Not *UserFilter
}

// SetMatch tests a string-set field (roles, tags, providers). Any: holds one of them
// (empty non-nil: nobody). All: holds every one (empty: everybody).
type SetMatch struct {
	Any []string
	All []string
}

// TimeRange bounds a time field; zero bounds are unset.
type TimeRange struct {
	Gt, Gte, Lt, Lte time.Time
}

// JSONOp is a comparison on a value inside Metadata or AppMetadata.
type JSONOp string

const (
	JSONEq       JSONOp = "EQ"
	JSONNe       JSONOp = "NE"
	JSONIn       JSONOp = "IN"
	JSONNin      JSONOp = "NIN"
	JSONGt       JSONOp = "GT"
	JSONGte      JSONOp = "GTE"
	JSONLt       JSONOp = "LT"
	JSONLte      JSONOp = "LTE"
	JSONExists   JSONOp = "EXISTS"
	JSONContains JSONOp = "CONTAINS"
	JSONPrefix   JSONOp = "PREFIX"
)

// JSONPredicate compares the value at Path (dot-separated object keys, see
// ParsePath) with Value (a JSON document). ValidatePredicate checks the shapes
// each operator accepts; docs/FILTERS.md gives the exact semantics.
type JSONPredicate struct {
	Path  string
	Op    JSONOp
	Value json.RawMessage
}

// OrderField is a field users can be ordered by.
type OrderField string

const (
	OrderCreatedAt     OrderField = "CREATED_AT"
	OrderUpdatedAt     OrderField = "UPDATED_AT"
	OrderUsername      OrderField = "USERNAME" // by UsernameKey
	OrderEmail         OrderField = "EMAIL"    // by EmailKey
	OrderLastLoginAt   OrderField = "LAST_LOGIN_AT"
	OrderLastRequestAt OrderField = "LAST_REQUEST_AT"
	OrderMetadata      OrderField = "METADATA"     // value at Path
	OrderAppMetadata   OrderField = "APP_METADATA" // value at Path
)

// UserOrder is one sort key. Listings always end with the id, ascending, as
// the final tiebreak, so every order is total and cursors are stable.
type UserOrder struct {
	Field OrderField
	Desc  bool
	Path  string // for the two JSON fields
}

// DefaultOrder is the order of a query that names none.
var DefaultOrder = []UserOrder{{Field: OrderCreatedAt}}

// UserQuery asks for one page of users.
type UserQuery struct {
	Filter *UserFilter
	Order  []UserOrder // empty: DefaultOrder
	After  *Cursor     // start after this position (keyset)
	Offset int         // then skip this many
	Limit  int         // page size, > 0
}

// Check validates a query as every backend must before running it: a
// positive limit, a valid order, and a cursor made for that order. It
// returns the order to run (DefaultOrder when the query names none).
func (q UserQuery) Check() ([]UserOrder, error) {
	if q.Limit <= 0 {
		return nil, Invalidf("limit must be positive")
	}
	if err := ValidateOrder(q.Order); err != nil {
		return nil, err
	}
	order := q.Order
	if len(order) == 0 {
		order = DefaultOrder
	}
	if q.After != nil && len(q.After.Values) != len(order) {
		return nil, Invalidf("cursor does not belong to this order")
	}
	return order, nil
}

// UserPage is one page of a listing.
type UserPage struct {
	Users   []*User
	HasNext bool // more users follow the last one
}

// PageOf makes the page of a query from the users a backend read for it:
// up to limit+1 in order, the one past the page telling that more follow.
func PageOf(users []*User, limit int) *UserPage {
	if len(users) > limit {
		return &UserPage{Users: users[:limit], HasNext: true}
	}
	return &UserPage{Users: users}
}

// UserPatch is a change applied to many users at once, as store.ApplyPatch
// defines it. Removals apply before additions, so renaming a role is
// RemoveRoles old + AddRoles new.
type UserPatch struct {
	Status      *Status
	AddRoles    []string
	RemoveRoles []string
	AddTags     []string
	RemoveTags  []string
	AppMetadata json.RawMessage // JSON merge patch (RFC 7396); nil: unchanged
	DeletedAt   time.Time       // set: soft-delete (zero: unchanged)
	UpdatedAt   time.Time       // required: stamped on every changed user
}

// IndexedPath declares a metadata path that administrators filter on often.
// Each backend creates an index for it at open, so equality and range
// predicates on the path, with the default order, are answered from the
// index instead of a scan.
type IndexedPath struct {
	AppMetadata bool   // false: Metadata
	Path        string // dot path, see ParsePath
}

// UserLister is the one UserStore method MatchingIDs needs.
type UserLister interface {
	// ListUsers is UserStore.ListUsers.
	ListUsers(ctx context.Context, q UserQuery) (*UserPage, error)
}

// MatchingIDs lists the ids of every user f matches, in pages of a
// thousand, for callers that must act on each (invalidate caches, end
// sessions) around a bulk change.
func MatchingIDs(ctx context.Context, s UserLister, f *UserFilter) ([]string, error) {
	var ids []string
	q := UserQuery{Filter: f, Limit: 1000}
	for {
		page, err := s.ListUsers(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, u := range page.Users {
			ids = append(ids, u.ID)
		}
		if !page.HasNext {
			return ids, nil
		}
		q.After = CursorOf(page.Users[len(page.Users)-1], nil)
	}
}
