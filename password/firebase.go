package password

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// Firebase Auth hashes passwords with a modified scrypt
// (github.com/firebase/scrypt): the scrypt key of the password, with the
// user's salt followed by the project's salt separator, encrypts the
// project's signer key with AES-256-CTR (zero IV, the key's first 32
// bytes); the ciphertext is the stored hash. Verifying needs the project's
// parameters, so the stored form carries them beside the user's salt:
//
//	$firebase-scrypt$r=8,m=14$<signer key>$<salt separator>$<salt>$<hash>
//
// r is Firebase's "rounds" (scrypt's block size r), m its "mem_cost"
// (N = 2^m); p is always 1 and the scrypt key 64 bytes, as Firebase's are.
// A match always asks for a rehash to argon2id, which drops the project's
// key from the record.

const firebasePrefix = "$firebase-scrypt$"

// FirebaseParams are a Firebase project's password hash parameters, as the
// console shows them (Authentication → Users → Password hash parameters).
type FirebaseParams struct {
	SignerKey     []byte // base64_signer_key, decoded
	SaltSeparator []byte // base64_salt_separator, decoded
	Rounds        int    // rounds: scrypt's r
	MemCost       int    // mem_cost: scrypt's N is 2^MemCost
}

// Bounds of Firebase parameters that are no scrypt memory question: the
// memory itself is bounded as argon2id's is (storedLimits).
const (
	maxFirebaseRounds  = 32
	maxFirebaseMemCost = 20 // N = 2^20: 1 GiB at r = 8, far above Firebase's 14
	maxFirebaseKey     = 256
	firebaseKeyLen     = 64
)

// firebaseHash is a decoded Firebase hash.
type firebaseHash struct {
	FirebaseParams
	salt, hash []byte
}

// EncodeFirebase spells a Firebase user's hash, with its project's
// parameters, as the store keeps it; salt and hash are the export's
// "salt" and "passwordHash", decoded.
func EncodeFirebase(p FirebaseParams, salt, hash []byte) string {
	return fmt.Sprintf("%sr=%d,m=%d$%s$%s$%s$%s", firebasePrefix, p.Rounds, p.MemCost,
		b64.EncodeToString(p.SignerKey), b64.EncodeToString(p.SaltSeparator), b64.EncodeToString(salt), b64.EncodeToString(hash))
}

// memoryKiB is what one scrypt computation with p holds: 128·r·N bytes.
func (p FirebaseParams) memoryKiB() uint64 {
	return 128 * uint64(p.Rounds) * (uint64(1) << p.MemCost) / 1024
}

// decodeFirebase parses a stored Firebase hash and checks its parameters
// against the absolute bounds and lim before anything is computed.
func decodeFirebase(encoded string, lim storedLimits) (firebaseHash, error) {
	var h firebaseHash
	fields := strings.Split(encoded, "$")
	if len(fields) != 7 || fields[0] != "" || fields[1] != "firebase-scrypt" {
		return h, invalidHash("want $firebase-scrypt$r=..,m=..$signer$separator$salt$hash")
	}
	var r, m int
	if _, err := fmt.Sscanf(fields[2], "r=%d,m=%d", &r, &m); err != nil || fmt.Sprintf("r=%d,m=%d", r, m) != fields[2] {
		return h, invalidHash("bad Firebase parameters %q", fields[2])
	}
	if r < 1 || r > maxFirebaseRounds || m < 1 || m > maxFirebaseMemCost {
		return h, invalidHash("Firebase rounds %d (want 1 to %d), mem_cost %d (want 1 to %d)", r, maxFirebaseRounds, m, maxFirebaseMemCost)
	}
	h.Rounds, h.MemCost = r, m
	if kib := h.memoryKiB(); kib > uint64(lim.memory) || kib > lim.work {
		return h, invalidHash("Firebase scrypt memory %d KiB above %d (%d× the configured argon2id)", kib, lim.memory, storedFactor)
	}
	parts := []*[]byte{&h.SignerKey, &h.SaltSeparator, &h.salt, &h.hash}
	for i, dst := range parts {
		b, err := decodeB64(fields[3+i])
		if err != nil || len(b) > maxFirebaseKey {
			return h, invalidHash("Firebase hash field %d is not base64 of at most %d bytes", 3+i, maxFirebaseKey)
		}
		*dst = b
	}
	if len(h.SignerKey) == 0 || len(h.hash) != len(h.SignerKey) || len(h.salt) == 0 {
		return h, invalidHash("Firebase hash: empty signer key or salt, or hash and signer key of different lengths")
	}
	return h, nil
}

// firebaseKey computes what Firebase stores for plain: the signer key
// encrypted under the scrypt key of plain.
func firebaseKey(plain string, h firebaseHash) ([]byte, error) {
	salt := append(append([]byte{}, h.salt...), h.SaltSeparator...)
	key, err := scrypt.Key([]byte(plain), salt, 1<<h.MemCost, h.Rounds, 1, firebaseKeyLen)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key[:32])
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(h.SignerKey))
	cipher.NewCTR(block, make([]byte, aes.BlockSize)).XORKeyStream(out, h.SignerKey)
	return out, nil
}

func (h *Hasher) verifyFirebase(ctx context.Context, plain, encoded string) (ok, rehash bool, err error) {
	fh, err := decodeFirebase(encoded, h.stored)
	if err != nil {
		return false, false, err
	}
	var got []byte
	if err := h.bounded(ctx, func() { got, err = firebaseKey(plain, fh) }); err != nil {
		return false, false, err
	}
	if err != nil {
		return false, false, invalidHash("Firebase scrypt: %v", err)
	}
	ok = subtle.ConstantTimeCompare(got, fh.hash) == 1
	return ok, ok, nil
}
