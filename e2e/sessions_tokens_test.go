package e2e

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/usergraph/usergraph/app"
	"github.com/usergraph/usergraph/store/sqlite"
)

// Access-token security, end to end: forged, tampered and expired tokens
// against the real server, and the published key set.

const meQuery = `{ me { id } }`

// b64url is the JWS base64url encoding (no padding).
var b64url = base64.RawURLEncoding

// splitJWS decodes a compact JWS into its header, payload and signature.
func splitJWS(t *testing.T, tok string) (header, payload map[string]any, sig []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts, want 3: %q", len(parts), tok)
	}
	for i, dst := range []*map[string]any{&header, &payload} {
		raw, err := b64url.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("token part %d is not base64url: %v", i, err)
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			t.Fatalf("token part %d is not JSON: %v", i, err)
		}
	}
	sig, err := b64url.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("signature is not base64url: %v", err)
	}
	return header, payload, sig
}

// jwsSegment is one base64url JSON segment.
func jwsSegment(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b64url.EncodeToString(b)
}

// tokenKid returns the kid in a token's header.
func tokenKid(t *testing.T, tok string) string {
	t.Helper()
	h, _, _ := splitJWS(t, tok)
	kid, _ := h["kid"].(string)
	if kid == "" {
		t.Fatalf("token has no kid: %v", h)
	}
	return kid
}

// claimsFor are the claims of a genuine access token for the session of a,
// expiring at exp.
func claimsFor(ts *testServer, a auth, exp time.Time) jwt.MapClaims {
	now := time.Now()
	return jwt.MapClaims{
		"iss": ts.url, "aud": []string{ts.url}, "sub": a.User.ID, "sid": a.Session.ID,
		"iat": now.Add(-time.Minute).Unix(), "exp": exp.Unix(), "jti": "tok-test", "kind": "USER",
	}
}

// signJWS signs claims with key as EdDSA, with typ at+jwt and kid, then
// applies header overrides (nil value: remove).
func signJWS(t *testing.T, key ed25519.PrivateKey, kid string, claims jwt.MapClaims, header map[string]any) string {
	t.Helper()
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["typ"] = "at+jwt"
	tok.Header["kid"] = kid
	for k, v := range header {
		if v == nil {
			delete(tok.Header, k)
		} else {
			tok.Header[k] = v
		}
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// serverSigningKey reads the server's current signing key from its SQLite file
// through a second connection, and checks it is the one that signed tok.
func serverSigningKey(t *testing.T, ts *testServer, tok string) (string, ed25519.PrivateKey) {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, strings.TrimPrefix(ts.cfg.Store.URL, "sqlite:"), sqlite.Options{Readers: 1})
	if err != nil {
		t.Fatalf("open the server's database: %v", err)
	}
	defer db.Close()
	keys, err := db.ListSigningKeys(ctx)
	if err != nil {
		t.Fatalf("list signing keys: %v", err)
	}
	kid := tokenKid(t, tok)
	for _, k := range keys {
		if k.ID == kid {
			if len(k.Private) != ed25519.SeedSize {
				t.Fatalf("key %s: private key is %d bytes, want a %d-byte seed", k.ID, len(k.Private), ed25519.SeedSize)
			}
			return k.ID, ed25519.NewKeyFromSeed(k.Private)
		}
	}
	t.Fatalf("the token's kid %s is not among the %d stored keys", kid, len(keys))
	return "", nil
}

// jwk is one key of the JWKS.
type jwk struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
}

// fetchJWKS fetches /.well-known/jwks.json and checks its shape.
func fetchJWKS(t *testing.T, ts *testServer) []jwk {
	t.Helper()
	res, err := http.Get(ts.url + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET jwks: status %d: %s", res.StatusCode, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Errorf("jwks Content-Type = %q, want a JSON type", ct)
	}
	var raw struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatalf("jwks is not JSON: %v: %s", err, body)
	}
	for _, k := range raw.Keys {
		for _, private := range []string{"d", "p", "q", "k"} {
			if _, ok := k[private]; ok {
				t.Fatalf("jwks publishes private member %q: %s", private, body)
			}
		}
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	json.Unmarshal(body, &set)
	for _, k := range set.Keys {
		if k.Kty != "OKP" || k.Crv != "Ed25519" || k.Kid == "" {
			t.Errorf("jwk = %+v, want kty OKP, crv Ed25519 and a kid", k)
		}
		if x, err := b64url.DecodeString(k.X); err != nil || len(x) != ed25519.PublicKeySize {
			t.Errorf("jwk %s: x is not a base64url %d-byte key: %q", k.Kid, ed25519.PublicKeySize, k.X)
		}
	}
	return set.Keys
}

