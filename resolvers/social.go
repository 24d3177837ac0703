package resolvers

import (
	"context"

	"github.com/usergraph/usergraph/graph/model"
	"github.com/usergraph/usergraph/session"
	"github.com/usergraph/usergraph/store"
)

// Social sign-in (package social): the actions' names, the identities a
// viewer may see, and the state cookie of a flow that ends at
// /oauth/callback.

func toAction(a *model.OAuthAction) store.OAuthAction {
	if a == nil {
		return ""
	}
	return store.OAuthAction(*a)
}

// oauthStart begins a flow and, when it ends at /oauth/callback, hands the
// browser the state's cookie (the callback completes only for the browser
// that started it).
func (r *Resolver) oauthStart(ctx context.Context, provider string, action model.OAuthAction, redirectURI, deviceToken *string) (*model.OAuthStart, error) {
	started, err := r.Social.Start(ctx, session.FromContext(ctx), provider, toAction(&action), val(redirectURI), val(deviceToken))
	if err != nil {
		return nil, err
	}
	if started.Callback {
		setOAuthStateCookie(ctx, started.State, started.ExpiresAt)
	}
	return &model.OAuthStart{URL: started.URL, State: started.State}, nil
}

// userIdentities resolves User.identities: the user's and administrators'
// to see (account.CanSeePrivate), empty for anyone else.
func (r *Resolver) userIdentities(ctx context.Context, userID string) ([]*model.Identity, error) {
	ok, err := r.Accounts.CanSeePrivate(ctx, session.FromContext(ctx), userID)
	if err != nil || !ok {
		return []*model.Identity{}, err
	}
	ids, err := loadersFrom(ctx).identities.Load(ctx, userID)
	if err != nil {
		return nil, err
	}
	out := make([]*model.Identity, len(ids))
	for i, id := range ids {
		out[i] = &model.Identity{Provider: id.Provider, Subject: id.Subject, Email: str(id.Email), LinkedAt: id.LinkedAt}
	}
	return out, nil
}
