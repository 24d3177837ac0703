package account_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// A bulk change must say which users it means: a filter that selects
// everybody, however it is spelled, is refused and changes nobody.
func TestBulkRefusesFiltersThatSelectEverybody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin(t)
	e.signup(t, "alice", "")
	suspended := store.StatusSuspended
	for name, f := range map[string]*store.UserFilter{
		"none":                 nil,
		"{}":                   {},
		"and: []":              {And: []store.UserFilter{}},
		"and: [{}]":            {And: []store.UserFilter{{}}},
		"roles: {}":            {Roles: &store.SetMatch{}},
		"tags: {all: []}":      {Tags: &store.SetMatch{All: []string{}}},
		"createdAt: {}":        {CreatedAt: &store.TimeRange{}},
		"and: [{lastLoginAt}]": {And: []store.UserFilter{{LastLoginAt: &store.TimeRange{}}}},
	} {
		_, err := e.accounts.UpdateUsers(e.ctx, admin, f, account.Patch{Status: &suspended, AddTags: []string{"hit"}})
		wantCode(t, "updateUsers with "+name, err, apperr.BadUserInput, "filter")
		_, err = e.accounts.DeleteUsers(e.ctx, f, true)
		wantCode(t, "deleteUsers with "+name, err, apperr.BadUserInput, "filter")
	}
	if n := e.count(t, &store.UserFilter{Status: []store.Status{store.StatusActive}}); n != 2 {
		t.Errorf("%d active users after refused bulk changes, want both", n)
	}
	if n := e.count(t, &store.UserFilter{Tags: &store.SetMatch{Any: []string{"hit"}}}); n != 0 {
		t.Errorf("%d users tagged by refused bulk changes, want none", n)
	}
}

