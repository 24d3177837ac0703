package account_test

import (
	"slices"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// discovered returns the usernames a discovery finds, in order.
func discovered(t *testing.T, e *env, viewer *session.Principal, f account.Discovery) []string {
	t.Helper()
	page, _, err := e.accounts.Discover(e.ctx, viewer, account.DiscoveryQuery{Filter: f, First: 50})
	if err != nil {
		t.Fatalf("Discover(%+v): %v", f, err)
	}
	var names []string
	for _, u := range page.Users {
		names = append(names, u.Username)
	}
	return names
}

// Discovery finds active full accounts by their public fields and shows
// their public view; guests, suspended, pending and deleted accounts are
// never found, whatever the filter.
func TestDiscover(t *testing.T) {
	e := newEnv(t)
	e.admin(t)
	viewer := e.member(t, "viewer")
	ann, _, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "ann", Email: "ann@example.com", Password: goodPassword,
		Profile: account.Profile{FirstName: "Ann", LastName: "Archer"}, Tags: []string{"vip"}})
	if err != nil {
		t.Fatal(err)
	}
	e.accounts.Signup(e.ctx, account.NewUser{Username: "anna", Password: goodPassword, Profile: account.Profile{FirstName: "Anna"}})
	susp, _, _ := e.accounts.Signup(e.ctx, account.NewUser{Username: "annsusp", Password: goodPassword, Profile: account.Profile{FirstName: "Ann"}})
	if _, err := e.accounts.SetStatus(e.ctx, susp.ID, store.StatusSuspended); err != nil {
		t.Fatal(err)
	}
	gone, _, _ := e.accounts.Signup(e.ctx, account.NewUser{Username: "anndeleted", Password: goodPassword, Profile: account.Profile{FirstName: "Ann"}})
	if err := e.accounts.DeleteUser(e.ctx, gone.ID, false); err != nil {
		t.Fatal(err)
	}
	e.guest(t, account.GuestInput{FullName: "Ann"})

	for _, c := range []struct {
		what string
		f    account.Discovery
		want []string
	}{
		{"first name, any case", account.Discovery{FirstName: "ANN"}, []string{"ann"}},
		{"prefix over names and usernames", account.Discovery{Search: "an"}, []string{"ann", "anna"}},
		{"prefix of a last name", account.Discovery{Search: "Arch"}, []string{"ann"}},
		{"full name as shown", account.Discovery{FullName: "ann archer"}, []string{"ann"}},
		{"usernames", account.Discovery{Usernames: []string{"ANN", "annsusp", "anndeleted"}}, []string{"ann"}},
		{"ids", account.Discovery{IDs: []string{ann.ID, susp.ID, gone.ID}}, []string{"ann"}},
		{"tags", account.Discovery{Tags: &store.SetMatch{Any: []string{"vip"}}}, []string{"ann"}},
		{"everyone discoverable", account.Discovery{}, []string{"root", "viewer", "ann", "anna"}},
	} {
		if got := discovered(t, e, viewer, c.f); !slices.Equal(got, c.want) {
			t.Errorf("%s: found %v, want %v", c.what, got, c.want)
		}
	}
	page, _, err := e.accounts.Discover(e.ctx, viewer, account.DiscoveryQuery{Filter: account.Discovery{FirstName: "ann"}, First: 5})
	if err != nil {
		t.Fatal(err)
	}
	if u := page.Users[0]; u.Email != "" || u.PasswordHash != "" || len(u.Roles) != 0 || u.FirstName != "Ann" {
		t.Errorf("a discovered user is not the public view: %+v", u)
	}

	_, _, err = e.accounts.Discover(e.ctx, viewer, account.DiscoveryQuery{Filter: account.Discovery{Email: "ann@example.com"}, First: 5})
	wantCode(t, "by email while it is off", err, apperr.BadUserInput, "filter.email")
	_, _, err = e.accounts.Discover(e.ctx, viewer, account.DiscoveryQuery{First: account.MaxPageSize + 1})
	wantCode(t, "a page too large", err, apperr.BadUserInput, "first")
	_, _, err = e.accounts.Discover(e.ctx, nil, account.DiscoveryQuery{First: 5})
	wantCode(t, "no caller", err, apperr.Unauthenticated, "")
}

// With USERGRAPH_DISCOVERY_BY_EMAIL on, an exact email finds its active
// account, case-insensitively.
func TestDiscoverByEmail(t *testing.T) {
	e := newEnv(t, func(o *options) { o.cfg.DiscoveryByEmail = true })
	viewer := e.member(t, "viewer")
	e.signup(t, "ann", "ann@example.com")
	if got := discovered(t, e, viewer, account.Discovery{Email: "ANN@example.com"}); !slices.Equal(got, []string{"ann"}) {
		t.Errorf("by email: %v, want [ann]", got)
	}
	if got := discovered(t, e, viewer, account.Discovery{Email: "ann@example"}); len(got) != 0 {
		t.Errorf("by a partial email: %v, want nobody", got)
	}
}

// Administrators find users by phone, normalized as at sign-in: a
// national number in the configured region finds the stored E.164 one; a
// value that is no number finds nobody.
func TestListUsersByPhone(t *testing.T) {
	e := newEnv(t, func(o *options) { o.cfg.PhoneRegion = "US" })
	u, _, err := e.accounts.Signup(e.ctx, account.NewUser{Username: "ann", Phone: "+1 415 555 0100", Password: goodPassword})
	if err != nil {
		t.Fatal(err)
	}
	e.signup(t, "bob", "")
	for _, c := range []struct {
		phones []string
		want   int
	}{
		{[]string{"(415) 555-0100"}, 1},
		{[]string{"+14155550100", "+14155550199"}, 1},
		{[]string{"not a phone"}, 0},
		{[]string{}, 0},
	} {
		page, _, err := e.accounts.ListUsers(e.ctx, account.Query{Filter: &store.UserFilter{Phones: c.phones}, First: 10})
		if err != nil {
			t.Fatalf("phones %q: %v", c.phones, err)
		}
		if len(page.Users) != c.want || (c.want == 1 && page.Users[0].ID != u.ID) {
			t.Errorf("phones %q: %d users, want %d", c.phones, len(page.Users), c.want)
		}
	}
}
