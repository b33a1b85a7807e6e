package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/doppel-dev/doppel/applier"
	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/copier"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/hooks"
	"github.com/doppel-dev/doppel/schema"
)

// tableNames are the tables a migration creates, named as gh-ost names them
// so gh-ost tooling and harnesses keep working.
type tableNames struct {
	original, ghost, changelog, old, checkpoint string
}

func namesFor(table string, timestampOld bool, now time.Time) tableNames {
	oldSuffix := "_del"
	if timestampOld {
		oldSuffix = "_" + now.UTC().Format("20060102150405") + "_del"
	}
	return tableNames{original: table, ghost: helperName(table, "_gho"), changelog: helperName(table, "_ghc"),
		old: helperName(table, oldSuffix), checkpoint: helperName(table, "_ghk")}
}

// maxTableName is MySQL's identifier limit, in characters.
const maxTableName = 64

// helperName is gh-ost's "_<table><suffix>", with the table's name cut short
// (by characters, as the server counts) when the whole would exceed the
// identifier limit; a table at the 64-character limit can still be migrated.
// A cut name could meet another table's helper: preflight refuses any that
// already exists.
func helperName(table, suffix string) string {
	r := []rune(table)
	if keep := maxTableName - 1 - len([]rune(suffix)); len(r) > keep {
		r = r[:keep]
	}
	return "_" + string(r) + suffix
}

func (m *migrator) tableExists(ctx context.Context, name string) (bool, error) {
	var n int
	err := m.write.QueryRowContext(ctx,
		"SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		m.cfg.Database, name).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("look up table %s: %w", name, err)
	}
	return n > 0, nil
}

func (m *migrator) dropTable(ctx context.Context, name string) error {
	_, err := m.write.ExecContext(ctx, "DROP TABLE IF EXISTS "+schema.QuoteTable(m.cfg.Database, name))
	if err != nil {
		return fmt.Errorf("drop table %s: %w", name, err)
	}
	return nil
}

// checkLeftovers refuses to overwrite tables of an earlier run unless told
// to. A resumed run owns them instead (prepareResume checks them).
func (m *migrator) checkLeftovers(ctx context.Context) error {
	if m.cfg.Resume {
		return nil
	}
	resumable, err := m.tableExists(ctx, m.names.checkpoint)
	if err != nil {
		return err
	}
	hint := ""
	if resumable {
		hint = "; an interrupted migration left a checkpoint: continue it with --resume"
	}
	leftovers := []struct {
		name, flag string
		drop       bool
	}{
		{m.names.ghost, "--initially-drop-ghost-table", m.cfg.InitiallyDropGhostTable},
		// A checkpoint belongs to its ghost: dropping one drops both.
		{m.names.checkpoint, "--initially-drop-ghost-table", m.cfg.InitiallyDropGhostTable},
		{m.names.old, "--initially-drop-old-table", m.cfg.InitiallyDropOldTable},
	}
	for _, l := range leftovers {
		exists, err := m.tableExists(ctx, l.name)
		if err != nil {
			return err
		}
		if !exists {
			continue
		}
		if !l.drop {
			return refuse("table %s.%s already exists (left by an earlier run?); drop it or pass %s%s", m.cfg.Database, l.name, l.flag, hint)
		}
		if !m.cfg.Execute {
			m.log.Info().Str("table", l.name).Msg("dry run: would drop leftover table")
			continue
		}
		if err := m.dropTable(ctx, l.name); err != nil {
			return err
		}
		m.log.Info().Str("dropped", l.name).Msg("dropped leftover table")
	}
	return nil
}

