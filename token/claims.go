package token

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims are what an access token says about its bearer. Times are UTC,
// whole seconds.
type Claims struct {
	UserID    string   // sub: the user, or the application of an APP session
	SessionID string   // sid
	Kind      string   // session kind: USER, GUEST or APP (informative: the session check reads the stored session's)
	Roles     []string // role names
	ID        string   // jti
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// jwtClaims is the token payload: the registered claims plus ours.
type jwtClaims struct {
	jwt.RegisteredClaims
	SessionID string   `json:"sid"`
	Kind      string   `json:"kind,omitempty"`
	Roles     []string `json:"roles,omitempty"`
}

var errMissingClaim = errors.New("token: sub and sid are required")

// Validate is called by the jwt validator with the standard checks: a token
// that names no user or session authenticates nobody.
func (c *jwtClaims) Validate() error {
	if c.Subject == "" || c.SessionID == "" {
		return errMissingClaim
	}
	return nil
}

func (c *jwtClaims) public() *Claims {
	out := &Claims{
		UserID:    c.Subject,
		SessionID: c.SessionID,
		Kind:      c.Kind,
		Roles:     c.Roles,
		ID:        c.ID,
	}
	if c.IssuedAt != nil {
		out.IssuedAt = c.IssuedAt.UTC()
	}
	if c.ExpiresAt != nil {
		out.ExpiresAt = c.ExpiresAt.UTC()
	}
	return out
}
