package token

import (
	"errors"
	"time"
)

// Config configures a Service.
type Config struct {
	// Issuer and Audience are written into every token (iss, aud) and
	// required on verification. Both must be set.
	Issuer, Audience string
	// AccessTTL is the lifetime of an access token. Default 15 minutes.
	AccessTTL time.Duration
	// KeyRetention is how long a retired signing key still verifies. Tokens
	// signed with it must expire first, including those signed by other
	// instances until they notice the rotation, so it is at least AccessTTL
	// plus the key refresh interval (one minute). Default 2 × AccessTTL.
	KeyRetention time.Duration
	// Now is the clock (default time.Now); tests move it forward.
	Now func() time.Time
}

// DefaultAccessTTL is the access token lifetime when Config sets none.
const DefaultAccessTTL = 15 * time.Minute

// withDefaults fills unset fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Issuer == "" || c.Audience == "" {
		return c, errors.New("token: issuer and audience are required")
	}
	if c.AccessTTL <= 0 {
		c.AccessTTL = DefaultAccessTTL
	}
	if c.KeyRetention <= 0 {
		c.KeyRetention = 2 * c.AccessTTL
	}
	c.KeyRetention = max(c.KeyRetention, c.AccessTTL+refreshEvery)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, nil
}
