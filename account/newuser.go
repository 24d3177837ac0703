package account

import (
	"context"
	"encoding/json"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/store"
)

// NewUser is what sign-up, administrators and initialization give to create
// an account.
type NewUser struct {
	Username, Email, Phone string
	Password               string // empty: no password (admin-created only)
	Profile                Profile
	Tags                   []string
	Metadata               json.RawMessage
	AppMetadata            json.RawMessage
	Roles                  []string
	Status                 store.Status
	EmailVerified          bool
	DeviceToken            string // sign-up only: the client's device (package devices)
}

// Profile holds the free-form profile fields.
type Profile struct {
	FirstName, LastName, FullName, Website, AvatarURL, Address, AdditionalInfo string
}

// build validates in and returns the record to insert (password hashed).
// Cheap checks run before the expensive hash.
func (s *Service) build(ctx context.Context, in NewUser, needPassword bool) (*store.User, error) {
	u, err := s.record(in)
	if err != nil {
		return nil, err
	}
	if in.Password != "" || needPassword {
		if err := s.checkPassword("password", in.Password, u.Username, u.Email); err != nil {
			return nil, err
		}
		if u.PasswordHash, err = s.hash(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// record validates in but its password and returns the record to insert,
// without a password. An account that has none (an external sign-up) is
// built by this alone, so that no password hash is within its reach: the
// per-request hash limit counts the fields that can hash
// (resolvers/hashes_test.go).
func (s *Service) record(in NewUser) (*store.User, error) {
	u, err := s.identify(in)
	if err != nil {
		return nil, err
	}
	if err := s.applyProfile(u, in.Profile); err != nil {
		return nil, err
	}
	if u.Tags, err = checkTags("tags", in.Tags); err != nil {
		return nil, err
	}
	if u.Metadata, err = checkObject("metadata", in.Metadata, s.cfg.MetadataMaxBytes); err != nil {
		return nil, err
	}
	if u.AppMetadata, err = checkObject("appMetadata", in.AppMetadata, s.cfg.MetadataMaxBytes); err != nil {
		return nil, err
	}
	now := store.Now()
	u.ID, u.CreatedAt, u.UpdatedAt = store.NewID(), now, now
	u.Status, u.EmailVerified, u.Roles = in.Status, in.EmailVerified, in.Roles
	if u.Roles == nil {
		u.Roles = []string{}
	}
	return u, nil
}

// identify checks the identifiers: a username or an email is required.
func (s *Service) identify(in NewUser) (*store.User, error) {
	if in.Username == "" && in.Email == "" {
		return nil, apperr.Input("username", "a username or an email is required")
	}
	u := &store.User{}
	var err error
	if in.Username != "" {
		name, key, err := s.checkUsername(in.Username)
		if err != nil {
			return nil, err
		}
		setUsername(u, name, key)
	}
	if in.Email != "" {
		if u.Email, err = checkEmail(in.Email); err != nil {
			return nil, err
		}
	}
	if in.Phone != "" {
		if u.Phone, err = checkPhone(in.Phone, s.cfg.PhoneRegion); err != nil {
			return nil, err
		}
	}
	s.setKeys(u)
	return u, nil
}

// applyProfile validates and sets every profile field.
func (s *Service) applyProfile(u *store.User, p Profile) error {
	fields := []struct {
		name string
		src  string
		dst  *string
	}{
		{"firstName", p.FirstName, &u.FirstName}, {"lastName", p.LastName, &u.LastName},
		{"fullName", p.FullName, &u.FullName}, {"website", p.Website, &u.Website},
		{"avatarUrl", p.AvatarURL, &u.AvatarURL}, {"address", p.Address, &u.Address},
		{"additionalInfo", p.AdditionalInfo, &u.AdditionalInfo},
	}
	for _, f := range fields {
		v, err := checkText(f.name, f.src)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	return nil
}
