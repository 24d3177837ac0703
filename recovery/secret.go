package recovery

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/usergraph/usergraph/store"
)

// Secrets and what the store keeps of them.

// secretBytes is the randomness of a link's token: 256 bits, twice the
// floor, in 43 characters of base64url.
const secretBytes = 32

// maxSecretBytes bounds a token a client presents before it is hashed;
// maxCodeBytes a code.
const (
	maxSecretBytes = 256
	maxCodeBytes   = 32
)

// newSecret returns a link's token.
func newSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails (crypto/rand.Read's contract since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is what the store keeps of a link's token, and how it is
// found: SHA-256 suffices for 256 random bits (nothing to brute-force).
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// newCode returns a six-digit SMS code, uniform over 000000..999999.
func newCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic("recovery: cannot read random bytes: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// hashCode is what the store keeps of an SMS code: bound to the token's
// id, so equal codes of two tokens differ, and the hash alone finds
// nothing (a code is looked up by its user, then compared).
func hashCode(tokenID, code string) string { return hashSecret(tokenID + ":" + code) }

// codeMatches compares a code with a token's hash in constant time.
func codeMatches(t *store.RecoveryToken, code string) bool {
	return subtle.ConstantTimeCompare([]byte(hashCode(t.ID, code)), []byte(t.Hash)) == 1
}

// digest is a key's stand-in where the store should not keep what a
// client typed (an address with no account, a username): decoy subjects
// and throttle keys.
func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:16])
}

// decoySubject is the subject of the token written for a request that
// matched no account: no user has it, so no secret redeems it.
func decoySubject(typedKey string) string { return "decoy:" + digest(typedKey) }

// throttleKey is the store's throttle key of one kind of mail to one
// address (or SMS to one username).
func throttleKey(kind, typedKey string) string { return kind + ":" + digest(typedKey) }

// newToken returns the record of a new token for subject (user id "" for
// a decoy) with hash set by the caller.
func newToken(purpose store.TokenPurpose, subject, userID, email string, ttl time.Duration) *store.RecoveryToken {
	now := store.Now()
	return &store.RecoveryToken{ID: store.NewID(), Purpose: purpose, Subject: subject, UserID: userID, Email: email,
		CreatedAt: now, ExpiresAt: now.Add(ttl)}
}
