package session

import "time"

// DefaultConfig is the configuration's default session policy
// (USERGRAPH_SESSION_IDLE_TIMEOUT, _SESSION_LIFETIME, _SESSION_CACHE_TTL,
// _ACTIVITY_FLUSH, _REFRESH_REUSE_WINDOW): a session ends after two idle
// hours or thirty days; another instance's revocation is seen within five
// seconds; two tabs refreshing at once within ten seconds both keep the
// session (refresh.go).
func DefaultConfig() Config {
	return Config{
		IdleTimeout: 2 * time.Hour,
		Lifetime:    30 * 24 * time.Hour,
		CacheTTL:    5 * time.Second,
		FlushEvery:  5 * time.Second,
		PurgeEvery:  time.Hour,
		ReuseWindow: 10 * time.Second,
	}
}
