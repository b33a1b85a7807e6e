package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/schema"
)

// Server flavors accepted in Config.Flavor.
const (
	FlavorMariaDB = "mariadb"
	FlavorMySQL   = "mysql"
)

var (
	// ErrLockTimeout means a lock or the rename waited longer than
	// Config.LockTimeout, or lost a deadlock. Nothing was renamed and
	// everything was released; the caller retries after a back-off.
	ErrLockTimeout = errors.New("cut-over lock wait timed out")
	// ErrGhostInUse means another session held the ghost table (or the
	// old-table name) so long that the rename could not get past it; the
	// message names the session. Nothing was renamed and everything was
	// released; the caller retries after a back-off. It can come together
	// with ErrLockTimeout.
	ErrGhostInUse = errors.New("ghost table in use by another session")
)

// Config is one cut-over's tables and limits.
type Config struct {
	// DB is a pool on the server where the tables live: the primary, or the
	// replica under --test-on-replica. An attempt pins up to four of its
	// connections at once.
	DB       *sql.DB
	Database string
	Original string
	Ghost    string
	// Old is the name the original gets. It must not exist beforehand.
	Old string
	// LockTimeout is the lock_wait_timeout of every LOCK and RENAME, and the
	// limit on each wait of the attempt; the server counts it in whole
	// seconds, so it is rounded up.
	LockTimeout time.Duration
	// Flavor is FlavorMariaDB or FlavorMySQL. FlavorMySQL means 8.0.13 or
	// later (rename under LOCK TABLES). MySQL 5.7 needs the sentry scheme,
	// FlavorMariaDB; its metadata-lock rules are the same, but that
	// combination is not tested here.
	Flavor string
	Logger zerolog.Logger

	// SkipLockView makes the attempt neither install nor read
	// metadata_lock_info (gh-ost's --skip-metadata-lock-check). Safety does
	// not depend on it: the queue probe decides; the view only fails fast on
	// a long-held ghost and names the holder in errors.
	SkipLockView bool
}

// Drain is called while writers to Original are blocked. It must return
// once every change committed to Original before the lock has been applied to
// Ghost, and the caller's applier must then stay idle (no open transaction
// touching Ghost) until the attempt returns. On MySQL's path conn is the lock
// connection, which the applier must use for its writes because that session
// holds Ghost's WRITE lock; on MariaDB's path and in TwoStep conn is nil.
type Drain func(ctx context.Context, conn *sql.Conn) error

// Result describes one attempt.
type Result struct {
	// Swapped reports whether Original now holds the former ghost. It is
	// true when the error is nil; with an error it is true only if a session
	// was lost after the point of no return and the server completed the
	// rename anyway (see Atomic).
	Swapped bool
	// LockWait is the time LOCK TABLES waited; writers queue behind a
	// pending LOCK TABLES too.
	LockWait time.Duration
	// Drain is the time spent inside the caller's drain.
	Drain time.Duration
	// Stall is the longest any writer to Original can have waited because
	// of this attempt: from LOCK TABLES being sent until the rename finished
	// or the locks were released.
	Stall time.Duration
}

// Atomic makes one attempt to swap the tables in a single RENAME while
// writers wait, using the algorithm for cfg.Flavor.
//
// On error nothing was renamed and the original is intact and unlocked,
// with one exception that no client can rule out: if the lock or rename
// connection is lost (or killed by someone else) after the point of no
// return, the server may finish the rename without the queue check. Atomic
// then reads the catalog and reports what happened in Result.Swapped; the
// caller must treat such a swap as unverified.
func Atomic(ctx context.Context, cfg Config, drain Drain) (Result, error) {
	if err := cfg.validate(drain); err != nil {
		return Result{}, err
	}
	log := cfg.Logger.With().Str("component", "cutover").Logger()
	if cfg.Flavor == FlavorMySQL {
		return atomicMySQL(ctx, cfg, log, drain)
	}
	return atomicSentry(ctx, cfg, log, drain)
}

