package account

import (
	"slices"
	"unicode"
	"unicode/utf8"
)

// The script rule of usernames: Unicode TS #39 (Security Mechanisms),
// section 5.2, restriction level "Highly Restrictive". A name's
// characters come from one script, or from one of the combinations that
// Japanese, Chinese and Korean writing use, where each script is a
// subset of the combination. Characters of the Common and Inherited
// scripts (digits, '.', '_', '-', combining marks) go with any.
//
// Go's unicode package has the Script property but not
// Script_Extensions, which TS #39 resolves with; the difference concerns
// a few shared marks (such as the prolonged sound mark ー, Common here and
// Hiragana/Katakana there), which are Common and so allowed with any
// script either way.
var highlyRestrictiveSets = [][]string{
	{"Han", "Hiragana", "Katakana", "Latin"},
	{"Bopomofo", "Han", "Latin"},
	{"Han", "Hangul", "Latin"},
}

// highlyRestrictive reports whether the scripts of a name (scriptsOf) pass
// the script rule.
func highlyRestrictive(scripts []string) bool {
	if len(scripts) <= 1 {
		return true
	}
	for _, set := range highlyRestrictiveSets {
		if !slices.ContainsFunc(scripts, func(sc string) bool { return !slices.Contains(set, sc) }) {
			return true
		}
	}
	return false
}

// scriptsOf returns the scripts of s's characters, leaving out Common and
// Inherited, sorted and without repeats. A code point in no script table
// (unassigned) counts as the script "Unknown", which mixes with nothing.
func scriptsOf(s string) []string {
	var out []string
	var last *unicode.RangeTable // names rarely change script: try it first
	lastName := ""
	for _, r := range s {
		name := ""
		switch {
		case r < utf8.RuneSelf:
			if unicode.IsLetter(r) {
				name = "Latin"
			}
		case last != nil && unicode.Is(last, r):
			name = lastName
		default:
			name, last = scriptOf(r)
			lastName = name
		}
		if name != "" && name != "Common" && name != "Inherited" && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// scriptOf finds r's script in unicode.Scripts (each code point is in at
// most one).
func scriptOf(r rune) (string, *unicode.RangeTable) {
	for name, table := range unicode.Scripts {
		if unicode.Is(table, r) {
			return name, table
		}
	}
	return "Unknown", nil
}
