package store_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/usergraph/usergraph/store"
)

// FuzzMergeObject applies JSON merge patches (RFC 7396) to JSON objects. It
// holds, for every document and patch:
//   - nothing panics; a patch or result that is not an object, or whose
//     keys or depth no backend can store, is ErrInvalid;
//   - a result is an object ValidateObject accepts, no larger than the
//     inputs re-encoded (6 bytes per input byte at most: an invalid UTF-8
//     byte becomes \ufffd);
//   - RFC 7396: each member of the patch is removed (null) or set (a
//     non-object) in the result, and applying the patch again changes
//     nothing (a merge patch is idempotent).
//
// The committed corpus (testdata/fuzz/FuzzMergeObject) holds the attack
// inputs: deep nesting, many keys, bad keys, arrays and nulls inside.
func FuzzMergeObject(f *testing.F) {
	f.Add([]byte(`{"a":{"b":1},"c":[1,{"d":null}]}`), []byte(`{"a":{"b":null,"e":true},"c":null}`))
	f.Fuzz(func(t *testing.T, doc, patch []byte) {
		if store.ValidateObject(doc) != nil {
			return // documents are stored only after this check
		}
		out, err := store.MergeObject(doc, patch)
		if err != nil {
			return
		}
		if err := store.ValidateObject(out); err != nil {
			t.Fatalf("merge result %s is not a valid object: %v", out, err)
		}
		if max := 6*(len(doc)+len(patch)) + 2; len(out) > max {
			t.Errorf("merge result of %d bytes from %d + %d, want at most %d", len(out), len(doc), len(patch), max)
		}
		checkMembers(t, decode(t, out), decode(t, patch))
		again, err := store.MergeObject(out, patch)
		if err != nil {
			t.Fatalf("applying the patch again: %v", err)
		}
		if !reflect.DeepEqual(decode(t, again), decode(t, out)) {
			t.Errorf("not idempotent:\nonce  %s\ntwice %s", out, again)
		}
	})
}

// checkMembers checks RFC 7396 on the top level of a result: null members
// of the patch are gone, non-object ones are there as given, object ones
// are objects (their members follow the same rule, one level down).
func checkMembers(t *testing.T, result, patch any) {
	t.Helper()
	r, ok1 := result.(map[string]any)
	p, ok2 := patch.(map[string]any)
	if !ok1 || !ok2 {
		t.Fatalf("result %v and patch %v must both be objects", result, patch)
	}
	for k, pv := range p {
		rv, has := r[k]
		switch pv.(type) {
		case nil:
			if has {
				t.Errorf("member %q: patch says null, result has %v", k, rv)
			}
		case map[string]any:
			checkMembers(t, rv, pv)
		default:
			if !reflect.DeepEqual(rv, pv) {
				t.Errorf("member %q: got %v, want the patch's %v", k, rv, pv)
			}
		}
	}
}

func decode(t *testing.T, raw []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return v
}
