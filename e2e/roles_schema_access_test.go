package e2e

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// THE SCHEMA WALK: every root field that needs a role or a permission is
// called, with type-valid dummy arguments, by an anonymous client, a client
// with a bad token, a plain user and the administrator. A field added to the
// schema is covered without touching this file; a field added as @public has
// to be added to publicFields on purpose.

// publicFields are the only root fields anyone may call.
var publicFields = []string{"applicationSession", "forgotUsername", "initialize", "login", "loginAsGuest", "loginWithIdToken",
	"oauthComplete", "oauthStart", "refreshSession", "requestPasswordReset", "requestPasswordResetBySms", "resetPassword",
	"resetPasswordWithCode", "signup", "usernameExists", "verifyEmail"}

// permissionResources are the resources @hasPermission may name.
var permissionResources = []string{"graphql/applications", "graphql/audit", "graphql/roles", "graphql/users", "graphql/users/devices", "graphql/users/roles",
	"graphql/webhooks"}

var accessDirectives = []string{"public", "signedIn", "hasRole", "hasPermission"}

// loadSchema parses schema.graphqls as the server compiles it.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	src, err := os.ReadFile("../schema.graphqls")
	if err != nil {
		t.Fatal(err)
	}
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphqls", Input: string(src)})
	if err != nil {
		t.Fatalf("parse schema.graphqls: %v", err)
	}
	return s
}

// rootField is one field of Query or Mutation.
type rootField struct {
	op    string // query or mutation
	field *ast.FieldDefinition
}

func (f rootField) String() string { return f.op + "." + f.field.Name }

// rootFields lists the fields of Query and Mutation in schema order.
func rootFields(s *ast.Schema) []rootField {
	var out []rootField
	for _, root := range []struct {
		op  string
		def *ast.Definition
	}{{"query", s.Query}, {"mutation", s.Mutation}} {
		if root.def == nil {
			continue
		}
		for _, f := range root.def.Fields {
			if !strings.HasPrefix(f.Name, "__") {
				out = append(out, rootField{root.op, f})
			}
		}
	}
	return out
}

// accessDirectivesOf returns the access directives of a field.
func accessDirectivesOf(f *ast.FieldDefinition) []*ast.Directive {
	var out []*ast.Directive
	for _, d := range f.Directives {
		if slices.Contains(accessDirectives, d.Name) {
			out = append(out, d)
		}
	}
	return out
}

func TestSchemaAccessDirectiveInventory(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	var wrongCount, badArgs, public []string
	for _, f := range rootFields(s) {
		ds := accessDirectivesOf(f.field)
		if len(ds) != 1 {
			var names []string
			for _, d := range ds {
				names = append(names, "@"+d.Name)
			}
			wrongCount = append(wrongCount, fmt.Sprintf("%s has %d access directives %v", f, len(ds), names))
			continue
		}
		switch d := ds[0]; d.Name {
		case "public":
			public = append(public, f.field.Name)
		case "hasPermission":
			res, verb := d.Arguments.ForName("resource"), d.Arguments.ForName("verb")
			if res == nil || !slices.Contains(permissionResources, res.Value.Raw) {
				badArgs = append(badArgs, fmt.Sprintf("%s: @hasPermission resource %v is not one of %v", f, res, permissionResources))
			}
			if verb == nil || s.Types["Verb"].EnumValues.ForName(verb.Value.Raw) == nil {
				badArgs = append(badArgs, fmt.Sprintf("%s: @hasPermission verb %v is not a Verb", f, verb))
			}
		case "hasRole":
			if r := d.Arguments.ForName("role"); r == nil || r.Value.Raw != "admin" {
				badArgs = append(badArgs, fmt.Sprintf("%s: @hasRole names %v, not a built-in role", f, r))
			}
		}
	}
	if len(wrongCount) > 0 {
		t.Errorf("every root field needs exactly one of @public/@signedIn/@hasRole/@hasPermission:\n  %s", strings.Join(wrongCount, "\n  "))
	}
	if len(badArgs) > 0 {
		t.Errorf("access directives with unexpected arguments:\n  %s", strings.Join(badArgs, "\n  "))
	}
	sort.Strings(public)
	if !slices.Equal(public, publicFields) {
		var extra, missing []string
		for _, p := range public {
			if !slices.Contains(publicFields, p) {
				extra = append(extra, p)
			}
		}
		for _, p := range publicFields {
			if !slices.Contains(public, p) {
				missing = append(missing, p)
			}
		}
		t.Errorf("@public fields = %v, want exactly %v\n  unexpected public fields: %v\n  no longer public: %v", public, publicFields, extra, missing)
	}
}

