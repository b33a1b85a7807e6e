package migration

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/cutover"
)

// prepareForce makes sure --force-cut-over-after can see who holds locks
// before anything is created: a forced cut-over that found out at cut-over
// time that it cannot attribute locks would have copied for nothing. A dry
// run only checks; a real run installs metadata_lock_info if it needs to.
func (m *migrator) prepareForce(ctx context.Context) error {
	if m.cfg.ForceCutOverAfter <= 0 {
		return nil
	}
	if m.cfg.TestOnReplica {
		m.log.Warn().Msg("--force-cut-over-after has no effect with --test-on-replica: its swap runs on a stopped replica and is not retried")
		return nil
	}
	if !m.cfg.Execute {
		if !cutover.LockViewAvailable(ctx, m.write) {
			return m.refuseForce(cutover.ErrNoLockView)
		}
		return nil
	}
	f, err := cutover.NewForcer(ctx, cutover.ForceConfig{
		DB: m.write, Database: m.cfg.Database, Tables: []string{m.cfg.Table, m.names.ghost},
		Own: m.own.Has, LockTimeout: m.cfg.CutOverLockTimeout, Logger: m.base,
	})
	if err != nil {
		return m.refuseForce(err)
	}
	m.forcer = f
	m.log.Info().Dur("after", m.cfg.ForceCutOverAfter).Str("lock_view", f.Source()).
		Msg("--force-cut-over-after: sessions that hold the tables' metadata locks will be killed once the cut-over has tried that long")
	return nil
}

func (m *migrator) refuseForce(err error) error {
	if !errors.Is(err, cutover.ErrNoLockView) {
		return err
	}
	return refuse("--force-cut-over-after: %s %v, so doppel cannot tell which sessions block the cut-over; "+
		"install MariaDB's plugin (INSTALL SONAME 'metadata_lock_info', which needs INSERT on mysql.plugin) "+
		"or start the server with performance_schema and its wait/lock/metadata/sql/mdl instrument on, or drop --force-cut-over-after",
		m.writeCfg.Addr(), err)
}

// forcing runs the Forcer beside one cut-over attempt, if there is one, and
// returns the function that stops it once the attempt has returned.
func (m *migrator) forcing(ctx context.Context, firstAttempt time.Time) (stop func()) {
	if m.forcer == nil {
		return func() {}
	}
	wctx, cancel := context.WithCancel(ctx)
	var g errgroup.Group
	g.Go(func() error {
		m.forcer.Watch(wctx, firstAttempt.Add(m.cfg.ForceCutOverAfter))
		return nil
	})
	return func() {
		cancel()
		_ = g.Wait() // Watch logs its own failures
	}
}
