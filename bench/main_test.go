package main

import (
	"reflect"
	"testing"
	"time"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"  -a  b ", []string{"-a", "b"}},
		{`-database-url "sqlite:./my data/x.db" -x`, []string{"-database-url", "sqlite:./my data/x.db", "-x"}},
		{`-k 'a "b" c' d\ e`, []string{"-k", `a "b" c`, "d e"}},
		{`"a\"b"`, []string{`a"b`}},
		{`''`, []string{""}},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{`"open`, `'open`} {
		if _, err := splitArgs(bad); err == nil {
			t.Errorf("splitArgs(%q): no error", bad)
		}
	}
}

func TestFlagValueAndAdopt(t *testing.T) {
	args := []string{"-database-url", "sqlite:x", "--argon2-iterations=3", "-argon2-memory-kib", "4096"}
	if v, ok := flagValue(args, "database-url"); !ok || v != "sqlite:x" {
		t.Errorf("flagValue(database-url) = %q, %v", v, ok)
	}
	if _, ok := flagValue(args, "listen"); ok {
		t.Errorf("flagValue(listen) found a value")
	}
	a := argonFlags{Memory: 19456, Iterations: 2, Parallelism: 1}
	if err := a.adopt(args, map[string]bool{"argon2-memory-kib": true}); err != nil {
		t.Fatal(err)
	}
	if want := (argonFlags{Memory: 19456, Iterations: 3, Parallelism: 1}); a != want {
		t.Errorf("adopt = %+v, want %+v (flags given to the tool win)", a, want)
	}
}

func TestParseScenarios(t *testing.T) {
	got, err := parseScenarios(" healthz, me ,")
	if err != nil || !reflect.DeepEqual(got, []string{"healthz", "me"}) {
		t.Errorf("parseScenarios = %q, %v", got, err)
	}
	if _, err := parseScenarios("healthz,nope"); err == nil {
		t.Error("unknown scenario accepted")
	}
	if all, _ := parseScenarios("all"); len(all) != len(allScenarios) {
		t.Errorf("all = %q", all)
	}
	if none, err := parseScenarios("none"); err != nil || len(none) != 0 {
		t.Errorf("none = %q, %v", none, err)
	}
}

func TestPoolUser(t *testing.T) {
	seen := map[int]bool{}
	for i := range 32 {
		u := poolUser(i, 32, 1_000_000)
		if u < 0 || u >= 1_000_000 || seen[u] {
			t.Fatalf("poolUser(%d) = %d: out of range or repeated", i, u)
		}
		seen[u] = true
	}
	if got := poolUser(7, 10, 5); got != 2 {
		t.Errorf("poolUser(7, 10, 5) = %d, want 2", got)
	}
}

func TestSeededRecord(t *testing.T) {
	u := seededRecord(1234, 1000, "user", "$argon2id$x", time.Unix(0, 0))
	if u.Username != "bench-1234" || u.EmailKey != "bench-1234@example.com" || u.UsernameKey != "bench-1234" {
		t.Errorf("identifiers %q %q %q", u.Username, u.UsernameKey, u.EmailKey)
	}
	if got, want := string(u.Metadata), `{"org":"org-234","plan":"pro","n":1234}`; got != want {
		t.Errorf("metadata %s, want %s", got, want)
	}
	if !reflect.DeepEqual(u.Roles, []string{"user"}) || u.PasswordHash != "$argon2id$x" {
		t.Errorf("roles %q, hash %q", u.Roles, u.PasswordHash)
	}
}
