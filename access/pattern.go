package access

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gobwas/glob"
	"github.com/gobwas/glob/syntax"
	"github.com/usergraph/usergraph/apperr"
)

// Patterns are globs over resource paths with '/' as the separator: `*`
// matches within one segment, `**` across segments, `?` one character,
// `[a-z]` a class and `{a,b}` alternatives.
//
// gobwas/glob defines the syntax (it parses every pattern, and its lexer
// splits it), but a pattern is matched as the equivalent RE2 regular
// expression: glob's matcher backtracks, and alternatives that hold stars
// (`{*,a}{*,a}…x*`) make it exponential, while RE2 matches in time linear in
// the pattern times the resource. Both are bounded in bytes first, and a
// pattern in wildcards too: each one a resource can hold open multiplies
// the work per byte of the resource (about 2 ms per match at the bounds).
const (
	maxPatternLen       = 256
	maxPatternWildcards = 16   // `*`, `**`, `?`, `[…]` and `{…}` groups
	maxResourceLen      = 2048 // after NormalizeResource
	maxPermissions      = 100  // of one role
)

// compilePattern checks and compiles a permission pattern.
func compilePattern(p string) (*regexp.Regexp, error) {
	if p == "" || len(p) > maxPatternLen || strings.IndexFunc(p, invalidRune) >= 0 {
		return nil, apperr.New(apperr.InvalidPattern, "a pattern is 1 to %d printable characters without spaces", maxPatternLen).OnField("pattern")
	}
	if wildcards(p) > maxPatternWildcards {
		return nil, apperr.New(apperr.InvalidPattern, "a pattern has at most %d wildcards (*, **, ?, [...] and {...})", maxPatternWildcards).OnField("pattern")
	}
	if _, err := glob.Compile(p, '/'); err != nil {
		return nil, apperr.New(apperr.InvalidPattern, "pattern %q is not a valid glob", p).OnField("pattern")
	}
	re, err := regexp.Compile(globRegexp(p))
	if err != nil { // glob accepted it: a bug in globRegexp, not the client's
		return nil, apperr.New(apperr.InvalidPattern, "pattern %q is not supported", p).OnField("pattern")
	}
	return re, nil
}

// wildcards counts the wildcards of p (a lexer's error ends the count;
// glob.Compile reports it).
func wildcards(p string) int {
	n := 0
	lex := syntax.NewLexer(p)
	for t := lex.Next(); t.Type != syntax.EOF && t.Type != syntax.Error; t = lex.Next() {
		switch t.Type {
		case syntax.Any, syntax.Super, syntax.Single, syntax.RangeOpen, syntax.TermsOpen:
			n++
		}
	}
	return n
}

// invalidRune refuses spaces, unprintable characters and U+FFFD (a
// pattern must not match the stand-in for invalid UTF-8 in a resource).
func invalidRune(r rune) bool {
	return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == utf8.RuneError
}

// globRegexp translates a pattern glob accepted, token by token, into an
// anchored regular expression with the same meaning. (?s): `**` and classes
// match newlines too, as in glob.
func globRegexp(p string) string {
	var b strings.Builder
	b.WriteString(`(?s)\A(?:`)
	lex := syntax.NewLexer(p)
	for t := lex.Next(); t.Type != syntax.EOF && t.Type != syntax.Error; t = lex.Next() {
		switch t.Type {
		case syntax.Text:
			b.WriteString(regexp.QuoteMeta(t.Data))
		case syntax.Any:
			b.WriteString(`[^/]*`)
		case syntax.Super:
			b.WriteString(`.*`)
		case syntax.Single:
			b.WriteString(`[^/]`)
		case syntax.TermsOpen:
			b.WriteString(`(?:`)
		case syntax.TermSeparator:
			b.WriteString(`|`)
		case syntax.TermsClose:
			b.WriteString(`)`)
		case syntax.RangeOpen:
			writeClass(&b, lex)
		}
	}
	b.WriteString(`)\z`)
	return b.String()
}

// writeClass translates a character class, `[abc]`, `[!abc]`, `[a-c]` or
// `[!a-c]`, whose `[` was just read. Every character is written as \x{…},
// so none is special. glob's classes, negated ones included, may match '/'.
func writeClass(b *strings.Builder, lex *syntax.Lexer) {
	b.WriteString(`[`)
	for t := lex.Next(); t.Type != syntax.RangeClose && t.Type != syntax.EOF && t.Type != syntax.Error; t = lex.Next() {
		switch t.Type {
		case syntax.Not:
			b.WriteString(`^`)
		case syntax.Text, syntax.RangeLo, syntax.RangeHi:
			for _, r := range t.Data {
				b.WriteString(`\x{` + strconv.FormatInt(int64(r), 16) + `}`)
			}
		case syntax.RangeBetween:
			b.WriteString(`-`)
		}
	}
	b.WriteString(`]`)
}

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
