package migration

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/copier"
	"github.com/doppel-dev/doppel/cutover"
	"github.com/doppel-dev/doppel/schema"
)

// A checkpoint is what a resumed run needs to continue where an earlier one
// stopped. It is one row of _<t>_ghk, written in one statement, so a crash
// leaves either the old row or the new one. Its values only ever lag the
// ghost: the watermark is a chunk already committed and the position one
// the applier has fully committed, so resuming re-copies nothing it needs
// and re-applies a stretch of the binlog, which is harmless (design.md,
// invariant 1).
type checkpoint struct {
	Phase       string
	Alter       string
	OrigSchema  string // fingerprints of both tables' definitions
	GhostSchema string
	OldTable    string // the name the original gets at the swap (--timestamp-old-table varies it)
	Watermark   string // copier.Watermark; "" before the first chunk
	CopyDone    bool
	Pos         binlog.Position
	RowsCopied  int64
	Chunks      int64
	Applied     int64
	Written     time.Time
}

// defaultCheckpointInterval is gh-ost's --checkpoint-seconds default.
const defaultCheckpointInterval = 300 * time.Second

func (m *migrator) checkpointing() bool { return m.cfg.Execute && (m.cfg.Checkpoint || m.cfg.Resume) }

// autoIncrementClause is the one part of SHOW CREATE TABLE that changes with
// the data rather than the definition; tableName is the other part that is
// not the definition (the ghost becomes the original by a rename).
var (
	autoIncrementClause = regexp.MustCompile(` AUTO_INCREMENT=\d+`)
	tableName           = regexp.MustCompile("^CREATE TABLE `(?:[^`]|``)*`")
)

// fingerprint identifies a table's definition: a resumed run must find both
// tables exactly as the interrupted one left them.
func (m *migrator) fingerprint(ctx context.Context, table string) (string, error) {
	var name, ddl string
	if err := m.write.QueryRowContext(ctx, "SHOW CREATE TABLE "+schema.QuoteTable(m.cfg.Database, table)).Scan(&name, &ddl); err != nil {
		return "", fmt.Errorf("read the definition of %s: %w", table, err)
	}
	ddl = tableName.ReplaceAllString(autoIncrementClause.ReplaceAllString(ddl, ""), "CREATE TABLE")
	sum := sha256.Sum256([]byte(ddl))
	return hex.EncodeToString(sum[:]), nil
}

// createCheckpointTable starts a fresh checkpoint for a new migration.
func (m *migrator) createCheckpointTable(ctx context.Context) error {
	if err := m.dropTable(ctx, m.names.checkpoint); err != nil {
		return err
	}
	q := fmt.Sprintf(`CREATE TABLE %s (
  id tinyint unsigned NOT NULL,
  written_at timestamp(6) NOT NULL,
  phase varchar(32) CHARACTER SET ascii NOT NULL,
  alter_statement mediumtext CHARACTER SET utf8mb4 NOT NULL,
  original_schema char(64) CHARACTER SET ascii NOT NULL,
  ghost_schema char(64) CHARACTER SET ascii NOT NULL,
  old_table varchar(64) CHARACTER SET utf8mb4 NOT NULL,
  copy_watermark mediumtext CHARACTER SET ascii NOT NULL,
  copy_done tinyint NOT NULL,
  binlog_file varchar(255) CHARACTER SET ascii NOT NULL,
  binlog_pos bigint unsigned NOT NULL,
  binlog_gtid text CHARACTER SET ascii NOT NULL,
  rows_copied bigint unsigned NOT NULL,
  chunks_copied bigint unsigned NOT NULL,
  changes_applied bigint unsigned NOT NULL,
  PRIMARY KEY (id)
) ENGINE=InnoDB COMMENT='doppel checkpoint: resume with --resume'`, schema.QuoteTable(m.cfg.Database, m.names.checkpoint))
	if _, err := m.write.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create checkpoint table: %w", err)
	}
	var err error
	if m.origPrint, err = m.fingerprint(ctx, m.cfg.Table); err != nil {
		return err
	}
	m.ghostPrint, err = m.fingerprint(ctx, m.names.ghost)
	return err
}

