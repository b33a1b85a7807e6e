package dbconn

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

func TestIsRetryable(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"lock wait timeout is retried", &mysql.MySQLError{Number: ErLockWaitTimeout}, true},
		{"deadlock is retried", fmt.Errorf("copy: %w", &mysql.MySQLError{Number: ErLockDeadlock}), true},
		{"lost connection is retried", &mysql.MySQLError{Number: CrServerLost}, true},
		{"bad connection is retried", driver.ErrBadConn, true},
		{"duplicate key is not retried", &mysql.MySQLError{Number: ErDupEntry}, false},
		{"syntax error is not retried", &mysql.MySQLError{Number: 1064}, false},
		{"cancellation is not retried", context.Canceled, false},
		{"nil is not retried", nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := IsRetryable(c.err); got != c.want {
				t.Fatalf("IsRetryable(%v) = %v, want %v", c.err, got, c.want)
			}
		})
	}
}

func TestRetryStopsOnSuccessAndOnFatalErrors(t *testing.T) {
	calls := 0
	err := Retry(context.Background(), Policy{Attempts: 5}, func(context.Context) error {
		calls++
		if calls < 3 {
			return &mysql.MySQLError{Number: ErLockDeadlock}
		}
		return nil
	})
	if err != nil || calls != 3 {
		t.Fatalf("retry until success: err=%v calls=%d, want nil and 3", err, calls)
	}

	calls = 0
	fatal := &mysql.MySQLError{Number: 1064}
	err = Retry(context.Background(), Policy{Attempts: 5}, func(context.Context) error { calls++; return fatal })
	if !errors.Is(err, fatal) || calls != 1 {
		t.Fatalf("fatal error: err=%v calls=%d, want the error after 1 call", err, calls)
	}

	calls = 0
	err = Retry(context.Background(), Policy{Attempts: 3}, func(context.Context) error {
		calls++
		return &mysql.MySQLError{Number: ErLockWaitTimeout}
	})
	if ErrorNumber(err) != ErLockWaitTimeout || calls != 3 {
		t.Fatalf("exhausted: err=%v calls=%d, want lock wait timeout after 3 calls", err, calls)
	}
}

func TestRetryWaitsOutAnUnreachableServerByTime(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	if !IsConnectionError(fmt.Errorf("pin connection: %w", refused)) || IsConnectionError(&mysql.MySQLError{Number: ErLockDeadlock}) {
		t.Fatal("connection errors misclassified")
	}
	// More failures than Attempts, all while the server is away: they are
	// not counted, and the work succeeds once it is back.
	calls := 0
	err := Retry(context.Background(), Policy{Attempts: 2, ReconnectWait: time.Minute}, func(context.Context) error {
		if calls++; calls < 5 {
			return refused
		}
		return nil
	})
	if err != nil || calls != 5 {
		t.Fatalf("outage within the wait: err=%v calls=%d, want success after 5 calls", err, calls)
	}
	// An outage longer than ReconnectWait ends the retries, saying so.
	began := time.Now()
	err = Retry(context.Background(), Policy{Attempts: 100, ReconnectWait: 300 * time.Millisecond}, func(context.Context) error { return refused })
	if !errors.Is(err, syscall.ECONNREFUSED) || !strings.Contains(err.Error(), "unreachable") || time.Since(began) > 5*time.Second {
		t.Fatalf("long outage: err=%v after %v", err, time.Since(began))
	}
}

func TestDSNCarriesSessionSettings(t *testing.T) {
	dsn := Config{Host: "::1", Port: 3307, User: "u", Password: "p@ss", Database: "db"}.DSN()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "[::1]:3307" || cfg.Passwd != "p@ss" || cfg.DBName != "db" {
		t.Fatalf("parsed DSN %+v", cfg)
	}
	if cfg.Params["time_zone"] != "'+00:00'" || !strings.Contains(dsn, "charset=utf8mb4") {
		t.Fatalf("session params %v", cfg.Params)
	}
}
