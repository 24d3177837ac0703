package social

import (
	"context"

	"github.com/usergraph/usergraph/store"
)

// What social sign-in does, as the audit trail and webhooks will tell it.
// The events issue emits each event here, the one place it happens
// (identity.linked, identity.unlinked, user.signed_up, login.succeeded,
// login.failed, each with "provider" in its data); until then they are
// log lines, which name ids and providers, never a token or an email.

func (s *Service) linked(ctx context.Context, id *store.Identity) {
	// events issue: emit identity.linked {provider} for id.UserID here.
	s.log.InfoContext(ctx, "identity.linked", "user_id", id.UserID, "provider", id.Provider)
}

func (s *Service) unlinked(ctx context.Context, userID, provider string) {
	// events issue: emit identity.unlinked {provider} for userID here.
	s.log.InfoContext(ctx, "identity.unlinked", "user_id", userID, "provider", provider)
}

func (s *Service) signedUp(ctx context.Context, userID, provider string) {
	// events issue: emit user.signed_up {provider} for userID here.
	s.log.InfoContext(ctx, "user.signed_up", "user_id", userID, "provider", provider)
}

func (s *Service) signedIn(ctx context.Context, userID, provider string) {
	// events issue: emit login.succeeded {provider} for userID here.
	s.log.InfoContext(ctx, "login.succeeded", "user_id", userID, "provider", provider)
}

func (s *Service) signInFailed(ctx context.Context, provider, reason string) {
	// events issue: emit login.failed {provider, reason} here (no subject:
	// the provider did not confirm one).
	s.log.WarnContext(ctx, "login.failed", "provider", provider, "reason", reason)
}
