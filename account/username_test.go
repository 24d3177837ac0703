package account

import (
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

func TestCheckUsernameNormalizes(t *testing.T) {
	han4 := "\U00020000" // a Han letter of 4 bytes in UTF-8
	cases := []struct {
		name, in          string
		caseSensitive     bool
		wantName, wantKey string
	}{
		{"ASCII", "root", false, "root", "root"},
		{"case is kept for show, mapped in the key", "Root", false, "Root", "root"},
		{"full-width", "ｒｏｏｔ", false, "root", "root"},
		{"full-width upper case", "ＲＯＯＴ", false, "ROOT", "root"},
		{"surrounding spaces", "  alice  ", false, "alice", "alice"},
		{"decomposed accent to NFC", "e\u0301mile", false, "émile", "émile"},
		{"sharp s", "Straße", false, "Straße", "straße"},
		{"Greek final sigma lower-cased as sigma", "ΣΑΣ", false, "ΣΑΣ", "σασ"},
		{"half-width katakana to full width", "ｱｲｳ", false, "アイウ", "アイウ"},
		{"Japanese mix", "山田タロウ", false, "山田タロウ", "山田タロウ"},
		{"64 characters of 4 bytes", strings.Repeat(han4, 64), false, strings.Repeat(han4, 64), strings.Repeat(han4, 64)},
		{"case-sensitive keeps case in the key", "Root", true, "Root", "Root"},
		{"case-sensitive still maps width", "ＲＯＯＴ", true, "ROOT", "ROOT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{cfg: Config{UsernameCaseSensitive: tc.caseSensitive}}
			name, key, err := s.checkUsername(tc.in)
			if err != nil {
				t.Fatalf("checkUsername(%q): %v", tc.in, err)
			}
			if name != tc.wantName || key != tc.wantKey {
				t.Errorf("checkUsername(%q) = %q, %q; want %q, %q", tc.in, name, key, tc.wantName, tc.wantKey)
			}
		})
	}
}

func TestCheckUsernameRefuses(t *testing.T) {
	han4 := "\U00020000"
	cases := []struct {
		name, in string
		mixes    bool // refused by the script rule (its own message)
	}{
		{"empty", "", false},
		{"one character", "a", false},
		{"65 characters", strings.Repeat("a", 65), false},
		{"more bytes than 64 characters can have", strings.Repeat(han4, 65), false},
		{"bounded in bytes before trimming", " " + strings.Repeat(han4, 64), false},
		{"space inside", "a b", false},
		{"at sign", "a@b", false},
		{"full-width at sign", "ａ＠ｂ", false},
		{"starts with punctuation", "_alice", false},
		{"symbol", "a$b", false},
		{"zero-width joiner", "ab\u200d", false},
		{"title-case digraph (PRECIS disallows)", "ǅemal", false},
		{"right-to-left and left-to-right (Bidi rule)", "abcשלום", false},
		{"Latin with Cyrillic o", "r\u043eot", true},
		{"Latin with Greek omicron", "r\u03bfot", true},
		{"Hangul with Katakana", "카타カナ", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{cfg: Config{}}
			_, _, err := s.checkUsername(tc.in)
			e, ok := apperr.As(err)
			if !ok || e.Code != apperr.InvalidUsername || e.Status != 900 || e.Field != "username" {
				t.Fatalf("checkUsername(%q) error = %v, want INVALID_USERNAME 900 on username", tc.in, err)
			}
			if got := strings.Contains(e.Message, "mixes the scripts"); got != tc.mixes {
				t.Errorf("message %q: names mixed scripts = %v, want %v", e.Message, got, tc.mixes)
			}
		})
	}
}

func TestLookupKeys(t *testing.T) {
	cases := []struct {
		name          string
		in            string
		caseSensitive bool
		want          []string
	}{
		{"normal form: one key", "root", false, []string{"root"}},
		{"upper case folds to the same key", "ROOT", false, []string{"root"}},
		{"full-width: old key first, then the PRECIS key", "ＲＯＯＴ", false, []string{"ｒｏｏｔ", "root"}},
		{"refused by the rules: the old key only", "r\u043eot", false, []string{"r\u043eot"}},
		{"case-sensitive full-width", "Ｒｏｏｔ", true, []string{"Ｒｏｏｔ", "Root"}},
		{"case-sensitive keeps case", "Root", true, []string{"Root"}},
		{"too long: none", strings.Repeat("a", maxUsernameBytes+1), false, nil},
		{"blank: none", "  ", false, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &Service{cfg: Config{UsernameCaseSensitive: tc.caseSensitive}}
			if got := s.lookupKeys(tc.in); !slices.Equal(got, tc.want) {
				t.Errorf("lookupKeys(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// Usernames at every level of a filter become keys; the caller's filter is
// not changed, and nil and empty lists keep their meaning.
func TestWithUsernameKeys(t *testing.T) {
	s := &Service{}
	in := &store.UserFilter{
		Usernames: []string{"ＲＯＯＴ", "root", "Alice"},
		And:       []store.UserFilter{{Usernames: []string{}}},
		Or:        []store.UserFilter{{Usernames: []string{"Ｂｏｂ"}}, {IDs: []string{"x"}}},
		Not:       &store.UserFilter{Usernames: []string{"CAROL"}},
	}
	got := s.withUsernameKeys(in)
	if want := []string{"ｒｏｏｔ", "root", "alice"}; !slices.Equal(got.Usernames, want) {
		t.Errorf("usernames = %q, want %q", got.Usernames, want)
	}
	if u := got.And[0].Usernames; u == nil || len(u) != 0 {
		t.Errorf("and[0].usernames = %#v, want an empty non-nil list (matches nobody)", u)
	}
	if want := []string{"ｂｏｂ", "bob"}; !slices.Equal(got.Or[0].Usernames, want) {
		t.Errorf("or[0].usernames = %q, want %q", got.Or[0].Usernames, want)
	}
	if got.Or[1].Usernames != nil || !slices.Equal(got.Or[1].IDs, []string{"x"}) {
		t.Errorf("or[1] = %+v, want ids [x] and usernames unset", got.Or[1])
	}
	if want := []string{"carol"}; !slices.Equal(got.Not.Usernames, want) {
		t.Errorf("not.usernames = %q, want %q", got.Not.Usernames, want)
	}
	if in.Usernames[0] != "ＲＯＯＴ" || in.Or[0].Usernames[0] != "Ｂｏｂ" || in.Not.Usernames[0] != "CAROL" {
		t.Errorf("the caller's filter changed: %+v", in)
	}
	if s.withUsernameKeys(nil) != nil {
		t.Error("withUsernameKeys(nil) is not nil")
	}
}