// currentCheckpoint reads the workers' progress. The copier's watermark is
// read before the applier's position; both only grow, and either order is
// safe because each is a point the ghost has already passed.
func (m *migrator) currentCheckpoint() (checkpoint, bool) {
	pos, ok := m.lastApplied.Load().(binlog.Position)
	if !ok || pos.File == "" || m.copier == nil {
		return checkpoint{}, false
	}
	return checkpoint{
		Phase: m.phase.Load().(string), Alter: m.alter.Text, OrigSchema: m.origPrint, GhostSchema: m.ghostPrint,
		OldTable: m.names.old, Watermark: m.copier.Watermark(), CopyDone: m.copier.Done(), Pos: pos,
		RowsCopied: m.copier.Copied(), Chunks: m.copier.Chunks(), Applied: m.applied.Load(),
	}, true
}

// writeCheckpoint records the current progress; it is a no-op before the
// applier has a position.
func (m *migrator) writeCheckpoint(ctx context.Context) error {
	c, ok := m.currentCheckpoint()
	if !ok {
		return nil
	}
	q := fmt.Sprintf(`INSERT INTO %s (id, written_at, phase, alter_statement, original_schema, ghost_schema,
  old_table, copy_watermark, copy_done, binlog_file, binlog_pos, binlog_gtid, rows_copied, chunks_copied, changes_applied)
VALUES (1, UTC_TIMESTAMP(6), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON DUPLICATE KEY UPDATE written_at = VALUES(written_at), phase = VALUES(phase), alter_statement = VALUES(alter_statement),
  original_schema = VALUES(original_schema), ghost_schema = VALUES(ghost_schema), old_table = VALUES(old_table),
  copy_watermark = VALUES(copy_watermark),
  copy_done = VALUES(copy_done), binlog_file = VALUES(binlog_file), binlog_pos = VALUES(binlog_pos),
  binlog_gtid = VALUES(binlog_gtid), rows_copied = VALUES(rows_copied), chunks_copied = VALUES(chunks_copied),
  changes_applied = VALUES(changes_applied)`, schema.QuoteTable(m.cfg.Database, m.names.checkpoint))
	_, err := m.write.ExecContext(ctx, q, c.Phase, c.Alter, c.OrigSchema, c.GhostSchema, c.OldTable, c.Watermark, c.CopyDone,
		c.Pos.File, c.Pos.Pos, c.Pos.GTID, c.RowsCopied, c.Chunks, c.Applied)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	m.log.Debug().Str("pos", c.Pos.String()).Int64("rows", c.RowsCopied).Bool("copy_done", c.CopyDone).Msg("checkpoint written")
	return nil
}

// checkpointLoop writes a checkpoint every --checkpoint-seconds. A failed
// write is not fatal: the previous checkpoint still describes a point the
// ghost has passed, and the workers report a lost server themselves.
func (m *migrator) checkpointLoop(ctx context.Context) error {
	every := m.cfg.CheckpointInterval
	if every <= 0 {
		every = defaultCheckpointInterval
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		if err := m.writeCheckpoint(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn().Err(err).Msg("checkpoint not written; the previous one still holds")
		}
	}
}

// finalCheckpoint records the progress of a run that is stopping early, so
// --resume loses as little work as possible, and says how to go on.
func (m *migrator) finalCheckpoint(cause error) {
	if !m.checkpointing() || m.swapped || m.names.checkpoint == "" || !m.checkpointReady {
		return
	}
	ctx, cancel := cleanupContext()
	defer cancel()
	if err := m.writeCheckpoint(ctx); err != nil {
		m.log.Warn().Err(err).Msg("could not record the final checkpoint; --resume continues from the previous one")
	}
	m.log.Warn().Str("ghost", m.names.ghost).Str("checkpoint", m.names.checkpoint).Str("cause", errorClass(cause)).
		Msg("migration stopped before the swap; the original table is untouched. If it was interrupted or lost its server, run the same command again with --resume to continue where it stopped; to abandon it, drop the ghost, changelog and checkpoint tables (see docs/operations.md)")
}

