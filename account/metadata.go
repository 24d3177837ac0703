package account

import (
	"context"
	"encoding/json"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// Metadata and appMetadata: replacing a user's metadata, setting one value
// at a dot path, and the JSON merge patches (RFC 7396) that profile and
// administrative changes apply to either object.

// SetMetadata replaces a user's metadata.
func (s *Service) SetMetadata(ctx context.Context, id string, metadata json.RawMessage) (*store.User, error) {
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	if len(metadata) == 0 || string(metadata) == "null" {
		return nil, apperr.Input("metadata", "metadata must be a JSON object")
	}
	md, err := checkObject("metadata", metadata, s.cfg.MetadataMaxBytes)
	if err != nil {
		return nil, err
	}
	ev := audit.New(ctx, audit.UserMetadataChanged, id, audit.Data{"field": "metadata"})
	return s.update(audit.With(ctx, ev), id, func(u *store.User) error {
		u.Metadata = md
		return nil
	})
}

// SetMetadataField sets the value at a dot path of a user's metadata,
// creating objects on the way; a nil or null value removes the key.
func (s *Service) SetMetadataField(ctx context.Context, id, key string, value json.RawMessage) (*store.User, error) {
	if err := checkID("id", id); err != nil {
		return nil, err
	}
	path, err := store.ParsePath(key)
	if err != nil {
		return nil, apperr.Input("key", "key must be a dot path of letters, digits, '_' and '-'")
	}
	patch := mergePatchAt(path, value)
	remove := len(value) == 0 || string(value) == "null"
	ev := audit.New(ctx, audit.UserMetadataChanged, id, audit.Data{"field": "metadata", "key": key})
	return s.update(audit.With(ctx, ev), id, func(u *store.User) error {
		if _, ok := store.LookupPath(u.Metadata, path); remove && !ok {
			return nil // nothing to remove; the merge patch would create empty objects on the way
		}
		merged, err := s.mergeObject("metadata", u.Metadata, patch)
		if err != nil {
			return err
		}
		u.Metadata = merged
		return nil
	})
}

// mergePatchAt builds the merge patch {"a":{"b":value}} for path a.b.
func mergePatchAt(path []string, value json.RawMessage) json.RawMessage {
	if len(value) == 0 {
		value = json.RawMessage("null")
	}
	patch := value
	for i := len(path) - 1; i >= 0; i-- {
		k, _ := json.Marshal(path[i])
		patch = json.RawMessage("{" + string(k) + ":" + string(patch) + "}")
	}
	return patch
}

// mergeObject applies a merge patch to a JSON object field. The patch is
// checked here; store.MergeObject checks the result's keys, so only its
// size is left to check.
func (s *Service) mergeObject(field string, doc, patch json.RawMessage) (json.RawMessage, error) {
	if string(patch) == "null" {
		return json.RawMessage(`{}`), nil
	}
	if _, err := checkObject(field, patch, s.cfg.MetadataMaxBytes); err != nil {
		return nil, err
	}
	merged, err := store.MergeObject(doc, patch)
	if err != nil {
		return nil, apperr.Input(field, "%s: the merge patch does not apply", field)
	}
	if len(merged) > s.cfg.MetadataMaxBytes {
		return nil, apperr.Input(field, "%s is larger than %d bytes", field, s.cfg.MetadataMaxBytes)
	}
	return merged, nil
}
