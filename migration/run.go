package migration

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/applier"
	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/checksum"
	"github.com/doppel-dev/doppel/control"
	"github.com/doppel-dev/doppel/copier"
	"github.com/doppel-dev/doppel/cutover"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/hooks"
	"github.com/doppel-dev/doppel/metrics"
	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/schema"
	"github.com/doppel-dev/doppel/throttle"
)

// migrator is the state of one Run. Workers get their own small configs;
// only this struct sees all of them.
type migrator struct {
	cfg  Config
	base zerolog.Logger // for workers, which name their own component
	log  zerolog.Logger

	inspectCfg, writeCfg dbconn.Config
	inspect, write       *sql.DB
	flavor, version      string
	isReplica            bool
	// The copy's and the checksum's threads: the operator's or sized from
	// the server's CPUs (sizeThreads).
	copyThreads, checksumThreads int

	orig, ghost *schema.Table
	alter       *schema.Alter
	mapping     *schema.Mapping
	names       tableNames

	throttle *throttle.Throttler
	control  *control.Server
	// throttleDB is a pool on the primary with the migrated database
	// selected, for --throttle-query and the status variables.
	throttleDB *sql.DB
	lockConn   *sql.Conn // holds the migration's named lock (execute only)
	// own records the sessions doppel opens, so a forced cut-over never
	// kills one of them; forcer is that cut-over's killer (nil unless
	// --force-cut-over-after).
	own      dbconn.Sessions
	forcer   *cutover.Forcer
	hooks    *hooks.Runner
	streamer *binlog.Streamer
	applier  *applier.Applier
	copier   *copier.Copier
	checker  *checksum.Checker

	phase        atomic.Value // string
	rowsEstimate atomic.Int64
	applied      atomic.Int64 // row changes applied to the ghost
	backlog      func() int
	balance      *balance
	lastApplied  atomic.Value // binlog.Position
	applyConn    applyConnHolder
	started      time.Time

	barriers barrierSet
	suspects suspectSet
	triggers []ghostTrigger
	keyPos   []int // positions of the migration key's columns in a row image
	keyRange schema.KeyRange
	// keyTrackable: the key is one integer column, so the changes since a
	// checksum pass can be placed in its chunks.
	keyTrackable bool
	dirty        dirtyKeys
	lastVerified time.Time
	dmlBatch     atomic.Int64 // binlog events per apply transaction; live
	unpostponed  atomic.Bool  // an operator released a postponed cut-over
	copyStarted  atomic.Value // time.Time
	copyTook     atomic.Int64 // the copy's duration once done, for hooks read elsewhere

	// Checkpoints: the tables' fingerprints, the checkpoint a resumed run
	// continues from (nil for a new one), whether the checkpoint table is
	// there to write to, and whether the swap happened (nothing to resume).
	origPrint, ghostPrint string
	resume                *checkpoint
	checkpointReady       bool
	swapped               bool
	// swapCheckpoint is where the checkpoint of an interrupted run that had
	// already swapped stood: the swap's audit reads the binlog from there.
	swapCheckpoint binlog.Position

	// metrics counts events (nil without metrics); stopMetrics stops its
	// server. workersReady is set once the fields a scrape reads exist;
	// streamBeat is the newest heartbeat the binlog reader read (unix ns).
	metrics      *metrics.Metrics
	stopMetrics  func()
	workersReady atomic.Bool
	streamBeat   atomic.Int64

	report Report
	checks []plan.Check // preflight checks run so far, for the dry run's plan
}

// Report is what a finished Run tells its caller.
type Report struct {
	DryRun         bool
	RowsCopied     int64
	ChangesApplied int64
	CutOverStall   time.Duration
	CopyDuration   time.Duration
	// ChecksumDuration is the time spent comparing the tables, over every
	// pass; ChecksumLockWait and ChecksumLockHeld the longest wait for and
	// hold of the read lock a consistent point takes (writers stall for both).
	ChecksumDuration time.Duration
	ChecksumRepairs  int // chunks recopied because they differed
	ChecksumLockWait time.Duration
	ChecksumLockHeld time.Duration
	OldTable         string // the original's name after the swap ("" when dropped or not swapped)
	Duration         time.Duration

	// InstantDDL is the algorithm ("INSTANT" or "NOCOPY") with which the
	// server applied the ALTER to the original in place, so that nothing was
	// copied or swapped (--attempt-instant-ddl); in a dry run, the one it
	// could use. InstantRefused says why neither applied, when one was tried.
	InstantDDL     string
	InstantRefused string

	// Plan is the dry run's plan (nil after --execute): complete when the
	// dry run passed, with Refused set and what was learnt so far when a
	// check refused it.
	Plan *plan.Plan
}

