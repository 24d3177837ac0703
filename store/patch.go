package store

import (
	"bytes"
	"encoding/json"
	"slices"
)

// ApplyPatch applies p to u in memory, the one definition of a bulk patch
// that every backend uses (so "removals before additions" and the merge
// patch behave identically). It reports whether u changed; it stamps
// UpdatedAt only then.
func ApplyPatch(u *User, p UserPatch) (bool, error) {
	before := u.Clone()
	if p.Status != nil {
		u.Status = *p.Status
	}
	u.Roles = editSet(u.Roles, p.RemoveRoles, p.AddRoles)
	u.Tags = editSet(u.Tags, p.RemoveTags, p.AddTags)
	if p.AppMetadata != nil {
		merged, err := MergeObject(u.AppMetadata, p.AppMetadata)
		if err != nil {
			return false, err
		}
		u.AppMetadata = merged
	}
	if !p.DeletedAt.IsZero() && u.DeletedAt.IsZero() {
		u.DeletedAt = Trunc(p.DeletedAt)
	}
	if !patchChanged(before, u) {
		return false, nil
	}
	u.UpdatedAt = Trunc(p.UpdatedAt)
	return true, nil
}

// editSet removes then adds names, keeping the existing order and never
// duplicating a name. Sets make it linear: a bulk patch runs it for every
// user it selects.
func editSet(set, remove, add []string) []string {
	removed := make(map[string]bool, len(remove))
	for _, s := range remove {
		removed[s] = true
	}
	out := make([]string, 0, len(set)+len(add))
	seen := make(map[string]bool, len(set)+len(add))
	for _, s := range set {
		if !removed[s] && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, s := range add {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func patchChanged(a, b *User) bool {
	return a.Status != b.Status || !slices.Equal(a.Roles, b.Roles) ||
		!slices.Equal(a.Tags, b.Tags) || !a.DeletedAt.Equal(b.DeletedAt) ||
		!jsonEqual(a.AppMetadata, b.AppMetadata)
}

// MergeObject applies a JSON merge patch (RFC 7396) to the JSON object doc
// (nil is {}), returning a new object. A patch that is not an object, or a
// result that is not, is ErrInvalid.
func MergeObject(doc, patch json.RawMessage) (json.RawMessage, error) {
	if len(doc) == 0 {
		doc = json.RawMessage(`{}`)
	}
	// Not jsonpatch.MergePatch: it drops null members of objects inside
	// arrays, which RFC 7396 copies verbatim.
	d, err1 := decodeJSON(doc)
	p, err2 := decodeJSON(patch)
	if err1 != nil || err2 != nil {
		return nil, Invalidf("merge patch: not a JSON object")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mergePatch(d, p)); err != nil {
		return nil, Invalidf("merge patch: %v", err)
	}
	out := json.RawMessage(bytes.TrimSpace(buf.Bytes()))
	if err := ValidateObject(out); err != nil {
		return nil, err
	}
	return out, nil
}

// mergePatch is RFC 7396's MergePatch(Target, Patch) over decoded JSON.
func mergePatch(target, patch any) any {
	p, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	t, ok := target.(map[string]any)
	if !ok {
		t = map[string]any{}
	}
	for k, v := range p {
		if v == nil {
			delete(t, k)
		} else {
			t[k] = mergePatch(t[k], v)
		}
	}
	return t
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(orEmpty(a), &x) != nil || json.Unmarshal(orEmpty(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

func orEmpty(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return json.RawMessage(`{}`)
	}
	return raw
}