// verifyWithJWKS checks tok's signature with the JWKS key its kid names.
func verifyWithJWKS(t *testing.T, keys []jwk, tok string) {
	t.Helper()
	kid := tokenKid(t, tok)
	for _, k := range keys {
		if k.Kid != kid {
			continue
		}
		x, _ := b64url.DecodeString(k.X)
		dot := strings.LastIndex(tok, ".")
		sig, err := b64url.DecodeString(tok[dot+1:])
		if err != nil {
			t.Fatalf("signature: %v", err)
		}
		if !ed25519.Verify(ed25519.PublicKey(x), []byte(tok[:dot]), sig) {
			t.Fatalf("the token does not verify with JWKS key %s", kid)
		}
		return
	}
	t.Fatalf("kid %s is not in the JWKS (%+v)", kid, keys)
}

func TestTokenForgeriesAreRejected(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.signup(t, "tokalice", testPassword)
	b := ts.signup(t, "tokbob", testPassword)
	header, payload, sig := splitJWS(t, a.AccessToken)
	parts := strings.Split(a.AccessToken, ".")
	kid := tokenKid(t, a.AccessToken)
	keys := fetchJWKS(t, ts)
	var pub []byte
	for _, k := range keys {
		if k.Kid == kid {
			pub, _ = b64url.DecodeString(k.X)
		}
	}
	if pub == nil {
		t.Fatalf("kid %s not in the JWKS", kid)
	}
	hs256 := func(secret []byte) string {
		h := map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": kid}
		input := jwsSegment(t, h) + "." + parts[1]
		mac := hmac.New(sha256.New, secret)
		mac.Write([]byte(input))
		return input + "." + b64url.EncodeToString(mac.Sum(nil))
	}
	_, foreign, _ := ed25519.GenerateKey(nil)

	cases := []struct {
		name  string
		token func() string
	}{
		{"tampered payload: sub of another user", func() string {
			p := map[string]any{}
			for k, v := range payload {
				p[k] = v
			}
			p["sub"] = b.User.ID
			return parts[0] + "." + jwsSegment(t, p) + "." + parts[2]
		}},
		{"tampered payload: expiry pushed out", func() string {
			p := map[string]any{}
			for k, v := range payload {
				p[k] = v
			}
			p["exp"] = time.Now().Add(24 * time.Hour).Unix()
			return parts[0] + "." + jwsSegment(t, p) + "." + parts[2]
		}},
		{"tampered signature", func() string {
			s := bytes.Clone(sig)
			s[0] ^= 0x01
			return parts[0] + "." + parts[1] + "." + b64url.EncodeToString(s)
		}},
		{"signature removed", func() string { return parts[0] + "." + parts[1] + "." }},
		{"alg none", func() string {
			h := map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}
			return jwsSegment(t, h) + "." + parts[1] + "."
		}},
		{"alg none with the original signature", func() string {
			h := map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}
			return jwsSegment(t, h) + "." + parts[1] + "." + parts[2]
		}},
		{"HS256 keyed with the public key bytes", func() string { return hs256(pub) }},
		{"HS256 keyed with the JWKS x string", func() string { return hs256([]byte(b64url.EncodeToString(pub))) }},
		{"Ed25519 key of an attacker under the real kid", func() string {
			return signJWS(t, foreign, kid, claimsFor(ts, a, time.Now().Add(10*time.Minute)), nil)
		}},
		{"Ed25519 key of an attacker under an unknown kid", func() string {
			return signJWS(t, foreign, "attacker-key", claimsFor(ts, a, time.Now().Add(10*time.Minute)), nil)
		}},
		{"header alg changed to ES256", func() string {
			h := map[string]any{}
			for k, v := range header {
				h[k] = v
			}
			h["alg"] = "ES256"
			return jwsSegment(t, h) + "." + parts[1] + "." + parts[2]
		}},
		{"not a JWT", func() string { return "not-a-token" }},
		{"refresh token as access token", func() string { return a.RefreshToken }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, c.token(), meQuery, nil), "UNAUTHENTICATED", 607)
		})
	}
	// The genuine tokens still work: the refusals above were about the forgeries.
	if got := ts.meID(t, a.AccessToken); got != a.User.ID {
		t.Fatalf("me = %s, want %s", got, a.User.ID)
	}
}

