package resolvers

import (
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/store"
	"github.com/vikstrous/dataloadgen"
)

// loaders batch the reads of one operation: every user looked up by id,
// every user's sessions, devices and identities and every role named in a response are
// fetched with one store call each, however many fields ask (no N+1).
type loaders struct {
	users    *dataloadgen.Loader[string, *store.User]
	sessions *dataloadgen.Loader[string, []*store.Session]
	devices  *dataloadgen.Loader[string, []*store.Device] // by user id: User.devices and Session.device
	roles    *dataloadgen.Loader[string, *store.Role]
	// identities by user id: User.identities
	identities *dataloadgen.Loader[string, []*store.Identity]
}

// batchWait is how long a loader collects keys. Sibling fields resolve
// concurrently within microseconds, so a short window batches them without
// adding noticeable latency to a single lookup.
const batchWait = 200 * time.Microsecond

type loadersKey struct{}

// WithLoaders is an operation middleware giving each operation fresh
// loaders (and so a cache that lives only as long as the request).
func (r *Resolver) WithLoaders(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	l := &loaders{
		users:    dataloadgen.NewMappedLoader(r.fetchUsers, dataloadgen.WithWait(batchWait)),
		sessions: dataloadgen.NewMappedLoader(r.fetchSessions, dataloadgen.WithWait(batchWait)),
		devices:  dataloadgen.NewMappedLoader(r.Devices.ByUsers, dataloadgen.WithWait(batchWait)),
		roles:    dataloadgen.NewMappedLoader(r.fetchRoles, dataloadgen.WithWait(batchWait)),

		identities: dataloadgen.NewMappedLoader(r.Social.Identities, dataloadgen.WithWait(batchWait)),
	}
	return next(context.WithValue(ctx, loadersKey{}, l))
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}

func (r *Resolver) fetchUsers(ctx context.Context, ids []string) (map[string]*store.User, error) {
	return r.Accounts.UsersByID(ctx, ids)
}

func (r *Resolver) fetchSessions(ctx context.Context, userIDs []string) (map[string][]*store.Session, error) {
	all, err := r.Sessions.List(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]*store.Session, len(userIDs))
	for _, id := range userIDs {
		out[id] = []*store.Session{}
	}
	for _, s := range all {
		out[s.UserID] = append(out[s.UserID], s)
	}
	return out, nil
}

func (r *Resolver) fetchRoles(ctx context.Context, names []string) (map[string]*store.Role, error) {
	roles, err := r.Access.Roles(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*store.Role, len(roles))
	for _, role := range roles {
		out[role.Name] = role
	}
	return out, nil
}

// onlyNotFound reports whether every error of a batch load is "no such key".
func onlyNotFound(err error) bool {
	var errs dataloadgen.ErrorSlice
	if !errors.As(err, &errs) {
		return errors.Is(err, dataloadgen.ErrNotFound)
	}
	for _, e := range errs {
		if e != nil && !errors.Is(e, dataloadgen.ErrNotFound) {
			return false
		}
	}
	return true
}