func errorClass(err error) string {
	if errors.Is(err, context.Canceled) {
		return "interrupted"
	}
	return "failed"
}

// loadCheckpoint reads the checkpoint row.
func (m *migrator) loadCheckpoint(ctx context.Context) (checkpoint, error) {
	var c checkpoint
	var done int
	q := fmt.Sprintf(`SELECT written_at, phase, alter_statement, original_schema, ghost_schema, old_table, copy_watermark, copy_done,
  binlog_file, binlog_pos, binlog_gtid, rows_copied, chunks_copied, changes_applied FROM %s WHERE id = 1`,
		schema.QuoteTable(m.cfg.Database, m.names.checkpoint))
	var written string
	err := m.write.QueryRowContext(ctx, q).Scan(&written, &c.Phase, &c.Alter, &c.OrigSchema, &c.GhostSchema, &c.OldTable, &c.Watermark, &done,
		&c.Pos.File, &c.Pos.Pos, &c.Pos.GTID, &c.RowsCopied, &c.Chunks, &c.Applied)
	if errors.Is(err, sql.ErrNoRows) {
		return c, refuse("the checkpoint table %s.%s is empty: the earlier run stopped before its first checkpoint; start again with --initially-drop-ghost-table instead of --resume",
			m.cfg.Database, m.names.checkpoint)
	}
	if err != nil {
		return c, fmt.Errorf("read checkpoint: %w", err)
	}
	c.CopyDone = done != 0
	c.Written, _ = time.Parse("2006-01-02 15:04:05.999999", written)
	return c, nil
}

// prepareResume checks that the interrupted migration can go on from its
// checkpoint: same ALTER, both tables as they were, the binlog still there.
// It loads the ghost as createGhost would have. It reports swapped when the
// interrupted run's swap completed, which leaves nothing to resume.
func (m *migrator) prepareResume(ctx context.Context) (swapped bool, err error) {
	for _, t := range []string{m.names.checkpoint, m.names.changelog} {
		exists, err := m.tableExists(ctx, t)
		if err != nil {
			return false, err
		}
		if !exists {
			return false, refuse("--resume: table %s.%s does not exist, so there is no interrupted migration of %s to resume; run without --resume to start one",
				m.cfg.Database, t, m.cfg.Table)
		}
	}
	c, err := m.loadCheckpoint(ctx)
	if err != nil {
		return false, err
	}
	// The swap's name for the original is the interrupted run's: with
	// --timestamp-old-table this run's would differ, and a swap that
	// happened, or the sentry under that name, would go unrecognised.
	m.names.old = c.OldTable
	if c.Alter != m.alter.Text {
		return false, refuse("--resume: the interrupted migration ran a different ALTER (%q, this command gives %q); resume it with the same --alter, or start again with --initially-drop-ghost-table",
			c.Alter, m.alter.Text)
	}
	ghostExists, err := m.tableExists(ctx, m.names.ghost)
	if err != nil {
		return false, err
	}
	origPrint, err := m.fingerprint(ctx, m.cfg.Table)
	if err != nil {
		return false, err
	}
	if !ghostExists {
		return m.swappedBefore(ctx, c, origPrint)
	}
	if origPrint != c.OrigSchema {
		return false, refuse("--resume: the definition of %s.%s changed since the checkpoint (someone altered it); the ghost no longer matches, start again with --initially-drop-ghost-table",
			m.cfg.Database, m.cfg.Table)
	}
	ghostPrint, err := m.fingerprint(ctx, m.names.ghost)
	if err != nil {
		return false, err
	}
	if ghostPrint != c.GhostSchema {
		return false, refuse("--resume: the definition of the ghost table %s.%s changed since the checkpoint; start again with --initially-drop-ghost-table",
			m.cfg.Database, m.names.ghost)
	}
	if err := m.checkBinlogKept(ctx, c.Pos); err != nil {
		return false, err
	}
	if err := m.analyseGhost(ctx, m.names.ghost); err != nil {
		return false, err
	}
	if m.cfg.Execute {
		dropped, err := cutover.DropLeftoverSentry(ctx, m.write, m.cfg.Database, m.names.old)
		if err != nil {
			return false, err
		}
		if dropped {
			m.log.Info().Str("table", m.names.old).Msg("dropped the cut-over sentry the interrupted run left")
		}
	}
	m.origPrint, m.ghostPrint = c.OrigSchema, c.GhostSchema
	m.resume = &c
	m.log.Info().Str("pos", c.Pos.String()).Int64("rows_copied", c.RowsCopied).Bool("copy_done", c.CopyDone).
		Str("phase", c.Phase).Time("written", c.Written).Msg("resuming from checkpoint")
	return false, nil
}

