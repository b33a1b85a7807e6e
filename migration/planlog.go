package migration

import (
	"time"

	"github.com/doppel-dev/doppel/plan"
)

// logPlan writes the plan as info lines, one per part, for the operator
// reading the dry run's log; --plan-format=json prints the same document.
func (m *migrator) logPlan(p *plan.Plan) {
	l := m.log.With().Bool("dry_run", true).Logger()
	l.Info().Str("flavor", p.Server.Flavor).Str("version", p.Server.Version).Str("inspected", p.Server.Inspected).
		Bool("replica", p.Server.Replica).Str("primary", p.Server.Primary).Str("writes_to", p.Server.WritesTo).Msg("plan: server")
	l.Info().Int64("rows", p.Table.Rows).Bool("rows_exact", p.Table.RowsExact).Int64("data_bytes", p.Table.DataBytes).
		Int64("index_bytes", p.Table.IndexBytes).Msg("plan: table")
	l.Info().Str("key", p.Key.Name).Strs("key_columns", p.Key.Columns).Str("reason", p.Key.Reason).Msg("plan: migration key")
	var renamed, changed []string
	for _, r := range p.Columns.Renamed {
		renamed = append(renamed, r.From+"→"+r.To)
	}
	for _, c := range p.Columns.TypeChanged {
		changed = append(changed, c.Column+": "+c.From+"→"+c.To)
	}
	l.Info().Strs("shared", p.Columns.Shared).Strs("added", p.Columns.Added).Strs("dropped", p.Columns.Dropped).
		Strs("renamed", renamed).Strs("type_changed", changed).Msg("plan: columns")
	l.Info().Str("algorithm", p.InPlace.Algorithm).Bool("attempt_instant_ddl_would_use_it", p.InPlace.AttemptInstantDDL).
		Str("reason", p.InPlace.Reason).Msg("plan: in-place ALTER")
	l.Info().Dur("estimate", time.Duration(p.Estimate.Seconds*float64(time.Second)).Round(100*time.Millisecond)).
		Float64("copy_seconds", p.Estimate.CopySeconds).Float64("checksum_seconds", p.Estimate.ChecksumSeconds).
		Float64("rows_per_second", p.Estimate.RowsPerSecond).Str("method", p.Estimate.Method).Msg("plan: estimated duration")
	ev := l.Info().Int64("needed_bytes", p.Disk.NeededBytes).Str("free_source", p.Disk.FreeSource)
	if p.Disk.FreeBytes != nil {
		ev = ev.Int64("free_bytes", *p.Disk.FreeBytes)
	}
	ev.Msg("plan: disk space")
	for _, c := range p.Checks {
		l.Info().Str("check", c.Name).Bool("passed", c.Passed).Str("detail", c.Detail).Msg("plan: check")
	}
	for _, f := range p.Findings {
		l.Info().Str("severity", string(f.Severity)).Str("code", f.Code).Str("column", f.Column).Str("reason", f.Reason).Msg("plan: finding")
	}
	n := p.Count()
	l.Info().Int("errors", n[plan.Error]).Int("warnings", n[plan.Warning]).Int("infos", n[plan.Info]).
		Msg("plan: lossy-change lint done; an error means existing data would make the migration fail")
}
