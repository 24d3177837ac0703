package token

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/usergraph/usergraph/store"
)

// algorithm is the only JWS algorithm signed and accepted (RFC 8037).
const algorithm = "EdDSA"

// key is one signing key in memory.
type key struct {
	id        string
	createdAt time.Time
	private   ed25519.PrivateKey
	public    ed25519.PublicKey
	// verifier is public boxed once as the jwt Keyfunc's any, so that
	// Verify does not allocate to return it.
	verifier any
	until    time.Time // end of verification (retirement + retention); zero: none
}

// keySet is an immutable snapshot of the keys. It is replaced as a whole
// (atomic pointer), so Verify reads it without locks.
type keySet struct {
	signer   *key            // newest unretired key; signs new tokens
	keys     []*key          // every key that still verifies, newest first
	byID     map[string]*key // every key that still verifies
	jwks     []byte          // the JSON Web Key Set of keys
	expiry   time.Time       // earliest until in keys: the set is stale from then; zero: never
	loadedAt time.Time       // when the store was last read
}

// parseKey checks a stored record and turns it into a key. Records must be
// EdDSA with a 32-byte seed whose public half matches the stored one, so a
// corrupt record can neither sign nor verify.
func parseKey(rec *store.SigningKey, retention time.Duration) (*key, error) {
	if rec.Algorithm != algorithm || len(rec.Private) != ed25519.SeedSize || len(rec.Public) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key %s: want an %s key with a 32-byte seed and public key", rec.ID, algorithm)
	}
	private := ed25519.NewKeyFromSeed(rec.Private)
	public := private.Public().(ed25519.PublicKey)
	if !bytes.Equal(public, rec.Public) {
		return nil, fmt.Errorf("key %s: public key does not match the seed", rec.ID)
	}
	k := &key{id: rec.ID, createdAt: rec.CreatedAt, private: private, public: public, verifier: public}
	if !rec.RetiredAt.IsZero() {
		k.until = rec.RetiredAt.Add(retention)
	}
	return k, nil
}

// newKeySet builds a snapshot from keys ordered newest first, dropping
// those whose verification ended before now.
func newKeySet(keys []*key, now, loadedAt time.Time) *keySet {
	ks := &keySet{byID: make(map[string]*key, len(keys)), loadedAt: loadedAt}
	for _, k := range keys {
		if !k.until.IsZero() && !now.Before(k.until) {
			continue
		}
		if ks.signer == nil && k.until.IsZero() {
			ks.signer = k
		}
		if !k.until.IsZero() && (ks.expiry.IsZero() || k.until.Before(ks.expiry)) {
			ks.expiry = k.until
		}
		ks.byID[k.id] = k
		ks.keys = append(ks.keys, k)
	}
	ks.jwks = encodeJWKS(ks.keys)
	return ks
}

// stale reports whether a key in the set stopped verifying by now.
func (ks *keySet) stale(now time.Time) bool {
	return !ks.expiry.IsZero() && !now.Before(ks.expiry)
}

// jwk is one public key in JWK form for Ed25519 (RFC 8037 section 2).
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

func encodeJWKS(keys []*key) []byte {
	set := struct {
		Keys []jwk `json:"keys"`
	}{Keys: make([]jwk, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, jwk{
			Kty: "OKP", Crv: "Ed25519", Kid: k.id, Alg: algorithm, Use: "sig",
			X: base64.RawURLEncoding.EncodeToString(k.public),
		})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic("token: encoding the JWKS: " + err.Error()) // only strings: cannot fail
	}
	return b
}
