package resolvers_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/go/callgraph"
	"golang.org/x/tools/go/callgraph/cha"
	"golang.org/x/tools/go/callgraph/vta"
	"golang.org/x/tools/go/packages"
	"golang.org/x/tools/go/ssa"
	"golang.org/x/tools/go/ssa/ssautil"

	"github.com/usergraph/usergraph/graph"
)

// knownHashing are the fields known to hash or verify a password. The test
// checks the call graph finds exactly these, so that it is known to see
// the hasher at all; a new hashing field goes here and gets @hashes.
var knownHashing = []string{
	"Mutation.changePassword", "Mutation.createUser", "Mutation.deleteAccount", "Mutation.initialize",
	"Mutation.login", "Mutation.resetPassword", "Mutation.resetPasswordWithCode", "Mutation.signup", "Mutation.updateUser", "Mutation.upgradeGuest",
}

// The per-request hash limit (httpapi/hashlimit.go) counts the root fields
// marked @hashes in schema.graphqls. This test proves the marks complete:
// it builds the program's call graph (see callersOf) and fails if a resolver that can reach password.Hasher's Hash, Verify or
// VerifyDummy belongs to a field without @hashes, or to a field below the
// root, which the limit would not count. It reads the source: a few
// seconds.
func TestHashingFieldsCarryTheDirective(t *testing.T) {
	reaching := hashingResolvers(t)
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	var marked []string
	for _, root := range []string{"Query", "Mutation"} {
		for _, f := range schema.Types[root].Fields {
			if f.Directives.ForName("hashes") != nil {
				marked = append(marked, root+"."+f.Name)
			}
		}
	}
	sort.Strings(marked)
	for _, field := range reaching {
		if !strings.HasPrefix(field, "Query.") && !strings.HasPrefix(field, "Mutation.") {
			t.Errorf("%s can reach the password hasher, but is not a root field: the per-request hash limit counts root fields only", field)
		} else if !slices.Contains(marked, field) {
			t.Errorf("%s can reach the password hasher but lacks @hashes in schema.graphqls", field)
		}
	}
	for _, field := range marked {
		if !slices.Contains(reaching, field) {
			t.Errorf("%s carries @hashes but its resolver cannot reach the hasher: remove the mark", field)
		}
	}
	if !slices.Equal(reaching, knownHashing) {
		t.Errorf("fields reaching the hasher: got %q, want %q (update knownHashing with the schema)", reaching, knownHashing)
	}
}

// hashingResolvers returns the fields ("Mutation.login") whose resolver
// method can reach a hash or verification, sorted.
func hashingResolvers(t *testing.T) []string {
	t.Helper()
	cfg := &packages.Config{Dir: "..", Mode: packages.NeedName | packages.NeedFiles | packages.NeedImports |
		packages.NeedTypes | packages.NeedSyntax | packages.NeedTypesInfo}
	pkgs, err := packages.Load(cfg, "./...") // the module's code with bodies; dependencies as types only
	if err != nil {
		t.Fatal(err)
	}
	if packages.PrintErrors(pkgs) > 0 {
		t.Fatal("the module's packages do not load")
	}
	prog, _ := ssautil.Packages(pkgs, ssa.InstantiateGenerics)
	prog.Build()
	funcs := ssautil.AllFunctions(prog)
	callers := callersOf(funcs, vta.CallGraph(funcs, cha.CallGraph(prog)))

	// Every function from which a hash or verification is reachable.
	reaches := map[*ssa.Function]bool{}
	var queue []*ssa.Function
	for fn := range funcs {
		if isHasherEntry(fn) {
			reaches[fn] = true
			queue = append(queue, fn)
		}
	}
	if len(queue) == 0 {
		t.Fatal("no password.Hasher methods in the program")
	}
	for len(queue) > 0 {
		fn := queue[0]
		queue = queue[1:]
		for caller := range callers[fn] {
			if !reaches[caller] {
				reaches[caller] = true
				queue = append(queue, caller)
			}
		}
	}

	var out []string
	resolvers := 0
	for fn := range funcs {
		field, ok := resolverField(fn)
		if !ok {
			continue
		}
		resolvers++
		if reaches[fn] {
			out = append(out, field)
		}
	}
	if resolvers < 20 {
		t.Fatalf("found %d resolver methods in the call graph: the test no longer finds them", resolvers)
	}
	sort.Strings(out)
	return out
}

// callersOf inverts the call graph cg (variable type analysis: calls of
// interfaces and function values resolved by the types that flow there),
// and adds that a function may call whatever function it refers to as a
// value or defines (a closure): the dependencies are loaded without their
// bodies, so a closure handed to one (errgroup.Go, sync.OnceValue) would
// otherwise seem never called.
func callersOf(funcs map[*ssa.Function]bool, cg *callgraph.Graph) map[*ssa.Function]map[*ssa.Function]bool {
	callers := map[*ssa.Function]map[*ssa.Function]bool{}
	add := func(callee, caller *ssa.Function) {
		if callers[callee] == nil {
			callers[callee] = map[*ssa.Function]bool{}
		}
		callers[callee][caller] = true
	}
	for fn, node := range cg.Nodes {
		for _, e := range node.Out {
			if fn != nil {
				add(e.Callee.Func, fn)
			}
		}
	}
	var operands []*ssa.Value
	for fn := range funcs {
		for _, anon := range fn.AnonFuncs {
			add(anon, fn)
		}
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				for _, op := range instr.Operands(operands[:0]) {
					if g, ok := (*op).(*ssa.Function); ok {
						add(g, fn)
					}
				}
			}
		}
	}
	return callers
}

// isHasherEntry reports whether fn is one of the hasher's methods that
// hash or verify.
func isHasherEntry(fn *ssa.Function) bool {
	if fn == nil { // the call graph's root node
		return false
	}
	recv := fn.Signature.Recv()
	if recv == nil || fn.Pkg == nil || fn.Pkg.Pkg.Path() != "github.com/usergraph/usergraph/password" {
		return false
	}
	return strings.HasSuffix(recv.Type().String(), ".Hasher") &&
		(fn.Name() == "Hash" || fn.Name() == "Verify" || fn.Name() == "VerifyDummy")
}

// resolverField maps a gqlgen resolver method, (*mutationResolver).Login,
// to its field, Mutation.login.
func resolverField(fn *ssa.Function) (string, bool) {
	if fn == nil {
		return "", false
	}
	recv := fn.Signature.Recv()
	if recv == nil || fn.Pkg == nil || fn.Pkg.Pkg.Path() != "github.com/usergraph/usergraph/resolvers" {
		return "", false
	}
	typ := recv.Type().String()
	typ = typ[strings.LastIndex(typ, ".")+1:]
	obj, ok := strings.CutSuffix(typ, "Resolver")
	if !ok || obj == "" {
		return "", false // the root Resolver: its methods return the resolvers
	}
	return strings.ToUpper(obj[:1]) + obj[1:] + "." + strings.ToLower(fn.Name()[:1]) + fn.Name()[1:], true
}
