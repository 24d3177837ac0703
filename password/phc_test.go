package password_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/usergraph/usergraph/password"
)

func TestVerifyMalformedHash(t *testing.T) {
	const salt, key = "c2FsdHNhbHRzYWx0c2FsdA", "a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2V5a2U"
	valid := "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key
	tests := map[string]string{
		"empty":              "",
		"plain text":         "hunter22",
		"unknown scheme":     "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key,
		"bad version":        strings.Replace(valid, "v=19", "v=16", 1),
		"no version":         "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"m=0":                strings.Replace(valid, "m=64", "m=0", 1),
		"m below 8p":         strings.Replace(valid, "m=64,t=1,p=1", "m=8,t=1,p=2", 1),
		"m above bound":      strings.Replace(valid, "m=64", "m=4194305", 1),
		"m overflows uint32": strings.Replace(valid, "m=64", "m=4294967297", 1),
		"m negative":         strings.Replace(valid, "m=64", "m=-64", 1),
		"m leading zero":     strings.Replace(valid, "m=64", "m=064", 1),
		"m plus sign":        strings.Replace(valid, "m=64", "m=+64", 1),
		"t=0":                strings.Replace(valid, "t=1", "t=0", 1),
		"t huge":             strings.Replace(valid, "t=1", "t=100000", 1),
		"p=0":                strings.Replace(valid, "p=1", "p=0", 1),
		"p=256":              strings.Replace(valid, "p=1", "p=256", 1),
		"params reordered":   strings.Replace(valid, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		"params trailing":    strings.Replace(valid, "p=1", "p=1,k=2", 1),
		"salt not base64":    strings.Replace(valid, salt, "c2Fsd!!!", 1),
		"salt padded":        strings.Replace(valid, salt, salt+"==", 1),
		"salt too short":     strings.Replace(valid, salt, "c2FsdA", 1),
		"hash not base64":    strings.Replace(valid, key, "####", 1),
		"hash line break":    strings.Replace(valid, key, key[:8]+"\n"+key[8:], 1),
		"hash too short":     strings.Replace(valid, key, "a2V5", 1),
		"hash too long":      strings.Replace(valid, key, strings.Repeat("A", 100), 1),
		"empty hash":         strings.TrimSuffix(valid, key),
		"five fields":        "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"seven fields":       valid + "$extra",
		"no leading dollar":  strings.TrimPrefix(valid, "$"),
		"bcrypt truncated":   "$2a$10$abc",
		"bcrypt bad cost":    "$2a$xx$" + strings.Repeat("a", 53),
		"bcrypt cost 31":     "$2a$31$" + strings.Repeat("a", 53),
		"bcrypt cost 15":     "$2b$15$" + strings.Repeat("a", 53),
		"bcrypt bad base64":  "$2b$04$" + strings.Repeat("!", 53),
	}
	h := password.NewHasher(cheap, 1)
	if _, _, err := h.Verify(context.Background(), "x", valid); err != nil {
		t.Fatalf("the untampered hash does not parse: %v", err)
	}
	for name, enc := range tests {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := h.Verify(context.Background(), "x", enc)
			if !errors.Is(err, password.ErrInvalidHash) || ok || rehash {
				t.Errorf("Verify(%q) = %v, %v, %v; want false, false, ErrInvalidHash", enc, ok, rehash, err)
			}
		})
	}
}

func TestParamsValidate(t *testing.T) {
	bad := []password.Params{
		{Memory: 64, Iterations: 0, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 0, SaltLength: 16, KeyLength: 32},
		{Memory: 4, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: password.MaxMemory + 1, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 4, KeyLength: 32},
		{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 8},
	}
	for _, p := range bad {
		if err := p.Validate(); err == nil {
			t.Errorf("%+v.Validate() = nil, want an error", p)
		}
	}
}

// A stored hash may cost at most 4× what the hasher's own hashes cost (in
// memory, and in memory × iterations) and use at most 16 lanes: within
// that it verifies as usual; beyond it, it is an invalid hash, refused
// before any work, however genuine its key.
func TestVerifyStoredParameterBounds(t *testing.T) {
	ctx := context.Background()
	// Configured: 256 KiB × 2 iterations = 512; 4× is 1024 KiB and 2048.
	h := password.NewHasher(password.Params{Memory: 256, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1)
	salt := []byte("0123456789abcdef")
	stored := func(m, t uint32, p uint8) string {
		key := argon2.IDKey([]byte("stored"), salt, t, m, p, 32)
		return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", m, t, p,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
	}
	within := []struct {
		m, t uint32
		p    uint8
	}{
		{1024, 2, 1}, // 4× the memory and the work
		{512, 4, 1},  // 2× the memory, 4× the work
		{128, 16, 1}, // fewer KiB, more iterations: the same work (OWASP's trade)
		{256, 2, 16}, // 16 lanes
	}
	for _, c := range within {
		if ok, rehash, err := h.Verify(ctx, "stored", stored(c.m, c.t, c.p)); !ok || !rehash || err != nil {
			t.Errorf("m=%d,t=%d,p=%d: Verify = %v, %v, %v; want true, true, nil", c.m, c.t, c.p, ok, rehash, err)
		}
	}
	before := h.Stats().Hashes
	beyond := []struct {
		m, t uint32
		p    uint8
	}{
		{1025, 1, 1}, // memory above 4×
		{1024, 3, 1}, // work above 4×
		{256, 9, 1},  // work above 4× through iterations alone
		{256, 2, 17}, // lanes above 16
	}
	for _, c := range beyond {
		ok, rehash, err := h.Verify(ctx, "stored", stored(c.m, c.t, c.p))
		if !errors.Is(err, password.ErrInvalidHash) || ok || rehash {
			t.Errorf("m=%d,t=%d,p=%d: Verify = %v, %v, %v; want false, false, ErrInvalidHash", c.m, c.t, c.p, ok, rehash, err)
		}
	}
	if got := h.Stats().Hashes - before; got != 0 {
		t.Errorf("%d hashes computed for out-of-bounds stored hashes, want 0", got)
	}
}
