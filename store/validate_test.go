package store_test

import (
	"encoding/json"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// Metadata numbers must fit a double in every backend.
func TestValidateObjectNumbers(t *testing.T) {
	for doc, ok := range map[string]bool{`{"n":1e308}`: true, `{"n":-0.5}`: true, `{"n":1e309}`: false, `{"a":[{"n":-1e400}]}`: false} {
		if err := store.ValidateObject(json.RawMessage(doc)); (err == nil) != ok {
			t.Errorf("ValidateObject(%s): %v, want valid %v", doc, err, ok)
		}
	}
}
