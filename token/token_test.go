package token_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/usergraph/usergraph/store"
	"github.com/usergraph/usergraph/token"
)

const ttl = 15 * time.Minute

// setup returns a service on a fresh key store and the clock it runs on.
func setup(t testing.TB) (*token.Service, *memKeys, *clock) {
	t.Helper()
	keys, clk := newMemKeys(), newClock()
	return newService(t, keys, clk), keys, clk
}

func newService(t testing.TB, keys *memKeys, clk *clock) *token.Service {
	t.Helper()
	cfg := token.Config{Issuer: "https://auth.example.com", Audience: "example-api", AccessTTL: ttl, Now: clk.Now}
	s, err := token.New(context.Background(), keys, cfg, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

var alice = token.Claims{UserID: "u1", SessionID: "s1", Kind: "USER", Roles: []string{"admin", "editor"}}

func issue(t testing.TB, s *token.Service, c token.Claims) string {
	t.Helper()
	tok, _, err := s.Issue(c)
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	return tok
}

// header returns the decoded JOSE header of a token.
func header(t *testing.T, tok string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestRoundTrip(t *testing.T) {
	s, _, clk := setup(t)
	in := alice
	in.ID = "jti-1"
	tok, exp, err := s.Issue(in)
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	if want := now.Add(ttl); !exp.Equal(want) {
		t.Errorf("expiresAt = %v, want %v", exp, want)
	}
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := in
	want.IssuedAt, want.ExpiresAt = now, now.Add(ttl)
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("Verify = %+v, want %+v", *got, want)
	}
	h := header(t, tok)
	if h["alg"] != "EdDSA" || h["typ"] != "at+jwt" || h["kid"] == "" {
		t.Errorf("header = %v, want alg EdDSA, typ at+jwt and a kid", h)
	}
}

func TestIssueDefaultsAndLimits(t *testing.T) {
	s, _, clk := setup(t)
	soon := clk.Now().Add(time.Minute + 500*time.Millisecond)
	tok, exp, err := s.Issue(token.Claims{UserID: "u1", SessionID: "s1", ExpiresAt: soon})
	if err != nil {
		t.Fatal(err)
	}
	// Rounded up to the whole second, never before the session's end.
	if want := clk.Now().Add(time.Minute + time.Second); !exp.Equal(want) {
		t.Errorf("expiresAt with a sooner session end = %v, want %v", exp, want)
	}
	if c, err := s.Verify(tok); err != nil || c.ID == "" {
		t.Errorf("Verify = %+v, %v; want a generated jti", c, err)
	}
	for _, c := range []token.Claims{{SessionID: "s1"}, {UserID: "u1"}, {UserID: "u1", SessionID: "s1", ExpiresAt: clk.Now()}} {
		if _, _, err := s.Issue(c); err == nil {
			t.Errorf("Issue(%+v) = nil error, want one", c)
		}
	}
}

func TestExpired(t *testing.T) {
	s, _, clk := setup(t)
	tok := issue(t, s, alice)
	clk.Advance(ttl - time.Second)
	if _, err := s.Verify(tok); err != nil {
		t.Fatalf("Verify before expiry: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := s.Verify(tok); !errors.Is(err, token.ErrExpired) {
		t.Errorf("Verify after expiry = %v, want ErrExpired", err)
	}
}

func TestTampered(t *testing.T) {
	s, _, _ := setup(t)
	tok := issue(t, s, alice)
	parts := strings.Split(tok, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), `"u1"`, `"u2"`, 1)))
	sig := []byte(parts[2])
	sig[10] ^= 1
	tests := map[string]string{
		"payload":         parts[0] + "." + forged + "." + parts[2],
		"signature":       parts[0] + "." + parts[1] + "." + string(sig),
		"no signature":    parts[0] + "." + parts[1] + ".",
		"two segments":    parts[0] + "." + parts[1],
		"empty":           "",
		"garbage":         "not.a.token",
		"huge":            tok + strings.Repeat("A", 10000),
		"signature moved": parts[0] + "." + parts[1] + "." + parts[2] + "A",
		// base64 decoding skips line breaks: the same signature, respelled
		"line break":       parts[0] + "." + parts[1] + "." + parts[2][:20] + "\n" + parts[2][20:],
		"trailing newline": tok + "\n",
	}
	for name, bad := range tests {
		if _, err := s.Verify(bad); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("%s: Verify = %v, want ErrInvalid", name, err)
		}
	}
}

