package migration

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/doppel-dev/doppel/hooks"
)

// newHooks prepares gh-ost's hooks; a --hooks-path that is not a directory
// stops the run before anything is touched.
func (m *migrator) newHooks() error {
	if m.cfg.HooksPath == "" {
		return nil
	}
	r, err := hooks.New(hooks.Config{Path: m.cfg.HooksPath, Hint: m.cfg.HooksHint, Owner: m.cfg.HooksHintOwner,
		Token: m.cfg.HooksHintToken, Logger: m.base})
	if err != nil {
		return refuse("%v", err)
	}
	m.hooks = r
	return nil
}

// hook runs the hooks of ev with the migration's current values. Its error
// is the caller's to judge: before the swap it aborts the migration, as in
// gh-ost.
func (m *migrator) hook(ctx context.Context, ev hooks.Event, extra hooks.Vars) error {
	if m.hooks == nil {
		return nil
	}
	s := m.status()
	host, _ := os.Hostname()
	vars := hooks.Vars{
		hooks.VarDatabaseName: m.cfg.Database, hooks.VarTableName: m.cfg.Table,
		hooks.VarGhostTableName: m.names.ghost, hooks.VarOldTableName: m.names.old, hooks.VarDDL: m.cfg.Alter,
		hooks.VarElapsedSeconds: hooks.Seconds(s.Elapsed), hooks.VarElapsedCopySeconds: hooks.Seconds(m.copyElapsed()),
		hooks.VarEstimatedRows: strconv.FormatInt(s.RowsEstimate, 10), hooks.VarCopiedRows: strconv.FormatInt(s.RowsCopied, 10),
		hooks.VarMigratedHost: m.writeCfg.Addr(), hooks.VarInspectedHost: m.inspectCfg.Addr(), hooks.VarExecutingHost: host,
		hooks.VarInspectedLag: hooks.Seconds(s.Lag), hooks.VarHeartbeatLag: hooks.Seconds(s.Lag),
		hooks.VarProgress: hooks.Float(s.Progress * 100), hooks.VarETASeconds: strconv.FormatInt(int64(max(s.ETA, 0).Seconds()), 10),
		hooks.VarDryRun: strconv.FormatBool(!m.cfg.Execute), hooks.VarRevert: "false",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return m.hooks.Run(ctx, ev, vars)
}

// copyElapsed is how long the copy has run (or ran).
func (m *migrator) copyElapsed() time.Duration {
	if d := m.copyTook.Load(); d > 0 {
		return time.Duration(d)
	}
	if t, ok := m.copyStarted.Load().(time.Time); ok {
		return time.Since(t)
	}
	return 0
}

// gate runs a hook whose failure stops the migration before the swap.
func (m *migrator) gate(ctx context.Context, ev hooks.Event) error {
	if err := m.hook(ctx, ev, nil); err != nil {
		return fmt.Errorf("%w; the migration stops here, the original is untouched", err)
	}
	return nil
}

// notify runs a hook whose failure is only logged.
func (m *migrator) notify(ctx context.Context, ev hooks.Event, extra hooks.Vars) {
	if err := m.hook(ctx, ev, extra); err != nil {
		m.log.Warn().Err(err).Str("hook", string(ev)).Msg("hook failed")
	}
}

// onCommand runs gh-ost's on-interactive-command hook after a socket
// command.
func (m *migrator) onCommand(cmd string) {
	ctx, cancel := context.WithTimeout(context.Background(), hooks.DefaultTimeout)
	defer cancel()
	m.notify(ctx, hooks.OnInteractiveCommand, hooks.Vars{hooks.VarCommand: cmd})
}

// hookStatusLoop runs the on-status hook every --hooks-status-interval.
func (m *migrator) hookStatusLoop(ctx context.Context) error {
	if m.hooks == nil {
		<-ctx.Done()
		return ctx.Err()
	}
	every := m.cfg.HooksStatusInterval
	if every <= 0 {
		every = time.Minute
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		m.notify(ctx, hooks.OnStatus, hooks.Vars{hooks.VarStatus: m.statusLine()})
	}
}
