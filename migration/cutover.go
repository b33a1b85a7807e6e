package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/doppel-dev/doppel/cutover"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/hooks"
	"github.com/doppel-dev/doppel/schema"
)

// cutOver swaps the tables, retrying attempts that time out on locks. Each
// attempt starts from a caught-up ghost so the writers' stall is only the
// last few events plus the rename.
func (m *migrator) cutOver(ctx context.Context) error {
	if m.cfg.TestOnReplica || m.cfg.MigrateOnReplica {
		if err := m.stopReplication(ctx); err != nil {
			return err
		}
	}
	if m.cfg.AnalyzeGhostTable {
		if err := m.analyzeGhost(ctx); err != nil {
			return err
		}
	}
	if m.cfg.TestOnReplica {
		return m.testOnReplicaSwap(ctx)
	}
	cfg := cutover.Config{
		DB: m.write, Database: m.cfg.Database, Original: m.cfg.Table, Ghost: m.names.ghost, Old: m.names.old,
		LockTimeout: m.cfg.CutOverLockTimeout, Flavor: m.flavor, SkipLockView: m.cfg.SkipMetadataLockCheck,
		Logger: m.base,
	}
	swap := cutover.Atomic
	if m.cfg.CutOver == "two-step" {
		swap = cutover.TwoStep
	}
	attempts := int(max(m.cfg.DefaultRetries, 1))
	var firstAttempt time.Time
	for attempt := 1; ; attempt++ {
		if err := m.throttle.Wait(ctx); err != nil {
			return err
		}
		if err := m.catchUp(ctx); err != nil {
			return err
		}
		if err := m.verifySuspects(ctx); err != nil {
			return err
		}
		var held *barrier
		if firstAttempt.IsZero() {
			firstAttempt = time.Now()
		}
		stopForcing := m.forcing(ctx, firstAttempt)
		res, err := swap(ctx, cfg, func(ctx context.Context, conn *sql.Conn) error {
			b, err := m.drain(ctx, conn)
			held = b
			return err
		})
		stopForcing()
		m.metrics.CutOverAttempt(res.Stall)
		if err == nil {
			// The apply loop stays held: the ghost is now the original, and
			// nothing may be applied to it under its old name.
			m.swapped = true
			m.report.CutOverStall = res.Stall
			m.report.OldTable = m.names.old
			m.log.Info().Int("attempt", attempt).Dur("elapsed", time.Since(firstAttempt)).Dur("writer_stall", res.Stall).Msg("tables swapped")
			break
		}
		if res.Swapped {
			m.swapped = true
			// The rename ran although the attempt could not confirm every
			// step; the ghost is now the original, so the applier stays held.
			return fmt.Errorf("the tables were swapped, but the cut-over lost its lock connection before it could confirm the rename ran first; rows written during the swap may be in %s instead of %s: compare them before dropping %s: %w",
				m.names.old, m.cfg.Table, m.names.old, err)
		}
		m.applyConn.Store(nil)
		if held != nil {
			// Triggers on the ghost would fire for replayed changes.
			if derr := m.dropGhostTriggers(ctx); derr != nil {
				return fmt.Errorf("cut-over attempt failed (%v), and then: %w", err, derr)
			}
			held.release()
		}
		if !retryable(err) {
			return fmt.Errorf("cut-over: %w", err)
		}
		if ctx.Err() != nil || attempt >= attempts {
			return fmt.Errorf("cut-over failed after %d attempt(s): %w", attempt, err)
		}
		m.metrics.Retry("cut-over")
		wait := cutOverBackoff(attempt, m.cfg.CutOverExponentialBackoff, m.cfg.ExponentialBackoffMaxInterval)
		m.log.Warn().Err(err).Int("attempt", attempt).Dur("elapsed", time.Since(firstAttempt)).Dur("retry_in", wait).Msg("cut-over attempt failed; the original is intact, retrying")
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	if m.cfg.MigrateOnReplica {
		return m.startReplication(ctx)
	}
	return nil
}

// drain runs while writers to the original are blocked: it applies every
// change committed before the lock and then holds the applier still.
func (m *migrator) drain(ctx context.Context, conn *sql.Conn) (*barrier, error) {
	if conn != nil {
		m.applyConn.Store(conn)
	}
	// Writers wait for as long as this takes, so it is bounded like a lock.
	dctx, cancel := context.WithTimeout(ctx, max(m.cfg.CutOverLockTimeout, time.Second))
	defer cancel()
	b, err := m.barrier(dctx, true)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errDrainRetry, err)
	}
	if d := m.applier.Displaced(); len(d) > 0 {
		return b, fmt.Errorf("%w: %d row(s) were displaced on a unique key while draining; checking them before the next attempt", errDrainRetry, len(d))
	}
	return b, m.createGhostTriggers(ctx, conn)
}

