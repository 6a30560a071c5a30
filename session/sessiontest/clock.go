package sessiontest

import (
	"sync"
	"time"
)

// Clock is a fake clock for tests: it stands still until Advance. Its times
// are UTC and millisecond-aligned, as the session Manager produces them.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock set to start (made UTC, truncated to the
// millisecond).
func NewClock(start time.Time) *Clock {
	return &Clock{t: start.UTC().Truncate(time.Millisecond)}
}

// Now returns the clock's time; pass c.Now to session.WithClock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