// swappedBefore handles a missing ghost: the interrupted run may have died
// after its rename ran. That is so when the original now has the ghost's
// definition and the old table the original's.
func (m *migrator) swappedBefore(ctx context.Context, c checkpoint, origPrint string) (bool, error) {
	oldExists, err := m.tableExists(ctx, m.names.old)
	if err != nil {
		return false, err
	}
	if oldExists && origPrint == c.GhostSchema {
		oldPrint, err := m.fingerprint(ctx, m.names.old)
		if err != nil {
			return false, err
		}
		if oldPrint == c.OrigSchema {
			m.swapCheckpoint = c.Pos
			return true, nil
		}
	}
	return false, refuse("--resume: the ghost table %s.%s is gone and the tables do not look swapped; the checkpoint cannot be resumed: drop %s and %s and start again",
		m.cfg.Database, m.names.ghost, m.names.checkpoint, m.names.changelog)
}

// finishSwapped completes a run whose swap happened before it was
// interrupted: only the cleanup was left.
func (m *migrator) finishSwapped(ctx context.Context) error {
	m.log.Warn().Str("old_table", m.names.old).
		Msg("the interrupted run had already swapped the tables: the new table is in place; finishing its cleanup")
	m.swapped = true
	m.report.OldTable = m.names.old
	late, err := m.auditSwap(ctx, m.swapCheckpoint)
	if err != nil {
		return err
	}
	if len(late) > 0 {
		return m.lostWritesError(late)
	}
	m.log.Info().Str("from", m.swapCheckpoint.String()).Msg("swap audited in the binlog: no write reached the old table after the drain")
	return m.cleanup(ctx)
}

// checkBinlogKept refuses a resume whose binlog position was purged: the
// changes since the checkpoint could not be replayed.
func (m *migrator) checkBinlogKept(ctx context.Context, pos binlog.Position) error {
	rows, err := m.inspect.QueryContext(ctx, "SHOW BINARY LOGS")
	if err != nil {
		return fmt.Errorf("list binary logs: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		var name string
		vals[0] = &name
		for i := 1; i < len(vals); i++ {
			vals[i] = new(sql.RawBytes)
		}
		if err := rows.Scan(vals...); err != nil {
			return fmt.Errorf("list binary logs: %w", err)
		}
		if name == pos.File {
			return rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list binary logs: %w", err)
	}
	return refuse("--resume: binlog %s, where the checkpoint resumes, is no longer on %s (purged); the changes since cannot be replayed: start again with --initially-drop-ghost-table (and keep binlogs longer than a migration runs)",
		pos.File, m.inspectCfg.Addr())
}

// resumeCopy tells the copier where the interrupted copy stopped.
func (m *migrator) resumeCopy() *copier.Resume {
	if m.resume == nil {
		return nil
	}
	return &copier.Resume{After: m.resume.Watermark, Done: m.resume.CopyDone, Rows: m.resume.RowsCopied, Chunks: m.resume.Chunks}
}
