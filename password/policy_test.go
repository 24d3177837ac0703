package password_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/password"
)

func TestPolicyCheck(t *testing.T) {
	tests := []struct {
		name    string
		policy  password.Policy
		pw      string
		related []string
		reason  string // "" means accepted
	}{
		{"too short", password.Policy{}, "abc1234", nil, "password must be at least 8 characters"},
		{"min length ok", password.Policy{}, "vq7#kLm2", nil, ""},
		{"too long", password.Policy{}, strings.Repeat("x", 1025), nil, "password must be at most 1024 characters"},
		{"max length ok", password.Policy{}, strings.Repeat("xy", 512), nil, ""},
		{"custom bounds", password.Policy{MinLength: 12, MaxLength: 16}, "vq7#kLm2zz", nil, "password must be at least 12 characters"},
		{"common", password.Policy{}, "password1", nil, "password is too common"},
		{"common any case", password.Policy{}, "Password1", nil, "password is too common"},
		{"common upper case", password.Policy{}, "TRUSTNO1", nil, "password is too common"},
		{"common plus suffix", password.Policy{}, "trustno1-vq7#k", nil, ""},
		{"equals username", password.Policy{}, "Alice.Smith", []string{"alice.smith", "alice@example.com"}, "password must not be the same as your username or email"},
		{"equals email", password.Policy{}, "alice@example.com", []string{"alice.smith", "ALICE@example.com"}, "password must not be the same as your username or email"},
		{"empty related ignored", password.Policy{}, "vq7#kLm2", []string{""}, ""},
		{"8 multi-byte runes", password.Policy{}, "пароль🔑й", nil, ""},
		{"7 multi-byte runes", password.Policy{}, "пароль🔑", nil, "password must be at least 8 characters"},
		{"no composition rules", password.Policy{}, "correct horse battery staple", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.policy.Check(tt.pw, tt.related...)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("Check(%q) = %v, want nil", tt.pw, err)
				}
				return
			}
			var weak *password.WeakPasswordError
			if !errors.As(err, &weak) {
				t.Fatalf("Check(%q) = %v (%T), want *WeakPasswordError", tt.pw, err, err)
			}
			if got := weak.Reason; got != tt.reason {
				t.Errorf("Check(%q) reason = %q, want %q", tt.pw, got, tt.reason)
			}
			if got := err.Error(); got != tt.reason {
				t.Errorf("Check(%q).Error() = %q, want %q", tt.pw, got, tt.reason)
			}
		})
	}
}
