// Package scalar implements the GraphQL scalars of schema.graphqls: Time
// (RFC 3339, UTC, milliseconds) and JSON (any JSON value, kept raw so a
// user's metadata is written to the response without decoding it).
package scalar

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/usergraph/usergraph/apperr"
)

// invalid is the error of a value a client sent that the scalar cannot
// take: BAD_USER_INPUT, not a fault.
func invalid(format string, args ...any) error {
	return apperr.New(apperr.BadUserInput, format, args...)
}

// TimeFormat is how times are written: RFC 3339 in UTC with milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// MarshalTime writes t in UTC with millisecond precision.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		io.WriteString(w, strconv.Quote(t.UTC().Format(TimeFormat)))
	})
}

// UnmarshalTime reads an RFC 3339 string (any offset, any fraction).
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, invalid("Time must be an RFC 3339 string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, invalid("Time must be RFC 3339, e.g. 2026-01-02T15:04:05Z")
	}
	return t.UTC().Truncate(time.Millisecond), nil
}

// MarshalRawJSON writes the stored JSON as is (null when empty).
func MarshalRawJSON(v json.RawMessage) graphql.Marshaler {
	return graphql.WriterFunc(func(w io.Writer) {
		if len(v) == 0 {
			io.WriteString(w, "null")
			return
		}
		w.Write(v)
	})
}

// UnmarshalRawJSON re-encodes an input value (from variables or a literal)
// as JSON. Numbers keep their digits: gqlgen decodes variables with
// json.Number.
func UnmarshalRawJSON(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, invalid("JSON value cannot be encoded")
	}
	return json.RawMessage(bytes.TrimSpace(buf.Bytes())), nil
}

// MarshalString writes a string (gqlgen's own marshaller).
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString accepts only strings. gqlgen's default would turn a JSON
// number in the variables into a string, which the GraphQL spec forbids and
// which would, say, accept a password sent as 123456789012.
func UnmarshalString(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", invalid("String cannot represent a non-string value: %v", v)
	}
	return s, nil
}
