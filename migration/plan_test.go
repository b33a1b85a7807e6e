package migration

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/internal/plantest"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/sandbox"
)

// dryPlan creates table t with create, runs the inserts, and returns the
// plan of a dry run of alter on it.
func dryPlan(t *testing.T, create, alter string, fullScan bool, inserts ...string) *plan.Plan {
	t.Helper()
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	execAll(t, db, append([]string{create}, inserts...)...)
	cfg := testConfig(cluster.Primary, name, "t", alter)
	cfg.Execute, cfg.AllowOnMaster, cfg.LintFullScan = false, true, fullScan
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	if rep.Plan == nil {
		t.Fatal("dry run returned no plan")
	}
	if left := helperTables(t, db); len(left) > 0 {
		t.Fatalf("the dry run left tables behind: %v", left)
	}
	return rep.Plan
}

func execAll(t *testing.T, db *sql.DB, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// withCode returns the plan's findings with code.
func withCode(p *plan.Plan, code string) []plan.Finding {
	var out []plan.Finding
	for _, f := range p.Findings {
		if f.Code == code {
			out = append(out, f)
		}
	}
	return out
}

// lintCase is a table and an ALTER with one lossy change. When the finding
// depends on the data, bad rows make it an error and good rows give the
// clean severity (checked on every row). without is an ALTER of the same
// table that has no such change.
type lintCase struct {
	code, create, alter string
	bad, good           []string
	badSev, goodSev     plan.Severity // badSev alone for a finding the data does not decide
	without             string
}

var lintCases = []lintCase{
	{code: plan.CodeColumnDropped, create: "CREATE TABLE t (id int PRIMARY KEY, c int)", alter: "DROP COLUMN c",
		badSev: plan.Warning, without: "ADD COLUMN z int"},
	{code: plan.CodeLengthNarrowed, create: "CREATE TABLE t (id int PRIMARY KEY, c varchar(100))", alter: "MODIFY c varchar(20)",
		bad: []string{"INSERT INTO t VALUES (1, REPEAT('x', 50))"}, good: []string{"INSERT INTO t VALUES (1, 'short')"},
		badSev: plan.Error, goodSev: plan.Warning, without: "MODIFY c varchar(200)"},
	{code: plan.CodeIntegerNarrowed, create: "CREATE TABLE t (id int PRIMARY KEY, c int)", alter: "MODIFY c smallint",
		bad: []string{"INSERT INTO t VALUES (1, 5), (2, 100000)"}, good: []string{"INSERT INTO t VALUES (1, -5), (2, 32767)"},
		badSev: plan.Error, goodSev: plan.Warning, without: "MODIFY c bigint"},
	{code: plan.CodeSignChanged, create: "CREATE TABLE t (id int PRIMARY KEY, c int)", alter: "MODIFY c int unsigned",
		bad: []string{"INSERT INTO t VALUES (1, -1)"}, good: []string{"INSERT INTO t VALUES (1, 0), (2, 7)"},
		badSev: plan.Error, goodSev: plan.Warning, without: "MODIFY c bigint"},
	{code: plan.CodeDecimalNarrowed, create: "CREATE TABLE t (id int PRIMARY KEY, c decimal(10,4))", alter: "MODIFY c decimal(10,2)",
		bad: []string{"INSERT INTO t VALUES (1, 1.2345)"}, good: []string{"INSERT INTO t VALUES (1, 1.25)"},
		badSev: plan.Error, goodSev: plan.Warning, without: "MODIFY c decimal(12,4)"},
	{code: plan.CodeFractionNarrowed, create: "CREATE TABLE t (id int PRIMARY KEY, c datetime(6))", alter: "MODIFY c datetime",
		bad: []string{"INSERT INTO t VALUES (1, '2020-01-01 10:00:00.5')"}, good: []string{"INSERT INTO t VALUES (1, '2020-01-01 10:00:00')"},
		badSev: plan.Error, goodSev: plan.Warning, without: "ADD COLUMN z int"},
	{code: plan.CodeCharsetChanged, create: "CREATE TABLE t (id int PRIMARY KEY, c varchar(20) CHARACTER SET utf8mb4)",
		alter: "MODIFY c varchar(20) CHARACTER SET latin1",
		bad:   []string{"INSERT INTO t VALUES (1, 'ab'), (2, 'x\u65e5\u672c')"}, good: []string{"INSERT INTO t VALUES (1, 'abc'), (2, 'caf\u00e9')"},
		badSev: plan.Error, goodSev: plan.Warning, without: "MODIFY c varchar(40) CHARACTER SET utf8mb4"},
	{code: plan.CodeNotNullAdded, create: "CREATE TABLE t (id int PRIMARY KEY, c int NULL)", alter: "MODIFY c int NOT NULL",
		bad: []string{"INSERT INTO t VALUES (1, 1), (2, NULL)"}, good: []string{"INSERT INTO t VALUES (1, 1)"},
		badSev: plan.Error, goodSev: plan.Info, without: "MODIFY c bigint NULL"},
	{code: plan.CodeUniqueKeyAdded, create: "CREATE TABLE t (id int PRIMARY KEY, c int)", alter: "ADD UNIQUE KEY uc (c)",
		bad: []string{"INSERT INTO t VALUES (1, 5), (2, 6), (3, 5)"}, good: []string{"INSERT INTO t VALUES (1, 5), (2, 6), (3, NULL), (4, NULL)"},
		badSev: plan.Error, goodSev: plan.Info, without: "ADD KEY kc (c)"},
	{code: plan.CodeEnumValuesRemoved, create: "CREATE TABLE t (id int PRIMARY KEY, c enum('a','b','c'))", alter: "MODIFY c enum('a','b')",
		bad: []string{"INSERT INTO t VALUES (1, 'a'), (2, 'c')"}, good: []string{"INSERT INTO t VALUES (1, 'a'), (2, 'b')"},
		badSev: plan.Error, goodSev: plan.Warning, without: "MODIFY c enum('a','b','c','d')"},
	{code: plan.CodeTypeChanged, create: "CREATE TABLE t (id int PRIMARY KEY, c int)", alter: "MODIFY c varchar(20)",
		badSev: plan.Warning, without: "MODIFY c bigint"},
	{code: plan.CodeDefaultRemoved, create: "CREATE TABLE t (id int PRIMARY KEY, c int NOT NULL DEFAULT 5)", alter: "ALTER COLUMN c DROP DEFAULT",
		badSev: plan.Warning, without: "ADD COLUMN z int"},
	{code: plan.CodeDefaultChanged, create: "CREATE TABLE t (id int PRIMARY KEY, c int NOT NULL DEFAULT 5)", alter: "ALTER COLUMN c SET DEFAULT 6",
		badSev: plan.Info, without: "ALTER COLUMN c SET DEFAULT 5"},
	{code: plan.CodeAutoIncrementChanged, create: "CREATE TABLE t (id int NOT NULL, c int, PRIMARY KEY (id))", alter: "MODIFY id int NOT NULL AUTO_INCREMENT",
		badSev: plan.Info, without: "ADD COLUMN z int"},
}

// Every lint finding: present with the data-dependent severity on a table
// and ALTER that have the problem, absent on an ALTER that does not.
func TestPlanLintFindsEachLossyChange(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	for _, c := range lintCases {
		t.Run(c.code, func(t *testing.T) {
			// The bad rows are found by the default, sampled check.
			p := dryPlan(t, c.create, c.alter, false, c.bad...)
			want := c.badSev
			got := withCode(p, c.code)
			if len(got) != 1 || got[0].Severity != want || got[0].Reason == "" {
				t.Fatalf("%s: findings %+v, want one %s %s", c.alter, p.Findings, want, c.code)
			}
			t.Logf("%s: %s", got[0].Severity, got[0].Reason)
			if c.good != nil {
				p := dryPlan(t, c.create, c.alter, true, c.good...)
				if got := withCode(p, c.code); len(got) != 1 || got[0].Severity != c.goodSev {
					t.Fatalf("%s on clean data: findings %+v, want one %s %s", c.alter, p.Findings, c.goodSev, c.code)
				}
			}
			rows := c.good
			if rows == nil {
				rows = c.bad
			}
			if p := dryPlan(t, c.create, c.without, true, rows...); len(withCode(p, c.code)) != 0 {
				t.Fatalf("%s: findings %+v, want no %s", c.without, p.Findings, c.code)
			}
		})
	}
}

// Without --lint-full-scan a clean answer covers only the sample: a NOT
// NULL added over a sample without NULLs is a warning, not an info.
func TestPlanLintSampledCleanIsAWarning(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	p := dryPlan(t, "CREATE TABLE t (id int PRIMARY KEY, c int NULL)", "MODIFY c int NOT NULL", false, "INSERT INTO t VALUES (1, 1)")
	got := withCode(p, plan.CodeNotNullAdded)
	if len(got) != 1 || got[0].Severity != plan.Warning || !strings.Contains(got[0].Reason, "--lint-full-scan") {
		t.Fatalf("findings %+v, want a warning that names --lint-full-scan", p.Findings)
	}
}

// The plan of a real dry run: its JSON validates against
// docs/plan.schema.json, and its parts say what the run would do.
func TestPlanOfADryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 20_000)
	cfg := testConfig(cluster.Primary, name, "t", "DROP COLUMN pad, ADD COLUMN extra int NOT NULL DEFAULT 7, CHANGE c cc char(120) NOT NULL DEFAULT ''")
	cfg.Execute, cfg.AllowOnMaster, cfg.ApproveRenamedColumns, cfg.ExactRowCount = false, true, true, true
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	p := rep.Plan
	if p == nil {
		t.Fatal("no plan")
	}
	validatePlan(t, p)

	if p.Server.Flavor != "mariadb" || p.Server.Inspected == "" || p.Server.Replica {
		t.Errorf("server %+v", p.Server)
	}
	if p.Table.Rows != 20_000 || !p.Table.RowsExact || p.Table.DataBytes <= 0 {
		t.Errorf("table %+v, want 20000 counted rows and a size", p.Table)
	}
	if p.Key.Name != "PRIMARY" || p.Key.Reason == "" {
		t.Errorf("key %+v", p.Key)
	}
	if strings.Join(p.Columns.Dropped, ",") != "pad" || strings.Join(p.Columns.Added, ",") != "extra" ||
		len(p.Columns.Renamed) != 1 || p.Columns.Renamed[0] != (plan.Rename{From: "c", To: "cc"}) {
		t.Errorf("columns %+v", p.Columns)
	}
	if p.InPlace.Algorithm == "" || p.InPlace.Reason == "" {
		t.Errorf("in place %+v", p.InPlace)
	}
	if p.Estimate.Seconds <= 0 || p.Estimate.SampleRows <= 0 || !strings.Contains(p.Estimate.Method, "rows/s") {
		t.Errorf("estimate %+v, want a positive duration and how it was measured", p.Estimate)
	}
	t.Logf("estimate %s: %s", p.Estimate.Human, p.Estimate.Method)
	if p.Disk.NeededBytes <= 0 || p.Disk.FreeSource == "" {
		t.Errorf("disk %+v", p.Disk)
	}
	for _, c := range p.Checks {
		if !c.Passed {
			t.Errorf("check %+v did not pass", c)
		}
	}
	if len(p.Checks) != len(checkDetails) {
		t.Errorf("%d checks listed, want %d", len(p.Checks), len(checkDetails))
	}
	if len(withCode(p, plan.CodeColumnDropped)) != 1 {
		t.Errorf("findings %+v, want pad's drop", p.Findings)
	}
	compareRows(t, db, "SELECT * FROM t ORDER BY id", "SELECT * FROM ref ORDER BY id")
}

