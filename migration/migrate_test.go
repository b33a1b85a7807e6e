package migration

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

var serverIDs atomic.Uint32

func testConfig(s *sandbox.Server, database, table, alter string) Config {
	id := serverIDs.Add(1)
	return Config{
		Host: s.Host, Port: s.Port, User: s.User, Password: s.Password,
		Database: database, Table: table, Alter: alter, Execute: true,
		ChunkSize: 1000, DMLBatchSize: 10, DefaultRetries: 10,
		ReplicaServerID: 50000 + id, CutOver: "atomic", CutOverLockTimeout: 3 * time.Second,
		StorageEngine: "innodb", StatusInterval: 2 * time.Second,
		// Unique per process, so test runs side by side (or a killed one's
		// leftover) never meet on gh-ost's default /tmp socket path.
		ServeSocketFile: filepath.Join(os.TempDir(), fmt.Sprintf("dpl-%d-%d.sock", os.Getpid(), id)),
	}
}

func testLogger(t *testing.T) zerolog.Logger {
	return zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel).With().Timestamp().Logger()
}

// seedLive creates t (migrated) and ref (never migrated) with the same rows.
func seedLive(t *testing.T, db *sql.DB, rows int) {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE t " + workload.LiveSchema,
		"CREATE TABLE ref " + workload.LiveSchema,
		workload.SeedSQL(workload.Live, "t", rows),
		"INSERT INTO ref SELECT * FROM t",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func checkWriters(t *testing.T, w *workload.Workload) {
	t.Helper()
	r := w.Result()
	if len(r.Errors) > 0 {
		t.Fatalf("%d writer errors, first: %v", len(r.Errors), r.Errors[0])
	}
	t.Logf("writers: %d writes, longest write (the cut-over stall shows here) %v", r.Writes, r.Longest)
}

// compareRows checks every row of gotQ against wantQ.
func compareRows(t *testing.T, db *sql.DB, gotQ, wantQ string) {
	t.Helper()
	got, err := workload.Dump(db, gotQ)
	if err != nil {
		t.Fatal(err)
	}
	want, err := workload.Dump(db, wantQ)
	if err != nil {
		t.Fatal(err)
	}
	if d := workload.Diff(got, want, 5); len(d) > 0 {
		t.Fatalf("migrated table differs from the reference (%d vs %d rows):\n%s", len(got), len(want), strings.Join(d, "\n"))
	}
	t.Logf("all %d rows equal to the reference", len(got))
}

// dump reads a query as text rows.
func dump(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := workload.Dump(db, q)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func columnNames(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	rows, err := db.Query("SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", table)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		rows.Scan(&c)
		cols = append(cols, c)
	}
	return strings.Join(cols, ",")
}

type liveCase struct {
	name        string
	alter       string
	viaReplica  bool
	approve     bool
	wantColumns string        // columns of t after the migration
	migrated    string        // SELECT list on t
	reference   string        // the same data from ref
	threads     int           // copy threads (0: 1)
	target      time.Duration // target chunk time (0: fixed chunk size)
}

func TestLiveMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cases := []liveCase{
		{name: "add a column on the primary", alter: "ADD COLUMN extra int NOT NULL DEFAULT 7",
			wantColumns: "id,uk,k,c,pad,amount,ts,extra",
			migrated:    "id, uk, k, c, pad, amount, ts, extra", reference: "id, uk, k, c, pad, amount, ts, 7"},
		{name: "drop a column through the replica", alter: "DROP COLUMN pad", viaReplica: true,
			wantColumns: "id,uk,k,c,amount,ts",
			migrated:    "id, uk, k, c, amount, ts", reference: "id, uk, k, c, amount, ts"},
		{name: "rename a column with approval", alter: "CHANGE COLUMN pad padding char(60) NOT NULL DEFAULT 'pad'", approve: true,
			wantColumns: "id,uk,k,c,padding,amount,ts",
			migrated:    "id, uk, k, c, padding, amount, ts", reference: "id, uk, k, c, pad, amount, ts"},
		{name: "change the primary key to the unique key", alter: "DROP PRIMARY KEY, ADD PRIMARY KEY (uk)",
			wantColumns: "id,uk,k,c,pad,amount,ts",
			migrated:    "id, uk, k, c, pad, amount, ts", reference: "id, uk, k, c, pad, amount, ts"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { runLive(t, c) })
	}
}