// updateUsers changes exactly the users its filter selects (usernames as
// every lookup finds them, soft-deleted accounts only when asked for) and
// says how many; cached sessions see the change at once; a suspension
// ends the selected users' sessions for good.
func TestUpdateUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin(t)
	_, aTok := e.signup(t, "ann", "")
	_, bTok := e.signup(t, "bob", "")
	_, cTok := e.signup(t, "cid", "")
	gone, _ := e.signup(t, "gone", "")
	if err := e.accounts.DeleteUser(e.ctx, gone.ID, false); err != nil {
		t.Fatal(err)
	}
	a := e.principal(t, aTok)

	n, err := e.accounts.UpdateUsers(e.ctx, admin, &store.UserFilter{Usernames: []string{"ANN", "ｂｏｂ", "gone"}},
		account.Patch{AddTags: []string{"team"}, AppMetadata: json.RawMessage(`{"tier":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("updateUsers selected %d users, want 2 (ann, bob; gone is soft-deleted)", n)
	}
	tagged := func(id string) bool { return slices.Contains(e.stored(t, id).Tags, "team") }
	for id, want := range map[string]bool{a.UserID: true, e.userID(t, "bob"): true, e.userID(t, "cid"): false, gone.ID: false} {
		if got := tagged(id); got != want {
			t.Errorf("user %s tagged %v, want %v", id, got, want)
		}
	}
	if got := e.stored(t, a.UserID).AppMetadata; !jsonEqual(t, got, `{"tier":2}`) {
		t.Errorf("appMetadata %s, want the patch's", got)
	}
	if got := e.principal(t, aTok).User.Tags; !slices.Contains(got, "team") {
		t.Errorf("ann's cached session sees tags %v, want the new tag at once", got)
	}
	if n, err := e.accounts.UpdateUsers(e.ctx, admin, &store.UserFilter{Usernames: []string{"gone"}, Deleted: ptr(true)},
		account.Patch{AddTags: []string{"team"}}); err != nil || n != 1 || !tagged(gone.ID) {
		t.Errorf("a filter that mentions deleted: %d selected (%v), tagged %v; want the soft-deleted account", n, err, tagged(gone.ID))
	}

	suspended := store.StatusSuspended
	if _, err := e.accounts.UpdateUsers(e.ctx, admin, &store.UserFilter{Usernames: []string{"bob", "cid"}}, account.Patch{Status: &suspended}); err != nil {
		t.Fatal(err)
	}
	e.wantEnded(t, "bob after a bulk suspension", bTok)
	e.wantEnded(t, "cid after a bulk suspension", cTok)
	e.wantLive(t, "ann, not selected", aTok)
	active := store.StatusActive
	if _, err := e.accounts.UpdateUsers(e.ctx, admin, &store.UserFilter{Usernames: []string{"bob"}}, account.Patch{Status: &active}); err != nil {
		t.Fatal(err)
	}
	e.wantEnded(t, "bob's session from before the suspension, once active again", bTok)
}

// Adding roles in bulk needs PUT on graphql/users/roles, removing them
// DELETE; added roles must exist, removed names need not. The whole patch
// is checked before anybody is changed.
func TestUpdateUsersRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin(t)
	plain := e.member(t, "plain")
	granter := e.granter(t, "granter1")
	if _, err := e.access.CreateRole(e.ctx, "editor", ""); err != nil {
		t.Fatal(err)
	}
	e.signup(t, "target", "")
	target := &store.UserFilter{Usernames: []string{"target"}}
	for _, c := range []struct {
		name  string
		actor *session.Principal
		p     account.Patch
		code  apperr.Code
		field string
	}{
		{"add without permission", plain, account.Patch{AddRoles: []string{"editor"}}, apperr.Forbidden, ""},
		{"remove with PUT only", granter, account.Patch{RemoveRoles: []string{"user"}}, apperr.Forbidden, ""},
		{"add a role that does not exist", granter, account.Patch{AddTags: []string{"hit"}, AddRoles: []string{"ghost"}}, apperr.InvalidRole, "role"},
		{"an unknown status", admin, account.Patch{AddTags: []string{"hit"}, Status: ptr(store.Status("GONE"))}, apperr.BadUserInput, "status"},
		{"appMetadata not an object", admin, account.Patch{AddTags: []string{"hit"}, AppMetadata: json.RawMessage(`1`)}, apperr.BadUserInput, "appMetadata"},
	} {
		_, err := e.accounts.UpdateUsers(e.ctx, c.actor, target, c.p)
		wantCode(t, c.name, err, c.code, c.field)
	}
	if got := e.stored(t, e.userID(t, "target")); !slices.Equal(got.Roles, []string{"user"}) || len(got.Tags) != 0 {
		t.Fatalf("after refused patches target has roles %v tags %v, want unchanged", got.Roles, got.Tags)
	}
	if _, err := e.accounts.UpdateUsers(e.ctx, granter, target, account.Patch{AddRoles: []string{"EDITOR"}}); err != nil {
		t.Fatalf("add with PUT: %v", err)
	}
	if _, err := e.accounts.UpdateUsers(e.ctx, admin, target, account.Patch{RemoveRoles: []string{"user", "long-gone"}}); err != nil {
		t.Fatalf("remove, with a name no role has: %v", err)
	}
	if got := e.stored(t, e.userID(t, "target")).Roles; !slices.Equal(got, []string{"editor"}) {
		t.Errorf("roles %v, want [editor]", got)
	}
}

// Each user is changed atomically: concurrent bulk patches and single
// updates of the same users lose none of one another's changes.
func TestUpdateUsersLosesNoConcurrentChange(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.admin(t)
	var ids []string
	for i := range 12 {
		u, _ := e.signup(t, fmt.Sprintf("user%d", i), "")
		ids = append(ids, u.ID)
	}
	all := &store.UserFilter{IDs: ids}
	errs := make(chan error, 4+len(ids))
	var wg sync.WaitGroup
	for _, tag := range []string{"x", "y", "z"} {
		wg.Go(func() {
			_, err := e.accounts.UpdateUsers(e.ctx, admin, all, account.Patch{AddTags: []string{tag}})
			errs <- err
		})
	}
	for _, id := range ids {
		wg.Go(func() {
			_, err := e.accounts.UpdateUser(e.ctx, id, account.AdminChange{ProfileChange: account.ProfileChange{FirstName: ptr("F" + id)}})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range ids {
		got := e.stored(t, id)
		slices.Sort(got.Tags)
		if !slices.Equal(got.Tags, []string{"x", "y", "z"}) || got.FirstName != "F"+id {
			t.Errorf("user %s: tags %v first name %q; want every change kept", id, got.Tags, got.FirstName)
		}
	}
}

// deleteUsers soft- or hard-deletes what the filter selects and says how
// many; the selected users' sessions end.
func TestDeleteUsers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.admin(t)
	_, aTok := e.signup(t, "ann", "")
	_, bTok := e.signup(t, "bob", "")
	_, cTok := e.signup(t, "cid", "")

	n, err := e.accounts.DeleteUsers(e.ctx, &store.UserFilter{Usernames: []string{"ann"}}, false)
	if err != nil || n != 1 {
		t.Fatalf("soft deleteUsers: %d, %v; want 1", n, err)
	}
	if got := e.stored(t, e.userID(t, "ann")); !got.Deleted() || got.Status != store.StatusSuspended {
		t.Errorf("ann after a soft bulk delete: deleted %v status %s", got.Deleted(), got.Status)
	}
	e.wantEnded(t, "ann's session", aTok)

	n, err = e.accounts.DeleteUsers(e.ctx, &store.UserFilter{Usernames: []string{"ann", "bob"}}, true)
	if err != nil || n != 1 {
		t.Fatalf("hard deleteUsers of ann (soft-deleted, not selected) and bob: %d, %v; want 1", n, err)
	}
	if n := e.count(t, &store.UserFilter{Usernames: []string{"bob"}}); n != 0 {
		t.Error("bob is still stored after a hard bulk delete")
	}
	e.wantEnded(t, "bob's session", bTok)
	e.wantLive(t, "cid's session", cTok)
}

// Listing bounds: first 0 to 500 (0: no page, no store read), offset 0
// to 10 000, a valid cursor and order.
func TestListUsersBounds(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.signup(t, "alice", "")
	for _, c := range []struct {
		name  string
		q     account.Query
		field string
	}{
		{"first -1", account.Query{First: -1}, "first"},
		{"first 501", account.Query{First: 501}, "first"},
		{"offset 10001", account.Query{First: 1, Offset: 10_001}, "offset"},
		{"bad cursor", account.Query{First: 1, After: "not a cursor"}, "after"},
	} {
		_, _, err := e.accounts.ListUsers(e.ctx, c.q)
		wantCode(t, c.name, err, apperr.BadUserInput, c.field)
	}
	page, _, err := e.accounts.ListUsers(e.ctx, account.Query{First: 0})
	if err != nil || len(page.Users) != 0 {
		t.Errorf("first 0: %v, %v; want an empty page", page, err)
	}
	page, _, err = e.accounts.ListUsers(e.ctx, account.Query{First: 500, Offset: 10_000})
	if err != nil || len(page.Users) != 0 {
		t.Errorf("the largest page at the largest offset: %v; want an empty page", err)
	}
}
