package account

import (
	"time"

	"github.com/usergraph/usergraph/ratelimit"
)

// The per-client-IP limits' defaults (USERGRAPH_LOGIN_LIMIT_IP,
// USERGRAPH_LOOKUP_LIMIT_IP, USERGRAPH_SIGNUP_LIMIT_IP). The per-account
// limit is the sign-in lockout's (lockout.DefaultPolicy).

// DefaultLoginPerIP is how many logins one client IP may try.
func DefaultLoginPerIP() ratelimit.Rule { return ratelimit.Rule{Burst: 60, Per: time.Minute} }

// DefaultLookupPerIP is how many usernameExists checks one client IP may make.
func DefaultLookupPerIP() ratelimit.Rule { return ratelimit.Rule{Burst: 60, Per: time.Minute} }

// DefaultSignupPerIP is how many sign-ups and email changes, each of which
// tells whether an address is taken, one client IP may make.
func DefaultSignupPerIP() ratelimit.Rule { return ratelimit.Rule{Burst: 20, Per: time.Hour} }
