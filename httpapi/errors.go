package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// presentError is the one place errors become GraphQL errors. Errors are
// told apart by type, never by their text: an *apperr.Error that is not
// INTERNAL keeps its code, status, message and field; our refusal of
// introspection and gqlgen's own parse and validation errors describe the
// request; anything else is a fault: the client sees INTERNAL and a request
// id, the log gets the cause (logFault, once per request).
func presentError(log *slog.Logger, m *metrics) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apperr.As(err); ok && e.Code != apperr.Internal {
			noteRefusal(ctx, log, m, e, gqlErr.Path.String())
			gqlErr.Message = e.Message
			gqlErr.Extensions = extensions(e)
			return gqlErr
		}
		switch {
		case errors.Is(err, errIntrospectionOff):
			return &gqlerror.Error{Message: "introspection is disabled on this server", Path: gqlErr.Path,
				Locations: gqlErr.Locations, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
		case gqlErr.Err == nil:
			return clientError(ctx, gqlErr)
		case errors.Is(err, context.Canceled):
			gqlErr.Message, gqlErr.Err = "the request was cancelled", nil
			gqlErr.Extensions = map[string]any{"code": "CANCELLED"}
			return gqlErr
		}
		// gqlErr wraps the resolver's error anew for each field; the error
		// itself is what several fields may share.
		logFault(ctx, log, "request failed", gqlErr.Err, "path", gqlErr.Path.String())
		out := internalError(ctx)
		out.Path = gqlErr.Path
		return out
	}
}

// noteRefusal logs, at info, a refusal an operator may want to see: a
// caller without a valid session (UNAUTHENTICATED and its status: no,
// invalid or expired token), one without the permission (FORBIDDEN), an
// attempt over a limit (RATE_LIMITED with the limit's rule, also counted
// in usergraph_rate_limited_total). path is the field refused.
func noteRefusal(ctx context.Context, log *slog.Logger, m *metrics, e *apperr.Error, path string) {
	switch e.Code {
	case apperr.Unauthenticated, apperr.Forbidden:
		log.LogAttrs(ctx, slog.LevelInfo, "refused", slog.String("code", string(e.Code)), slog.Int("status", e.Status),
			slog.String("path", path))
	case apperr.RateLimited:
		m.limited(e)
		log.LogAttrs(ctx, slog.LevelInfo, "refused", slog.String("code", string(e.Code)), slog.String("rule", e.Rule),
			slog.Int("retry_after", e.RetryAfter), slog.String("path", path))
	}
}

func extensions(e *apperr.Error) map[string]any {
	ext := map[string]any{"code": string(e.Code)}
	if e.Status != 0 {
		ext["internalStatus"] = e.Status
	}
	if e.Field != "" {
		ext["field"] = e.Field
	}
	if e.RetryAfter > 0 {
		ext["retryAfter"] = e.RetryAfter
	}
	return ext
}

// clientError tidies errors gqlgen made itself, which describe the
// client's request. One made before there is an operation context is the
// transport's: the body could not be read or decoded as a GraphQL request
// (gqlgen gives these no type of their own), and its message repeats the
// whole body, which is not worth echoing. The others (parse, validation,
// limits) keep their message and get BAD_USER_INPUT unless coded already.
func clientError(ctx context.Context, e *gqlerror.Error) *gqlerror.Error {
	if !graphql.HasOperationContext(ctx) {
		e.Message = "the request body is not a valid GraphQL request (JSON with query, variables, operationName)"
		e.Extensions = map[string]any{"code": string(apperr.BadUserInput)}
	}
	if e.Extensions == nil {
		e.Extensions = map[string]any{"code": string(apperr.BadUserInput)}
	}
	return e
}

// recoverFunc turns a panic in a resolver into a fault that carries its
// stack; the presenter logs it and answers INTERNAL.
func recoverFunc() graphql.RecoverFunc {
	return func(_ context.Context, p any) error {
		return &panicked{value: p, stack: debug.Stack()}
	}
}
