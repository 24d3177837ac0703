package password

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"strconv"
	"strings"
)

// PBKDF2 hashes are accepted only to migrate users from systems that made
// them (Django, Werkzeug, passlib and many home-grown tables). They are
// stored in passlib's PHC-like spelling with our base64 (standard
// alphabet, no padding):
//
//	$pbkdf2-sha256$i=600000$<salt>$<key>
//
// sha1 and sha512 are the other digests accepted. A match always asks for
// a rehash to argon2id.

const pbkdf2Prefix = "$pbkdf2-"

// maxPBKDF2Iterations bounds a stored hash's work. PBKDF2 costs time, not
// memory: OWASP asks 600,000 iterations of SHA-256 today (about a fifth of a
// second), and 2,000,000 is some three times that; more is a tampered record.
const maxPBKDF2Iterations = 2_000_000

// pbkdf2Digests are the digests accepted, by the name in the prefix.
var pbkdf2Digests = map[string]func() hash.Hash{
	"sha1":   sha1.New,
	"sha256": sha256.New,
	"sha512": sha512.New,
}

// pbkdf2Hash is a decoded PBKDF2 hash.
type pbkdf2Hash struct {
	digest     func() hash.Hash
	iterations int
	salt, key  []byte
}

// decodePBKDF2 parses and bounds a stored PBKDF2 hash.
func decodePBKDF2(encoded string) (pbkdf2Hash, error) {
	var h pbkdf2Hash
	fields := strings.Split(encoded, "$")
	if len(fields) != 5 || fields[0] != "" || !strings.HasPrefix(fields[1], "pbkdf2-") {
		return h, invalidHash("want $pbkdf2-<digest>$i=..$salt$hash")
	}
	if h.digest = pbkdf2Digests[strings.TrimPrefix(fields[1], "pbkdf2-")]; h.digest == nil {
		return h, invalidHash("unsupported PBKDF2 digest %q", fields[1])
	}
	n, err := strconv.Atoi(strings.TrimPrefix(fields[2], "i="))
	if err != nil || !strings.HasPrefix(fields[2], "i=") || "i="+strconv.Itoa(n) != fields[2] {
		return h, invalidHash("bad PBKDF2 iterations %q", fields[2])
	}
	if n < 1 || n > maxPBKDF2Iterations {
		return h, invalidHash("PBKDF2 iterations %d: want 1 to %d", n, maxPBKDF2Iterations)
	}
	h.iterations = n
	// Short salts are the old system's weakness, not a reason to lock its
	// users out: any non-empty salt is taken, and replaced at the rehash.
	if h.salt, err = decodeB64(fields[3]); err != nil || len(h.salt) < 1 || len(h.salt) > MaxSaltLength {
		return h, invalidHash("PBKDF2 salt: want 1 to %d bytes of base64", MaxSaltLength)
	}
	if h.key, err = decodeB64(fields[4]); err != nil || len(h.key) < MinKeyLength || len(h.key) > MaxKeyLength {
		return h, invalidHash("PBKDF2 key: want %d to %d bytes of base64", MinKeyLength, MaxKeyLength)
	}
	return h, nil
}

// EncodePBKDF2 spells a PBKDF2 hash as the store keeps it, for importers
// that receive the parts apart. digest is sha1, sha256 or sha512.
func EncodePBKDF2(digest string, iterations int, salt, key []byte) string {
	return pbkdf2Prefix + digest + "$i=" + strconv.Itoa(iterations) + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
}

func (h *Hasher) verifyPBKDF2(ctx context.Context, plain, encoded string) (ok, rehash bool, err error) {
	p, err := decodePBKDF2(encoded)
	if err != nil {
		return false, false, err
	}
	var got []byte
	if err := h.bounded(ctx, func() {
		got, err = pbkdf2.Key(p.digest, plain, p.salt, p.iterations, len(p.key))
	}); err != nil {
		return false, false, err
	}
	if err != nil { // FIPS mode refuses short salts or keys: the hash cannot be checked here
		return false, false, invalidHash("PBKDF2: %v", err)
	}
	ok = subtle.ConstantTimeCompare(got, p.key) == 1
	return ok, ok, nil
}
