package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/usergraph/usergraph/telemetry"
)

// NewGraphQL returns the GraphQL endpoint for schema (the resolvers', with
// their complexity functions: resolvers.Resolver.Schema) with explicit
// transports (POST JSON, multipart file uploads (uploads.go) and GET for
// queries, all answering request errors as the GraphQL-over-HTTP spec asks:
// requesterrors.go; OPTIONS answered with Allow), the error presenter, a
// parsed-query cache, automatic persisted queries, and the limits that
// bound a request's cost before any resolver runs: the token limit while parsing, the validation budget before
// validating, a cap on validation errors, depth and complexity before
// executing. around, if not nil, wraps each operation that passed them
// (the resolvers' per-request dataloaders).
//
// tel receives what each operation tells operators (graphqlobserve.go);
// nil: metrics of its own, no tracing (unit tests).
func NewGraphQL(schema graphql.ExecutableSchema, cfg Config, tel *Telemetry, log *slog.Logger, around graphql.OperationMiddleware) (http.Handler, error) {
	if tel == nil {
		tel = newTestTelemetry()
	}
	log = telemetry.Logger(log)
	srv := handler.New(schema)
	srv.Use(newOperationObserver(schema.Schema(), tel)) // first: it sees every response, refused ones included
	if tel.tracer != nil {
		srv.Use(resolverSpans{tracer: tel.tracer})
	}
	srv.AddTransport(specStatus{transport.POST{}})
	srv.AddTransport(specStatus{newMultipartUploads(cfg.MaxBodyBytes, cfg.MaxUploadBytes)})
	srv.AddTransport(specStatus{getQueries{maxTokens: cfg.MaxTokens}})
	srv.AddTransport(transport.Options{AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodOptions}})
	docs := lru.New[*ast.QueryDocument](1000)
	srv.SetQueryCache(docs)
	srv.SetErrorPresenter(presentError(log, tel.metrics))
	srv.SetRecoverFunc(recoverFunc())
	srv.SetParserTokenLimit(cfg.MaxTokens)
	srv.SetValidationRulesFn(validationRules(cfg.Introspection))
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	} else {
		srv.SetDisableSuggestion(true) // suggestions would leak field names
		srv.AroundFields(refuseIntrospection)
	}
	hashes, err := newHashLimit(schema.Schema(), cfg.MaxHashes)
	if err != nil {
		return nil, err
	}
	srv.Use(hashes)
	srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](1000)})
	srv.Use(&validationBudget{cache: docs, maxTokens: cfg.MaxTokens}) // after APQ, which fills in the query
	srv.Use(inputDepthLimit{max: maxInputDepth})
	srv.Use(&requestLimits{maxDepth: cfg.MaxDepth, maxComplexity: cfg.MaxComplexity})
	if around != nil {
		srv.AroundOperations(around)
	}
	return srv, nil
}
