package jwttest

import (
	"sync"
	"time"
)

// Clock is a fake clock, safe for concurrent use: it stands still until
// Advance or Set. Pass c.Now wherever a clock (func() time.Time) is taken:
// jwt.WithClock, jwt.WithRemoteClock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock set to t0.
func NewClock(t0 time.Time) *Clock {
	return &Clock{t: t0}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock by d (backwards when d is negative, to test
// clock skew).
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
