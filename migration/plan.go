package migration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/schema"
)

// checkDetails says what each preflight check proved, for the plan's list
// of checks that passed.
var checkDetails = map[string]string{
	"alter":          "--alter parses, is one ALTER of this table, and does nothing a shadow copy cannot",
	"connect":        "the servers are reachable and the topology fits the flags (primary, replica, --allow-on-master)",
	"binlog":         "log_bin ON, binlog_format ROW, binlog_row_image FULL (and log_slave_updates on a replica)",
	"privileges":     "the account holds every privilege the migration needs on both servers",
	"table":          "the table exists, is InnoDB, and its foreign keys and triggers can be migrated",
	"throttle":       "the throttle's replicas, queries and HTTP check can be read",
	"force-cut-over": "--force-cut-over-after (when given) can see metadata-lock holders",
	"migration-lock": "no other doppel migration of this table is running",
	"leftovers":      "no ghost, checkpoint or old table of an earlier run is in the way",
	"ghost":          "the ALTER works on an empty copy of the table, and both tables share a usable unique key",
}

// check records the outcome of one preflight check for the plan and
// returns err unchanged.
func (m *migrator) check(name string, err error) error {
	c := plan.Check{Name: name, Passed: err == nil, Detail: checkDetails[name]}
	if err != nil {
		c.Detail = err.Error()
	}
	m.checks = append(m.checks, c)
	return err
}

// basePlan is what is known without the ghost: the server and the checks.
// A refused dry run reports this much.
func (m *migrator) basePlan(refused error) *plan.Plan {
	p := &plan.Plan{
		Server: plan.Server{Flavor: m.flavor, Version: m.version, Replica: m.isReplica},
		Table:  plan.Table{Database: m.cfg.Database, Name: m.cfg.Table},
		Checks: m.checks,
	}
	if m.inspect != nil {
		p.Server.Inspected = m.inspectCfg.Addr()
	}
	if m.write != nil { // connect got as far as choosing where to write
		p.Server.WritesTo = m.writeCfg.Addr()
		if m.isReplica && m.write != m.inspect {
			p.Server.Primary = m.writeCfg.Addr()
		}
	}
	if refused != nil {
		p.Refused = refused.Error()
	}
	p.Normalize()
	return p
}

// buildPlan is the dry run's plan, once every check passed and the ALTER
// worked on the throwaway ghost (which still exists: the estimate's sample
// is copied into it).
func (m *migrator) buildPlan(ctx context.Context) (*plan.Plan, error) {
	p := m.basePlan(nil)
	if m.isReplica && p.Server.Primary == "" {
		// Writing to the replica itself (--test-on-replica,
		// --migrate-on-replica): the primary is still worth naming.
		if primary, err := m.findPrimary(ctx); err == nil && primary != nil {
			p.Server.Primary = primary.Addr()
		}
	}
	if err := m.tableSize(ctx, &p.Table); err != nil {
		return nil, err
	}
	p.Key = m.keyPlan()
	p.Columns = m.columnsPlan()
	p.InPlace = m.inPlacePlan(ctx)
	sample := m.sampleCopy(ctx)
	p.Estimate = plan.Extrapolate(p.Table.Rows, sample.Sample)
	switch {
	case sample.why != "":
		p.Estimate.Method = "not measured: " + sample.why
	case sample.into != "":
		p.Estimate.Method = strings.Replace(p.Estimate.Method, "into the dry run's empty ghost", "into "+sample.into, 1)
	}
	p.Disk = m.diskPlan(ctx, p.Table)
	findings, err := m.lint(ctx)
	if err != nil {
		return nil, err
	}
	if f := p.Disk.JudgeDisk(); f != nil {
		findings = append(findings, *f)
	}
	p.Findings = findings
	p.Normalize()
	return p, nil
}

