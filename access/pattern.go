package access

import (
	"strings"
	"unicode"

	"github.com/gobwas/glob"
	"github.com/usergraph/usergraph/apperr"
)

// Patterns are globs over resource paths with '/' as the separator: `*`
// matches within one segment, `**` across segments, `?` one character,
// `[a-z]` a class and `{a,b}` alternatives.
const maxPatternLen = 256

// compilePattern checks and compiles a permission pattern.
func compilePattern(p string) (*glob.Pattern, error) {
	if p == "" || len(p) > maxPatternLen || strings.IndexFunc(p, invalidRune) >= 0 {
		return nil, apperr.New(apperr.InvalidPattern, "a pattern is 1 to %d printable characters without spaces", maxPatternLen).OnField("pattern")
	}
	g, err := glob.Compile(p, '/')
	if err != nil {
		return nil, apperr.New(apperr.InvalidPattern, "pattern %q is not a valid glob", p).OnField("pattern")
	}
	return g, nil
}

func invalidRune(r rune) bool { return unicode.IsSpace(r) || !unicode.IsPrint(r) }

// NormalizeResource turns a request path or resource into the form patterns
// match: no query string or fragment, no trailing slash (except "/").
func NormalizeResource(r string) string {
	if i := strings.IndexAny(r, "?#"); i >= 0 {
		r = r[:i]
	}
	if len(r) > 1 {
		r = strings.TrimRight(r, "/")
	}
	return r
}