// createGhost creates the ghost with the original's definition, applies the
// ALTER to it and works out what the two tables share.
func (m *migrator) createGhost(ctx context.Context) error {
	ghost := m.names.ghost
	if !m.cfg.Execute {
		// A dry run proves the ALTER on a table of its own, so that it never
		// touches (or drops) a ghost that a real run may own.
		ghost = helperName(m.cfg.Table, "_dry")
		if err := m.dropTable(ctx, ghost); err != nil {
			return err
		}
	}
	conn, err := m.ddlSession(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	q := fmt.Sprintf("CREATE TABLE %s LIKE %s", schema.QuoteTable(m.cfg.Database, ghost), schema.QuoteTable(m.cfg.Database, m.cfg.Table))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		// The server's own words first: they name what it refuses.
		return refuse("%v: the original table's definition cannot be created again under the current sql_mode (CREATE TABLE LIKE failed); if it holds zero dates, --allow-zero-in-date relaxes that check", err)
	}
	m.log.Info().Str("ghost", ghost).Msg("ghost table created")
	fail := func(err error) error {
		cctx, cancel := cleanupContext()
		defer cancel()
		if derr := m.dropTable(cctx, ghost); derr != nil {
			return errors.Join(err, derr)
		}
		return err
	}
	applied := false
	if !m.cfg.Execute {
		// The dry run's copy is empty and unwatched: the place to learn
		// whether --attempt-instant-ddl would work.
		if applied, err = m.proveInstant(ctx, conn, ghost); err != nil {
			return fail(err)
		}
	}
	if !applied {
		alter := fmt.Sprintf("ALTER TABLE %s %s", schema.QuoteTable(m.cfg.Database, ghost), m.alter.Text)
		if _, err := conn.ExecContext(ctx, alter); err != nil {
			return fail(refuse("the ALTER fails on the ghost table: %v; the original is untouched — fix --alter", err))
		}
	}
	if err := m.keepAutoIncrement(ctx, conn, ghost); err != nil {
		return fail(err)
	}
	if err := m.analyseGhost(ctx, ghost); err != nil {
		return fail(err)
	}
	if !m.cfg.Execute {
		m.names.ghost = ghost
	}
	return nil
}

// analyseGhost loads the ghost's definition and works out what the two
// tables share and which key the migration walks.
func (m *migrator) analyseGhost(ctx context.Context, ghost string) error {
	g, err := schema.LoadTable(ctx, m.write, m.cfg.Database, ghost)
	if err != nil {
		return fmt.Errorf("load ghost table: %w", err)
	}
	m.ghost = g
	mp, err := schema.Map(m.orig, g, m.alter, schema.MapOptions{ApproveRenamed: m.cfg.ApproveRenamedColumns,
		SkipRenamed: m.cfg.SkipRenamedColumns, AllowNullableKey: m.cfg.AllowNullableUniqueKey})
	if err != nil {
		return refuse("%v", err)
	}
	m.mapping = mp
	if err := m.checkNullableKey(ctx); err != nil {
		return err
	}
	m.log.Info().Strs("shared_columns", mp.OrigColumns).Str("key", mp.KeyName).Strs("key_columns", mp.KeyOrig).
		Strs("dropped", m.alter.Dropped).Strs("added", m.alter.Added).Msg("ALTER analysed")
	return nil
}

// keepAutoIncrement gives the ghost the original's AUTO_INCREMENT counter
// (CREATE TABLE LIKE starts it at 1), so ids of deleted rows are not handed
// out again after the swap. An ALTER that sets the counter itself wins.
func (m *migrator) keepAutoIncrement(ctx context.Context, conn *sql.Conn, ghost string) error {
	if m.alter.SetsAutoIncrement {
		return nil
	}
	var next sql.NullInt64
	err := conn.QueryRowContext(ctx, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		m.cfg.Database, m.cfg.Table).Scan(&next)
	if err != nil {
		return fmt.Errorf("read auto_increment: %w", err)
	}
	if !next.Valid || next.Int64 <= 1 {
		return nil
	}
	q := fmt.Sprintf("ALTER TABLE %s AUTO_INCREMENT = %d", schema.QuoteTable(m.cfg.Database, ghost), next.Int64)
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("carry auto_increment to the ghost: %w", err)
	}
	return nil
}

// ddlSession is a connection for the ghost's DDL. Its sql_mode is the
// server's, minus the zero-date checks with --allow-zero-in-date, so a table
// whose definition holds zero dates can be rebuilt when the operator says so.
func (m *migrator) ddlSession(ctx context.Context) (*sql.Conn, error) {
	conn, err := m.write.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("ghost ddl session: %w", err)
	}
	if m.cfg.AllowZeroInDate {
		var mode string
		err := conn.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode").Scan(&mode)
		if err == nil {
			_, err = conn.ExecContext(ctx, "SET SESSION sql_mode = ?", dbconn.ModePolicy{AllowZeroInDate: true, SkipStrict: true}.Apply(mode))
		}
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("ghost ddl session: set sql_mode: %w", err)
		}
	}
	return conn, nil
}