// tableSize reads the original's row count (counted with --exact-rowcount)
// and its data and index bytes.
func (m *migrator) tableSize(ctx context.Context, t *plan.Table) error {
	var rows, data, index sql.NullInt64
	err := m.write.QueryRowContext(ctx, "SELECT TABLE_ROWS, DATA_LENGTH, INDEX_LENGTH FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
		m.orig.Schema, m.orig.Name).Scan(&rows, &data, &index)
	if err != nil {
		return fmt.Errorf("plan: table size: %w", err)
	}
	t.Rows, t.DataBytes, t.IndexBytes = rows.Int64, data.Int64, index.Int64
	if m.cfg.ExactRowCount {
		if err := m.countRows(ctx); err != nil {
			return err
		}
		t.Rows, t.RowsExact = m.rowsEstimate.Load(), true
	}
	return nil
}

// keyPlan says which key the migration walks and why: schema.Map takes the
// first usable unique key in gh-ost's order of preference.
func (m *migrator) keyPlan() plan.Key {
	k := plan.Key{Name: m.mapping.KeyName, Columns: m.mapping.KeyOrig}
	hasPrimary := len(m.orig.Keys) > 0 && m.orig.Keys[0].Primary
	switch {
	case m.mapping.KeyName == "PRIMARY":
		k.Reason = "the PRIMARY KEY, which the new table keeps"
	case hasPrimary:
		k.Reason = fmt.Sprintf("the PRIMARY KEY cannot be used (the ALTER changes it, or a column is nullable or not exactly comparable); %s is the first unique key over NOT NULL, exactly comparable columns that the new table keeps", schema.QuoteIdent(m.mapping.KeyName))
	default:
		k.Reason = fmt.Sprintf("the table has no PRIMARY KEY; %s is the first unique key over NOT NULL, exactly comparable columns that the new table keeps (integer keys first, then fewer columns)", schema.QuoteIdent(m.mapping.KeyName))
	}
	if m.mapping.GhostKeyName != "" && m.mapping.GhostKeyName != m.mapping.KeyName {
		k.Reason += fmt.Sprintf("; in the new table it is %s", schema.QuoteIdent(m.mapping.GhostKeyName))
	}
	if m.mapping.KeyNullable {
		k.Reason += "; nullable, accepted with --allow-nullable-unique-key (no NULL found)"
	}
	return k
}

// columnsPlan sorts the columns into shared, added, dropped, renamed and
// type-changed.
func (m *migrator) columnsPlan() plan.Columns {
	c := plan.Columns{Shared: m.mapping.OrigColumns}
	shared := map[string]bool{}
	for i, o := range m.mapping.OrigColumns {
		g := m.mapping.GhostColumns[i]
		shared[strings.ToLower(o)] = true
		if !strings.EqualFold(o, g) {
			c.Renamed = append(c.Renamed, plan.Rename{From: o, To: g})
		}
		oc, _ := m.orig.Column(o)
		gc, _ := m.ghost.Column(g)
		if !strings.EqualFold(oc.ColumnType, gc.ColumnType) {
			c.TypeChanged = append(c.TypeChanged, plan.TypeChange{Column: o, From: oc.ColumnType, To: gc.ColumnType})
		}
	}
	for _, o := range m.orig.Columns {
		if !shared[strings.ToLower(o.Name)] && !o.Generated {
			c.Dropped = append(c.Dropped, o.Name)
		}
	}
	ghostShared := map[string]bool{}
	for _, g := range m.mapping.GhostColumns {
		ghostShared[strings.ToLower(g)] = true
	}
	for _, g := range m.ghost.Columns {
		if !ghostShared[strings.ToLower(g.Name)] {
			c.Added = append(c.Added, g.Name)
		}
	}
	return c
}

// inPlacePlan is what proveInstant found on the throwaway ghost; when the
// server refused INSTANT and NOCOPY, INPLACE is tried on a second empty
// copy, to say whether the server's own online ALTER is an alternative.
func (m *migrator) inPlacePlan(ctx context.Context) plan.InPlace {
	if m.report.InstantDDL != "" {
		if m.cfg.TestOnReplica {
			return plan.InPlace{Algorithm: m.report.InstantDDL,
				Reason: "the server accepted ALGORITHM=" + m.report.InstantDDL + " on an empty copy; --attempt-instant-ddl is not attempted with --test-on-replica"}
		}
		return plan.InPlace{Algorithm: m.report.InstantDDL, AttemptInstantDDL: true,
			Reason: "the server accepted ALGORITHM=" + m.report.InstantDDL + " on an empty copy; --attempt-instant-ddl would apply it to the original in place"}
	}
	refused := m.report.InstantRefused
	ok, why := m.tryInplace(ctx)
	if ok {
		return plan.InPlace{Algorithm: plan.AlgInplace,
			Reason: "INSTANT/NOCOPY refused (" + refused + "); the server accepts ALGORITHM=INPLACE, LOCK=NONE, which rebuilds the table online itself (replicas then lag by its duration); --attempt-instant-ddl does not use it"}
	}
	return plan.InPlace{Algorithm: plan.AlgNone, Reason: strings.TrimPrefix(refused+"; "+why, "; ")}
}