// Run migrates cfg.Table as cfg describes. Without cfg.Execute it is a dry
// run: every check runs and the ALTER is proven on a throwaway ghost.
func Run(ctx context.Context, cfg Config, log zerolog.Logger) (Report, error) {
	base := log.With().Str("table", cfg.Database+"."+cfg.Table).Logger()
	m := &migrator{cfg: cfg, base: base, log: base.With().Str("component", "migration").Logger(),
		throttle: throttle.New(throttle.Config{}), started: time.Now()}
	m.phase.Store("preflight")
	m.dmlBatch.Store(max(cfg.DMLBatchSize, 1))
	defer m.close()
	err := m.run(ctx)
	m.report.Duration = time.Since(m.started)
	if err != nil && !cfg.Execute && m.report.Plan == nil {
		m.report.Plan = m.basePlan(err)
	}
	if err != nil {
		m.metrics.Error("migration")
		m.finalCheckpoint(err)
	}
	if err != nil && m.cfg.Execute {
		// gh-ost's on-failure hook runs even when the run was interrupted.
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		m.notify(hctx, hooks.OnFailure, nil)
		cancel()
	}
	return m.report, err
}

func (m *migrator) run(ctx context.Context) error {
	m.names = namesFor(m.cfg.Table, m.cfg.TimestampOldTable, time.Now())
	if err := m.listenMetrics(); err != nil {
		return err
	}
	if err := m.newHooks(); err != nil {
		return err
	}
	if err := m.gate(ctx, hooks.OnStartup); err != nil {
		return err
	}
	if err := m.preflight(ctx); err != nil {
		return err
	}
	if err := m.gate(ctx, hooks.OnValidated); err != nil {
		return err
	}
	if done, err := m.attemptInstant(ctx); err != nil || done {
		if done {
			m.notify(ctx, hooks.OnSuccess, hooks.Vars{hooks.VarInstantDDL: "true"})
		}
		return err
	}
	if m.cfg.Execute {
		// Before any table exists, so that a socket that cannot be served
		// leaves nothing behind. Commands are served once the copy starts.
		if err := m.listenControl(); err != nil {
			return err
		}
		if err := m.preparePostpone(); err != nil {
			return err
		}
	}
	if m.cfg.Resume {
		swapped, err := m.prepareResume(ctx)
		switch {
		case err != nil:
			return err
		case !m.cfg.Execute:
			m.report.DryRun = true
			m.report.Plan = m.basePlan(nil) // the checks; the rest is the interrupted run's
			m.log.Info().Bool("dry_run", true).Bool("already_swapped", swapped).
				Msg("dry run: the interrupted migration can be resumed from its checkpoint; add --execute to resume it")
			return nil
		case swapped:
			return m.finishSwapped(ctx)
		}
	} else if err := m.check("ghost", m.createGhost(ctx)); err != nil {
		return err
	}
	if !m.cfg.Execute {
		return m.finishDryRun(ctx)
	}
	if m.cfg.SkipChecksum {
		m.log.Warn().Msg("--checksum=false: the ghost table will be swapped in WITHOUT verifying that it holds the original's rows")
	}
	if m.resume == nil {
		if err := m.createChangelog(ctx); err != nil {
			return err
		}
	}
	if m.checkpointing() {
		if m.resume == nil {
			if err := m.createCheckpointTable(ctx); err != nil {
				return err
			}
		}
		m.checkpointReady = true
	}
	if err := m.copyApplyAndSwap(ctx); err != nil {
		return err
	}
	if err := m.cleanup(ctx); err != nil {
		return err
	}
	m.notify(ctx, hooks.OnSuccess, hooks.Vars{hooks.VarInstantDDL: "false"})
	return nil
}

