package cutover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/doppel-dev/doppel/dbconn"
)

// TwoStep is gh-ost's --cut-over=two-step: lock the original, drain, rename
// it away under the lock, unlock, then rename the ghost into its place.
// Between the two renames the original name does not exist: writers that
// arrive (or were queued) then fail with "table doesn't exist" (1146) for
// the few milliseconds it takes. Use it where that is acceptable and the
// atomic scheme is not available.
//
// If the second rename fails, TwoStep renames the original back and returns
// the error; only if that fails too is the original left under cfg.Old, and
// the error says so.
func TwoStep(ctx context.Context, cfg Config, drain Drain) (res Result, err error) {
	if err := cfg.validate(drain); err != nil {
		return res, err
	}
	log := cfg.Logger.With().Str("component", "cutover").Logger()
	orig, ghost, old := cfg.table(cfg.Original), cfg.table(cfg.Ghost), cfg.table(cfg.Old)

	a, err := pin(ctx, cfg.DB, cfg.lockWaitSeconds())
	if err != nil {
		return res, fmt.Errorf("pin lock connection: %w", err)
	}
	defer discard(a.conn)
	// The second rename gets its own session, pinned now so that the
	// missing-table window does not include waiting for the pool.
	r, err := pin(ctx, cfg.DB, cfg.lockWaitSeconds())
	if err != nil {
		return res, fmt.Errorf("pin rename connection: %w", err)
	}
	defer discard(r.conn)

	uncertain := false
	exec := func(ctx context.Context, query string) error {
		_, err := a.conn.ExecContext(ctx, query)
		if err != nil && dbconn.ErrorNumber(err) == 0 {
			uncertain = true
		}
		return err
	}
	// release ends the lock: by UNLOCK, or by killing the session when its
	// server state is unknown.
	release := func(cause error) error {
		cctx, cancel := cleanupContext(ctx, cfg.cleanupTimeout())
		defer cancel()
		if !uncertain && exec(cctx, "UNLOCK TABLES") == nil {
			return cause
		}
		if err := killAndWait(cctx, r.conn, a.id); err != nil {
			return errors.Join(cause, fmt.Errorf("kill lock session %d: %w", a.id, err))
		}
		return cause
	}

	var view *lockView
	if !cfg.SkipLockView && cfg.Flavor == FlavorMariaDB {
		view = openLockView(ctx, r.conn, cfg.Database, true, log)
	}

	start := time.Now()
	defer func() { res.Stall = time.Since(start) }()
	err = exec(ctx, fmt.Sprintf("LOCK TABLES %s WRITE", orig))
	res.LockWait = time.Since(start)
	if err != nil {
		return res, release(fmt.Errorf("lock tables: %w", classify(err)))
	}
	drainStart := time.Now()
	err = drain(ctx, nil)
	res.Drain = time.Since(drainStart)
	if err != nil {
		return res, release(fmt.Errorf("drain: %w", err))
	}
	// A session that has held the ghost for the whole lock timeout would
	// stretch the missing-table window to that timeout; refuse before the
	// original is renamed.
	if err := view.checkStale(ctx, 0, cfg.LockTimeout, cfg.Ghost, cfg.Old); err != nil {
		return res, release(err)
	}
	if err := exec(ctx, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", orig, old)); err != nil {
		err = release(fmt.Errorf("rename original away: %w", classify(err)))
		if uncertain {
			return res, putBack(ctx, cfg, r, err)
		}
		return res, err
	}
	// From here until the next rename the original name is missing.
	if err := release(nil); err != nil {
		log.Warn().Err(err).Msg("unlock after renaming the original away failed")
	}
	cctx, cancel := cleanupContext(ctx, cfg.cleanupTimeout())
	defer cancel()
	if _, err := r.conn.ExecContext(cctx, fmt.Sprintf("RENAME TABLE %s TO %s", ghost, orig)); err != nil {
		return res, putBack(ctx, cfg, r, fmt.Errorf("rename ghost into place: %w", classify(err)))
	}
	res.Swapped = true
	log.Info().Dur("stall", time.Since(start)).Dur("drain", res.Drain).Msg("tables swapped in two steps")
	return res, nil
}

// putBack renames the original back if it is missing, after a failed or
// unknown step left it under the old name.
func putBack(ctx context.Context, cfg Config, r session, cause error) error {
	cctx, cancel := cleanupContext(ctx, cfg.cleanupTimeout())
	defer cancel()
	exists, err := tableExists(cctx, r.conn, cfg.Database, cfg.Original)
	if err != nil || exists {
		return errors.Join(cause, err)
	}
	q := fmt.Sprintf("RENAME TABLE %s TO %s", cfg.table(cfg.Old), cfg.table(cfg.Original))
	if _, err := r.conn.ExecContext(cctx, q); err != nil {
		return errors.Join(cause, fmt.Errorf("original left as %s; renaming it back failed: %w", cfg.Old, err))
	}
	return cause
}
