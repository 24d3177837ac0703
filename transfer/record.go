// Package transfer moves users into and out of usergraph: `usergraph
// import` reads a file of users (usergraph's own format as JSON lines or
// CSV, a Firebase Auth export, or Supabase's auth.users rows) and stores
// them through the store's bulk path, and `usergraph export` writes the
// same format back. docs/IMPORT.md specifies the format; the account
// service's rules decide what a valid user is (account.Import).
package transfer

import (
	"encoding/json"
	"time"

	"github.com/usergraph/usergraph/account"
	"github.com/usergraph/usergraph/store"
)

// Record is one user in usergraph's own format, a JSON object per line or
// a CSV row with these names as the header. docs/IMPORT.md documents each
// field; the names follow API.md's User.
type Record struct {
	ID             string          `json:"id,omitempty"`
	Username       string          `json:"username,omitempty"`
	Email          string          `json:"email,omitempty"`
	EmailVerified  bool            `json:"emailVerified,omitempty"`
	Phone          string          `json:"phone,omitempty"`
	FirstName      string          `json:"firstName,omitempty"`
	LastName       string          `json:"lastName,omitempty"`
	FullName       string          `json:"fullName,omitempty"`
	Website        string          `json:"website,omitempty"`
	AvatarURL      string          `json:"avatarUrl,omitempty"`
	Address        string          `json:"address,omitempty"`
	AdditionalInfo string          `json:"additionalInfo,omitempty"`
	Tags           []string        `json:"tags,omitempty"`
	Metadata       json.RawMessage `json:"metadata,omitempty"`
	AppMetadata    json.RawMessage `json:"appMetadata,omitempty"`
	// Roles absent (nil) gives the default role; an empty list, none.
	Roles        []string   `json:"roles"`
	Status       string     `json:"status,omitempty"`
	IsGuest      bool       `json:"isGuest,omitempty"`
	CreatedAt    time.Time  `json:"createdAt,omitzero"`
	LastLoginAt  time.Time  `json:"lastLoginAt,omitzero"`
	DeletedAt    time.Time  `json:"deletedAt,omitzero"`
	PasswordHash string     `json:"passwordHash,omitempty"`
	Identities   []Identity `json:"identities,omitempty"`
}

// Identity is an account at another provider linked to the user (API.md's
// Identity). Imports read and check them; see docs/IMPORT.md for where
// they go.
type Identity struct {
	Provider string    `json:"provider"`
	Subject  string    `json:"subject"`
	Email    string    `json:"email,omitempty"`
	LinkedAt time.Time `json:"linkedAt,omitzero"`
}

// columns are the CSV header's names, in the order export writes them.
var columns = []string{"id", "username", "email", "emailVerified", "phone", "firstName", "lastName",
	"fullName", "website", "avatarUrl", "address", "additionalInfo", "tags", "metadata", "appMetadata",
	"roles", "status", "isGuest", "createdAt", "lastLoginAt", "deletedAt", "passwordHash", "identities"}

// imported is what the account service validates.
func (r *Record) imported() account.Imported {
	return account.Imported{
		NewUser: account.NewUser{
			Username: r.Username, Email: r.Email, Phone: r.Phone,
			Profile: account.Profile{FirstName: r.FirstName, LastName: r.LastName, FullName: r.FullName,
				Website: r.Website, AvatarURL: r.AvatarURL, Address: r.Address, AdditionalInfo: r.AdditionalInfo},
			Tags: r.Tags, Metadata: r.Metadata, AppMetadata: r.AppMetadata,
			Roles: r.Roles, Status: store.Status(r.Status), EmailVerified: r.EmailVerified,
		},
		ID: r.ID, PasswordHash: r.PasswordHash, IsGuest: r.IsGuest,
		CreatedAt: r.CreatedAt, LastLoginAt: r.LastLoginAt, DeletedAt: r.DeletedAt,
	}
}

// recordOf is the record export writes for u, with its hash only when
// asked.
func recordOf(u *store.User, withHash bool) *Record {
	r := &Record{
		ID: u.ID, Username: u.Username, Email: u.Email, EmailVerified: u.EmailVerified, Phone: u.Phone,
		FirstName: u.FirstName, LastName: u.LastName, FullName: u.FullName, Website: u.Website,
		AvatarURL: u.AvatarURL, Address: u.Address, AdditionalInfo: u.AdditionalInfo,
		Tags: u.Tags, Roles: u.Roles, Status: string(u.Status), IsGuest: u.IsGuest,
		CreatedAt: u.CreatedAt, LastLoginAt: u.LastLoginAt, DeletedAt: u.DeletedAt,
	}
	if len(r.Tags) == 0 {
		r.Tags = nil
	}
	if r.Roles == nil {
		r.Roles = []string{} // written as []: none, not the default role
	}
	if string(u.Metadata) != "{}" {
		r.Metadata = u.Metadata
	}
	if string(u.AppMetadata) != "{}" {
		r.AppMetadata = u.AppMetadata
	}
	if withHash {
		r.PasswordHash = u.PasswordHash
	}
	return r
}
