package store

import (
	"strings"
	"time"

	"github.com/google/uuid"
)

// NewID returns a new record id: a UUIDv7 without dashes. UUIDv7 ids sort by
// creation time, so both backends page and break ties the same way, and they
// index well (new rows append to the right of the b-tree).
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		// NewV7 fails only if the system's random source fails.
		panic("store: cannot read random bytes: " + err.Error())
	}
	return strings.ReplaceAll(id.String(), "-", "")
}

// Now returns the current time at the precision every backend stores:
// UTC, whole milliseconds.
func Now() time.Time { return Trunc(time.Now()) }

// Trunc returns t in UTC, truncated to milliseconds. Records keep times at this
// precision so what is written is exactly what is read back from any backend.
func Trunc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}