// sign makes a token the service did not issue, with the given method,
// key and header fields, and otherwise valid claims.
func sign(t *testing.T, method jwt.SigningMethod, key any, hdr map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	if claims == nil {
		now := time.Now()
		claims = jwt.MapClaims{"iss": "https://auth.example.com", "aud": "example-api", "sub": "u1", "sid": "s1",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	tk := jwt.NewWithClaims(method, claims)
	for k, v := range hdr {
		tk.Header[k] = v
	}
	s, err := tk.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedTokens(t *testing.T) {
	keys, clk := newMemKeys(), newClock()
	clk.now = time.Now() // sign() uses the real clock
	s := newService(t, keys, clk)
	kid := header(t, issue(t, s, alice))["kid"]
	pub := publicKeys(t, s)[kid.(string)]
	_, otherKey, _ := ed25519.GenerateKey(nil)
	own := keys.signer(t)
	now := time.Now()
	claimsWith := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{"iss": "https://auth.example.com", "aud": "example-api", "sub": "u1", "sid": "s1",
			"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	typ := map[string]any{"kid": kid, "typ": "at+jwt"}
	tests := map[string]string{
		"alg none":                sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, typ, nil),
		"HS256 with public key":   sign(t, jwt.SigningMethodHS256, []byte(pub), typ, nil),
		"other key, same kid":     sign(t, jwt.SigningMethodEdDSA, otherKey, typ, nil),
		"unknown kid":             sign(t, jwt.SigningMethodEdDSA, own, map[string]any{"kid": "nope", "typ": "at+jwt"}, nil),
		"no kid":                  sign(t, jwt.SigningMethodEdDSA, own, map[string]any{"typ": "at+jwt"}, nil),
		"typ JWT":                 sign(t, jwt.SigningMethodEdDSA, own, map[string]any{"kid": kid, "typ": "JWT"}, nil),
		"no typ":                  sign(t, jwt.SigningMethodEdDSA, own, map[string]any{"kid": kid, "typ": nil}, nil),
		"wrong issuer":            sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("iss", "https://evil.example.com")),
		"wrong audience":          sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("aud", "other-api")),
		"no audience":             sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("aud", nil)),
		"no exp":                  sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("exp", nil)),
		"no sub":                  sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("sub", nil)),
		"no sid":                  sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("sid", nil)),
		"not yet valid":           sign(t, jwt.SigningMethodEdDSA, own, typ, claimsWith("nbf", now.Add(time.Hour).Unix())),
		"expired and wrong aud":   sign(t, jwt.SigningMethodEdDSA, own, typ, jwt.MapClaims{"iss": "https://auth.example.com", "aud": "other-api", "sub": "u1", "sid": "s1", "exp": now.Add(-time.Hour).Unix()}),
		"expired and missing sid": sign(t, jwt.SigningMethodEdDSA, own, typ, jwt.MapClaims{"iss": "https://auth.example.com", "aud": "example-api", "sub": "u1", "exp": now.Add(-time.Hour).Unix()}),
	}
	if _, err := s.Verify(sign(t, jwt.SigningMethodEdDSA, own, typ, nil)); err != nil {
		t.Fatalf("control: a token made like the forgeries but with the real key: %v", err)
	}
	for name, tok := range tests {
		if _, err := s.Verify(tok); !errors.Is(err, token.ErrInvalid) {
			t.Errorf("%s: Verify = %v, want ErrInvalid", name, err)
		}
	}
}

