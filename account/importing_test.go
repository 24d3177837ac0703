package account_test

import (
	"testing"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// TestImportReplaceGuardsLastAdmin: an import with -update cannot suspend
// or demote the last active administrator; once another exists, it can.
func TestImportReplaceGuardsLastAdmin(t *testing.T) {
	e := newEnv(t)
	root := e.admin(t)
	im := e.accounts.StartImport()
	suspended, err := im.Build(e.ctx, account.Imported{NewUser: account.NewUser{Username: "root",
		Status: store.StatusSuspended, Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = im.Replace(e.ctx, root.UserID, suspended)
	if apperr.CodeOf(err) != apperr.Forbidden {
		t.Fatalf("suspending the last administrator by import: %v, want FORBIDDEN", err)
	}
	if u, _ := e.db.GetUser(e.ctx, root.UserID); !u.Active() {
		t.Fatalf("the refused import changed the administrator: %+v", u)
	}

	second, err := im.Build(e.ctx, account.Imported{NewUser: account.NewUser{Username: "deputy", Roles: []string{"admin"}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.CreateUser(e.ctx, second); err != nil {
		t.Fatal(err)
	}
	got, err := im.Replace(e.ctx, root.UserID, suspended)
	if err != nil || got.Status != store.StatusSuspended || got.ID != root.UserID {
		t.Fatalf("suspending one of two administrators by import: %+v, %v", got, err)
	}
}
