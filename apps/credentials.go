package apps

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"

	"github.com/usergraph/usergraph/store"
)

// Prefixes that let people and secret scanners recognize a usergraph
// client id and client secret.
const (
	clientIDPrefix = "ugc_"
	secretPrefix   = "ugs_"
)

// Credentials are an application with the secret that was just made for
// it: shown once, then kept only as its hash.
type Credentials struct {
	Application  *store.Application
	ClientSecret string
}

// newClientID makes a client id: 128 random bits. It is public, but
// unguessable ids tell nobody which applications exist.
func newClientID() string { return clientIDPrefix + randomText(16) }

// newSecret makes a client secret, 256 random bits, and the hash that is
// stored instead of it.
func newSecret() (plain, hash string) {
	plain = secretPrefix + randomText(32)
	return plain, hashSecret(plain)
}

func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret is how secrets are kept: a SHA-256 of 256 random bits can
// neither be reversed nor guessed, so the slow hash passwords need (and
// its cost on every session) buys nothing here.
func hashSecret(plain string) string {
	sum := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(sum[:])
}

// secretMatches compares a presented secret with a stored hash in
// constant time.
func secretMatches(plain, storedHash string) bool {
	return subtle.ConstantTimeCompare([]byte(hashSecret(plain)), []byte(storedHash)) == 1
}

// dummyHash is compared with when no application has the client id, so
// that an unknown client id costs what a wrong secret costs.
var dummyHash = hashSecret(secretPrefix + "no application has this secret")
