package httpapi

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// A mistyped @hashes(ifArgument:) would make a hashing field count as
// never hashing; the server refuses to start with one instead.
func TestHashLimitChecksArgumentPaths(t *testing.T) {
	schema := func(t *testing.T, directive string) *ast.Schema {
		t.Helper()
		s, err := gqlparser.LoadSchema(&ast.Source{Name: "test", Input: `
			directive @hashes(ifArgument: String) on FIELD_DEFINITION
			input Creds { password: String, tags: [String!], many: [Creds!] }
			type Query { x: Int }
			type Mutation { create(input: Creds!, list: [Creds!]): Int ` + directive + ` }`})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	good := []string{`@hashes`, `@hashes(ifArgument: "input.password")`, `@hashes(ifArgument: "input")`}
	for _, d := range good {
		if _, err := newHashLimit(schema(t, d), 1); err != nil {
			t.Errorf("%s: %v, want accepted", d, err)
		}
	}
	bad := map[string]string{
		`@hashes(ifArgument: "inptu.password")`:      "no argument",
		`@hashes(ifArgument: "input.pasword")`:       "no input field",
		`@hashes(ifArgument: "input.password.x")`:    "no input field",
		`@hashes(ifArgument: "input.tags")`:          "list",
		`@hashes(ifArgument: "input.many.password")`: "list",
		`@hashes(ifArgument: "list.password")`:       "list",
	}
	for d, want := range bad {
		_, err := newHashLimit(schema(t, d), 1)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "Mutation.create") {
			t.Errorf("%s: error %v, want one naming Mutation.create and saying %q", d, err, want)
		}
	}
}
