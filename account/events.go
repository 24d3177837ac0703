package account

import (
	"context"

	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// The events of profile changes (API.md's catalogue): which fields a change
// names, never their values (the trail keeps ids, not personal data).

// fields names the fields ch sets, metadata apart.
func (ch ProfileChange) fields() []string {
	var out []string
	for _, f := range []struct {
		name string
		set  bool
	}{
		{"email", ch.Email != nil}, {"phone", ch.Phone != nil}, {"firstName", ch.FirstName != nil},
		{"lastName", ch.LastName != nil}, {"fullName", ch.FullName != nil}, {"website", ch.Website != nil},
		{"avatarUrl", ch.AvatarURL != nil}, {"address", ch.Address != nil},
		{"additionalInfo", ch.AdditionalInfo != nil}, {"tags", ch.Tags != nil},
	} {
		if f.set {
			out = append(out, f.name)
		}
	}
	return out
}

// profileEvents are the events of a user's own profile change: user.updated
// naming the fields, user.metadata_changed, and email.change_requested
// when a new address waits for its confirmation (verification on).
func profileEvents(ctx context.Context, id string, ch ProfileChange, verificationOn bool) []*store.Event {
	var evs []*store.Event
	if f := ch.fields(); len(f) > 0 {
		evs = append(evs, audit.New(ctx, audit.UserUpdated, id, audit.Data{"fields": f}))
	}
	if ch.MetadataPatch != nil {
		evs = append(evs, audit.New(ctx, audit.UserMetadataChanged, id, audit.Data{"field": "metadata"}))
	}
	if ch.Email != nil && *ch.Email != "" && verificationOn {
		evs = append(evs, audit.New(ctx, audit.EmailChangeRequested, id, nil))
	}
	return evs
}
