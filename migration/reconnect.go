package migration

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
)

// defaultMaxReconnectWait rides out a server restart or a failover.
const defaultMaxReconnectWait = 5 * time.Minute

func (m *migrator) maxReconnectWait() time.Duration {
	if m.cfg.MaxReconnectWait > 0 {
		return m.cfg.MaxReconnectWait
	}
	return defaultMaxReconnectWait
}

// outage measures how long something has been failing, so that every
// component gives up on a lost server after the same --max-reconnect-wait
// rather than after a count of attempts whose spacing differs.
type outage struct{ since, reported time.Time }

// failed records a failure and reports whether the outage is still within
// limit.
func (o *outage) failed(limit time.Duration) bool {
	if o.since.IsZero() {
		o.since = time.Now()
	}
	return time.Since(o.since) < limit
}

func (o *outage) ok() { o.since, o.reported = time.Time{}, time.Time{} }

// reportDue rate-limits the warnings of one outage to one every 10 seconds.
func (o *outage) reportDue() bool {
	if time.Since(o.reported) < 10*time.Second {
		return false
	}
	o.reported = time.Now()
	return true
}

// stream runs the binlog stream from start and, when its connection is
// lost for longer than go-mysql's own re-dials cover, starts it again at
// the last transaction read in full: txns already sent are not sent again
// and none is skipped. It gives up after --max-reconnect-wait without
// progress, or at once on an error no reconnect cures.
func (m *migrator) stream(ctx context.Context, start binlog.Position, out chan<- binlog.Txn) error {
	var down outage
	wait := time.Second
	for {
		err := m.streamer.Run(ctx, start, out)
		if ctx.Err() != nil || !errors.Is(err, binlog.ErrConnection) {
			return err
		}
		if last := m.streamer.LastRead(); last != start {
			down.ok() // it made progress before failing: a new outage
			wait = time.Second
			start = last
		}
		if !down.failed(m.maxReconnectWait()) {
			return fmt.Errorf("binlog server unreachable for more than --max-reconnect-wait=%s: %w", m.maxReconnectWait(), err)
		}
		m.metrics.Retry("binlog-stream")
		m.log.Warn().Err(err).Str("pos", start.String()).Dur("retry_in", wait).Msg("binlog stream lost; reconnecting")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// rideOut runs fn again while it fails because the server cannot be
// reached, for up to --max-reconnect-wait: for steps that are safe to start
// over (a catch-up, a checksum pass).
func (m *migrator) rideOut(ctx context.Context, what string, fn func(context.Context) error) error {
	var down outage
	wait := time.Second
	for {
		err := fn(ctx)
		if err == nil || ctx.Err() != nil || !dbconn.IsConnectionError(err) {
			return err
		}
		if !down.failed(m.maxReconnectWait()) {
			return fmt.Errorf("%s: server unreachable for more than --max-reconnect-wait=%s: %w", what, m.maxReconnectWait(), err)
		}
		m.metrics.Retry("reconnect")
		if down.reportDue() {
			m.log.Warn().Err(err).Str("step", what).Msg("server unreachable; retrying")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}
