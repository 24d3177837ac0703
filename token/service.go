// Package token issues and verifies access tokens: short-lived JWTs signed
// with Ed25519 (EdDSA), typ at+jwt, with the algorithm pinned on
// verification (RFC 8725). Signing keys live in the store, so every
// instance signs with the same key and verifies every other's tokens; they
// rotate, and retired keys keep verifying for Config.KeyRetention. The
// public keys are published as a JSON Web Key Set.
package token

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/usergraph/usergraph/store"
)

const (
	tokenType    = "at+jwt"        // RFC 9068 access token
	maxTokenLen  = 8 << 10         // longer input is refused before parsing
	maxKIDLen    = 128             // longer key ids never trigger a store reload
	refreshEvery = time.Minute     // Issue re-reads the keys this often, to follow rotations by other instances
	reloadEvery  = 5 * time.Second // unknown kids re-read the keys at most this often
	storeTimeout = 5 * time.Second // for store reads that no caller's context bounds
)

// Service issues and verifies access tokens. It is safe for concurrent use.
type Service struct {
	store   store.KeyStore
	cfg     Config
	log     *slog.Logger
	parser  *jwt.Parser
	keyfunc jwt.Keyfunc

	keys atomic.Pointer[keySet] // current snapshot; Verify reads it lock-free

	loadMu      sync.Mutex // serializes store reads and writes of keys
	lastLoad    time.Time  // last attempt to read the store; guarded by loadMu
	lastKidLoad time.Time  // last read an unknown kid caused; guarded by loadMu
}

// New loads the signing keys from keys, creating one if none can sign.
// Instances started at the same time may each create a key; each reads the
// store back and they all settle on the newest one.
func New(ctx context.Context, keys store.KeyStore, cfg Config, log *slog.Logger) (*Service, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{store: keys, cfg: cfg, log: log}
	s.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{algorithm}), // pinned: no none, no HS256 with the public key
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(cfg.Now),
		jwt.WithStrictDecoding(),
	)
	s.keyfunc = s.lookupKey // bound once: a method value per call would allocate
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if err := s.ensureSigner(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Issue signs an access token for c and returns it with its expiry. The
// token lives Config.AccessTTL, or less if c.ExpiresAt (e.g. the session's
// end) is sooner. IssuedAt is always now; an empty c.ID gets a new jti.
// Times are whole seconds, as JWT NumericDate carries them.
func (s *Service) Issue(c Claims) (token string, expiresAt time.Time, err error) {
	if c.UserID == "" || c.SessionID == "" {
		return "", time.Time{}, errors.New("token: UserID and SessionID are required")
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	exp := now.Add(s.cfg.AccessTTL)
	if !c.ExpiresAt.IsZero() && c.ExpiresAt.Before(exp) {
		// Rounded up: a token must not die before its session merely
		// because JWT times have whole seconds.
		exp = c.ExpiresAt.UTC().Add(time.Second - time.Nanosecond).Truncate(time.Second)
	}
	if !exp.After(now) {
		return "", time.Time{}, errors.New("token: expiry is not in the future")
	}
	if c.ID == "" {
		c.ID = store.NewID()
	}
	signer := s.signingKeys().signer
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, &jwtClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    s.cfg.Issuer,
			Subject:   c.UserID,
			Audience:  jwt.ClaimStrings{s.cfg.Audience},
			ExpiresAt: jwt.NewNumericDate(exp),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        c.ID,
		},
		SessionID: c.SessionID,
		Kind:      c.Kind,
		Roles:     c.Roles,
	})
	t.Header["typ"] = tokenType
	t.Header["kid"] = signer.id
	token, err = t.SignedString(signer.private)
	if err != nil {
		return "", time.Time{}, err
	}
	return token, exp, nil
}

// AccessTTL is the lifetime of the access tokens Issue signs.
func (s *Service) AccessTTL() time.Duration { return s.cfg.AccessTTL }