// analyzeGhost refreshes the ghost's index statistics, so the table that is
// swapped in does not start with the optimizer guessing.
func (m *migrator) analyzeGhost(ctx context.Context) error {
	if _, err := m.write.ExecContext(ctx, "ANALYZE TABLE "+schema.QuoteTable(m.cfg.Database, m.names.ghost)); err != nil {
		return fmt.Errorf("analyze ghost table: %w", err)
	}
	m.log.Info().Msg("ghost table analyzed")
	return nil
}

// errDrainRetry marks a drain that gave up for a reason the next attempt may
// not meet (the applier was slow, a collision needs proving outside the lock).
var errDrainRetry = errors.New("drain did not finish")

// retryable reports whether a failed attempt left everything as it was and
// may succeed later.
func retryable(err error) bool {
	return errors.Is(err, cutover.ErrLockTimeout) || errors.Is(err, cutover.ErrGhostInUse) || errors.Is(err, errDrainRetry) ||
		dbconn.IsConnectionError(err)
}

// testOnReplicaSwap proves the swap on a stopped replica and swaps back, so
// the original and the ghost stay side by side for comparison.
func (m *migrator) testOnReplicaSwap(ctx context.Context) error {
	b, err := m.barrier(ctx, true)
	if err != nil {
		return err
	}
	_ = b // held until the migration stops: nothing more may reach the ghost
	if err := m.createGhostTriggers(ctx, nil); err != nil {
		return err
	}
	t, g, o := schema.QuoteTable(m.cfg.Database, m.cfg.Table), schema.QuoteTable(m.cfg.Database, m.names.ghost), schema.QuoteTable(m.cfg.Database, m.names.old)
	q := fmt.Sprintf("RENAME TABLE %s TO %s, %s TO %s, %s TO %s, %s TO %s", t, o, g, t, t, g, o, t)
	if _, err := m.write.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("test swap on replica: %w", err)
	}
	m.log.Info().Msg("test-on-replica: tables swapped and swapped back; replication stays stopped, original and ghost are kept for comparison")
	return nil
}

func (m *migrator) stopReplication(ctx context.Context) error {
	m.notify(ctx, hooks.OnStopReplication, nil)
	if _, err := m.write.ExecContext(ctx, "STOP SLAVE"); err != nil {
		return fmt.Errorf("stop replication on %s: %w", m.writeCfg.Addr(), err)
	}
	m.log.Info().Str("replica", m.writeCfg.Addr()).Msg("replication stopped for cut-over")
	return nil
}

func (m *migrator) startReplication(ctx context.Context) error {
	m.notify(ctx, hooks.OnStartReplication, nil)
	if _, err := m.write.ExecContext(ctx, "START SLAVE"); err != nil {
		return fmt.Errorf("restart replication on %s: %w", m.writeCfg.Addr(), err)
	}
	m.log.Info().Str("replica", m.writeCfg.Addr()).Msg("replication restarted")
	return nil
}

// cleanup drops the helper tables a successful run no longer needs.
func (m *migrator) cleanup(ctx context.Context) error {
	m.setPhase("cleanup")
	cctx, cancel := cleanupContext()
	defer cancel()
	var errs []error
	errs = append(errs, m.dropTable(cctx, m.names.changelog), m.dropTable(cctx, m.names.checkpoint))
	if m.cfg.OkToDropTable && !m.cfg.TestOnReplica {
		errs = append(errs, m.dropTable(cctx, m.names.old))
		m.report.OldTable = ""
	}
	if m.copier != nil {
		m.report.RowsCopied = m.copier.Copied()
	}
	m.report.ChangesApplied = m.applied.Load()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cleanup after a successful swap: %w", err)
	}
	m.setPhase("done")
	m.log.Info().Int64("rows_copied", m.report.RowsCopied).Int64("changes_applied", m.report.ChangesApplied).
		Str("old_table", m.report.OldTable).Dur("took", time.Since(m.started)).Msg("migration complete")
	return nil
}
