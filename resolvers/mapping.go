package resolvers

import (
	"math"
	"time"

	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Conversions from records to API types. Empty strings and "never" times
// become null; lists are never null.

func toUser(u *store.User) *model.User {
	if u == nil {
		return nil
	}
	return &model.User{
		ID:                u.ID,
		Username:          str(u.Username),
		Email:             str(u.Email),
		EmailVerified:     u.EmailVerified,
		Phone:             str(u.Phone),
		FirstName:         str(u.FirstName),
		LastName:          str(u.LastName),
		FullName:          str(u.DisplayFullName()),
		Website:           str(u.Website),
		AvatarURL:         str(u.AvatarURL),
		Address:           str(u.Address),
		AdditionalInfo:    str(u.AdditionalInfo),
		Tags:              nonNil(u.Tags),
		Metadata:          object(u.Metadata),
		AppMetadata:       object(u.AppMetadata),
		Status:            model.UserStatus(u.Status),
		Active:            u.Active(),
		IsGuest:           u.IsGuest,
		CreatedAt:         u.CreatedAt,
		UpdatedAt:         u.UpdatedAt,
		LastLoginAt:       optTime(u.LastLoginAt),
		LastRequestAt:     optTime(u.LastRequestAt),
		DeletedAt:         optTime(u.DeletedAt),
		RoleNames:         nonNil(u.Roles),
		Lockout:           u.Lockout,
		PendingEmail:      str(u.PendingEmail),
		EmailVerification: toEmailVerification(u.EmailVerification),
	}
}

// toEmailVerification is null until the first verification mail.
func toEmailVerification(v store.EmailVerification) *model.EmailVerification {
	if v.Status == "" {
		return nil
	}
	return &model.EmailVerification{Status: model.EmailVerificationStatus(v.Status), LastStateChangeAt: v.At}
}

// toSession shows s; endsAt is when it ends unless used again
// (session.Manager.EndsAt), which is what clients need, not the absolute
// end the store keeps.
func toSession(s *store.Session, current string, endsAt time.Time) *model.Session {
	return &model.Session{
		ID:         s.ID,
		Kind:       model.SessionKind(s.Kind),
		UserAgent:  str(s.UserAgent),
		IP:         str(s.IP),
		CreatedAt:  s.CreatedAt,
		LastSeenAt: s.LastSeenAt,
		ExpiresAt:  endsAt,
		Current:    s.ID == current,
		UserID:     s.UserID,
		DeviceID:   s.DeviceID,

		ApplicationID: s.ApplicationID,
	}
}

func toDevice(d *store.Device) *model.Device {
	return &model.Device{ID: d.ID, Token: d.Token, Name: str(d.Name), CanAccess: d.CanAccess,
		LastUsedAt: optTime(d.LastUsedAt), CreatedAt: d.CreatedAt}
}

func toDevices(devices []*store.Device) []*model.Device {
	out := make([]*model.Device, len(devices))
	for i, d := range devices {
		out[i] = toDevice(d)
	}
	return out
}

func toRole(r *store.Role) *model.Role {
	out := &model.Role{ID: r.ID, Name: r.Name, Description: str(r.Description), BuiltIn: r.BuiltIn,
		Permissions: make([]*model.Permission, len(r.Permissions))}
	for i := range r.Permissions {
		out.Permissions[i] = toPermission(&r.Permissions[i])
	}
	return out
}

func toPermission(p *store.Permission) *model.Permission {
	verbs := make([]model.Verb, len(p.Verbs))
	for i, v := range p.Verbs {
		verbs[i] = model.Verb(v)
	}
	return &model.Permission{ID: p.ID, Name: str(p.Name), Pattern: p.Pattern, Verbs: verbs}
}

func toAuth(t *session.Tokens, sessionEndsAt time.Time) *model.AuthPayload {
	return &model.AuthPayload{
		AccessToken:  t.Access,
		RefreshToken: t.Refresh,
		TokenType:    "Bearer",
		ExpiresIn:    int(math.Ceil(time.Until(t.AccessExpiresAt).Seconds())), // JWT expiry is a whole second at or after now+TTL's
		ExpiresAt:    t.AccessExpiresAt,
		Session:      toSession(t.Session, t.Session.ID, sessionEndsAt),
		User:         toUser(t.User),
		DeviceCookie: str(t.DeviceCookie),
	}
}

func str(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func val(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNil[T any](l []T) []T {
	if l == nil {
		return []T{}
	}
	return l
}

func object(raw []byte) []byte {
	if len(raw) == 0 {
		return []byte("{}")
	}
	return raw
}