func (m *migrator) preflight(ctx context.Context) error {
	// Each step is a check the dry run's plan lists by name.
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"alter", func(context.Context) error { return m.parseAlter() }},
		{"connect", m.connect},
		{"binlog", m.checkBinlog},
		{"privileges", m.checkPrivileges},
		{"table", m.checkTable},
		{"throttle", m.newThrottler},
		{"force-cut-over", m.prepareForce},
		// Before leftovers are judged (or dropped): they may be a running
		// migration's tables.
		{"migration-lock", m.takeMigrationLock},
		{"leftovers", m.checkLeftovers},
	}
	for _, s := range steps {
		if err := m.check(s.name, s.run(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// copyApplyAndSwap is the long phase: the streamer, applier, heartbeat and
// status run in the background while the foreground copies, catches up and
// swaps. When the foreground ends, the background is stopped.
func (m *migrator) copyApplyAndSwap(ctx context.Context) error {
	start, err := m.startPosition(ctx)
	if err != nil {
		return err
	}
	if err := m.newWorkers(); err != nil {
		return err
	}
	// Nothing is applied yet, and nothing needs to be: every change before
	// start is in the rows the copy has yet to read.
	m.lastApplied.Store(start)
	m.setPhase("copy")
	if m.copier.Done() {
		m.setPhase("catch-up")
	}
	if m.checkpointReady {
		if err := m.writeCheckpoint(ctx); err != nil {
			return err
		}
	}
	if err := m.throttle.Prime(ctx); err != nil {
		return err
	}
	m.log.Info().Str("binlog_start", start.String()).Msg("streaming from binlog")

	g, gctx := errgroup.WithContext(ctx)
	bgctx, stopBackground := context.WithCancel(gctx)
	defer stopBackground()
	background := func(name string, fn func(context.Context) error) {
		g.Go(func() error {
			err := fn(bgctx)
			if err != nil && bgctx.Err() != nil && gctx.Err() == nil {
				return nil // stopped because the foreground finished
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		})
	}
	txns := make(chan binlog.Txn, 1024)
	m.backlog = func() int { return len(txns) }
	m.workersReady.Store(true)
	background("binlog stream", func(ctx context.Context) error { return m.stream(ctx, start, txns) })
	background("apply", func(ctx context.Context) error { return m.applyLoop(ctx, txns) })
	background("heartbeat", m.heartbeat)
	background("status", m.statusLoop)
	background("throttle", m.throttle.Run)
	background("hooks status", m.hookStatusLoop)
	if m.control != nil {
		background("interactive socket", m.control.Serve)
	}
	if m.checkpointReady {
		background("checkpoint", m.checkpointLoop)
	}
	background("migration lock", m.keepMigrationLock)
	if m.cfg.ExactRowCount {
		count := func(ctx context.Context) error { return m.countRows(ctx) }
		if m.cfg.ConcurrentRowCnt {
			background("row count", count)
		} else if err := count(ctx); err != nil {
			return err
		}
	} else if err := m.estimateRows(ctx); err != nil {
		return err
	}
	if !m.cfg.ExactRowCount || !m.cfg.ConcurrentRowCnt {
		if err := m.gate(ctx, hooks.OnRowCountComplete); err != nil {
			return err
		}
	}

	g.Go(func() error {
		defer stopBackground()
		return m.foreground(gctx)
	})
	return g.Wait()
}

func (m *migrator) foreground(ctx context.Context) error {
	if err := m.gate(ctx, hooks.OnBeforeRowCopy); err != nil {
		return err
	}
	if !m.copier.Done() { // a resumed run whose copy had ended is catching up
		m.setPhase("copy")
	}
	began := time.Now()
	m.copyStarted.Store(began)
	if err := m.copier.Run(ctx); err != nil {
		return err
	}
	m.report.CopyDuration = time.Since(began)
	m.copyTook.Store(int64(m.report.CopyDuration))
	if m.checkpointReady {
		// A crash after this point need not copy again.
		if err := m.writeCheckpoint(ctx); err != nil {
			m.log.Warn().Err(err).Msg("checkpoint after the copy not written")
		}
	}
	if err := m.gate(ctx, hooks.OnRowCopyComplete); err != nil {
		return err
	}
	m.setPhase("catch-up")
	if err := m.catchUp(ctx); err != nil {
		return err
	}
	if err := m.verifySuspects(ctx); err != nil {
		return err
	}
	if err := m.verify(ctx); err != nil {
		return err
	}
	if err := m.postpone(ctx); err != nil {
		return err
	}
	if err := m.gate(ctx, hooks.OnBeforeCutOver); err != nil {
		return err
	}
	m.setPhase("cut-over")
	return m.cutOver(ctx)
}

// startPosition is where the binlog stream starts: the server's current
// position for a new run, the checkpoint's for a resumed one.
func (m *migrator) startPosition(ctx context.Context) (binlog.Position, error) {
	if m.resume != nil {
		m.applied.Store(m.resume.Applied)
		return m.resume.Pos, nil
	}
	start, err := binlog.CurrentPosition(ctx, m.inspect, m.flavor)
	if err != nil {
		return binlog.Position{}, fmt.Errorf("read binlog position: %w", err)
	}
	return start, nil
}

// close releases connections. Errors here change nothing for the caller.
func (m *migrator) close() {
	if m.stopMetrics != nil {
		m.stopMetrics()
	}
	m.releaseMigrationLock()
	if m.control != nil {
		m.control.Close()
	}
	if m.applier != nil {
		m.applier.Close()
	}
	if m.throttleDB != nil {
		m.throttleDB.Close()
	}
	if m.write != nil && m.write != m.inspect {
		m.write.Close()
	}
	if m.inspect != nil {
		m.inspect.Close()
	}
}

// cleanupContext gives cleanup work a short life of its own: it must run
// even after the migration's context was cancelled.
func cleanupContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// suspectSet holds migration keys of rows that may be missing from the ghost
// because they collided on another unique key; each must be proven before
// the swap (design.md invariant 3).
type suspectSet struct {
	mu   sync.Mutex
	keys map[string][]any
}

func (s *suspectSet) add(keys [][]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string][]any{}
	}
	for _, k := range keys {
		s.keys[fmt.Sprintf("%#v", k)] = k
	}
}

func (s *suspectSet) list() [][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]any, 0, len(s.keys))
	for _, k := range s.keys {
		out = append(out, k)
	}
	return out
}

func (s *suspectSet) remove(k []any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.keys, fmt.Sprintf("%#v", k))
}
