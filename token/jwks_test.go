package token_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

type jwkSet struct {
	Keys []map[string]string `json:"keys"`
}

func parseJWKS(t *testing.T, s *token.Service) jwkSet {
	t.Helper()
	var set jwkSet
	if err := json.Unmarshal(s.JWKS(), &set); err != nil {
		t.Fatalf("JWKS is not JSON: %v\n%s", err, s.JWKS())
	}
	return set
}

func kids(t *testing.T, s *token.Service) []string {
	t.Helper()
	var out []string
	for _, k := range parseJWKS(t, s).Keys {
		out = append(out, k["kid"])
	}
	return out
}

// publicKeys returns the JWKS keys by kid, decoded from x.
func publicKeys(t *testing.T, s *token.Service) map[string]ed25519.PublicKey {
	t.Helper()
	out := map[string]ed25519.PublicKey{}
	for _, k := range parseJWKS(t, s).Keys {
		x, err := base64.RawURLEncoding.DecodeString(k["x"])
		if err != nil || len(x) != ed25519.PublicKeySize {
			t.Fatalf("x = %q: not a base64url Ed25519 key (%v)", k["x"], err)
		}
		out[k["kid"]] = x
	}
	return out
}

func TestJWKS(t *testing.T) {
	s, _, _ := setup(t)
	set := parseJWKS(t, s)
	if len(set.Keys) != 1 {
		t.Fatalf("JWKS has %d keys, want 1", len(set.Keys))
	}
	want := map[string]string{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig"}
	for field, v := range want {
		if got := set.Keys[0][field]; got != v {
			t.Errorf("JWK %s = %q, want %q", field, got, v)
		}
	}

	if a, b := s.JWKS(), s.JWKS(); &a[0] != &b[0] {
		t.Errorf("JWKS is rebuilt per call, want it built when the keys change")
	}

	// x verifies a token's signature over its signing input.
	tok := issue(t, s, alice)
	parts := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	pub := publicKeys(t, s)[header(t, tok)["kid"].(string)]
	if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		t.Errorf("the JWKS key does not verify the token's signature")
	}
}

// signer returns the private key of the store's newest key.
func (m *memKeys) signer(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	recs, _ := m.ListSigningKeys(t.Context())
	var newest *store.SigningKey
	for _, r := range recs {
		if r.RetiredAt.IsZero() && (newest == nil || r.CreatedAt.After(newest.CreatedAt)) {
			newest = r
		}
	}
	return ed25519.NewKeyFromSeed(newest.Private)
}
