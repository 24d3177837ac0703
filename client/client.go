package client

import (
	"errors"
	"net/http"

	"github.com/Khan/genqlient/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// New returns a client of the GraphQL endpoint (e.g.
// "http://127.0.0.1:8080/graphql") for the generated operations. A
// non-empty accessToken is sent as "Authorization: Bearer <accessToken>";
// httpClient nil means http.DefaultClient. Operations are sent as JSON,
// those with an Upload as multipart requests.
func New(endpoint, accessToken string, httpClient *http.Client) graphql.Client {
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	var doer graphql.Doer = httpClient
	if accessToken != "" {
		doer = bearer{next: httpClient, token: accessToken}
	}
	return uploadClient{endpoint: endpoint, doer: doer, json: graphql.NewClient(endpoint, doer)}
}

// bearer adds the access token to every request it sends.
type bearer struct {
	next  graphql.Doer
	token string
}

func (b bearer) Do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.Do(req)
}

// Errors returns the GraphQL errors an operation's err carries: those of a
// 200 answer (gqlerror.List) and those in the body of any other status
// (*graphql.HTTPError, e.g. a 429 RATE_LIMITED). It returns nil for nil
// and for a failure without an answer (the connection, a body that is not
// JSON).
func Errors(err error) gqlerror.List {
	var list gqlerror.List
	if errors.As(err, &list) {
		return list
	}
	var httpErr *graphql.HTTPError
	if errors.As(err, &httpErr) {
		return httpErr.Response.Errors
	}
	return nil
}

// Code returns extensions.code of err's first GraphQL error (API.md's
// table: "ALREADY_EXISTS", "UNAUTHENTICATED", ...), or "" when there is
// none. Programs branch on codes; messages are for people.
func Code(err error) string {
	code, _ := extension[string](err, "code")
	return code
}

// InternalStatus returns extensions.internalStatus of err's first GraphQL
// error (the numeric status umpack clients know), or 0 when it has none.
func InternalStatus(err error) int {
	n, _ := extension[float64](err, "internalStatus")
	return int(n)
}

// Field returns extensions.field of err's first GraphQL error: the input
// field a BAD_USER_INPUT, INVALID_* or ALREADY_EXISTS error is about ("" when
// none is named).
func Field(err error) string {
	f, _ := extension[string](err, "field")
	return f
}

// extension reads one extension of err's first GraphQL error.
func extension[T any](err error, name string) (T, bool) {
	var zero T
	list := Errors(err)
	if len(list) == 0 || list[0] == nil {
		return zero, false
	}
	v, ok := list[0].Extensions[name].(T)
	return v, ok
}

// The update inputs (ProfileInput, UpdateUserInput, GuestInput) tell a
// field left out from one set to null, which clears it: their string
// fields are **string, nil leaving the field as it is. Set and Null make
// the other two; Ptr makes the *[]string of tags and any other pointer.

// Set returns v as a field of an update input: the field becomes v.
func Set[T any](v T) **T {
	p := &v
	return &p
}

// Null returns a field of an update input that clears the field.
func Null[T any]() **T {
	var p *T
	return &p
}

// Ptr returns a pointer to v, for nullable inputs and arguments.
func Ptr[T any](v T) *T { return &v }
