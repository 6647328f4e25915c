package enginetest

import (
	"context"
	"sync"
	"time"
)

// FakeClock is a clock that moves only when told to (engine.Clock).
type FakeClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	waiters []waiter
	calls   int
}

type waiter struct {
	at time.Time
	ch chan time.Time
}

// NewFakeClock returns a clock showing now.
func NewFakeClock(now time.Time) *FakeClock {
	c := &FakeClock{now: now}
	c.cond = sync.NewCond(&c.mu)
	return c
}

// Now returns the fake time.
func (c *FakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// After returns a channel that receives when the clock has been advanced by d.
func (c *FakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	c.cond.Broadcast()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waiters = append(c.waiters, waiter{at: c.now.Add(d), ch: ch})
	return ch
}

// Advance moves the clock on by d and fires the timers that are due.
func (c *FakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.waiters[:0]
	for _, w := range c.waiters {
		if !w.at.After(c.now) {
			w.ch <- c.now
		} else {
			kept = append(kept, w)
		}
	}
	c.waiters = kept
}

// Waiters is the number of pending After timers.
func (c *FakeClock) Waiters() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}

// NextWait is how long until the earliest pending timer fires (false when none).
func (c *FakeClock) NextWait() (time.Duration, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.waiters) == 0 {
		return 0, false
	}
	first := c.waiters[0].at
	for _, w := range c.waiters[1:] {
		if w.at.Before(first) {
			first = w.at
		}
	}
	return first.Sub(c.now), true
}

// AfterCalls is how many times After has been called.
func (c *FakeClock) AfterCalls() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// BlockUntil waits until After has been called at least n times in all (a
// loop waiting on the clock has gone to sleep), or ctx ends.
func (c *FakeClock) BlockUntil(ctx context.Context, n int) error {
	stop := context.AfterFunc(ctx, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.calls < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		c.cond.Wait()
	}
	return nil
}
