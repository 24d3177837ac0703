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

// Normalize puts r in its stored form: times in UTC at millisecond
// precision, permission and verb lists never nil; a new role gets version 1.
func (r *Role) Normalize() {
	if r.Version == 0 {
		r.Version = 1
	}
	r.CreatedAt, r.UpdatedAt = Trunc(r.CreatedAt), Trunc(r.UpdatedAt)
	if r.Permissions == nil {
		r.Permissions = []Permission{}
	}
	for i := range r.Permissions {
		if r.Permissions[i].Verbs == nil {
			r.Permissions[i].Verbs = []Verb{}
		}
	}
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
