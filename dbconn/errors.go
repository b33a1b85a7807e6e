package dbconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"math/rand/v2"
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
// lock waits, deadlocks, lost or killed connections and a server that is
// briefly read-only. A cancelled context is never retryable.
func IsRetryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	switch ErrorNumber(err) {
	case ErLockWaitTimeout, ErLockDeadlock, ErOptionPreventsStmt, ErServerShutdown,
		ErConnKilled, ErQueryInterrupted, CrServerGone, CrServerLost:
		return true
	}
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Retry runs fn until it succeeds, fails with an error that is not
// retryable, or has run attempts times (at least once). Back-off grows from
// 50ms and is capped at 5s, jittered so parallel workers do not retry in
// lockstep into the same lock.
func Retry(ctx context.Context, attempts int, fn func(context.Context) error) error {
	if attempts < 1 {
		attempts = 1
	}
	wait := 50 * time.Millisecond
	var err error
	for i := 0; i < attempts; i++ {
		if err = fn(ctx); err == nil || !IsRetryable(err) {
			return err
		}
		if i == attempts-1 {
			break
		}
		d := wait/2 + rand.N(wait/2+1)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(d):
		}
		wait = min(wait*2, 5*time.Second)
	}
	return err
}
