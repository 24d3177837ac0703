package token

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// This file holds the key lifecycle in the store: create, rotate, retire,
// delete. Every function here runs with loadMu held.

// Rotate makes a new key the signer. The previous signer is retired now
// and keeps verifying until now + KeyRetention; keys past their retention
// are deleted from the store.
func (s *Service) Rotate(ctx context.Context) error {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	id, err := s.createKey(audit.With(ctx, audit.New(ctx, audit.SigningKeyRotated, "", nil)))
	if err != nil {
		return err
	}
	// Reading back makes the new key the signer; load retires the older one.
	if err := s.load(ctx); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "token: rotated signing key", "kid", id)
	return nil
}

// ensureSigner loads the keys and creates one if none can sign.
func (s *Service) ensureSigner(ctx context.Context) error {
	if err := s.load(ctx); err != nil {
		return err
	}
	if s.keys.Load().signer != nil {
		return nil
	}
	if _, err := s.createKey(ctx); err != nil {
		return err
	}
	// Read back rather than trust our own key: an instance starting at the
	// same time may have created a newer one, which wins.
	if err := s.load(ctx); err != nil {
		return err
	}
	if s.keys.Load().signer == nil {
		return errors.New("token: no usable signing key in the store after creating one")
	}
	return nil
}

// createKey stores a new Ed25519 key and returns its id. Its CreatedAt is
// later than every known key's, so it is the newest even if this clock
// lags the clock of the instance that made the previous key.
func (s *Service) createKey(ctx context.Context) (string, error) {
	public, private, err := ed25519.GenerateKey(nil) // nil: crypto/rand
	if err != nil {
		return "", fmt.Errorf("token: generating a key: %w", err)
	}
	created := store.Trunc(s.cfg.Now())
	if ks := s.keys.Load(); ks != nil && len(ks.keys) > 0 && !created.After(ks.keys[0].createdAt) {
		created = ks.keys[0].createdAt.Add(time.Millisecond)
	}
	rec := &store.SigningKey{
		ID: store.NewID(), Algorithm: algorithm,
		Private: private.Seed(), Public: public, CreatedAt: created,
	}
	if err := s.store.CreateSigningKey(ctx, rec); err != nil {
		return "", fmt.Errorf("token: storing a new key: %w", err)
	}
	s.log.Info("token: created signing key", "kid", rec.ID)
	return rec.ID, nil
}

// load reads every key from the store and installs a new snapshot. On the
// way it settles the store: an active key older than the newest active one
// (left by a rotation or by two instances starting at once) is retired, and
// keys past their retention are deleted.
func (s *Service) load(ctx context.Context) error {
	now := s.cfg.Now()
	s.lastLoad = now
	recs, err := s.store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("token: listing signing keys: %w", err)
	}
	keys := s.settle(ctx, s.parseKeys(recs), now)
	s.keys.Store(newKeySet(keys, now, now))
	return nil
}

// parseKeys returns the usable keys newest first, skipping corrupt ones.
// The order is computed here, not taken from the store, so that every
// instance picks the same signer.
func (s *Service) parseKeys(recs []*store.SigningKey) []*key {
	var keys []*key
	for _, rec := range recs {
		k, err := parseKey(rec, s.cfg.KeyRetention)
		if err != nil {
			s.log.Warn("token: ignoring signing key", "err", err)
			continue
		}
		keys = append(keys, k)
	}
	slices.SortStableFunc(keys, func(a, b *key) int {
		if c := b.createdAt.Compare(a.createdAt); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	return keys
}

// settle retires extra active keys and deletes expired ones, returning the
// keys that remain. Store failures are logged: another instance or the next
// load will try again, and memory already holds the intended state.
func (s *Service) settle(ctx context.Context, keys []*key, now time.Time) []*key {
	var out []*key
	haveSigner := false
	for _, k := range keys {
		switch {
		case k.until.IsZero() && haveSigner:
			at := store.Trunc(now)
			s.storeWrite("retire", k.id, s.store.RetireSigningKey(ctx, k.id, at))
			k.until = at.Add(s.cfg.KeyRetention)
		case !k.until.IsZero() && !now.Before(k.until):
			s.storeWrite("delete", k.id, s.store.DeleteSigningKey(ctx, k.id))
			continue
		}
		haveSigner = haveSigner || k.until.IsZero()
		out = append(out, k)
	}
	return out
}

// storeWrite logs the outcome of a key write. ErrNotFound means another
// instance deleted the key first, which is the same outcome.
func (s *Service) storeWrite(op, kid string, err error) {
	switch {
	case err == nil:
		s.log.Info("token: "+op+"d signing key", "kid", kid)
	case errors.Is(err, store.ErrNotFound):
	default:
		s.log.Warn("token: cannot "+op+" signing key", "kid", kid, "err", err)
	}
}