func (c Config) validate(drain Drain) error {
	switch {
	case c.DB == nil:
		return errors.New("cut-over config: no database pool")
	case c.Database == "" || c.Original == "" || c.Ghost == "" || c.Old == "":
		return errors.New("cut-over config: database and all three table names are required")
	case c.Original == c.Ghost || c.Original == c.Old || c.Ghost == c.Old:
		return errors.New("cut-over config: original, ghost and old names must differ")
	case c.LockTimeout <= 0:
		return errors.New("cut-over config: lock timeout must be positive")
	case c.Flavor != FlavorMariaDB && c.Flavor != FlavorMySQL:
		return fmt.Errorf("cut-over config: unknown flavor %q", c.Flavor)
	case drain == nil:
		return errors.New("cut-over config: no drain function")
	}
	return nil
}

// lockWaitSeconds is LockTimeout as the server's lock_wait_timeout, which
// is whole seconds and at least 1.
func (c Config) lockWaitSeconds() int64 {
	return max(1, int64(math.Ceil(c.LockTimeout.Seconds())))
}

// cleanupTimeout bounds the work done after an attempt has failed or its
// context was cancelled: killing sessions and waiting for them to vanish.
func (c Config) cleanupTimeout() time.Duration {
	return 10*time.Second + 2*c.LockTimeout
}

// backstop bounds a statement that only ends when the server says so. Every
// such statement is also killed on the server, so this only matters when the
// server itself stops answering.
func (c Config) backstop() time.Duration {
	return 4*time.Duration(c.lockWaitSeconds())*time.Second + 10*time.Second
}

func (c Config) table(name string) string {
	return schema.QuoteTable(c.Database, name)
}

// erNoSuchThread answers KILL for a session that has already ended.
const erNoSuchThread = 1094

// classify adds ErrLockTimeout to err when the server gave up waiting for a
// lock: the attempt can simply be retried.
func classify(err error) error {
	switch dbconn.ErrorNumber(err) {
	case dbconn.ErLockWaitTimeout, dbconn.ErLockDeadlock:
		return fmt.Errorf("%w: %w", ErrLockTimeout, err)
	}
	return err
}

// cleanupContext is ctx when it is still usable, else a fresh context that
// keeps ctx's values; either way bounded by d.
func cleanupContext(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), d)
}

// discard closes the lock connection without returning it to the pool.
func discard(conn *sql.Conn) { dbconn.Discard(conn) }

// session is a pinned connection and its server thread id.
type session struct {
	conn *sql.Conn
	id   int64
}

// pin takes a connection from the pool for one role in the attempt and sets
// the lock wait timeout its statements must respect.
func pin(ctx context.Context, db *sql.DB, lockWait int64) (session, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return session{}, err
	}
	s := session{conn: conn}
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&s.id); err != nil {
		discard(conn)
		return session{}, err
	}
	if lockWait > 0 {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET SESSION lock_wait_timeout = %d", lockWait)); err != nil {
			discard(conn)
			return session{}, err
		}
	}
	return s, nil
}

// tableExists reads the catalog; it answers what happened when a session was
// lost and its statement's outcome is unknown.
func tableExists(ctx context.Context, q querier, database, name string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		database, name).Scan(&n)
	return n > 0, err
}

// swappedInCatalog reports whether the rename happened: afterwards the ghost
// name is gone and the old name holds the former original.
func swappedInCatalog(ctx context.Context, q querier, cfg Config) (bool, error) {
	ghost, err := tableExists(ctx, q, cfg.Database, cfg.Ghost)
	if err != nil {
		return false, fmt.Errorf("look up ghost table: %w", err)
	}
	orig, err := tableExists(ctx, q, cfg.Database, cfg.Original)
	if err != nil {
		return false, fmt.Errorf("look up original table: %w", err)
	}
	return !ghost && orig, nil
}

// querier is what both a pool and a pinned connection offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const pollInterval = time.Millisecond

// killAndWait ends a session on the server and returns once its thread is
// gone from the process list: only then can no statement of it still run.
func killAndWait(ctx context.Context, q querier, id int64) error {
	if _, err := q.ExecContext(ctx, fmt.Sprintf("KILL CONNECTION %d", id)); err != nil && dbconn.ErrorNumber(err) != erNoSuchThread {
		return err
	}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		var n int
		if err := q.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = ?", id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("session %d still present: %w", id, ctx.Err())
		case <-tick.C:
		}
	}
}