// Eight workers copy chunks out of order, with the chunk size adapting,
// while writers change t and ref in the same transactions: every row must
// still end equal to the reference.
func TestParallelCopyUnderLiveLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	runLive(t, liveCase{alter: "ADD COLUMN extra int NOT NULL DEFAULT 7", threads: 8, target: 50 * time.Millisecond,
		wantColumns: "id,uk,k,c,pad,amount,ts,extra",
		migrated:    "id, uk, k, c, pad, amount, ts, extra", reference: "id, uk, k, c, pad, amount, ts, 7"})
}

func runLive(t *testing.T, c liveCase) {
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 100_000
	seedLive(t, db, rows)

	target := cluster.Primary
	if c.viaReplica {
		target = cluster.Replica
		if err := cluster.WaitReplicaCaughtUp(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	cfg := testConfig(target, name, "t", c.alter)
	cfg.AllowOnMaster = !c.viaReplica
	cfg.ApproveRenamedColumns = c.approve
	cfg.OkToDropTable = true
	cfg.CopyThreads = c.threads
	cfg.TargetChunkTime = c.target

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	time.Sleep(300 * time.Millisecond) // writes in flight before the copy starts
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // and after the swap, into the new table
	w.Stop()
	checkWriters(t, w)
	t.Logf("report: %+v", rep)

	if got := columnNames(t, db, "t"); got != c.wantColumns {
		t.Fatalf("columns after migration %q, want %q", got, c.wantColumns)
	}
	compareRows(t, db, "SELECT "+c.migrated+" FROM t ORDER BY id", "SELECT "+c.reference+" FROM ref ORDER BY id")
	for _, leftover := range []string{"_t_gho", "_t_ghc", "_t_del"} {
		var n int
		db.QueryRow("SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?", leftover).Scan(&n)
		if n != 0 {
			t.Errorf("table %s left behind", leftover)
		}
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 1000)
	before := snapshot(t, db, "t")
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int")
	cfg.AllowOnMaster, cfg.Execute = true, false
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("dry run failed: %v", err)
	}
	if !rep.DryRun || rep.RowsCopied != 0 {
		t.Fatalf("report %+v, want a dry run that copied nothing", rep)
	}
	if after := snapshot(t, db, "t"); after != before {
		t.Fatalf("the dry run changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// seedWithReplica seeds a live table and its reference on the primary and
// opens the same database on the replica once it has caught up.
func seedWithReplica(t *testing.T, cluster *sandbox.Cluster, rows int) (string, *sql.DB, *sql.DB) {
	t.Helper()
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, rows)
	if err := cluster.WaitReplicaCaughtUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	replica, err := sql.Open("mysql", cluster.Replica.DSN(name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { replica.Close() })
	return name, db, replica
}

func TestTestOnReplicaLeavesBothTablesForComparison(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	const rows = 20_000
	name, db, replica := seedWithReplica(t, cluster, rows)
	t.Cleanup(func() {
		if _, err := replica.Exec("START SLAVE"); err != nil {
			t.Errorf("restart replication: %v", err)
		}
	})

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	cfg := testConfig(cluster.Replica, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 1")
	cfg.TestOnReplica = true
	if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	w.Stop()
	checkWriters(t, w)

	st := dump(t, replica, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVE_RUNNING'")
	if len(st) != 1 || st[0] != `"OFF"|` {
		t.Fatalf("replication state %v, want stopped after --test-on-replica", st)
	}
	if got := columnNames(t, replica, "t"); got != "id,uk,k,c,pad,amount,ts" {
		t.Fatalf("original on the replica has columns %q; it must be untouched", got)
	}
	compareRows(t, replica, "SELECT id, uk, k, c, pad, amount, ts FROM _t_gho ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id")
	compareRows(t, replica, "SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM ref ORDER BY id")
}

func TestTwoStepCutOver(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 20_000
	seedLive(t, db, rows)
	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.CutOver = true, "two-step"
	cfg.SkipMetadataLockCheck = true // the swap must not depend on metadata_lock_info
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	time.Sleep(200 * time.Millisecond)
	w.Stop()
	// Two-step leaves a moment with no table; a write that hit it failed
	// and rolled back in both tables, so the comparison below still holds.
	for _, e := range w.Result().Errors {
		if !strings.Contains(e.Error(), "1146") {
			t.Fatalf("writer error other than the documented missing-table window: %v", e)
		}
	}
	if rep.OldTable != "_t_del" {
		t.Fatalf("old table %q, want _t_del kept without --ok-to-drop-table", rep.OldTable)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// A migration that would lose or change data must stop before the swap,
// say why, and leave the original exactly as it was.
func TestLossyMigrationsStopBeforeTheSwap(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cases := []struct {
		name, alter string
		panic       bool
		want        []string
	}{
		{"a new unique key over duplicate values", "ADD UNIQUE KEY k_unique (k)", false, []string{"collide on a unique key", "unique key k_unique: duplicated values (\"", "does not hold for the existing data", "kept for inspection"}},
		{"a decimal whose scale is reduced", "MODIFY amount decimal(12,1) NULL", false, []string{"would lose data"}},
		{"a new unique key with --panic-on-warnings", "ADD UNIQUE KEY k_unique (k)", true, []string{"Warning: Duplicate entry", "for key 'k_unique'", "--panic-on-warnings"}},
		{"a narrowed column that truncates values", "MODIFY c varchar(5) CHARACTER SET utf8mb4 NOT NULL", false, []string{"would lose data", "Data truncated"}},
	}
	cluster := sandbox.Shared(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			seedLive(t, db, 5000) // k repeats every 1000 rows
			before := snapshot(t, db, "t")
			cfg := testConfig(cluster.Primary, name, "t", c.alter)
			cfg.AllowOnMaster, cfg.PanicOnWarnings = true, c.panic
			_, err := Run(context.Background(), cfg, testLogger(t))
			expectRefusal(t, err, c.want, false)
			// The ghost stays for inspection; the original is untouched.
			after := strings.Join(dump(t, db, "SHOW CREATE TABLE t"), "\n") + "\n" +
				strings.Join(dump(t, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE '\\_t\\_%' ORDER BY TABLE_NAME"), "\n") + "\n" +
				strings.Join(dump(t, db, "SELECT * FROM t ORDER BY 1"), "\n")
			if after != before {
				t.Fatal("the failed migration changed the original table")
			}
		})
	}
}

func TestMigrateOnReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	const rows = 20_000
	name, db, replica := seedWithReplica(t, cluster, rows)
	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	cfg := testConfig(cluster.Replica, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 3")
	cfg.MigrateOnReplica, cfg.OkToDropTable = true, true
	cfg.HooksPath = t.TempDir()
	writeHook(t, cfg.HooksPath, "gh-ost-on-stop-replication", 0)
	writeHook(t, cfg.HooksPath, "gh-ost-on-start-replication", 0)
	if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(cfg.HooksPath, "log")); !strings.Contains(string(b), "event=gh-ost-on-stop-replication\n") ||
		!strings.Contains(string(b), "event=gh-ost-on-start-replication\n") || !strings.Contains(string(b), "GH_OST_MIGRATED_HOST="+cluster.Replica.Addr()) {
		t.Errorf("the replication hooks did not run as expected:\n%s", b)
	}
	w.Stop()
	checkWriters(t, w)
	if err := cluster.WaitReplicaCaughtUp(context.Background()); err != nil {
		t.Fatalf("replication after --migrate-on-replica: %v", err)
	}
	if got := columnNames(t, replica, "t"); got != "id,uk,k,c,pad,amount,ts,extra" {
		t.Fatalf("replica's table has columns %q", got)
	}
	if got := columnNames(t, db, "t"); got != "id,uk,k,c,pad,amount,ts" {
		t.Fatalf("primary's table has columns %q; only the replica may change", got)
	}
	compareRows(t, replica, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 3 FROM ref ORDER BY id")
}
