package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/rs/cors"
)

// withCORS lets browser apps on the trusted origins (USERGRAPH_CORS_ORIGINS,
// the same list the cross-origin check trusts) call the API with
// credentials, through github.com/rs/cors:
//
//   - a preflight (OPTIONS with Access-Control-Request-Method) is answered
//     here, 204, before anything reads the request: to a trusted origin with
//     Access-Control-Allow-Origin naming it (never *), Allow-Credentials,
//     the methods, the request headers below and Max-Age; to any other
//     origin with none of them, so the browser refuses;
//   - an actual request from a trusted origin gets Allow-Origin and
//     Allow-Credentials, and the cross-origin check lets it change state;
//     one from any other origin gets no CORS headers, and the check refuses
//     a state-changing one with 403, as it would without CORS;
//   - every response says Vary: Origin, so no cache hands one origin's
//     answer to another.
//
// Without trusted origins there is no CORS at all (rs/cors given no
// origins would allow every one).
func withCORS(origins []string, next http.Handler) (http.Handler, error) {
	if len(origins) == 0 {
		return next, nil
	}
	for _, o := range origins {
		if strings.Contains(o, "*") { // rs/cors would take it as a pattern; the cross-origin check would not
			return nil, fmt.Errorf("trusted origin %q: origins are exact, without wildcards", o)
		}
	}
	return cors.New(cors.Options{
		AllowedOrigins:   origins,
		AllowCredentials: true,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost},
		AllowedHeaders:   corsRequestHeaders,
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After"},
		MaxAge:           corsMaxAge,
	}).Handler(next), nil
}

// corsRequestHeaders are the request headers a cross-origin app may send
// (README, "Frontends on another origin"): what GraphQL clients send
// (Apollo Client's name/version and its CSRF-prevention header), the
// credentials, a client's own request id, and W3C trace context.
var corsRequestHeaders = []string{
	"Accept", "Content-Type", "Authorization", "X-Request-Id", "X-Requested-With",
	"Apollo-Require-Preflight", "Apollographql-Client-Name", "Apollographql-Client-Version",
	"Traceparent", "Tracestate",
}

// corsMaxAge is how long, in seconds, a browser may reuse a preflight's
// answer: two hours, the most Chromium honours.
const corsMaxAge = 7200