// walkPNG is a 1×1 PNG, the file dummyValue gives an Upload.
var walkPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82")

// dummyValue returns a JSON value of type typ: for input objects with
// only their required fields filled, for lists one element.
func dummyValue(s *ast.Schema, typ *ast.Type) (any, error) {
	if typ.Elem != nil {
		e, err := dummyValue(s, typ.Elem)
		return []any{e}, err
	}
	def := s.Types[typ.NamedType]
	if def == nil {
		return nil, fmt.Errorf("unknown type %s", typ.NamedType)
	}
	switch def.Kind {
	case ast.Enum:
		return def.EnumValues[0].Name, nil
	case ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				v, err := dummyValue(s, f.Type)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", def.Name, f.Name, err)
				}
				obj[f.Name] = v
			}
		}
		return obj, nil
	case ast.Scalar:
		switch def.Name {
		case "ID", "String":
			return "x", nil
		case "Int":
			return 1, nil
		case "Float":
			return 1.5, nil
		case "Boolean":
			return false, nil
		case "JSON":
			return map[string]any{}, nil
		case "Time":
			return "2026-01-02T15:04:05.000Z", nil
		case "Upload": // sent as a multipart request (ts.post)
			return file{"walk.png", "image/png", walkPNG}, nil
		}
	}
	return nil, fmt.Errorf("no dummy value for %s %s: teach dummyValue", def.Kind, def.Name)
}

// operationFor builds a minimal type-valid operation calling f, with
// its required arguments as variables.
func operationFor(s *ast.Schema, f rootField) (string, vars, error) {
	var decls, args []string
	v := vars{}
	for i, a := range f.field.Arguments {
		if !a.Type.NonNull || a.DefaultValue != nil {
			continue
		}
		val, err := dummyValue(s, a.Type)
		if err != nil {
			return "", nil, fmt.Errorf("%s(%s): %w", f, a.Name, err)
		}
		name := fmt.Sprintf("a%d", i)
		decls = append(decls, "$"+name+": "+a.Type.String())
		args = append(args, a.Name+": $"+name)
		v[name] = val
	}
	op := f.op + " Walk"
	if len(decls) > 0 {
		op += "(" + strings.Join(decls, ", ") + ")"
	}
	call := f.field.Name
	if len(args) > 0 {
		call += "(" + strings.Join(args, ", ") + ")"
	}
	switch s.Types[f.field.Type.Name()].Kind {
	case ast.Object, ast.Interface, ast.Union:
		call += " { __typename }"
	}
	return op + " { " + call + " }", v, nil
}

// refusalOf checks that r is the field's own error with code and status.
func refusalOf(r *gqlResponse, field, code string, status int) string {
	if len(r.Errors) == 0 {
		return fmt.Sprintf("no error, data %s", r.Data)
	}
	e := r.Errors[0]
	got, _ := e.Extensions["code"].(string)
	st, _ := e.Extensions["internalStatus"].(float64)
	if got != code || int(st) != status {
		return fmt.Sprintf("got %s %v (%q), want %s %d", got, e.Extensions["internalStatus"], e.Message, code, status)
	}
	if len(e.Path) == 0 || e.Path[0] != field {
		return fmt.Sprintf("error path %v is not the field", e.Path)
	}
	return ""
}

