package password_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/usergraph/usergraph/password"
)

// The hasher reuses argon2 memory across hashes (password/internal/argon2).
// Many hashes at once through two slots must each equal what upstream's
// argon2 computes from the hash's own salt.
func TestHashesInReusedMemoryMatchUpstream(t *testing.T) {
	p := password.Params{Memory: 256, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	h := password.NewHasher(p, 2)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			plain := fmt.Sprintf("password %d", i)
			enc, err := h.Hash(context.Background(), plain)
			if err != nil {
				t.Error(err)
				return
			}
			salt, key := phcSaltKey(t, enc)
			if want := argon2.IDKey([]byte(plain), salt, p.Iterations, p.Memory, p.Parallelism, p.KeyLength); string(key) != string(want) {
				t.Errorf("%q: key %x, upstream argon2 %x", plain, key, want)
			}
		})
	}
	wg.Wait()
}

// Stored hashes made with less or more memory than the hasher's own (the
// kept memory serves the first, the second gets its own) verify, and their
// wrong passwords do not.
func TestVerifyOtherMemorySizes(t *testing.T) {
	// Iterations 2: stored hashes may cost up to 4× the hasher's in memory
	// × iterations, and the largest below is 1024 KiB × 2.
	h := password.NewHasher(password.Params{Memory: 256, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}, 1)
	salt := []byte("0123456789abcdef")
	for _, m := range []uint32{64, 256, 1024, 64} {
		key := argon2.IDKey([]byte("stored"), salt, 2, m, 2, 32)
		enc := fmt.Sprintf("$argon2id$v=19$m=%d,t=2,p=2$%s$%s", m,
			base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
		if ok, _, err := h.Verify(context.Background(), "stored", enc); !ok || err != nil {
			t.Errorf("m=%d: Verify(right password) = %v, %v", m, ok, err)
		}
		if ok, _, err := h.Verify(context.Background(), "wrong", enc); ok || err != nil {
			t.Errorf("m=%d: Verify(wrong password) = %v, %v", m, ok, err)
		}
	}
}

func phcSaltKey(t *testing.T, enc string) (salt, key []byte) {
	t.Helper()
	f := strings.Split(enc, "$")
	if len(f) != 6 {
		t.Fatalf("not a PHC string: %q", enc)
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(f[4])
	key, err2 := base64.RawStdEncoding.DecodeString(f[5])
	if err1 != nil || err2 != nil {
		t.Fatalf("PHC string %q: salt %v, key %v", enc, err1, err2)
	}
	return salt, key
}
