package client

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// Every field of Query and Mutation has an operation in operations/, so a
// field added to the schema is added to the client too (README.md,
// "Adding an operation").
func TestEveryRootFieldHasAnOperation(t *testing.T) {
	schemaText, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	schema, gqlErr := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(schemaText)})
	if gqlErr != nil {
		t.Fatalf("load schema: %v", gqlErr)
	}
	files, err := filepath.Glob("operations/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no operations: %v", err)
	}
	// One document, as genqlient reads them: fragments are shared across files.
	var all strings.Builder
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all.Write(b)
		all.WriteString("\n")
	}
	doc, errs := gqlparser.LoadQueryWithRules(schema, all.String(), nil)
	if errs != nil {
		t.Fatalf("operations do not validate against the schema: %v", errs)
	}
	used := map[string]bool{}
	for _, op := range doc.Operations {
		for _, sel := range op.SelectionSet {
			if f, ok := sel.(*ast.Field); ok {
				used[string(op.Operation)+"."+f.Name] = true
			}
		}
	}
	var missing []string
	for kind, def := range map[ast.Operation]*ast.Definition{ast.Query: schema.Query, ast.Mutation: schema.Mutation} {
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if !used[string(kind)+"."+f.Name] {
				missing = append(missing, string(kind)+"."+f.Name)
			}
		}
	}
	slices.Sort(missing)
	if len(missing) > 0 {
		t.Errorf("root fields without an operation in client/operations (add one, then go generate ./...): %v", missing)
	}
}
