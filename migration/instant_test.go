package migration

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// helperTables lists the tables doppel created for t.
func helperTables(t *testing.T, db *sql.DB) []string {
	t.Helper()
	return dump(t, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_t\\_%' ORDER BY 1")
}

// An ALTER the server can make in place is made there, under live writes:
// no ghost, no copy, every row kept, and the on-success hook is told.
func TestAttemptInstantDDLUnderLiveWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 20_000
	seedLive(t, db, rows)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.AttemptInstantDDL = true, true
	cfg.HooksPath = t.TempDir()
	writeHook(t, cfg.HooksPath, "gh-ost-on-success", 0)

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	time.Sleep(300 * time.Millisecond)
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	time.Sleep(300 * time.Millisecond) // writes into the altered table
	w.Stop()
	checkWriters(t, w)
	t.Logf("report: %+v", rep)

	if rep.InstantDDL != "INSTANT" || rep.RowsCopied != 0 {
		t.Fatalf("report %+v, want the ALTER applied with ALGORITHM=INSTANT and nothing copied", rep)
	}
	if left := helperTables(t, db); len(left) > 0 {
		t.Fatalf("tables created: %v; an instant ALTER creates none", left)
	}
	if got := columnNames(t, db, "t"); got != "id,uk,k,c,pad,amount,ts,extra" {
		t.Fatalf("columns %q", got)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
	log, _ := os.ReadFile(filepath.Join(cfg.HooksPath, "log"))
	if !strings.Contains(string(log), "event=gh-ost-on-success\n") || !strings.Contains(string(log), "GH_OST_INSTANT_DDL=true\n") {
		t.Fatalf("on-success hook did not see GH_OST_INSTANT_DDL=true:\n%s", log)
	}
}

// An ALTER that needs a rebuild is refused in place, and the migration
// goes through the ghost table as without the flag.
func TestAttemptInstantDDLFallsBackToTheCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 20_000
	seedLive(t, db, rows)
	cfg := testConfig(cluster.Primary, name, "t", "MODIFY k bigint NOT NULL")
	cfg.AllowOnMaster, cfg.AttemptInstantDDL, cfg.OkToDropTable = true, true, true
	cfg.HooksPath = t.TempDir()
	writeHook(t, cfg.HooksPath, "gh-ost-on-success", 0)

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	time.Sleep(300 * time.Millisecond)
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	time.Sleep(300 * time.Millisecond)
	w.Stop()
	checkWriters(t, w)
	t.Logf("report: %+v", rep)

	if rep.InstantDDL != "" || !strings.Contains(rep.InstantRefused, "not supported") || rep.RowsCopied == 0 {
		t.Fatalf("report %+v, want the in-place ALTER refused and the rows copied", rep)
	}
	var typ string
	if err := db.QueryRow("SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'k'").Scan(&typ); err != nil || typ != "bigint" {
		t.Fatalf("k is %q (%v), want bigint", typ, err)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM ref ORDER BY id")
	if log, _ := os.ReadFile(filepath.Join(cfg.HooksPath, "log")); !strings.Contains(string(log), "GH_OST_INSTANT_DDL=false\n") {
		t.Fatalf("on-success hook did not see GH_OST_INSTANT_DDL=false:\n%s", log)
	}
}

// A transaction holding the table keeps the in-place ALTER from its
// exclusive lock: the attempt gives up within the lock timeout (writers
// queue behind it no longer than that), the original is left as it was,
// and the migration falls back to the ghost table.
func TestAttemptInstantDDLTimesOutBehindATransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 5_000
	seedLive(t, db, rows)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	blocker, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	// A plain read in an open transaction holds a shared metadata lock
	// until the transaction ends.
	if _, err := blocker.ExecContext(ctx, "START TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := blocker.QueryRowContext(ctx, "SELECT COUNT(*) FROM t").Scan(&n); err != nil {
		t.Fatal(err)
	}

	const lockTimeout = time.Second
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.AttemptInstantDDL, cfg.OkToDropTable = true, true, true
	cfg.CutOverLockTimeout = lockTimeout

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)

	// Watch the ALTER wait and give up; only then end the transaction, so
	// the fallback's cut-over can take its locks.
	type watched struct {
		waited     time.Duration
		columns    string
		seen, gone bool
	}
	result := make(chan watched, 1)
	go func() {
		var r watched
		defer func() {
			blocker.ExecContext(context.Background(), "ROLLBACK")
			result <- r
		}()
		var since time.Time
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			var waiting int
			err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE CONCAT('ALTER TABLE `', ?, '`.%ALGORITHM=%') AND STATE LIKE '%metadata lock%'", name).Scan(&waiting)
			if err != nil {
				return
			}
			switch {
			case waiting > 0 && !r.seen:
				r.seen, since = true, time.Now()
			case waiting == 0 && r.seen:
				r.gone, r.waited = true, time.Since(since)
				// Not columnNames: t.Fatal belongs to the test's goroutine.
				db.QueryRowContext(ctx, "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 't'", name).Scan(&r.columns)
				return
			}
		}
	}()

	rep, err := Run(ctx, cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	r := <-result
	time.Sleep(200 * time.Millisecond)
	w.Stop()
	checkWriters(t, w)
	t.Logf("report: %+v; the ALTER waited %v", rep, r.waited)

	if !r.seen || !r.gone {
		t.Fatalf("the in-place ALTER was never seen waiting for the metadata lock and giving up (seen %v, gone %v)", r.seen, r.gone)
	}
	if r.waited > lockTimeout+time.Second {
		t.Errorf("the in-place ALTER waited %v for its lock, want about %v", r.waited, lockTimeout)
	}
	if r.columns != "id,uk,k,c,pad,amount,ts" {
		t.Errorf("after the attempt gave up the original had columns %q; it must be unchanged", r.columns)
	}
	if res := w.Result(); res.Longest > lockTimeout+1500*time.Millisecond {
		t.Errorf("a writer waited %v; the in-place attempt may hold writers up for about %v", res.Longest, lockTimeout)
	}
	if rep.InstantDDL != "" || !strings.Contains(rep.InstantRefused, "timed out") || rep.RowsCopied == 0 {
		t.Fatalf("report %+v, want the in-place attempt timed out and the rows copied", rep)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// The dry run says whether the ALTER could run in place, with or without
// the flag, and changes nothing.
func TestDryRunReportsInstantDDL(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	cases := []struct {
		name, alter string
		flag        bool
		want        string
	}{
		{"a column added at the end", "ADD COLUMN extra int NOT NULL DEFAULT 7", true, "INSTANT"},
		{"a column added, without the flag", "ADD COLUMN extra int NOT NULL DEFAULT 7", false, "INSTANT"},
		{"a secondary index", "ADD INDEX c_idx (c)", true, "NOCOPY"},
		{"a column type change", "MODIFY k bigint NOT NULL", true, ""},
		{"a rebuild", "ENGINE=InnoDB", false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			seedLive(t, db, 1000)
			before := snapshot(t, db, "t")
			cfg := testConfig(cluster.Primary, name, "t", c.alter)
			cfg.AllowOnMaster, cfg.Execute, cfg.AttemptInstantDDL = true, false, c.flag
			rep, err := Run(context.Background(), cfg, testLogger(t))
			if err != nil {
				t.Fatalf("dry run failed: %v", err)
			}
			t.Logf("report: %+v", rep)
			if !rep.DryRun || rep.InstantDDL != c.want || (c.want == "" && rep.InstantRefused == "") {
				t.Fatalf("report %+v, want a dry run with in-place algorithm %q (and a reason when none)", rep, c.want)
			}
			if after := snapshot(t, db, "t"); after != before {
				t.Fatalf("the dry run changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

// MySQL has no NOCOPY; MariaDB's is tried only with LOCK=NONE, so a change
// that would block writers while it works is refused rather than run.
func TestInstantAlgorithmsPerFlavor(t *testing.T) {
	var got []string
	for _, flavor := range []string{"mariadb", "mysql"} {
		for _, alg := range instantAlgorithms(flavor) {
			got = append(got, flavor+":"+strings.TrimSpace(algorithmClause(alg)))
		}
	}
	want := "mariadb:, ALGORITHM=INSTANT|mariadb:, ALGORITHM=NOCOPY, LOCK=NONE|mysql:, ALGORITHM=INSTANT"
	if strings.Join(got, "|") != want {
		t.Fatalf("got %q, want %q", strings.Join(got, "|"), want)
	}
}
