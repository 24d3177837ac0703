package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/usergraph/usergraph/store"
)

// settingUsernameKeys records which rules the stored username keys follow
// (usernameKeyVersion), so that the migration runs once per change.
const settingUsernameKeys = "username-key-version"

// usernameKeyBatch is how many users the migration reads at a time.
const usernameKeyBatch = 500

// maxKeyWarnings bounds the warnings of one migration; the summary line
// counts the rest.
const maxKeyWarnings = 100

// usernameKeyVersion names the rules of checkUsername's keys. A new value
// makes the next start recompute every key; switching case sensitivity
// changes it too, since it changes every key.
func (s *Service) usernameKeyVersion() string {
	if s.cfg.UsernameCaseSensitive {
		return "precis-1-case-preserved"
	}
	return "precis-1-case-mapped"
}

// MigrateUsernameKeys gives every stored username the key of the current
// rules, once: at start, before anything is served. Users are read in id
// order (the order they were created in), so of two whose names now have
// the same key the earlier one gets it. A user whose new key another user
// already holds, or whose name the current rules refuse, keeps its old key
// (logged once, by id), and lookups still find it by what its owner typed
// before (lookupKeys). Two instances starting at once do the same work
// twice and the same result: each move is a compare-and-set of the old key.
func (s *Service) MigrateUsernameKeys(ctx context.Context) error {
	version := s.usernameKeyVersion()
	done, err := s.store.GetSetting(ctx, settingUsernameKeys)
	if err == nil && done == version {
		return nil
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	var m keyMigration
	for after := ""; ; {
		batch, err := s.store.ListUsernameKeys(ctx, after, usernameKeyBatch)
		if err != nil {
			return err
		}
		for _, e := range batch {
			if err := s.migrateUsernameKey(ctx, e, &m); err != nil {
				return fmt.Errorf("username key of user %s: %w", e.ID, err)
			}
		}
		if len(batch) < usernameKeyBatch {
			break
		}
		after = batch[len(batch)-1].ID
	}
	if m.moved+m.collided+m.refused > 0 {
		s.log.Info("username keys migrated", "rules", version, "moved", m.moved,
			"kept_colliding", m.collided, "kept_refused", m.refused)
	}
	return s.store.PutSetting(ctx, settingUsernameKeys, version)
}

// keyMigration counts what the migration did.
type keyMigration struct {
	moved, collided, refused int
}

// migrateUsernameKey moves one user's key if it differs from the rules'.
// Warnings name ids only: usernames are personal data and logs travel.
func (s *Service) migrateUsernameKey(ctx context.Context, e store.UsernameKey, m *keyMigration) error {
	_, key, err := s.checkUsername(e.Username)
	if err != nil {
		if m.refused++; m.refused <= maxKeyWarnings {
			s.log.Warn("a username no longer passes the username rules; it keeps its old key and still signs in", "user", e.ID)
		}
		return nil
	}
	if key == e.Key {
		return nil
	}
	err = s.store.SetUsernameKey(ctx, e.ID, e.Key, key)
	switch {
	case err == nil:
		m.moved++
	case errors.Is(err, store.ErrAlreadyExists):
		holder, herr := s.store.GetUserByKey(ctx, store.KeyUsername, key)
		if herr != nil && !errors.Is(herr, store.ErrNotFound) {
			return herr
		}
		if m.collided++; m.collided <= maxKeyWarnings {
			other := ""
			if holder != nil {
				other = holder.ID
			}
			s.log.Warn("two usernames are the same under the username rules; the user keeps its old key and both still sign in as before",
				"user", e.ID, "same_as_user", other)
		}
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrConflict):
		// Deleted or renamed since it was read: a rename wrote a key of
		// the current rules.
	default:
		return err
	}
	return nil
}
