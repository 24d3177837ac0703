// Package audit names the events usergraph records (API.md's catalogue)
// and builds them from a request's context: who acted, from where. The
// services attach the events to the store write that makes the change
// (store.WithEvents), so the change and its event are stored together;
// package events delivers them to webhooks and serves the trail.
package audit

import (
	"context"
	"encoding/json"
	"slices"

	"github.com/usergraph/usergraph/store"
)

// The event types (API.md, "Events"). Webhooks subscribe to these names
// and the trail filters by them.
const (
	UserSignedUp          = "user.signed_up"
	LoginSucceeded        = "login.succeeded"
	LoginFailed           = "login.failed"
	Logout                = "logout"
	SessionRevoked        = "session.revoked"
	RefreshReuseDetected  = "refresh.reuse_detected"
	PasswordChanged       = "password.changed"
	PasswordResetRequest  = "password.reset_requested"
	PasswordReset         = "password.reset"
	EmailVerificationSent = "email.verification_sent"
	EmailVerified         = "email.verified"
	EmailChangeRequested  = "email.change_requested"
	UsernameChanged       = "username.changed"
	UserUpdated           = "user.updated"
	UserMetadataChanged   = "user.metadata_changed"
	UserStatusChanged     = "user.status_changed"
	UserDeleted           = "user.deleted"
	RoleGranted           = "role.granted"
	RoleRevoked           = "role.revoked"
	RoleCreated           = "role.created"
	RoleUpdated           = "role.updated"
	RoleDeleted           = "role.deleted"
	PermissionChanged     = "permission.changed"
	DevicePermitted       = "device.permitted"
	DeviceRestricted      = "device.restricted"
	ApplicationCreated    = "application.created"
	ApplicationDeleted    = "application.deleted"
	// IdentityLinked and IdentityUnlinked are emitted by social sign-in.
	IdentityLinked   = "identity.linked"
	IdentityUnlinked = "identity.unlinked"
	AccountLocked    = "account.locked"
	AccountUnlocked  = "account.unlocked"
	GuestUpgraded    = "guest.upgraded"
	WebhookDisabled  = "webhook.disabled"
)

// Types beyond API.md's catalogue (the implementer's, as API.md allows):
// state changes of its own resources that a security review asks about.
const (
	ApplicationUpdated       = "application.updated"
	ApplicationSecretRotated = "application.secret_rotated"
	DeviceRenamed            = "device.renamed"
	DeviceForgotten          = "device.forgotten"
	WebhookCreated           = "webhook.created"
	WebhookUpdated           = "webhook.updated"
	WebhookDeleted           = "webhook.deleted"
	SigningKeyRotated        = "signing_key.rotated"
)

// Catalogue is every event type: API.md's, in its order, then the others.
var Catalogue = []string{
	UserSignedUp, LoginSucceeded, LoginFailed, Logout, SessionRevoked, RefreshReuseDetected,
	PasswordChanged, PasswordResetRequest, PasswordReset, EmailVerificationSent, EmailVerified,
	EmailChangeRequested, UsernameChanged, UserUpdated, UserMetadataChanged, UserStatusChanged,
	UserDeleted, RoleGranted, RoleRevoked, RoleCreated, RoleUpdated, RoleDeleted, PermissionChanged,
	DevicePermitted, DeviceRestricted, ApplicationCreated, ApplicationDeleted, IdentityLinked,
	IdentityUnlinked, AccountLocked, AccountUnlocked, GuestUpgraded, WebhookDisabled,
	ApplicationUpdated, ApplicationSecretRotated, DeviceRenamed, DeviceForgotten,
	WebhookCreated, WebhookUpdated, WebhookDeleted, SigningKeyRotated,
}

// Known reports whether t is in the catalogue.
func Known(t string) bool { return slices.Contains(Catalogue, t) }

// Actor kinds.
const (
	ActorUser        = "user"
	ActorApplication = "application"
)

// Source is who acts in a request and from where.
type Source struct {
	ActorID   string
	ActorKind string
	IP        string
	UserAgent string
}

type actorKey struct{}
type originKey struct{}

// WithActor returns ctx naming who acts (the session package sets it for
// every authenticated request).
func WithActor(ctx context.Context, id, kind string) context.Context {
	return context.WithValue(ctx, actorKey{}, [2]string{id, kind})
}

// WithOrigin returns ctx naming where the request comes from.
func WithOrigin(ctx context.Context, ip, userAgent string) context.Context {
	return context.WithValue(ctx, originKey{}, [2]string{ip, userAgent})
}

// SourceOf returns the actor and origin ctx names (zero where unknown).
func SourceOf(ctx context.Context) Source {
	a, _ := ctx.Value(actorKey{}).([2]string)
	o, _ := ctx.Value(originKey{}).([2]string)
	return Source{ActorID: a[0], ActorKind: a[1], IP: o[0], UserAgent: o[1]}
}

// Data is an event's payload: ids, states and reasons, never a secret,
// a name or an address.
type Data map[string]any

// New returns an event of type typ about subject, by the actor of ctx,
// now. A nil data is an empty object.
func New(ctx context.Context, typ, subject string, data Data) *store.Event {
	src := SourceOf(ctx)
	body := []byte(`{}`)
	if len(data) > 0 {
		body, _ = json.Marshal(data) // maps of plain values always encode
	}
	return &store.Event{ID: store.NewID(), Type: typ, At: store.Now(), SubjectID: subject,
		ActorID: src.ActorID, ActorKind: src.ActorKind, IP: src.IP, UserAgent: src.UserAgent, Data: body}
}

// By returns e with actor id as a user: for acts without a session whose
// actor is the subject itself (sign-up, sign-in, a reset by link).
func By(e *store.Event, userID string) *store.Event {
	if e.ActorID == "" {
		e.ActorID, e.ActorKind = userID, ActorUser
	}
	return e
}

// With returns ctx carrying events built by New for the next store write.
func With(ctx context.Context, evs ...*store.Event) context.Context {
	return store.WithEvents(ctx, evs...)
}