func TestRotate(t *testing.T) {
	s, keys, clk := setup(t)
	old := issue(t, s, alice)
	oldKid := header(t, old)["kid"].(string)
	if err := s.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	fresh := issue(t, s, alice)
	newKid := header(t, fresh)["kid"].(string)
	if newKid == oldKid {
		t.Fatalf("after Rotate the kid is still %s", oldKid)
	}
	for _, tok := range []string{old, fresh} {
		if _, err := s.Verify(tok); err != nil {
			t.Errorf("Verify after rotation: %v", err)
		}
	}
	if got := kids(t, s); !reflect.DeepEqual(got, []string{newKid, oldKid}) {
		t.Errorf("JWKS kids = %v, want [%s %s]", got, newKid, oldKid)
	}

	// Default retention is 2 × AccessTTL: past it the old key is gone.
	clk.Advance(2*ttl + time.Second)
	if got := kids(t, s); !reflect.DeepEqual(got, []string{newKid}) {
		t.Errorf("JWKS kids after retention = %v, want [%s]", got, newKid)
	}
	if _, err := s.Verify(old); !errors.Is(err, token.ErrInvalid) {
		t.Errorf("Verify(token of a removed key) = %v, want ErrInvalid", err)
	}
	if err := s.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := keys.count(); got != 2 {
		t.Errorf("store holds %d keys after the next rotation, want 2 (expired one deleted)", got)
	}
}

func TestShortRetentionIsRaised(t *testing.T) {
	keys, clk := newMemKeys(), newClock()
	cfg := token.Config{Issuer: "i", Audience: "a", AccessTTL: time.Minute, KeyRetention: time.Second, Now: clk.Now}
	s, err := token.New(context.Background(), keys, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := issue(t, s, alice)
	_ = s.Rotate(context.Background())
	clk.Advance(59 * time.Second) // old token still live: its key must verify it
	if _, err := s.Verify(old); err != nil {
		t.Errorf("token signed before rotation, within its TTL: Verify = %v", err)
	}
}

func TestSecondInstance(t *testing.T) {
	keys, clk := newMemKeys(), newClock()
	a, b := newService(t, keys, clk), newService(t, keys, clk)
	tok := issue(t, a, alice)
	if _, err := b.Verify(tok); err != nil {
		t.Fatalf("B verifies A's token: %v", err)
	}
	if got, want := kids(t, b), kids(t, a); !reflect.DeepEqual(got, want) {
		t.Errorf("instances publish different keys: %v and %v", got, want)
	}

	clk.Advance(10 * time.Second)
	if err := a.Rotate(context.Background()); err != nil {
		t.Fatal(err)
	}
	rotated := issue(t, a, alice)
	if _, err := b.Verify(rotated); err != nil {
		t.Fatalf("B verifies a token of A's new key: %v", err)
	}
	if got, want := kids(t, b), kids(t, a); !reflect.DeepEqual(got, want) {
		t.Errorf("after reload B publishes %v, A %v", got, want)
	}
	if got, want := header(t, issue(t, b, alice))["kid"], header(t, rotated)["kid"]; got != want {
		t.Errorf("B signs with %v, want A's new key %v", got, want)
	}
}

func TestUnknownKidReloadIsRateLimited(t *testing.T) {
	s, keys, clk := setup(t)
	own := keys.signer(t)
	clk.Advance(time.Minute)
	_, before := keys.count()
	for i := range 50 {
		hdr := map[string]any{"kid": fmt.Sprintf("made-up-%d", i), "typ": "at+jwt"}
		if _, err := s.Verify(sign(t, jwt.SigningMethodEdDSA, own, hdr, nil)); !errors.Is(err, token.ErrInvalid) {
			t.Fatalf("Verify(unknown kid) = %v, want ErrInvalid", err)
		}
	}
	if _, after := keys.count(); after-before != 1 {
		t.Errorf("50 unknown kids read the store %d times, want 1", after-before)
	}
}

func TestConcurrentUse(t *testing.T) {
	s, _, clk := setup(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				tok, _, err := s.Issue(alice)
				if err == nil {
					_, err = s.Verify(tok)
				}
				if err != nil {
					t.Error(err)
					return
				}
				_ = s.JWKS()
			}
		})
	}
	for range 5 {
		clk.Advance(time.Minute)
		if err := s.Rotate(context.Background()); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}