// finishDryRun drops the throwaway ghost and reports what a run would do.
func (m *migrator) finishDryRun(ctx context.Context) error {
	// The plan's copy sample goes into the throwaway ghost, so it is built
	// before the ghost is dropped; the ghost is dropped either way.
	p, err := m.buildPlan(ctx)
	cctx, cancel := cleanupContext()
	defer cancel()
	if derr := m.dropTable(cctx, m.names.ghost); derr != nil {
		return errors.Join(err, derr)
	}
	if err != nil {
		return err
	}
	m.report.Plan = p
	m.logPlan(p)
	if !m.cfg.ExactRowCount { // else the plan counted them
		if err := m.estimateRows(ctx); err != nil {
			return err
		}
	}
	m.report.DryRun = true
	renames := make([]string, 0, len(m.alter.Renames))
	for o, n := range m.alter.Renames {
		renames = append(renames, o+"→"+n)
	}
	m.log.Info().Bool("dry_run", true).Int64("rows_estimate", m.rowsEstimate.Load()).
		Strs("shared_columns", m.mapping.OrigColumns).Str("key", m.mapping.KeyName).Strs("renamed", renames).
		Msg("dry run: every check passed and the ALTER works on a ghost table; nothing was copied or swapped — add --execute to migrate")
	return nil
}

// createChangelog creates gh-ost's changelog table, which also carries the
// heartbeat and doppel's barrier markers through the binlog.
func (m *migrator) createChangelog(ctx context.Context) error {
	if err := m.dropTable(ctx, m.names.changelog); err != nil {
		return err
	}
	q := fmt.Sprintf(`CREATE TABLE %s (
  id bigint unsigned NOT NULL AUTO_INCREMENT,
  last_update timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  hint varchar(64) CHARACTER SET ascii NOT NULL,
  value varchar(4096) CHARACTER SET ascii NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY hint_uidx (hint)
) ENGINE=InnoDB`, schema.QuoteTable(m.cfg.Database, m.names.changelog))
	if _, err := m.write.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("create changelog table: %w", err)
	}
	return m.writeChangelog(ctx, m.write, "state", "GhostTableMigrated")
}

// Changelog hints. Values are ASCII; the barrier's value is a unique token.
const (
	hintHeartbeat = "heartbeat"
	hintBarrier   = "doppel-barrier"
)

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (m *migrator) writeChangelog(ctx context.Context, db execer, hint, value string) error {
	q := fmt.Sprintf("INSERT INTO %s (hint, value) VALUES (?, ?) ON DUPLICATE KEY UPDATE value = VALUES(value), last_update = NOW()",
		schema.QuoteTable(m.cfg.Database, m.names.changelog))
	if _, err := db.ExecContext(ctx, q, hint, value); err != nil {
		return fmt.Errorf("write changelog %s: %w", hint, err)
	}
	return nil
}

