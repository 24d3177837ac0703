package password_test

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/password"
)

// Firebase's published example (github.com/firebase/scrypt, README): the
// password hash parameters of a sample project and one exported user.
var firebaseExample = struct {
	signerKey, saltSeparator, salt, hash, password string
	rounds, memCost                                int
}{
	signerKey:     "jxspr8Ki0RYycVU8zykbdLGjFQ3McFUH0uiiTvC8pVMXAn210wjLNmdZJzxUECKbm0QsEmYUSDzZvpjeJ9WmXA==",
	saltSeparator: "Bw==",
	salt:          "42xEC+ixf3L2lw==",
	hash:          "lSrfV15cpx95/sZS2W9c9Kp6i/LVgQNDNC/qzrCnh1SAyZvqmZqAjTdn3aoItz+VHjoZilo78198JAdRuid5lQ==",
	password:      "user1password",
	rounds:        8,
	memCost:       14,
}

func std(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func firebaseExampleHash(t *testing.T) string {
	e := firebaseExample
	p := password.FirebaseParams{SignerKey: std(t, e.signerKey), SaltSeparator: std(t, e.saltSeparator), Rounds: e.rounds, MemCost: e.memCost}
	return password.EncodeFirebase(p, std(t, e.salt), std(t, e.hash))
}

// firebaseHasher bounds stored hashes by 4 MiB argon2id: 16 MiB, which
// Firebase's default parameters (r=8, N=2^14) need exactly.
func firebaseHasher() *password.Hasher {
	p := cheap
	p.Memory = 4096
	return password.NewHasher(p, 1)
}

func TestVerifyFirebaseExample(t *testing.T) {
	h, enc := firebaseHasher(), firebaseExampleHash(t)
	for _, tc := range []struct {
		plain string
		want  bool
	}{{firebaseExample.password, true}, {"user1passwore", false}, {"", false}} {
		ok, rehash, err := h.Verify(context.Background(), tc.plain, enc)
		if err != nil || ok != tc.want || rehash != tc.want {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, %v, nil", tc.plain, ok, rehash, err, tc.want, tc.want)
		}
	}
}

func pbkdf2Hash(t *testing.T, digest string, iter int, plain string) string {
	t.Helper()
	salt := []byte("sixteen byte salt")
	var key []byte
	var err error
	switch digest {
	case "sha1":
		key, err = pbkdf2.Key(sha1.New, plain, salt, iter, 20)
	case "sha256":
		key, err = pbkdf2.Key(sha256.New, plain, salt, iter, 32)
	case "sha512":
		key, err = pbkdf2.Key(sha512.New, plain, salt, iter, 64)
	}
	if err != nil {
		t.Fatal(err)
	}
	return password.EncodePBKDF2(digest, iter, salt, key)
}

func TestVerifyPBKDF2(t *testing.T) {
	h := password.NewHasher(cheap, 1)
	for _, digest := range []string{"sha1", "sha256", "sha512"} {
		enc := pbkdf2Hash(t, digest, 1000, "correct horse")
		ok, rehash, err := h.Verify(context.Background(), "correct horse", enc)
		if err != nil || !ok || !rehash {
			t.Errorf("%s: Verify(right) = %v, %v, %v; want true, true, nil", digest, ok, rehash, err)
		}
		ok, _, err = h.Verify(context.Background(), "correct horsf", enc)
		if err != nil || ok {
			t.Errorf("%s: Verify(wrong) = %v, %v; want false, nil", digest, ok, err)
		}
	}
}

// TestPBKDF2KnownAnswer: RFC 7914 §11's PBKDF2-HMAC-SHA256 vector
// (P="Password", S="NaCl", c=80000, dkLen=64), spelled in the stored form,
// verifies; its 4-byte salt is shorter than new hashes get, as imported
// ones may be.
func TestPBKDF2KnownAnswer(t *testing.T) {
	key, err := hex.DecodeString("4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56" +
		"a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d")
	if err != nil {
		t.Fatal(err)
	}
	enc := password.EncodePBKDF2("sha256", 80000, []byte("NaCl"), key)
	ok, rehash, err := password.NewHasher(cheap, 1).Verify(context.Background(), "Password", enc)
	if err != nil || !ok || !rehash {
		t.Fatalf("Verify(RFC 7914 vector) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

// TestCheckImported: Check accepts what Verify can check and refuses,
// without computing, what it would refuse.
func TestCheckImported(t *testing.T) {
	h := firebaseHasher()
	good := []string{
		firebaseExampleHash(t),
		pbkdf2Hash(t, "sha256", 1000, "x"),
		"$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	}
	for _, enc := range good {
		if err := h.Check(enc); err != nil {
			t.Errorf("Check(%.30s…) = %v, want nil", enc, err)
		}
	}
	bad := map[string]string{
		"unknown scheme":          "$md5$abc",
		"pbkdf2 too many":         strings.Replace(pbkdf2Hash(t, "sha256", 1000, "x"), "i=1000", "i=2000001", 1),
		"pbkdf2 unknown digest":   strings.Replace(pbkdf2Hash(t, "sha256", 1000, "x"), "sha256", "md5", 1),
		"pbkdf2 leading zero":     strings.Replace(pbkdf2Hash(t, "sha256", 1000, "x"), "i=1000", "i=01000", 1),
		"firebase memory":         strings.Replace(firebaseExampleHash(t), "m=14", "m=15", 1),
		"firebase rounds":         strings.Replace(firebaseExampleHash(t), "r=8", "r=33", 1),
		"firebase noncanonical":   strings.Replace(firebaseExampleHash(t), "r=8", "r=08", 1),
		"bcrypt cost above bound": "$2a$15$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
	}
	for name, enc := range bad {
		if err := h.Check(enc); !errors.Is(err, password.ErrInvalidHash) {
			t.Errorf("%s: Check = %v, want ErrInvalidHash", name, err)
		}
		if _, _, err := h.Verify(context.Background(), "x", enc); !errors.Is(err, password.ErrInvalidHash) {
			t.Errorf("%s: Verify = %v, want ErrInvalidHash", name, err)
		}
	}
}
