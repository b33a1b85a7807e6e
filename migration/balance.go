package migration

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// balance shares the server between the copy and the applier. Both write the
// ghost; the copier's chunks are cheap per row and the applier's changes are
// dear, so left alone the copy takes the server and the applier falls behind
// the application without limit. The measure is the apply lag: how old the
// newest heartbeat is that the applier has passed (everything committed
// before it is in the ghost). While it exceeds maxLag the copy runs on one
// thread; beyond 5×maxLag that thread also rests as long as each chunk took.
// The copy never stops entirely, so it cannot starve behind a write load the
// applier can never catch up with; docs/operations.md has the numbers.
type balance struct {
	maxLag time.Duration // 0: no balancing
	// applied is the UnixNano doppel wrote in the newest heartbeat the
	// applier has passed; 0 until the first one.
	applied atomic.Int64
	now     func() time.Time
	poll    time.Duration
	log     zerolog.Logger
	// narrow is whether worker 0 last saw the copy cut to one thread; only
	// worker 0 touches it, to log each change once.
	narrow bool
}

// balanceRestFactor is how far past maxLag the lone copy thread starts
// resting between chunks.
const balanceRestFactor = 5

func newBalance(maxLag time.Duration, log zerolog.Logger) *balance {
	return &balance{maxLag: maxLag, now: time.Now, poll: 50 * time.Millisecond, log: log}
}

// passed records that the applier has applied everything before a heartbeat
// written at t.
func (b *balance) passed(t time.Time) {
	if n := t.UnixNano(); n > b.applied.Load() {
		b.applied.Store(n)
	}
}

// lag is the apply lag; 0 before the first heartbeat, when there is nothing
// to measure from yet.
func (b *balance) lag() time.Duration {
	n := b.applied.Load()
	if n == 0 {
		return 0
	}
	return max(b.now().Sub(time.Unix(0, n)), 0)
}

// copyThreads is how many copy workers may run at a lag.
func (b *balance) copyThreads(threads int, lag time.Duration) int {
	if b.maxLag <= 0 || lag <= b.maxLag {
		return threads
	}
	return 1
}

// admit blocks copy worker w (0-based) while the balance keeps it idle.
// Worker 0 is always admitted; it logs when the copy narrows or widens.
func (b *balance) admit(ctx context.Context, w, threads int) error {
	if w == 0 {
		lag := b.lag()
		if narrow := b.copyThreads(threads, lag) < threads; narrow != b.narrow {
			b.narrow = narrow
			if narrow {
				b.log.Info().Dur("apply_lag", lag).Dur("max_apply_lag", b.maxLag).Msg("copy narrowed to one thread while the applier catches up")
			} else {
				b.log.Info().Dur("apply_lag", lag).Int("threads", threads).Msg("copy widened again")
			}
		}
		return nil
	}
	for w >= b.copyThreads(threads, b.lag()) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(b.poll):
		}
	}
	return nil
}

// rest is the pause after a chunk that took took: as long again when the
// applier is far behind, else none.
func (b *balance) rest(lag, took time.Duration) time.Duration {
	if b.maxLag <= 0 || lag <= balanceRestFactor*b.maxLag {
		return 0
	}
	return took
}

// afterChunk sleeps the rest for a chunk that took took.
func (b *balance) afterChunk(ctx context.Context, took time.Duration) error {
	d := b.rest(b.lag(), took)
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}