// Verify checks token and returns its claims. It returns ErrExpired for a
// genuine token that expired and ErrInvalid for anything else.
func (s *Service) Verify(token string) (*Claims, error) {
	if len(token) > maxTokenLen || !compact(token) {
		return nil, ErrInvalid
	}
	var c jwtClaims
	if _, err := s.parser.ParseWithClaims(token, &c, s.keyfunc); err != nil {
		return nil, classify(err)
	}
	return c.public(), nil
}

// compact reports whether token has only the characters of a JWS compact
// serialization: base64url segments and dots. The base64 decoder skips
// line breaks, so without this a genuine token would also verify with
// line breaks added, in endless spellings (found by FuzzVerify).
func compact(token string) bool {
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// JWKS returns the JSON Web Key Set of every key that still verifies
// (RFC 7517, Ed25519 keys per RFC 8037), for /.well-known/jwks.json. It is
// built when the keys change; callers must not modify the returned slice.
func (s *Service) JWKS() []byte { return s.current().jwks }

var (
	errWrongType  = errors.New("token: typ is not " + tokenType)
	errUnknownKey = errors.New("token: unknown kid")
)

// lookupKey is the jwt Keyfunc: it runs after the algorithm check and
// before the signature check, and picks the key named by kid.
func (s *Service) lookupKey(t *jwt.Token) (any, error) {
	if typ, _ := t.Header["typ"].(string); !strings.EqualFold(typ, tokenType) &&
		!strings.EqualFold(typ, "application/"+tokenType) {
		return nil, errWrongType
	}
	kid, _ := t.Header["kid"].(string)
	if k := s.current().byID[kid]; k != nil {
		return k.verifier, nil
	}
	if kid == "" || len(kid) > maxKIDLen {
		return nil, errUnknownKey
	}
	// Another instance may have rotated: read the store (rate-limited, as
	// anyone can send a made-up kid) and look again.
	s.reloadFor(kid)
	if k := s.current().byID[kid]; k != nil {
		return k.verifier, nil
	}
	return nil, errUnknownKey
}

// current returns the key snapshot, first dropping keys whose retention
// ended, so that expiry needs no store read and no background timer.
func (s *Service) current() *keySet {
	ks := s.keys.Load()
	if now := s.cfg.Now(); ks.stale(now) {
		pruned := newKeySet(ks.keys, now, ks.loadedAt)
		s.keys.CompareAndSwap(ks, pruned) // losing means a newer set is in place
		return pruned
	}
	return ks
}

// signingKeys returns the snapshot to sign with, re-reading the store when
// it is older than refreshEvery: an instance that never sees a token of the
// new key would otherwise sign with a retired key until it is deleted.
func (s *Service) signingKeys() *keySet {
	ks := s.current()
	if s.cfg.Now().Sub(ks.loadedAt) < refreshEvery || !s.loadMu.TryLock() {
		return ks // fresh, or another goroutine is reading the store right now
	}
	defer s.loadMu.Unlock()
	s.reloadLocked(refreshEvery)
	return s.current()
}

// reloadFor re-reads the store for an unknown kid. Callers wait for a read
// in progress, since it may be the one that brings their key.
//
// The limit counts only the reads unknown kids caused, not the read at
// start: instances that start at once on an empty store may each create a
// key after the other has read it (ensureSigner), and the first token of
// such a key must verify at once, not reloadEvery later. Made-up kids
// still cost at most one read per reloadEvery.
func (s *Service) reloadFor(kid string) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	if s.keys.Load().byID[kid] != nil {
		return
	}
	now := s.cfg.Now()
	if now.Sub(s.lastKidLoad) < reloadEvery {
		return
	}
	s.lastKidLoad = now
	s.reloadLocked(0)
}

// reloadLocked reads the store unless it was tried within minAge. Failures
// are logged and the old keys kept: they still sign and verify.
func (s *Service) reloadLocked(minAge time.Duration) {
	if s.cfg.Now().Sub(s.lastLoad) < minAge {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := s.load(ctx); err != nil {
		s.log.Warn("token: reloading signing keys failed; keeping the current ones", "err", err)
	}
}
