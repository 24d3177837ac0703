package account

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// FuzzMergeMetadata runs the service's metadata merge (updateProfile's
// metadata, updateUser's appMetadata, setUserMetadataField) with a small
// size limit. It holds that a merge either yields a storable object within
// the limit, which the same patch leaves unchanged, or is BAD_USER_INPUT
// naming the field; never anything else, never a panic.
func FuzzMergeMetadata(f *testing.F) {
	f.Add([]byte(`{"a":1}`), []byte(`{"a":null,"b":{"c":[1,2]}}`))
	const limit = 512
	s := &Service{cfg: Config{MetadataMaxBytes: limit}}
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		if len(doc) > limit || store.ValidateObject(doc) != nil {
			return // what is stored passed these checks
		}
		merged, err := s.mergeObject("metadata", doc, patch)
		if err != nil {
			if e, ok := apperr.As(err); !ok || e.Code != apperr.BadUserInput || e.Field != "metadata" {
				t.Fatalf("merge refused with %v, want BAD_USER_INPUT on metadata", err)
			}
			return
		}
		if len(merged) > limit {
			t.Errorf("merged metadata of %d bytes, limit %d", len(merged), limit)
		}
		if err := store.ValidateObject(merged); err != nil {
			t.Fatalf("merged metadata %s does not validate: %v", merged, err)
		}
		again, err := s.mergeObject("metadata", merged, patch)
		if err != nil {
			t.Fatalf("the same patch again: %v", err)
		}
		if !sameJSON(again, merged) {
			t.Errorf("not idempotent:\nonce  %s\ntwice %s", merged, again)
		}
	})
}

// sameJSON compares two documents as decoded values, numbers by their text.
func sameJSON(a, b json.RawMessage) bool {
	x, err1 := decodeNumbers(a)
	y, err2 := decodeNumbers(b)
	return err1 == nil && err2 == nil && reflect.DeepEqual(x, y)
}

func decodeNumbers(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