func TestTokenSignedWithServerKey(t *testing.T) {
	t.Parallel()
	skipOnMongo(t, "reads the signing key from the SQLite file")
	ts := startServer(t)
	a := ts.signup(t, "tokcarol", testPassword)
	b := ts.signup(t, "tokdave", testPassword)
	kid, key := serverSigningKey(t, ts, a.AccessToken)
	future := time.Now().Add(10 * time.Minute)
	with := func(c jwt.MapClaims, k string, v any) jwt.MapClaims {
		c[k] = v
		return c
	}

	// The control: a token made here with the server's key and the same
	// claims is accepted, so every refusal below is about the one thing
	// each case changes.
	t.Run("control: genuine claims are accepted", func(t *testing.T) {
		tok := signJWS(t, key, kid, claimsFor(ts, a, future), nil)
		if got := ts.meID(t, tok); got != a.User.ID {
			t.Fatalf("me = %s, want %s", got, a.User.ID)
		}
	})
	t.Run("expired", func(t *testing.T) {
		c := claimsFor(ts, a, time.Now().Add(-time.Minute))
		c["iat"] = time.Now().Add(-time.Hour).Unix()
		r := ts.gql(t, signJWS(t, key, kid, c, nil), meQuery, nil)
		wantCode(t, r, "UNAUTHENTICATED", 608)
	})
	t.Run("expired long ago", func(t *testing.T) {
		c := claimsFor(ts, a, time.Now().Add(-30*24*time.Hour))
		c["iat"] = time.Now().Add(-31 * 24 * time.Hour).Unix()
		wantCode(t, ts.gql(t, signJWS(t, key, kid, c, nil), meQuery, nil), "UNAUTHENTICATED", 608)
	})

	invalid := []struct {
		name   string
		claims jwt.MapClaims
		header map[string]any
	}{
		{"session that does not exist", with(claimsFor(ts, a, future), "sid", "0190f1a0-0000-7000-8000-000000000000"), nil},
		{"session of another user", with(claimsFor(ts, a, future), "sid", b.Session.ID), nil},
		{"user that does not exist", with(claimsFor(ts, a, future), "sub", "0190f1a0-0000-7000-8000-000000000001"), nil},
		{"no sid", func() jwt.MapClaims { c := claimsFor(ts, a, future); delete(c, "sid"); return c }(), nil},
		{"no exp", func() jwt.MapClaims { c := claimsFor(ts, a, future); delete(c, "exp"); return c }(), nil},
		{"wrong issuer", with(claimsFor(ts, a, future), "iss", "http://evil.example"), nil},
		{"wrong audience", with(claimsFor(ts, a, future), "aud", []string{"http://other-service.example"}), nil},
		{"no audience", func() jwt.MapClaims { c := claimsFor(ts, a, future); delete(c, "aud"); return c }(), nil},
		{"expired with wrong audience", with(claimsFor(ts, a, time.Now().Add(-time.Minute)), "aud", "http://other-service.example"), nil},
		{"not yet valid", with(claimsFor(ts, a, future), "nbf", time.Now().Add(5*time.Minute).Unix()), nil},
		{"typ JWT instead of at+jwt", claimsFor(ts, a, future), map[string]any{"typ": "JWT"}},
		{"no typ", claimsFor(ts, a, future), map[string]any{"typ": nil}},
		{"no kid", claimsFor(ts, a, future), map[string]any{"kid": nil}},
	}
	for _, c := range invalid {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, ts.gql(t, signJWS(t, key, kid, c.claims, c.header), meQuery, nil), "UNAUTHENTICATED", 607)
		})
	}
}

func TestTokenAuthorizationHeader(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	a := ts.signup(t, "tokerin", testPassword)
	cases := []struct {
		name   string
		header string
		status int
	}{
		{"no credentials", "", 606},
		{"Basic scheme", "Basic x", 607},
		{"Basic scheme with a real token", "Basic " + a.AccessToken, 607},
		{"Bearer with nothing", "Bearer", 607},
		{"Bearer with spaces only", "Bearer    ", 607},
		{"token without scheme", a.AccessToken, 607},
		{"Bearer with garbage", "Bearer x.y.z", 607},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantCode(t, ts.post(t, meQuery, nil, "Authorization", c.header), "UNAUTHENTICATED", c.status)
			// A @public field answers despite the bad credentials.
			r := ts.post(t, `query($u: String!) { usernameExists(username: $u) }`, vars{"u": "tokerin"}, "Authorization", c.header)
			if len(r.Errors) > 0 {
				t.Fatalf("usernameExists with the same header: %+v", r.Errors)
			}
			var out struct{ UsernameExists bool }
			r.decode(t, &out)
			if !out.UsernameExists {
				t.Fatal("usernameExists(tokerin) = false")
			}
		})
	}
	t.Run("scheme is case-insensitive", func(t *testing.T) {
		r := ts.post(t, meQuery, nil, "Authorization", "bearer "+a.AccessToken)
		if len(r.Errors) > 0 {
			t.Fatalf("lower-case bearer refused: %+v", r.Errors)
		}
	})
}

