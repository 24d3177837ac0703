package access

import (
	"regexp/syntax"
	"strings"
	"testing"

	"github.com/gobwas/glob"
	"github.com/usergraph/usergraph/apperr"
)

// FuzzPattern compiles permission patterns and matches resources. It holds
// that:
//   - a pattern is either INVALID_PATTERN or within the bounds (bytes,
//     wildcards) and compiled to a regular expression whose program is
//     linear in the pattern: RE2 then matches in time linear in program
//     times resource, the bound that glob's backtracking lacks;
//   - where glob's own matcher is cheap enough to serve as the oracle (few
//     wildcards, short resources), both answer alike.
//
// The committed corpus (testdata/fuzz/FuzzPattern) holds the attack
// patterns: alternatives of stars, runs of ** and *, deep braces, classes,
// patterns one past the bounds.
func FuzzPattern(f *testing.F) {
	f.Add("/api/{v1,v2}/*/items/**", "/api/v2/x/items/a/b")
	f.Fuzz(func(t *testing.T, pattern, resource string) {
		re, err := compilePattern(pattern)
		if err != nil {
			if apperr.CodeOf(err) != apperr.InvalidPattern {
				t.Fatalf("compilePattern(%q): %v, want INVALID_PATTERN", pattern, err)
			}
			return
		}
		if len(pattern) > maxPatternLen || wildcards(pattern) > maxPatternWildcards {
			t.Fatalf("compilePattern(%q) accepted a pattern past the bounds", pattern)
		}
		if n, max := programSize(t, re.String()), instPerPatternByte*len(pattern)+8; n > max {
			t.Errorf("pattern of %d bytes compiled to %d instructions, want at most %d", len(pattern), n, max)
		}
		got := re.MatchString(resource)
		if wildcards(pattern) <= 4 && len(resource) <= 24 {
			if want := glob.MustCompile(pattern, '/').Match(resource); got != want {
				t.Errorf("pattern %q on %q: got %v, glob says %v (regexp %s)", pattern, resource, got, want, re)
			}
		}
	})
}

// instPerPatternByte bounds the RE2 program per pattern byte: each
// character is one instruction, a star a few.
const instPerPatternByte = 4

func programSize(t *testing.T, expr string) int {
	t.Helper()
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		t.Fatalf("parse %s: %v", expr, err)
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		t.Fatalf("compile %s: %v", expr, err)
	}
	return len(prog.Inst)
}

func TestPatternBounds(t *testing.T) {
	cases := []struct {
		pattern string
		ok      bool
	}{
		{strings.Repeat("a", maxPatternLen), true},
		{strings.Repeat("a", maxPatternLen+1), false},
		{strings.Repeat("{*,a}", 8) + "x", true}, // 16 wildcards
		{strings.Repeat("{*,a}", 8) + "x*", false},
		{strings.Repeat("**/", maxPatternWildcards), true},
		{strings.Repeat("**/", maxPatternWildcards+1), false},
		{"/a/\uFFFD", false},
		{"/a b", false},
		{"/a/{b", false},
	}
	for _, c := range cases {
		_, err := compilePattern(c.pattern)
		if got := err == nil; got != c.ok {
			t.Errorf("compilePattern(%.30q…): accepted %v, want %v (%v)", c.pattern, got, c.ok, err)
		}
	}
}

// A pattern whose alternatives hold stars makes glob's matcher backtrack
// through every way to split the resource (hours for this one); RE2 answers
// in one pass. The answers, not the time, are checked here.
func TestPatternAlternativesOfStars(t *testing.T) {
	re, err := compilePattern(strings.Repeat("{*,a}", 7) + "x*")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		resource string
		want     bool
	}{
		{strings.Repeat("a", maxResourceLen), false},
		{strings.Repeat("a", maxResourceLen-2) + "xy", true},
		{strings.Repeat("a", 100) + "/x", false}, // '*' stays in one segment
	} {
		if got := re.MatchString(c.resource); got != c.want {
			t.Errorf("match %.12q… (%d bytes): got %v, want %v", c.resource, len(c.resource), got, c.want)
		}
	}
}
