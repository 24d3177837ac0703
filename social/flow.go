package social

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/usergraph/usergraph/apperr"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// The redirect flow. oauthStart stores a state and returns the provider's
// page; the provider sends the browser back with a code and the state,
// either to the app's redirectUri (the app then calls oauthComplete) or to
// usergraph's /oauth/callback (Callback, for server-rendered sites). Both
// end in finish: the state's checks, the code exchange with the PKCE
// verifier, then the decision (decide.go).

// Started is a redirect flow begun.
type Started struct {
	URL       string // the provider's page: send the browser there
	State     string // what the provider hands back; oauthComplete needs it
	ExpiresAt time.Time
	// Callback: the flow ends at /oauth/callback, which needs the browser
	// to carry State in a cookie (the HTTP layer sets it).
	Callback bool
}

// maxCodeBytes bounds a presented code.
const maxCodeBytes = 4096

// Start begins a redirect flow with the provider for action: the state is
// stored, bound to all its completion needs. A redirectURI must be one of
// the configured ones exactly (no prefix, no pattern: an open redirect
// would hand codes to anyone); without one the flow ends at
// /oauth/callback, which needs cookies. LINK needs a signed-in user
// (caller, nil if none), whom the identity will be added to. deviceToken
// is for the callback flow; oauthComplete takes its own.
func (s *Service) Start(ctx context.Context, caller *session.Principal, providerName string, action store.OAuthAction, redirectURI, deviceToken string) (*Started, error) {
	if err := s.limit(ctx); err != nil {
		return nil, err
	}
	p, err := s.provider(providerName)
	if err != nil {
		return nil, err
	}
	st := &store.OAuthState{Provider: providerName, Action: action, DeviceToken: deviceToken}
	if st.UserID, err = s.linkTarget(ctx, caller, action); err != nil {
		return nil, err
	}
	switch {
	case redirectURI == "" && !s.cfg.Cookies:
		return nil, apperr.Input("redirectUri", "give a redirectUri: the server sets no cookies, so it cannot end a sign-in at /oauth/callback")
	case redirectURI == "":
		st.RedirectURI = s.cfg.CallbackURL
	case !slices.Contains(s.cfg.RedirectURLs, redirectURI):
		return nil, apperr.Input("redirectUri", "not an allowed redirect URL (USERGRAPH_OAUTH_REDIRECT_URLS lists them, matched exactly)")
	default:
		st.RedirectURI = redirectURI
	}
	if deviceToken != "" {
		if err := s.devices.CheckToken(deviceToken); err != nil {
			return nil, err
		}
	}
	state := newSecret()
	s.bind(st, state)
	authURL, err := p.authURL(ctx, state, st.Nonce, st.Verifier, st.RedirectURI)
	if err != nil {
		return nil, s.refused(ctx, st.Provider, err)
	}
	if err := s.store.CreateOAuthState(ctx, st); err != nil {
		return nil, err
	}
	return &Started{URL: authURL, State: state, ExpiresAt: st.ExpiresAt, Callback: st.RedirectURI == s.cfg.CallbackURL}, nil
}

// linkTarget is the user a LINK adds its identity to: the signed-in
// caller, who must be a full account (a guest upgrades first; an
// application has no user). "" for the other actions.
func (s *Service) linkTarget(ctx context.Context, caller *session.Principal, action store.OAuthAction) (string, error) {
	switch action {
	case store.OAuthSignIn, store.OAuthSignUp:
		return "", nil
	case store.OAuthLink:
	default:
		return "", apperr.Input("action", "want SIGN_UP, SIGN_IN or LINK")
	}
	if caller == nil {
		_, err := session.Caller(ctx) // UNAUTHENTICATED, saying why
		return "", err
	}
	if caller.Kind != store.SessionUser {
		return "", apperr.New(apperr.Forbidden, "only a signed-in user links identities")
	}
	return caller.UserID, nil
}

// Complete ends a flow that came back to the app's redirectUri with code
// and state: oauthComplete. deviceToken "" takes the one oauthStart got.
func (s *Service) Complete(ctx context.Context, code, state, deviceToken string) (*session.Tokens, error) {
	st, err := s.takeState(ctx, state)
	if err != nil {
		return nil, err
	}
	if st.RedirectURI == s.cfg.CallbackURL {
		return nil, errBadState // this flow ends at /oauth/callback
	}
	if deviceToken == "" {
		deviceToken = st.DeviceToken
	}
	return s.finish(ctx, st, code, deviceToken)
}

// Callback ends a flow at /oauth/callback with the query the provider
// sent the browser back with: code and state, or the provider's error
// (the user declined, the provider failed), which answers OAUTH_FAILED.
// bound says whether the browser carried the state in its cookie, set
// when it started the flow: without it, someone else's browser started
// it, and completing it would sign this browser in to their account
// (login CSRF). The state is consumed either way.
func (s *Service) Callback(ctx context.Context, query url.Values, bound bool) (*session.Tokens, error) {
	st, err := s.takeState(ctx, query.Get("state"))
	if err != nil {
		return nil, err
	}
	switch {
	case st.RedirectURI != s.cfg.CallbackURL:
		return nil, errBadState // this flow ends at the app's redirectUri
	case !bound:
		s.log.WarnContext(ctx, "social: a callback without the state's cookie: another browser started this sign-in", "provider", st.Provider)
		return nil, apperr.New(apperr.OAuthFailed, "this browser did not start the sign-in: start it again")
	case query.Get("error") != "":
		return nil, s.refused(ctx, st.Provider, failed("authorization", "the provider answered %s", providerError(query.Get("error"))))
	}
	return s.finish(ctx, st, query.Get("code"), st.DeviceToken)
}

var errorCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// providerError is a provider's error code (access_denied, …) fit for a
// log line, or a stand-in.
func providerError(code string) string {
	if errorCode.MatchString(code) {
		return code
	}
	return "an error"
}

// finish redeems the code of a flow whose state was taken, and decides.
func (s *Service) finish(ctx context.Context, st *store.OAuthState, code, deviceToken string) (*session.Tokens, error) {
	if code == "" || len(code) > maxCodeBytes {
		return nil, s.refused(ctx, st.Provider, failed("authorization", "no code"))
	}
	p, ok := s.providers[st.Provider]
	if !ok { // removed from the file since the flow started
		return nil, errBadState
	}
	if st.Action == store.OAuthLink {
		// The user who started linking must finish it: otherwise a state
		// of theirs, completed in a victim's browser, would add the
		// victim's provider account to theirs.
		if caller := session.FromContext(ctx); caller == nil || caller.UserID != st.UserID {
			return nil, apperr.New(apperr.OAuthFailed, "sign in as the account that started linking, then start again")
		}
	}
	prof, err := p.exchange(ctx, code, st.Verifier, st.RedirectURI, st.Nonce)
	if err != nil {
		return nil, s.refused(ctx, st.Provider, err)
	}
	return s.decide(ctx, st.Provider, st.Action, prof, st.UserID, deviceToken)
}

// refused logs why a provider step failed and answers OAUTH_FAILED, which
// says no more: what a provider refused is for the operator.
func (s *Service) refused(ctx context.Context, provider string, err error) error {
	var f *failure
	switch {
	case errors.Is(err, errUnavailable):
		return apperr.Wrap(apperr.OAuthFailed, err, "the sign-in provider cannot be reached right now: try again later")
	case errors.As(err, &f):
		s.signInFailed(ctx, provider, f.Error())
		return apperr.Wrap(apperr.OAuthFailed, err, "the sign-in provider did not confirm who you are")
	}
	return err // a fault
}
