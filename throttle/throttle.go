// Package throttle decides whether the migration's workers may proceed.
//
// This version knows one reason to pause: an explicit pause set by the
// migration itself (or, later, by an operator through the control socket).
// Lag, load, flag files, queries and HTTP checks join the same decision loop
// in later work; every worker already waits on Wait, so adding a reason
// changes no caller.
package throttle

import (
	"context"
	"sync"
	"time"
)

// Throttler holds the current decision. The zero value is not usable; use New.
type Throttler struct {
	mu      sync.Mutex
	reason  string
	changed chan struct{} // closed and replaced whenever the decision changes
	since   time.Time
	total   time.Duration
}

// New returns a throttler that lets work proceed.
func New() *Throttler { return &Throttler{changed: make(chan struct{})} }

// Pause makes Wait block until Resume; reason is shown in status.
func (t *Throttler) Pause(reason string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason == "" {
		t.since = time.Now()
	}
	t.reason = reason
	t.signal()
}

// Resume lets waiting work proceed.
func (t *Throttler) Resume() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.reason != "" {
		t.total += time.Since(t.since)
	}
	t.reason = ""
	t.signal()
}

func (t *Throttler) signal() {
	close(t.changed)
	t.changed = make(chan struct{})
}

// Reason is why work is paused, or "" when it is not.
func (t *Throttler) Reason() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.reason
}

// Throttled is the total time spent paused so far.
func (t *Throttler) Throttled() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.total
	if t.reason != "" {
		d += time.Since(t.since)
	}
	return d
}

// Wait blocks while work is paused; it returns ctx's error if ctx ends first.
func (t *Throttler) Wait(ctx context.Context) error {
	for {
		t.mu.Lock()
		paused, ch := t.reason != "", t.changed
		t.mu.Unlock()
		if !paused {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}
