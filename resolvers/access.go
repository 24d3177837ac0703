package resolvers

import (
	"fmt"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// AccessDirectives are the directives that decide who may call a field.
var AccessDirectives = []string{"public", "signedIn", "hasRole", "hasPermission"}

// CheckAccessDirectives verifies that every field of Query and Mutation
// carries exactly one access directive, so no field can be added without a
// decision about who may call it. The server refuses to start otherwise.
func CheckAccessDirectives(s *ast.Schema) error {
	var missing []string
	for _, root := range []*ast.Definition{s.Query, s.Mutation} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if n := countAccess(f); n != 1 {
				missing = append(missing, fmt.Sprintf("%s.%s (%d access directives)", root.Name, f.Name, n))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("schema: every root field needs exactly one of @%s: %s",
			strings.Join(AccessDirectives, ", @"), strings.Join(missing, "; "))
	}
	return nil
}

func countAccess(f *ast.FieldDefinition) int {
	n := 0
	for _, d := range f.Directives {
		for _, name := range AccessDirectives {
			if d.Name == name {
				n++
			}
		}
	}
	return n
}