// dropThrowaway drops a table the dry run made for itself, on a context of
// its own so that a cancelled run still cleans up; a failure is only logged,
// as the plan is already decided.
func (m *migrator) dropThrowaway(name string) {
	ctx, cancel := cleanupContext()
	defer cancel()
	if err := m.dropTable(ctx, name); err != nil {
		m.log.Warn().Err(err).Str("table", name).Msg("plan: throwaway table not dropped")
	}
}

// tryInplace runs the ALTER with ALGORITHM=INPLACE, LOCK=NONE on an empty
// copy of the original made for the purpose, and drops it.
func (m *migrator) tryInplace(ctx context.Context) (bool, string) {
	name := helperName(m.cfg.Table, "_dri")
	if err := m.dropTable(ctx, name); err != nil {
		return false, "INPLACE not tried: " + err.Error()
	}
	conn, err := m.ddlSession(ctx)
	if err != nil {
		return false, "INPLACE not tried: " + err.Error()
	}
	defer conn.Close()
	defer m.dropThrowaway(name)
	q := fmt.Sprintf("CREATE TABLE %s LIKE %s", schema.QuoteTable(m.cfg.Database, name), schema.QuoteTable(m.cfg.Database, m.cfg.Table))
	if _, err := conn.ExecContext(ctx, q); err != nil {
		return false, "INPLACE not tried: " + err.Error()
	}
	q = fmt.Sprintf("ALTER TABLE %s %s, ALGORITHM=INPLACE, LOCK=NONE", schema.QuoteTable(m.cfg.Database, name), m.alter.Text)
	_, err = conn.ExecContext(ctx, q)
	switch n := dbconn.ErrorNumber(err); {
	case err == nil:
		return true, ""
	case n == dbconn.ErAlterNotSupported || n == dbconn.ErAlterNotSupportedReason:
		return false, err.Error()
	default:
		return false, fmt.Sprintf("ALGORITHM=INPLACE: the server refused the ALTER with error %d", n)
	}
}

// diskPlan compares the ghost's size with the free space of the disk
// holding the data directory, which MariaDB reports in
// information_schema.DISKS when its `disks` plugin is installed (doppel
// never installs it). Otherwise the free space is unknown.
func (m *migrator) diskPlan(ctx context.Context, t plan.Table) plan.Disk {
	d := plan.Disk{NeededBytes: t.DataBytes + t.IndexBytes}
	var datadir string
	if err := m.write.QueryRowContext(ctx, "SELECT @@datadir").Scan(&datadir); err != nil {
		d.FreeSource = "unknown: cannot read @@datadir"
		return d
	}
	rows, err := m.write.QueryContext(ctx, "SELECT Path, Available FROM information_schema.DISKS")
	if err != nil {
		d.FreeSource = "unknown: the server does not report free disk space (on MariaDB, information_schema.DISKS needs the disks plugin)"
		return d
	}
	defer rows.Close()
	best := ""
	var free int64
	for rows.Next() {
		var path string
		var availKiB int64
		if err := rows.Scan(&path, &availKiB); err != nil {
			d.FreeSource = "unknown: " + err.Error()
			return d
		}
		if strings.HasPrefix(datadir, path) && len(path) > len(best) {
			best, free = path, availKiB*1024
		}
	}
	if err := rows.Err(); err != nil || best == "" {
		d.FreeSource = "unknown: information_schema.DISKS lists no disk holding " + datadir
		return d
	}
	d.FreeBytes = &free
	d.FreeSource = "information_schema.DISKS, mount point " + best
	return d
}