// A dry run that a check refuses still returns what it learnt, with the
// failing check; its JSON validates too.
func TestPlanOfARefusedDryRun(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	execAll(t, db, "CREATE TABLE t (id int PRIMARY KEY, c int)", "CREATE TABLE _t_gho (id int PRIMARY KEY)")
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN z int")
	cfg.Execute, cfg.AllowOnMaster = false, true
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err == nil {
		t.Fatal("the dry run passed with a leftover ghost")
	}
	p := rep.Plan
	if p == nil || p.Refused == "" {
		t.Fatalf("plan %+v, want the refusal", p)
	}
	validatePlan(t, p)
	last := p.Checks[len(p.Checks)-1]
	if last.Name != "leftovers" || last.Passed || p.Server.Flavor != "mariadb" {
		t.Fatalf("checks %+v, server %+v: want the leftovers check failed last", p.Checks, p.Server)
	}
}

// validatePlan checks the plan's JSON against docs/plan.schema.json.
func validatePlan(t *testing.T, p *plan.Plan) {
	t.Helper()
	raw, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := plantest.Validate(t, raw); err != nil {
		t.Fatalf("the plan does not validate against docs/plan.schema.json: %v\n%s", err, raw)
	}
}

// The estimate against a real run of the same table, on the benchmark's
// shape (sysbench, ALTER ENGINE=InnoDB) with doppel's default copy and
// checksum settings. It seeds DOPPEL_ESTIMATE_ROWS rows (the benchmark's is
// 1000000), so it runs only when that is set.
func TestPlanEstimateAgainstARealRun(t *testing.T) {
	rowsEnv := os.Getenv("DOPPEL_ESTIMATE_ROWS")
	if testing.Short() || rowsEnv == "" {
		t.Skip("set DOPPEL_ESTIMATE_ROWS (e.g. 1000000) to compare the estimate with a real run")
	}
	rows, err := strconv.Atoi(rowsEnv)
	if err != nil || rows <= 0 {
		t.Fatalf("DOPPEL_ESTIMATE_ROWS=%q", rowsEnv)
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	execAll(t, db, "CREATE TABLE t "+workload.SysbenchSchema, workload.SeedSQL(workload.Sysbench, "t", rows))
	cfg := testConfig(cluster.Primary, name, "t", "ENGINE=InnoDB")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.CopyThreads, cfg.TargetChunkTime, cfg.ChecksumThreads, cfg.ApplyThreads = 2, 500*time.Millisecond, 4, 4

	dry := cfg
	dry.Execute = false
	rep, err := Run(context.Background(), dry, testLogger(t))
	if err != nil {
		t.Fatalf("dry run: %v", err)
	}
	est := rep.Plan.Estimate
	rep, err = Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration: %v", err)
	}
	real := (rep.CopyDuration + rep.ChecksumDuration).Seconds()
	ratio := est.Seconds / real
	t.Logf("%d rows: estimated %.1fs (copy %.1fs + checksum %.1fs; %s), real copy+checksum %.1fs (copy %s, checksum %s), whole run %s: estimate/real = %.2f",
		rows, est.Seconds, est.CopySeconds, est.ChecksumSeconds, est.Method, real, rep.CopyDuration, rep.ChecksumDuration, rep.Duration, ratio)
	if ratio < 0.5 || ratio > 2 {
		t.Fatalf("the estimate is off by more than a factor of 2 (estimate/real = %.2f)", ratio)
	}
}