func TestSchemaWalkProtectedFields(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	plain := ts.signup(t, "plainuser", testPassword).AccessToken

	type call struct {
		f      rootField
		access string
		query  string
		v      vars
	}
	var protected, signedIn []call
	for _, f := range rootFields(s) {
		ds := accessDirectivesOf(f.field)
		if len(ds) != 1 {
			continue // reported by the inventory test
		}
		q, v, err := operationFor(s, f)
		if err != nil {
			t.Errorf("cannot build an operation: %v", err)
			continue
		}
		c := call{f, ds[0].Name, q, v}
		switch c.access {
		case "hasPermission", "hasRole":
			protected = append(protected, c)
		case "signedIn":
			signedIn = append(signedIn, c)
		}
	}
	if len(protected) < 20 {
		t.Fatalf("only %d protected fields found; the walk is not seeing the schema", len(protected))
	}
	t.Logf("walking %d protected and %d signed-in fields", len(protected), len(signedIn))
	for _, c := range protected {
		t.Logf("  %-28s %s %v", c.f, c.query, c.v)
	}

	actors := []struct {
		name, token, code string
		status            int
	}{
		{"anonymous", "", "UNAUTHENTICATED", 606},
		{"bad token", "not-a-jwt", "UNAUTHENTICATED", 607},
		{"plain user", plain, "FORBIDDEN", 609},
	}
	for _, a := range actors {
		t.Run(a.name, func(t *testing.T) {
			var failures []string
			for _, c := range protected {
				if msg := refusalOf(ts.gql(t, a.token, c.query, c.v), c.f.field.Name, a.code, a.status); msg != "" {
					failures = append(failures, fmt.Sprintf("%s (@%s): %s\n    %s %v", c.f, c.access, msg, c.query, c.v))
				}
			}
			if len(failures) > 0 {
				t.Errorf("%d of %d protected fields let a %s through or answered wrongly:\n  %s",
					len(failures), len(protected), a.name, strings.Join(failures, "\n  "))
			}
		})
	}
	t.Run("anonymous on signedIn fields", func(t *testing.T) {
		var failures []string
		for _, c := range signedIn {
			if msg := refusalOf(ts.gql(t, "", c.query, c.v), c.f.field.Name, "UNAUTHENTICATED", 606); msg != "" {
				failures = append(failures, fmt.Sprintf("%s: %s", c.f, msg))
			}
		}
		if len(failures) > 0 {
			t.Errorf("@signedIn fields answering anonymous callers:\n  %s", strings.Join(failures, "\n  "))
		}
	})
	// The operations are valid and the directive lets the administrator
	// through: any error now comes from the resolver (dummy ids are unknown),
	// never from access checks or validation.
	t.Run("administrator", func(t *testing.T) {
		var failures []string
		for _, c := range protected {
			r := ts.gql(t, root, c.query, c.v)
			if len(r.Errors) == 0 {
				continue
			}
			e := r.Errors[0]
			code, _ := e.Extensions["code"].(string)
			if code == "UNAUTHENTICATED" || code == "FORBIDDEN" || len(e.Path) == 0 || e.Path[0] != c.f.field.Name {
				failures = append(failures, fmt.Sprintf("%s: %s %q path %v", c.f, code, e.Message, e.Path))
			}
		}
		if len(failures) > 0 {
			t.Errorf("the administrator was refused or the operation is invalid:\n  %s", strings.Join(failures, "\n  "))
		}
	})
}

// The schema file is the schema the server serves (generation is not stale).
func TestSchemaFileMatchesServedSchema(t *testing.T) {
	t.Parallel()
	s := loadSchema(t)
	ts := startServer(t)
	root := ts.admin(t).AccessToken
	r := ts.mustGQL(t, root, `{ __schema {
		queryType { fields { name args { name type { kind name ofType { kind name ofType { kind name } } } } } }
		mutationType { fields { name args { name type { kind name ofType { kind name ofType { kind name } } } } } } } }`, nil)
	type typeRef struct {
		Kind   string
		Name   *string
		OfType *typeRef
	}
	type field struct {
		Name string
		Args []struct {
			Name string
			Type typeRef
		}
	}
	sch := dataField[struct {
		QueryType, MutationType struct{ Fields []field }
	}](t, r, "__schema")
	var render func(tr *typeRef) string
	render = func(tr *typeRef) string {
		switch tr.Kind {
		case "NON_NULL":
			return render(tr.OfType) + "!"
		case "LIST":
			return "[" + render(tr.OfType) + "]"
		}
		return *tr.Name
	}
	var served, file []string
	for op, fs := range map[string][]field{"query": sch.QueryType.Fields, "mutation": sch.MutationType.Fields} {
		for _, f := range fs {
			var args []string
			for _, a := range f.Args {
				args = append(args, a.Name+": "+render(&a.Type))
			}
			served = append(served, op+"."+f.Name+"("+strings.Join(args, ", ")+")")
		}
	}
	for _, f := range rootFields(s) {
		var args []string
		for _, a := range f.field.Arguments {
			args = append(args, a.Name+": "+a.Type.String())
		}
		file = append(file, f.String()+"("+strings.Join(args, ", ")+")")
	}
	sort.Strings(served)
	sort.Strings(file)
	if !slices.Equal(served, file) {
		t.Fatalf("served root fields differ from schema.graphqls (run go generate ./...):\nserved: %v\nfile:   %v", served, file)
	}
}
