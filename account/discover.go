package account

import (
	"context"
	"strings"

	"golang.org/x/text/secure/precis"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// User discovery (Kinvey's user discovery, ConnectyCube's users V2): any
// signed-in user, and any application's session, finds other users by
// their public fields and sees their public view. Guests, accounts that
// are not ACTIVE and deleted accounts are never found. Every part of a
// discovery filter is answered from an index on both stores
// (docs/FILTERS.md, "Discovery"), which is why search is a prefix, not the
// administrators' substring.

// Discovery is a discovery filter (API.md's DiscoveryFilter); zero parts
// are unset, and all set parts must hold.
type Discovery struct {
	IDs, Usernames                []string // nil: unset
	FirstName, LastName, FullName string   // exact, case-insensitive
	Search                        string   // how the username or a name starts
	Email                         string   // exact; only with Config.DiscoveryByEmail
	Tags                          *store.SetMatch
	LastRequestAt                 *store.TimeRange
}

// DiscoveryQuery asks for one page of discovered users.
type DiscoveryQuery struct {
	Filter Discovery
	First  int
	After  string // cursor
	Offset int
}

// Discover returns a page of the users the filter finds, each in its
// public view, oldest first, and the store filter that totalCount counts.
func (s *Service) Discover(ctx context.Context, viewer *session.Principal, q DiscoveryQuery) (*store.UserPage, *store.UserFilter, error) {
	if viewer == nil {
		return nil, nil, apperr.New(apperr.Unauthenticated, "sign in first")
	}
	f, err := s.discoveryFilter(q.Filter)
	if err != nil {
		return nil, nil, err
	}
	page, f, err := s.page(ctx, f, nil, q.First, q.After, q.Offset)
	if err != nil {
		return nil, nil, err
	}
	for i, u := range page.Users {
		page.Users[i] = publicView(u)
	}
	return page, f, nil
}

// discoveryFilter turns a client's filter into the store's: its parts at
// the top level beside "active and not a guest", so that SQLite can read
// them from its partial index of the users discovery shows.
func (s *Service) discoveryFilter(d Discovery) (*store.UserFilter, error) {
	if d.Email != "" && !s.cfg.DiscoveryByEmail {
		return nil, apperr.Input("filter.email", "discovery by email is off (USERGRAPH_DISCOVERY_BY_EMAIL)")
	}
	f := &store.UserFilter{Active: ptr(true), IsGuest: ptr(false), IDs: d.IDs, Usernames: d.Usernames,
		Tags: d.Tags, LastRequestAt: d.LastRequestAt}
	for _, n := range []struct {
		v   string
		dst *[]string
	}{{d.FirstName, &f.FirstNames}, {d.LastName, &f.LastNames}, {d.FullName, &f.FullNames}, {d.Email, &f.Emails}} {
		if n.v != "" {
			*n.dst = []string{n.v}
		}
	}
	if strings.TrimSpace(d.Search) != "" {
		f.NamePrefix = &store.NamePrefix{Username: s.usernamePrefixKey(d.Search), Name: d.Search}
	}
	if err := s.filterLimits.Check(f); err != nil {
		return nil, inputErr("filter", err)
	}
	return s.withUsernameKeys(f), nil
}

// usernamePrefixKey is how the usernames a prefix starts are keyed: the
// prefix in the form of a username key (PRECIS, case-mapped unless
// usernames are case-sensitive). A prefix no username could start with
// (a space, say) gives "", which matches no username.
func (s *Service) usernamePrefixKey(prefix string) string {
	p := precis.UsernameCaseMapped
	if s.cfg.UsernameCaseSensitive {
		p = precis.UsernameCasePreserved
	}
	key, err := p.String(strings.TrimSpace(prefix))
	if err != nil {
		return ""
	}
	return key
}
