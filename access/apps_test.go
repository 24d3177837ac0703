package access_test

import (
	"os"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/usergraph/usergraph/access"
)

// The mutations an APP session may call are ways in that anyone may call:
// each one the schema has is @public. One that needed a signed-in caller
// would act on the application's own account, which it has not; one that
// needed a permission would let every application past it. Names the
// schema lacks yet (the recovery flows, when this runs before they land)
// are reported, and change nothing: the rule names fields, not code.
func TestAppMutationsArePublic(t *testing.T) {
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if err != nil {
		t.Fatalf("parse schema.graphqls: %v", err)
	}
	present := 0
	for _, name := range access.AppMutations() {
		f := schema.Mutation.Fields.ForName(name)
		if f == nil {
			t.Logf("%s: not in the schema (yet); APP sessions will be allowed to call it", name)
			continue
		}
		present++
		if f.Directives.ForName("public") == nil {
			t.Errorf("Mutation.%s is allowed to APP sessions but is not @public", name)
		}
		if !access.AppMayCall(name) {
			t.Errorf("AppMayCall(%q) = false for a listed mutation", name)
		}
	}
	if present < 3 {
		t.Errorf("only %d of the allowed mutations are in the schema; signup, login and loginAsGuest at least", present)
	}
	for _, name := range []string{"refreshSession", "initialize", "upgradeGuest", "logout", "createUser", "Signup", ""} {
		if access.AppMayCall(name) {
			t.Errorf("AppMayCall(%q) = true, want false", name)
		}
	}
}