func TestConcurrentStart(t *testing.T) {
	keys, clk := newMemKeys(), newClock()
	services := make([]*token.Service, 4)
	var errs [4]error
	done := make(chan int)
	for i := range services {
		go func() {
			services[i], errs[i] = token.New(context.Background(), keys,
				token.Config{Issuer: "i", Audience: "a", Now: clk.Now}, nil)
			done <- i
		}()
	}
	for range services {
		if i := <-done; errs[i] != nil {
			t.Fatal(errs[i])
		}
	}
	// Whatever keys were created, each instance's tokens verify everywhere,
	// and after a refresh all sign with the same key.
	clk.Advance(2 * time.Minute)
	signers := map[any]bool{}
	for _, s := range services {
		tok := issue(t, s, alice)
		signers[header(t, tok)["kid"]] = true
		for _, other := range services {
			if _, err := other.Verify(tok); err != nil {
				t.Errorf("Verify across instances: %v", err)
			}
		}
	}
	if len(signers) != 1 {
		t.Errorf("instances sign with %d different keys, want 1", len(signers))
	}
}

// Two instances that start at once may both create a key. The newest one
// wins everywhere and the other is retired, so it ages out.
func TestRacingKeysSettle(t *testing.T) {
	s, keys, clk := setup(t)
	first := issue(t, s, alice)
	pub, priv, _ := ed25519.GenerateKey(nil)
	other := &store.SigningKey{ID: store.NewID(), Algorithm: "EdDSA", Private: priv.Seed(), Public: pub,
		CreatedAt: clk.Now().Add(time.Millisecond)}
	if err := keys.CreateSigningKey(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Minute) // past the refresh interval
	if got := header(t, issue(t, s, alice))["kid"]; got != other.ID {
		t.Errorf("signs with %v, want the newest key %s", got, other.ID)
	}
	if _, err := s.Verify(first); err != nil {
		t.Errorf("token of the losing key: Verify = %v", err)
	}
	recs, _ := keys.ListSigningKeys(context.Background())
	for _, r := range recs {
		if retired := !r.RetiredAt.IsZero(); retired != (r.ID != other.ID) {
			t.Errorf("key %s retired = %v, want only the older key retired", r.ID, retired)
		}
	}
}

// Two instances that start at once on an empty store may each create a
// key, the second after the first has read the store: the first learns of
// the second's key from its first token, at once, not after reloadEvery
// (an instance's start is a read of the store, not a reload for a kid).
func TestRacingStartVerifiesAtOnce(t *testing.T) {
	keys, clk := newMemKeys(), newClock()
	first := newService(t, keys, clk) // read the store, found none, made its key
	pub, priv, _ := ed25519.GenerateKey(nil)
	other := &store.SigningKey{ID: store.NewID(), Algorithm: "EdDSA", Private: priv.Seed(), Public: pub,
		CreatedAt: clk.Now().Add(time.Millisecond)} // what a second instance made meanwhile
	if err := keys.CreateSigningKey(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	second := newService(t, keys, clk)
	tok := issue(t, second, alice)
	if got := header(t, tok)["kid"]; got != other.ID {
		t.Fatalf("the second instance signs with %v, want the newest key %s", got, other.ID)
	}
	if _, err := first.Verify(tok); err != nil {
		t.Errorf("the first instance, at the same moment, verifies the second's token: %v", err)
	}
	if _, err := second.Verify(issue(t, first, alice)); err != nil {
		t.Errorf("the second instance verifies the first's token: %v", err)
	}
}

func TestConfigRequired(t *testing.T) {
	for _, cfg := range []token.Config{{Audience: "a"}, {Issuer: "i"}} {
		if _, err := token.New(context.Background(), newMemKeys(), cfg, nil); err == nil {
			t.Errorf("New(%+v) = nil error, want one", cfg)
		}
	}
}
