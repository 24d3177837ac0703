package session

import "time"

// SetClock makes m read the time from now instead of the system clock, so
// that tests of idle timeouts, lifetimes, the reuse window and the cache
// move time forward instead of sleeping. A test hook only: production
// managers always use store.Now.
func SetClock(m *Manager, now func() time.Time) { m.now = now }