// Inspecting a replica: the plan names the primary, and where the ghost
// would be written (the primary, or the replica with --test-on-replica).
func TestPlanNamesTheTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	execAll(t, db, "CREATE TABLE t (id int PRIMARY KEY, c int)", "INSERT INTO t VALUES (1, 1)")
	if err := cluster.WaitReplicaCaughtUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	primary, replica := cluster.Primary.Addr(), cluster.Replica.Addr()
	for _, testOnReplica := range []bool{false, true} {
		cfg := testConfig(cluster.Replica, name, "t", "ADD COLUMN z int")
		cfg.Execute, cfg.TestOnReplica = false, testOnReplica
		rep, err := Run(context.Background(), cfg, testLogger(t))
		if err != nil {
			t.Fatalf("dry run (--test-on-replica=%v): %v", testOnReplica, err)
		}
		s := rep.Plan.Server
		wantWrites := primary
		if testOnReplica {
			wantWrites = replica
		}
		if !s.Replica || s.Inspected != replica || s.Primary != primary || s.WritesTo != wantWrites {
			t.Errorf("--test-on-replica=%v: server %+v, want replica %s of primary %s, writing to %s", testOnReplica, s, replica, primary, wantWrites)
		}
	}
}

// The default lint reads the first LintSampleRows rows; a long value past
// them is found only with --lint-full-scan.
func TestPlanLintFullScanFindsWhatTheSampleMisses(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	create := "CREATE TABLE t (id int PRIMARY KEY, c varchar(100))"
	seed := []string{
		"INSERT INTO t SELECT seq, 'short' FROM seq_1_to_" + strconv.Itoa(LintSampleRows),
		"INSERT INTO t VALUES (" + strconv.Itoa(LintSampleRows+1) + ", REPEAT('x', 50))",
	}
	sampled := withCode(dryPlan(t, create, "MODIFY c varchar(20)", false, seed...), plan.CodeLengthNarrowed)
	if len(sampled) != 1 || sampled[0].Severity != plan.Warning || !strings.Contains(sampled[0].Reason, "sample") {
		t.Fatalf("sampled: %+v, want a warning that says it read a sample", sampled)
	}
	full := withCode(dryPlan(t, create, "MODIFY c varchar(20)", true, seed...), plan.CodeLengthNarrowed)
	if len(full) != 1 || full[0].Severity != plan.Error {
		t.Fatalf("full scan: %+v, want an error", full)
	}
}
