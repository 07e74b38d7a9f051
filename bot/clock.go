package bot

import (
	"sync"
	"time"
)

// Clock is where the runtime reads time. Tests and `simulate --at` use a
// ManualClock; the service uses the system clock, optionally offset.
type Clock interface {
	Now() time.Time
}

// SystemClock reads the system time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// OffsetClock runs in real time from a chosen starting instant (demo --at).
type OffsetClock struct{ delta time.Duration }

// NewOffsetClock returns a clock that reads start now and advances in real time.
func NewOffsetClock(start time.Time) *OffsetClock {
	return &OffsetClock{delta: time.Until(start)}
}

// Now returns the shifted time.
func (c *OffsetClock) Now() time.Time { return time.Now().Add(c.delta) }

// ManualClock stands still until told to move.
type ManualClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewManualClock returns a clock stopped at t.
func NewManualClock(t time.Time) *ManualClock { return &ManualClock{now: t} }

// Now returns the current instant.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t (never backwards).
func (c *ManualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.After(c.now) {
		c.now = t
	}
}

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
