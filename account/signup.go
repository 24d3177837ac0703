package account

import (
	"context"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/audit"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Signup creates an account with the configured initial status and the
// default role. An ACTIVE account is signed in at once; a PENDING one gets
// no tokens until it is activated, nor, under device control, does any new
// account: its device is not permitted yet (package devices). Sign-ups are
// limited per client IP, since ALREADY_EXISTS tells whether a username or
// email is registered.
//
// With email verification on, the address gets a verification mail.
// Enforced, the sign-up needs an email and gets no tokens (the account
// is ACTIVE, unconfirmed), and an address that has an account is answered
// like a new one (signupTaken): nothing is created, its owner is told.
func (s *Service) Signup(ctx context.Context, in NewUser) (*store.User, *session.Tokens, error) {
	if err := s.limitSignup(ctx); err != nil {
		return nil, nil, err
	}
	v := s.cfg.Verification
	if v.Enforced() && in.Email == "" {
		return nil, nil, apperr.Input("email", "an email address is required: it must be confirmed before signing in")
	}
	if err := s.deviceTokens.CheckToken(in.DeviceToken); err != nil {
		return nil, nil, err
	}
	in.AppMetadata, in.EmailVerified = nil, false // never the caller's to set
	in.Status = s.cfg.SignupStatus
	in.Roles = nil
	if r := s.access.DefaultRole(); r != "" {
		in.Roles = []string{r}
	}
	u, err := s.build(ctx, in, true)
	if err != nil {
		return nil, nil, err
	}
	signIn := u.Status == store.StatusActive && !v.Enforced() && s.deviceTokens.AdmitsNewAccount()
	if signIn {
		u.LastLoginAt = u.CreatedAt // signed in at once: the first sign-in, stored with the user
	}
	evs := []*store.Event{audit.By(audit.New(ctx, audit.UserSignedUp, u.ID, audit.Data{"status": u.Status}), u.ID)}
	if signIn {
		evs = append(evs, audit.By(audit.New(ctx, audit.LoginSucceeded, u.ID, audit.Data{"method": "signup"}), u.ID))
	}
	if err := s.store.CreateUser(audit.With(ctx, evs...), u); err != nil {
		if v.Enforced() && store.ConflictField(err) == store.FieldEmail {
			u, err = s.signupTaken(ctx, u)
			return u, nil, err
		}
		return nil, nil, userErr(err)
	}
	device, err := s.deviceTokens.Record(ctx, u.ID, in.DeviceToken)
	if err != nil {
		return nil, nil, err
	}
	if v.On() {
		s.askToVerify(ctx, u)
	}
	if !signIn {
		return u, nil, nil
	}
	tokens, err := s.sessions.OpenOn(ctx, u, store.SessionUser, device)
	if err != nil {
		return nil, nil, err
	}
	s.giveDeviceCookie(ctx, tokens, "")
	return u, tokens, nil
}

// limitSignup counts an attempt to claim an identifier (a sign-up, an
// email change or a username change) against the client's IP: each one's
// ALREADY_EXISTS tells whether the identifier is taken.
func (s *Service) limitSignup(ctx context.Context) error {
	if ok, retry := s.limits.SignupPerIP.Allow(session.ClientFrom(ctx).IP); !ok {
		return apperr.LimitedBy(apperr.RuleSignupIP, retry)
	}
	return nil
}
