package telemetry

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request id id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the id of the request ctx belongs to, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// MaxRequestIDLen bounds a request id taken from a proxy's X-Request-Id.
const MaxRequestIDLen = 128

// AcceptRequestID reports whether id, sent by a client or a proxy in
// X-Request-Id, can be kept as the request's id: 1 to 128 characters from
// the ones request ids are made of (UUIDs, hex, base64, ULIDs, AWS
// trace ids "Root=1-…;Parent=…"). Anything else (a header that could split
// a log line, or fill the log) is replaced by a fresh id.
func AcceptRequestID(id string) bool {
	if id == "" || len(id) > MaxRequestIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '=' || c == '+' || c == '/' || c == ';' || c == '@':
		default:
			return false
		}
	}
	return true
}

// NewRequestID returns a fresh request id: 16 hex digits.
func NewRequestID() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}
