package account

import (
	"slices"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/apperr"
)

// A list is bounded by what is sent, before duplicates are dropped: the
// count is the first thing looked at.
func TestCheckTags(t *testing.T) {
	cases := []struct {
		name string
		in   []string
		want []string // nil: refused
	}{
		{"trimmed, duplicates dropped, order kept", []string{"b", " a ", "b", "a", "c"}, []string{"b", "a", "c"}},
		{"64 given", slices.Repeat([]string{"x"}, maxTags), []string{"x"}},
		{"65 given, one distinct", slices.Repeat([]string{"x"}, maxTags+1), nil},
		{"empty", []string{" "}, nil},
		{"64 four-byte characters", []string{strings.Repeat("𝒜", maxTagLen)}, []string{strings.Repeat("𝒜", maxTagLen)}},
		{"65 characters", []string{strings.Repeat("a", maxTagLen+1)}, nil},
		{"past the byte bound, short once trimmed", []string{strings.Repeat(" ", charBytes(maxTagLen)) + "a"}, nil},
	}
	for _, c := range cases {
		got, err := checkTags("addTags", c.in)
		if c.want == nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "addTags" {
				t.Errorf("%s: got %v, %v; want BAD_USER_INPUT on addTags", c.name, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// Byte bounds come first and never refuse a value the character rule
// accepts: four bytes per character.
func TestByteBoundsKeepValidValues(t *testing.T) {
	s := &Service{}
	if _, _, err := s.checkUsername(strings.Repeat("𠀀", maxUsernameLen)); err != nil {
		t.Errorf("a username of %d four-byte letters: %v", maxUsernameLen, err)
	}
	if _, _, err := s.checkUsername(strings.Repeat("a", charBytes(maxUsernameLen)+1)); apperr.CodeOf(err) != apperr.InvalidUsername {
		t.Errorf("a username past the byte bound: %v, want INVALID_USERNAME", err)
	}
	for field, n := range textLimits {
		if _, err := checkText(field, strings.Repeat("é", n)); err != nil && field != "website" && field != "avatarUrl" {
			t.Errorf("%s of %d two-byte characters: %v", field, n, err)
		}
		if _, err := checkText(field, strings.Repeat("a", charBytes(n)+1)); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("%s past the byte bound: %v, want BAD_USER_INPUT", field, err)
		}
	}
}

func TestRoleNamesToRemove(t *testing.T) {
	if got, err := roleNames("removeRoles", []string{" Staff ", "x"}); err != nil || !slices.Equal(got, []string{"staff", "x"}) {
		t.Errorf("roleNames: got %q, %v", got, err)
	}
	for _, in := range [][]string{slices.Repeat([]string{"x"}, maxRoles+1), {strings.Repeat("x", maxRoleBytes+1)}} {
		if _, err := roleNames("removeRoles", in); apperr.CodeOf(err) != apperr.BadUserInput {
			t.Errorf("roleNames(%d names, first of %d bytes): %v, want BAD_USER_INPUT", len(in), len(in[0]), err)
		}
	}
}
