package social

import (
	"context"

	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/store"
)

// What social sign-in does, as the audit trail and webhooks tell it: the
// one place each event is built (identity.linked, identity.unlinked,
// user.signed_up, login.succeeded, login.failed, each with "provider" in
// its data), with a log line that names ids and providers, never a token
// or an email. The events of a link, an unlink and a sign-up ride with the
// identity's write (audit.With on CreateIdentity or DeleteIdentity), so the
// store writes them with the change (docs/EVENTS.md); their log lines
// follow the write. Sign-ins change nothing of social's own: theirs are
// recorded after.

func linkedEvent(ctx context.Context, id *store.Identity) *store.Event {
	return audit.New(ctx, audit.IdentityLinked, id.UserID, audit.Data{"provider": id.Provider})
}

func unlinkedEvent(ctx context.Context, userID, provider string) *store.Event {
	return audit.New(ctx, audit.IdentityUnlinked, userID, audit.Data{"provider": provider})
}

func signedUpEvent(ctx context.Context, userID, provider string) *store.Event {
	return audit.By(audit.New(ctx, audit.UserSignedUp, userID, audit.Data{"provider": provider}), userID)
}

func (s *Service) linked(ctx context.Context, id *store.Identity) {
	s.log.InfoContext(ctx, "identity.linked", "user_id", id.UserID, "provider", id.Provider)
}

func (s *Service) unlinked(ctx context.Context, userID, provider string) {
	s.log.InfoContext(ctx, "identity.unlinked", "user_id", userID, "provider", provider)
}

func (s *Service) signedUp(ctx context.Context, userID, provider string) {
	s.log.InfoContext(ctx, "user.signed_up", "user_id", userID, "provider", provider)
}

func (s *Service) signedIn(ctx context.Context, userID, provider string) {
	s.log.InfoContext(ctx, "login.succeeded", "user_id", userID, "provider", provider)
	s.record(ctx, audit.By(audit.New(ctx, audit.LoginSucceeded, userID, audit.Data{"method": "provider", "provider": provider}), userID))
}

func (s *Service) signInFailed(ctx context.Context, provider, reason string) {
	// No subject: the provider did not confirm one.
	s.log.WarnContext(ctx, "login.failed", "provider", provider, "reason", reason)
	s.record(ctx, audit.New(ctx, audit.LoginFailed, "", audit.Data{"provider": provider, "reason": reason}))
}

// record stores events; the change they follow is made, so a failure is
// logged, not returned.
func (s *Service) record(ctx context.Context, evs ...*store.Event) {
	if err := s.store.RecordEvents(context.WithoutCancel(ctx), evs...); err != nil {
		s.log.ErrorContext(ctx, "social: recording an audit event failed", "err", err)
	}
}
