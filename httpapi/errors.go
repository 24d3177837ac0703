package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// presentError is the one place errors become GraphQL errors. An
// *apperr.Error keeps its code, status, message and field; the parser's and
// validator's own errors pass as they are; anything else is a fault: the
// client sees INTERNAL and a request id, the log gets the details.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := apperr.As(err); ok {
			gqlErr.Message = e.Message
			gqlErr.Extensions = extensions(e)
			return gqlErr
		}
		if gqlErr.Err == nil {
			return clientError(gqlErr)
		}
		if gqlErr.Err.Error() == "introspection disabled" { // gqlgen's refusal of __schema/__type: the client's doing, not a fault
			return &gqlerror.Error{Message: "introspection is disabled on this server", Path: gqlErr.Path,
				Locations: gqlErr.Locations, Extensions: map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}}
		}
		if errors.Is(err, context.Canceled) {
			gqlErr.Message, gqlErr.Err = "the request was cancelled", nil
			gqlErr.Extensions = map[string]any{"code": "CANCELLED"}
			return gqlErr
		}
		id := RequestID(ctx)
		log.ErrorContext(ctx, "request failed", "request_id", id, "err", err, "path", gqlErr.Path.String())
		return &gqlerror.Error{
			Message:    "internal error (request " + id + ")",
			Path:       gqlErr.Path,
			Extensions: map[string]any{"code": string(apperr.Internal), "requestId": id},
		}
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

// clientError tidies errors gqlgen made itself (parse, validation, request
// decoding): they describe the client's request, but the decoder's message
// repeats the whole body, which is not worth echoing.
func clientError(e *gqlerror.Error) *gqlerror.Error {
	if strings.HasPrefix(e.Message, "json request body could not be decoded") {
		e.Message = "the request body is not a valid GraphQL request (JSON with query, variables, operationName)"
		e.Extensions = map[string]any{"code": string(apperr.BadUserInput)}
	}
	if e.Extensions == nil {
		e.Extensions = map[string]any{"code": string(apperr.BadUserInput)}
	}
	return e
}

// recoverFunc turns a panic in a resolver into an error the presenter logs.
func recoverFunc(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "request_id", RequestID(ctx), "panic", p)
		return errors.New("panic in resolver")
	}
}
