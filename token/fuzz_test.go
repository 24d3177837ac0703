package token_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"testing"
	"time"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

// The fuzz fixture: a service whose only signing key is fixed and whose
// clock stands still, so the tokens it issues are the same on every run
// and the committed seeds (testdata/fuzz/FuzzVerify) stay meaningful.
// The key is a test key and signs nothing else.
var (
	fuzzKeySeed = bytes.Repeat([]byte{7}, ed25519.SeedSize)
	fuzzNow     = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

const fuzzKID = "fuzz-key"

// fuzzClaims are the claims of the tokens the fixture issues.
var fuzzClaims = []token.Claims{
	{UserID: "u1", SessionID: "s1", Kind: "USER", Roles: []string{"admin", "editor"}, ID: "jti-fuzz-user"},
	{UserID: "g1", SessionID: "s2", Kind: "GUEST", ID: "jti-fuzz-guest"},
}

// fuzzFixture returns the service, the tokens it issued that verify now,
// and one it issued an hour ago, which has expired.
func fuzzFixture(tb testing.TB) (s *token.Service, issued map[string]bool, expired string) {
	tb.Helper()
	keys, clk := newMemKeys(), newClock()
	clk.now = fuzzNow
	private := ed25519.NewKeyFromSeed(fuzzKeySeed)
	rec := &store.SigningKey{ID: fuzzKID, Algorithm: "EdDSA", Private: fuzzKeySeed,
		Public: private.Public().(ed25519.PublicKey), CreatedAt: fuzzNow.Add(-24 * time.Hour)}
	if err := keys.CreateSigningKey(context.Background(), rec); err != nil {
		tb.Fatal(err)
	}
	s = newService(tb, keys, clk)
	clk.Advance(-time.Hour)
	expired, _, err := s.Issue(token.Claims{UserID: "u1", SessionID: "s1", ID: "jti-fuzz-old"})
	if err != nil {
		tb.Fatal(err)
	}
	clk.Advance(time.Hour)
	issued = map[string]bool{}
	for _, c := range fuzzClaims {
		tok, _, err := s.Issue(c)
		if err != nil {
			tb.Fatal(err)
		}
		issued[tok] = true
	}
	return s, issued, expired
}

// FuzzVerify feeds access tokens to Verify, as anyone may send them.
// Nothing may panic; every refusal is ErrInvalid or ErrExpired; and only
// a token the service issued verifies — byte for byte, so that no
// tampering, other key, other algorithm, header trick or other spelling of
// a genuine token gets in. The seeds are the genuine tokens and attacks on
// them: alg none, HS256 keyed with the public key, another key under our
// kid, an embedded jwk, kid path traversal and length, typ, iss, aud, exp,
// sub and sid changes, re-spelled base64 (padding, trailing bits, line
// breaks), extra segments, whitespace, deep JSON and oversized input.
func FuzzVerify(f *testing.F) {
	s, issued, expired := fuzzFixture(f)
	for tok := range issued {
		f.Add(tok)
	}
	f.Add(expired)
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := s.Verify(tok)
		switch {
		case err == nil && !issued[tok]:
			t.Fatalf("Verify accepted a token the service did not issue: %q (claims %+v)", tok, c)
		case err != nil && !errors.Is(err, token.ErrInvalid) && !errors.Is(err, token.ErrExpired):
			t.Fatalf("Verify(%q) = %v, want ErrInvalid or ErrExpired", tok, err)
		case err == nil && c.UserID == "":
			t.Fatalf("Verify(%q) accepted a token without a user", tok)
		}
	})
}

// The fixture is what the committed seeds were made with: its tokens
// verify, its expired one is expired.
func TestFuzzFixture(t *testing.T) {
	s, issued, expired := fuzzFixture(t)
	if len(issued) != len(fuzzClaims) {
		t.Fatalf("%d distinct tokens for %d claims", len(issued), len(fuzzClaims))
	}
	for tok := range issued {
		if _, err := s.Verify(tok); err != nil {
			t.Errorf("Verify(issued) = %v", err)
		}
	}
	if _, err := s.Verify(expired); !errors.Is(err, token.ErrExpired) {
		t.Errorf("Verify(expired) = %v, want ErrExpired", err)
	}
}
