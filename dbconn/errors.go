package dbconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
)

// MySQL and MariaDB error numbers doppel makes decisions on.
const (
	ErDupEntry           = 1062
	ErLockWaitTimeout    = 1205
	ErLockDeadlock       = 1213
	ErNoSuchTable        = 1146
	ErTableExists        = 1050
	ErBadDB              = 1049
	ErAccessDenied       = 1045
	ErDBAccessDenied     = 1044
	ErTableAccessDenied  = 1142
	ErSpecificAccess     = 1227
	ErQueryInterrupted   = 1317
	ErOptionPreventsStmt = 1290 // e.g. --read-only during a failover
	ErServerShutdown     = 1053
	ErConnKilled         = 1927 // MariaDB: "Connection was killed"
	CrServerGone         = 2006
	CrServerLost         = 2013
)

// An ALTER … ALGORITHM=X the server refuses because that algorithm cannot
// make the change (the table is left as it was).
const (
	ErAlterNotSupported       = 1845
	ErAlterNotSupportedReason = 1846
)

// ErrorNumber returns the server's error number, or 0 when err is not a
// server error.
func ErrorNumber(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// IsRetryable reports whether running the same work again may succeed:
// lock waits, deadlocks, lost or killed connections, a server that is
// restarting or unreachable, and one that is briefly read-only. A cancelled
// context is never retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch ErrorNumber(err) {
	case ErLockWaitTimeout, ErLockDeadlock, ErQueryInterrupted:
		return true
	}
	return IsConnectionError(err)
}

// IsConnectionError reports whether err says the server could not be used
// at all (rather than refusing the statement): the connection was lost or
// killed, the server is shutting down, restarting, unreachable, or
// read-only while a failover promotes another. Such an outage lasts as
// long as it lasts, so it is waited out by time, not by counting attempts.
func IsConnectionError(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch ErrorNumber(err) {
	case ErOptionPreventsStmt, ErServerShutdown, ErConnKilled, CrServerGone, CrServerLost:
		return true
	case 0:
	default:
		return false // the server answered: it is there
	}
	var netErr *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// Policy bounds Retry. Attempts counts failures of the work itself (lock
// waits, deadlocks); while the server cannot be reached at all the attempts
// are not counted, and the outage is waited out for up to ReconnectWait.
type Policy struct {
	Attempts      int
	ReconnectWait time.Duration
}

// Retry runs fn until it succeeds, fails with an error that is not
// retryable, has failed p.Attempts times (at least once), or the server has
// been unreachable for longer than p.ReconnectWait. Back-off grows from 50ms
// and is capped at 5s, jittered so parallel workers do not retry in
// lockstep into the same lock.
func Retry(ctx context.Context, p Policy, fn func(context.Context) error) error {
	attempts := max(p.Attempts, 1)
	wait := 50 * time.Millisecond
	var down time.Time // when the current outage began
	for failed := 0; ; {
		err := fn(ctx)
		if err == nil || !IsRetryable(err) {
			return err
		}
		if IsConnectionError(err) {
			if down.IsZero() {
				down = time.Now()
			}
			if time.Since(down) >= p.ReconnectWait {
				if p.ReconnectWait > 0 {
					return fmt.Errorf("server unreachable for %s: %w", p.ReconnectWait.Round(time.Second), err)
				}
				if failed++; failed >= attempts {
					return err
				}
			}
		} else {
			down = time.Time{}
			if failed++; failed >= attempts {
				return err
			}
		}
		d := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
		wait = min(wait*2, 5*time.Second)
	}
}
