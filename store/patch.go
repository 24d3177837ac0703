package store

import (
	"encoding/json"
	"slices"

	jsonpatch "github.com/evanphx/json-patch/v5"
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
// duplicating a name.
func editSet(set, remove, add []string) []string {
	out := make([]string, 0, len(set)+len(add))
	for _, s := range set {
		if !slices.Contains(remove, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	for _, s := range add {
		if !slices.Contains(out, s) {
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
	out, err := jsonpatch.MergePatch(doc, patch)
	if err != nil {
		return nil, Invalidf("merge patch: not a JSON object")
	}
	if err := ValidateObject(out); err != nil {
		return nil, err
	}
	return out, nil
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
