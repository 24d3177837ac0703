package store

import "time"

// Verb is an action on a resource, named after HTTP methods.
type Verb string

const (
	VerbGet    Verb = "GET"
	VerbPost   Verb = "POST"
	VerbPut    Verb = "PUT"
	VerbPatch  Verb = "PATCH"
	VerbDelete Verb = "DELETE"
	VerbHead   Verb = "HEAD"
)

// AllVerbs lists every verb in a stable order.
var AllVerbs = []Verb{VerbGet, VerbPost, VerbPut, VerbPatch, VerbDelete, VerbHead}

// Permission grants Verbs on every resource Pattern (a glob) matches.
type Permission struct {
	ID      string
	Name    string
	Pattern string
	Verbs   []Verb
}

// Role is a named set of permissions that users hold by name.
type Role struct {
	ID          string
	Name        string
	Description string
	Permissions []Permission // never nil when read back
	BuiltIn     bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
	Version     int64
}

// Clone returns a deep copy.
func (r *Role) Clone() *Role {
	c := *r
	c.Permissions = make([]Permission, len(r.Permissions))
	for i, p := range r.Permissions {
		p.Verbs = append([]Verb{}, p.Verbs...)
		c.Permissions[i] = p
	}
	return &c
}
