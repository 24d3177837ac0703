package account

import (
	"slices"
	"testing"
)

func TestScriptRule(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		scripts []string // scriptsOf
		ok      bool     // highlyRestrictive
	}{
		{"Latin", "alice", []string{"Latin"}, true},
		{"Latin with accents", "émilie", []string{"Latin"}, true},
		{"Latin with digits and punctuation", "john_doe-2.0", []string{"Latin"}, true},
		{"Latin with a combining mark (Inherited)", "a\u0301b", []string{"Latin"}, true},
		{"digits only", "2024", nil, true},
		{"punctuation and digits only", "1.2_3-4", nil, true},
		{"Cyrillic", "иван", []string{"Cyrillic"}, true},
		{"Cyrillic with digits", "иван42", []string{"Cyrillic"}, true},
		{"Greek", "αλφα", []string{"Greek"}, true},
		{"Arabic", "مرحبا", []string{"Arabic"}, true},
		{"Hebrew", "שלום", []string{"Hebrew"}, true},
		{"Latin with one Cyrillic o", "r\u043eot", []string{"Cyrillic", "Latin"}, false},
		{"Latin with two Cyrillic a", "p\u0430yp\u0430l", []string{"Cyrillic", "Latin"}, false},
		{"Latin with a Greek alpha", "\u03b1dmin", []string{"Greek", "Latin"}, false},
		{"Greek and Cyrillic", "αβгд", []string{"Cyrillic", "Greek"}, false},
		{"Japanese: Han, Hiragana, Katakana", "山田たろうタロウ", []string{"Han", "Hiragana", "Katakana"}, true},
		{"Japanese with Latin", "tokyo東京タワー", []string{"Han", "Katakana", "Latin"}, true},
		{"Japanese with the prolonged sound mark (Common)", "ラーメン", []string{"Katakana"}, true},
		{"Chinese: Han and Bopomofo", "ㄅㄆ中文", []string{"Bopomofo", "Han"}, true},
		{"Chinese with Latin", "wang王", []string{"Han", "Latin"}, true},
		{"Korean: Hangul", "김철수", []string{"Hangul"}, true},
		{"Korean: Hangul, Han and Latin", "kim金철수", []string{"Han", "Hangul", "Latin"}, true},
		{"Hangul and Hiragana", "김たろう", []string{"Hangul", "Hiragana"}, false},
		{"Hangul and Katakana", "카타カナ", []string{"Hangul", "Katakana"}, false},
		{"Bopomofo and Hangul", "ㄅ김", []string{"Bopomofo", "Hangul"}, false},
		{"Bopomofo and Hiragana", "ㄅた", []string{"Bopomofo", "Hiragana"}, false},
		{"Han and Cyrillic", "王иван", []string{"Cyrillic", "Han"}, false},
		{"unassigned code point", "ab\U000E0080", []string{"Latin", "Unknown"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := scriptsOf(tc.in)
			if !slices.Equal(got, tc.scripts) {
				t.Errorf("scriptsOf(%q) = %q, want %q", tc.in, got, tc.scripts)
			}
			if ok := highlyRestrictive(got); ok != tc.ok {
				t.Errorf("highlyRestrictive(%q) = %v, want %v", got, ok, tc.ok)
			}
		})
	}
}

// The fast paths of scriptsOf (ASCII, the script of the previous rune)
// agree with a plain lookup of every rune.
func TestScriptsOfFastPaths(t *testing.T) {
	for _, s := range []string{"aиbαc", "иaи", "山a山たa", "z9ж"} {
		var want []string
		for _, r := range s {
			name, _ := scriptOf(r)
			if name != "Common" && name != "Inherited" && !slices.Contains(want, name) {
				want = append(want, name)
			}
		}
		slices.Sort(want)
		if got := scriptsOf(s); !slices.Equal(got, want) {
			t.Errorf("scriptsOf(%q) = %q, want %q", s, got, want)
		}
	}
}