func TestJWKSVerifiesIssuedTokens(t *testing.T) {
	t.Parallel()
	ts := startServer(t)
	ts.signup(t, "tokfrank", testPassword)
	a := ts.login(t, "tokfrank", testPassword)
	keys := fetchJWKS(t, ts)
	if len(keys) != 1 {
		t.Fatalf("a fresh server publishes %d keys, want 1", len(keys))
	}
	if keys[0].Alg != "EdDSA" || keys[0].Use != "sig" {
		t.Errorf("jwk alg/use = %q/%q, want EdDSA/sig", keys[0].Alg, keys[0].Use)
	}
	h, p, _ := splitJWS(t, a.AccessToken)
	if h["alg"] != "EdDSA" || h["typ"] != "at+jwt" {
		t.Errorf("token header = %v, want alg EdDSA, typ at+jwt", h)
	}
	for claim, want := range map[string]any{"iss": ts.url, "sub": a.User.ID, "sid": a.Session.ID} {
		if p[claim] != want {
			t.Errorf("claim %s = %v, want %v", claim, p[claim], want)
		}
	}
	verifyWithJWKS(t, keys, a.AccessToken)
}

func TestTokenSigningKeyRotation(t *testing.T) {
	t.Parallel()
	// No session cache: the old token is verified again after the rotation.
	ts := startServer(t, withConfig(func(c *app.Config) { c.Sessions.CacheTTL = 0 }))
	root := ts.admin(t)
	user := ts.signup(t, "tokgrace", testPassword)
	oldKid := tokenKid(t, user.AccessToken)

	t.Run("only an admin may rotate", func(t *testing.T) {
		wantCode(t, ts.gql(t, user.AccessToken, `mutation { rotateSigningKey }`, nil), "FORBIDDEN", 609)
		if keys := fetchJWKS(t, ts); len(keys) != 1 {
			t.Fatalf("JWKS has %d keys after a refused rotation, want 1", len(keys))
		}
	})

	var out struct{ RotateSigningKey bool }
	ts.mustGQL(t, root.AccessToken, `mutation { rotateSigningKey }`, nil).decode(t, &out)
	if !out.RotateSigningKey {
		t.Fatal("rotateSigningKey = false")
	}

	t.Run("old token still works", func(t *testing.T) {
		if got := ts.meID(t, user.AccessToken); got != user.User.ID {
			t.Fatalf("me = %s, want %s", got, user.User.ID)
		}
	})
	t.Run("new tokens use the new key", func(t *testing.T) {
		fresh := ts.login(t, "tokgrace", testPassword)
		if kid := tokenKid(t, fresh.AccessToken); kid == oldKid {
			t.Fatalf("token after rotation still has kid %s", kid)
		}
		if got := ts.meID(t, fresh.AccessToken); got != user.User.ID {
			t.Fatalf("me = %s, want %s", got, user.User.ID)
		}
		keys := fetchJWKS(t, ts)
		if len(keys) != 2 {
			t.Fatalf("JWKS has %d keys after rotation, want 2", len(keys))
		}
		verifyWithJWKS(t, keys, fresh.AccessToken)
		verifyWithJWKS(t, keys, user.AccessToken)
	})
	t.Run("refresh signs with the new key", func(t *testing.T) {
		r := ts.mustGQL(t, "", `mutation($t: String!) { refreshSession(refreshToken: $t) { accessToken } }`, vars{"t": user.RefreshToken})
		var ref struct{ RefreshSession struct{ AccessToken string } }
		r.decode(t, &ref)
		if kid := tokenKid(t, ref.RefreshSession.AccessToken); kid == oldKid {
			t.Fatalf("refreshed token still has the retired kid %s", kid)
		}
	})
}
