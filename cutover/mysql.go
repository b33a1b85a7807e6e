package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/dbconn"
)

// execer is the part of a pinned connection the MySQL path needs; unit tests
// replace it, since no MySQL server runs in this environment.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// mysqlStatements is the whole conversation of MySQL's path, in order.
type mysqlStatements struct {
	setTimeout, lock, rename, unlock string
}

func (c Config) mysqlStatements() mysqlStatements {
	orig, ghost, old := c.table(c.Original), c.table(c.Ghost), c.table(c.Old)
	return mysqlStatements{
		setTimeout: fmt.Sprintf("SET SESSION lock_wait_timeout = %d", c.lockWaitSeconds()),
		lock:       fmt.Sprintf("LOCK TABLES %s WRITE, %s WRITE", orig, ghost),
		rename:     fmt.Sprintf("RENAME TABLE %s TO %s, %s TO %s", orig, old, ghost, orig),
		unlock:     "UNLOCK TABLES",
	}
}

// atomicMySQL runs the rename-under-lock algorithm of MySQL 8.0.13+, where a
// session holding LOCK TABLES WRITE on both tables may rename them: no other
// session takes part, so there is no queue to verify.
func atomicMySQL(ctx context.Context, cfg Config, log zerolog.Logger, drain Drain) (Result, error) {
	a, err := pin(ctx, cfg.DB, 0)
	if err != nil {
		return Result{}, fmt.Errorf("pin lock connection: %w", err)
	}
	defer discard(a.conn)

	res, uncertain, err := renameUnderLock(ctx, a.conn, cfg.mysqlStatements(),
		func(ctx context.Context) error { return drain(ctx, a.conn) }, cfg.cleanupTimeout())
	if uncertain || ctx.Err() != nil {
		// The session's server side may still be waiting on a lock or
		// holding one; closing the socket does not end it, killing it does.
		cctx, cancel := cleanupContext(ctx, cfg.cleanupTimeout())
		defer cancel()
		if kerr := killAndWait(cctx, cfg.DB, a.id); kerr != nil {
			kerr = fmt.Errorf("kill lock session %d: %w", a.id, kerr)
			if err == nil {
				log.Error().Err(kerr).Msg("lock session not ended after the swap; its locks go when the server notices")
			} else {
				err = errors.Join(err, kerr)
			}
		}
		if err != nil && uncertain {
			swapped, cerr := swappedInCatalog(cctx, cfg.DB, cfg)
			if cerr != nil {
				return res, errors.Join(err, cerr)
			}
			res.Swapped = swapped
		}
	}
	if err == nil {
		log.Info().Dur("stall", res.Stall).Dur("drain", res.Drain).Msg("tables swapped")
	}
	return res, err
}

// renameUnderLock sends the MySQL path's statements on s. uncertain reports
// that some statement failed on the client side, so the session's server
// state (and whether the rename ran) is unknown to it.
func renameUnderLock(ctx context.Context, s execer, q mysqlStatements, drain func(context.Context) error,
	cleanup time.Duration) (res Result, uncertain bool, err error) {
	exec := func(ctx context.Context, query string) error {
		_, err := s.ExecContext(ctx, query)
		if err != nil && dbconn.ErrorNumber(err) == 0 {
			uncertain = true
		}
		return err
	}
	if err := exec(ctx, q.setTimeout); err != nil {
		return res, uncertain, fmt.Errorf("set lock wait timeout: %w", err)
	}
	start := time.Now()
	defer func() { res.Stall = time.Since(start) }()
	// The writers stall from here: a pending LOCK TABLES WRITE already
	// makes new writes to the table queue behind it.
	if err := exec(ctx, q.lock); err != nil {
		res.LockWait = time.Since(start)
		return res, uncertain, fmt.Errorf("lock tables: %w", classify(err))
	}
	res.LockWait = time.Since(start)

	unlock := func(cause error) error {
		cctx, cancel := cleanupContext(ctx, cleanup)
		defer cancel()
		if err := exec(cctx, q.unlock); err != nil {
			uncertain = true
			return errors.Join(cause, fmt.Errorf("unlock tables: %w", err))
		}
		return cause
	}

	drainStart := time.Now()
	err = drain(ctx)
	res.Drain = time.Since(drainStart)
	if err != nil {
		return res, uncertain, unlock(fmt.Errorf("drain: %w", err))
	}
	if err := exec(ctx, q.rename); err != nil {
		return res, uncertain, unlock(fmt.Errorf("rename tables: %w", classify(err)))
	}
	res.Swapped = true
	// The rename is done; a failed UNLOCK only means the caller must end the
	// session, which releases the locks with the swap already in place.
	if err := unlock(nil); err != nil {
		uncertain = true
	}
	return res, uncertain, nil
}