// heartbeat writes doppel's clock to the changelog every
// --heartbeat-interval-millis; the throttle reads it back on replicas to
// measure their lag. The row exists from the start because gh-ost-format
// harnesses throttle on it.
func (m *migrator) heartbeat(ctx context.Context) error {
	every := m.cfg.HeartbeatInterval
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var down outage
	for {
		err := m.writeChangelog(ctx, m.write, hintHeartbeat, time.Now().UTC().Format(time.RFC3339Nano))
		switch {
		case err == nil:
			down.ok()
		case ctx.Err() != nil:
			return ctx.Err()
		case !down.failed(m.maxReconnectWait()):
			return fmt.Errorf("no heartbeat written for --max-reconnect-wait=%s: %w", m.maxReconnectWait(), err)
		case down.reportDue():
			// Lag is measured from these writes, so while they fail the
			// replicas look ever further behind and the migration pauses.
			m.log.Warn().Err(err).Msg("heartbeat write failed")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

func (m *migrator) estimateRows(ctx context.Context) error {
	var n sql.NullInt64
	err := m.write.QueryRowContext(ctx, "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		m.cfg.Database, m.cfg.Table).Scan(&n)
	if err != nil {
		return fmt.Errorf("estimate rows: %w", err)
	}
	m.rowsEstimate.Store(n.Int64)
	return nil
}

func (m *migrator) countRows(ctx context.Context) error {
	var n int64
	if err := m.write.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+schema.QuoteTable(m.cfg.Database, m.cfg.Table)).Scan(&n); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	m.rowsEstimate.Store(n)
	m.log.Info().Int64("rows", n).Msg("exact row count")
	return nil
}

func (m *migrator) newWorkers() error {
	m.balance = newBalance(m.cfg.MaxApplyLag, m.base.With().Str("component", "balance").Logger())
	for _, k := range m.mapping.KeyOrig {
		for i, c := range m.orig.Columns {
			if strings.EqualFold(c.Name, k) {
				m.keyPos = append(m.keyPos, i)
			}
		}
	}
	m.streamer = binlog.New(binlog.Config{
		Host: m.inspectCfg.Host, Port: m.inspectCfg.Port, User: m.cfg.User, Password: m.cfg.Password,
		TLS:      m.inspectCfg.TLSConfig(),
		ServerID: m.cfg.ReplicaServerID, Flavor: m.flavor, Database: m.cfg.Database,
		Tables: []string{m.cfg.Table, m.names.changelog}, UseGTID: m.cfg.GTID,
		Logger: m.base, OnTxn: m.onStreamed,
	})
	var err error
	m.applier, err = applier.New(applier.Config{
		DB: m.write, Database: m.cfg.Database, Ghost: m.names.ghost, Orig: m.orig, Mapping: m.mapping,
		BatchSize: int(m.cfg.DMLBatchSize), Retries: int(m.cfg.DefaultRetries), ReconnectWait: m.maxReconnectWait(),
		SkipStrictMode: m.cfg.SkipStrictMode, Threads: m.cfg.ApplyThreads, GhostDef: m.ghost,
		Logger: m.base,
	})
	if err != nil {
		return fmt.Errorf("applier: %w", err)
	}
	m.copier, err = copier.New(copier.Config{
		DB: m.write, Database: m.cfg.Database, Original: m.cfg.Table, Ghost: m.names.ghost,
		Orig: m.orig, Mapping: m.mapping, ChunkSize: m.cfg.ChunkSize, Retries: int(m.cfg.DefaultRetries),
		Threads: m.copyThreads, TargetChunkTime: m.cfg.TargetChunkTime,
		LockWaits:     func(ctx context.Context) (int64, error) { return rowLockWaits(ctx, m.write) },
		ReconnectWait: m.maxReconnectWait(),
		Flavor:        m.flavor, Wait: m.throttle.Wait, OnConflict: m.suspects.add, SkipStrictMode: m.cfg.SkipStrictMode,
		Admit: func(ctx context.Context, w int) error { return m.balance.admit(ctx, w, m.copyThreads) },
		Nice: func(ctx context.Context, took time.Duration) error {
			if err := m.throttle.Nice(ctx, took); err != nil {
				return err
			}
			return m.balance.afterChunk(ctx, took)
		},
		OnChunk: func(_ int64, took time.Duration) { m.metrics.ChunkCopied(took) },
		OnRetry: func(err error) {
			m.metrics.Retry("copy-chunk")
			m.notify(context.Background(), hooks.OnBatchCopyRetry, hooks.Vars{hooks.VarLastBatchCopyError: err.Error()})
		},
		PanicOnWarnings: m.cfg.PanicOnWarnings, Resume: m.resumeCopy(),
		Logger: m.base.With().Str("component", "copier").Logger(),
	})
	if err != nil {
		return fmt.Errorf("copier: %w", err)
	}
	if m.keyRange, err = schema.NewKeyRange(m.orig, m.mapping.KeyOrig); err != nil {
		return err
	}
	m.keyTrackable = len(m.keyRange.Cols) == 1 && schema.IsIntegerType(m.keyRange.Cols[0].DataType)
	return m.newChecker()
}

// rowLockWaits reads the server's count of row lock waits since it started,
// which the copier watches to shorten its chunks while sessions wait.
func rowLockWaits(ctx context.Context, db *sql.DB) (int64, error) {
	var name string
	var n int64
	if err := db.QueryRowContext(ctx, "SHOW GLOBAL STATUS LIKE 'Innodb_row_lock_waits'").Scan(&name, &n); err != nil {
		return 0, fmt.Errorf("read Innodb_row_lock_waits: %w", err)
	}
	return n, nil
}
