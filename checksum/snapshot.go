package checksum

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// Snapshot is a set of connections, each in a transaction that sees both
// tables as they were at one point.
type Snapshot struct {
	conns []*sql.Conn
	// LockWait is how long taking the tables' read lock waited (writers
	// queue behind a waiting lock), LockHeld how long it was held.
	LockWait, LockHeld time.Duration
}

// PointConfig describes how a consistent point is taken.
type PointConfig struct {
	DB       *sql.DB
	Database string
	// Lock names the tables read-locked while the snapshots open: the
	// original during a migration (the ghost must stay writable for the
	// applier), both tables for a comparison by hand.
	Lock []string
	// Conns is the number of snapshot connections.
	Conns int
	// LockTimeout bounds the wait for the read lock.
	LockTimeout time.Duration
	// Sync runs while the lock is held, before the snapshots open: the
	// migration waits there until the applier has applied every change
	// logged before the lock, so the ghost is as current as the original.
	Sync func(context.Context) error
}

// ErrLockTimeout means the read lock could not be taken in time, usually
// because a long transaction holds the table; nothing was changed.
var ErrLockTimeout = errors.New("timed out waiting for the tables' read lock")

// OpenSnapshot takes a consistent point: it read-locks p.Lock briefly, runs
// Sync, opens one consistent-snapshot transaction per connection, and
// unlocks. The caller must Close the snapshot.
func OpenSnapshot(ctx context.Context, p PointConfig) (snap *Snapshot, err error) {
	snap = &Snapshot{}
	defer func() {
		if err != nil {
			snap.Close()
			snap = nil
		}
	}()
	// The snapshot connections are ready before the lock is taken, so the
	// lock is held only for Sync and the START TRANSACTIONs.
	for range max(p.Conns, 1) {
		conn, err := p.DB.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("checksum: connect: %w", err)
		}
		snap.conns = append(snap.conns, conn)
		if _, err := conn.ExecContext(ctx, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ"); err != nil {
			return nil, fmt.Errorf("checksum: set isolation: %w", err)
		}
	}
	lock, err := p.DB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("checksum: connect: %w", err)
	}
	defer func() {
		// A lock connection in any doubt is discarded, never pooled.
		if err != nil {
			dbconn.Discard(lock)
			return
		}
		lock.Close()
	}()
	seconds := max(int64(math.Ceil(p.LockTimeout.Seconds())), 1)
	if _, err := lock.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", seconds)); err != nil {
		return nil, fmt.Errorf("checksum: set lock_wait_timeout: %w", err)
	}
	var tables []string
	for _, t := range p.Lock {
		tables = append(tables, schema.QuoteTable(p.Database, t)+" READ")
	}
	began := time.Now()
	if _, err := lock.ExecContext(ctx, "LOCK TABLES "+strings.Join(tables, ", ")); err != nil {
		if dbconn.ErrorNumber(err) == dbconn.ErLockWaitTimeout {
			return nil, fmt.Errorf("checksum: lock %s: %w", strings.Join(p.Lock, ", "), ErrLockTimeout)
		}
		return nil, fmt.Errorf("checksum: lock %s: %w", strings.Join(p.Lock, ", "), err)
	}
	locked := time.Now()
	snap.LockWait = locked.Sub(began)
	if p.Sync != nil {
		if err := p.Sync(ctx); err != nil {
			return nil, fmt.Errorf("checksum: catch up under the lock: %w", err)
		}
	}
	for _, conn := range snap.conns {
		if _, err := conn.ExecContext(ctx, "START TRANSACTION WITH CONSISTENT SNAPSHOT"); err != nil {
			return nil, fmt.Errorf("checksum: open snapshot: %w", err)
		}
	}
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		return nil, fmt.Errorf("checksum: unlock: %w", err)
	}
	snap.LockHeld = time.Since(locked)
	return snap, nil
}

// Close ends the snapshot transactions and releases the connections.
func (s *Snapshot) Close() {
	if s == nil {
		return
	}
	for _, conn := range s.conns {
		// The rollback only ends a read-only transaction; a connection it
		// fails on is discarded.
		if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
			dbconn.Discard(conn)
			continue
		}
		conn.Close()
	}
	s.conns = nil
}
