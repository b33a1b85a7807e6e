package migration

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/syncbuf"
	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// logTail is a logger sink a test can wait on.
type logTail struct{ syncbuf.Buffer }

func (l *logTail) count(s string) int { return strings.Count(l.String(), s) }

// waitFor waits until the log holds s at least n times.
func (l *logTail) waitFor(t *testing.T, s string, n int, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for l.count(s) < n {
		select {
		case err := <-done:
			t.Fatalf("migration ended while waiting for %q: %v", s, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in the log after 2 minutes", s)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tailLogger(t *testing.T) (zerolog.Logger, *logTail) {
	tail := &logTail{}
	w := io.MultiWriter(zerolog.NewTestWriter(t), tail)
	return zerolog.New(zerolog.SyncWriter(w)).Level(zerolog.InfoLevel).With().Timestamp().Logger(), tail
}

// While the cut-over is postponed the tables are compared again; rows
// deleted, changed and added behind doppel's back in the ghost are found,
// recopied from the original, and the table swapped in equals the
// reference, under live writes.
func TestPostponedCutOverRepairsADamagedGhost(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 30_000
	seedLive(t, db, rows)
	flag := filepath.Join(t.TempDir(), "postpone.flag")

	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.PostponeCutOverFlagFile, cfg.ChecksumInterval = flag, time.Second
	log, tail := tailLogger(t)

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 4, MaxID: rows})
	t.Cleanup(w.Stop)
	done := make(chan error, 1)
	var rep Report
	go func() {
		var err error
		rep, err = Run(context.Background(), cfg, log)
		done <- err
	}()
	tail.waitFor(t, "cut-over postponed", 1, done)
	if _, err := os.Stat(flag); err != nil {
		t.Fatalf("the postpone flag file was not created: %v", err)
	}
	tail.waitFor(t, "checksum passed", 1, done)

	// The writers touch ids up to rows and insert above; these rows are
	// outside both, so only the checksum can put them right.
	for _, q := range []string{
		"DELETE FROM _t_gho WHERE id = 17",
		"UPDATE _t_gho SET c = 'damaged' WHERE id = 25000",
		"INSERT INTO _t_gho (id, uk, k, c, pad, amount, ts, extra) VALUES (-5, 'intruder', 1, 'x', 'p', 1, NULL, 7)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	passes := tail.count("checksum passed")
	tail.waitFor(t, "checksum mismatch, recopying the chunk", 1, done)
	tail.waitFor(t, "checksum passed", passes+1, done)
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	w.Stop()
	checkWriters(t, w)
	t.Logf("report: %+v", rep)
	if rep.ChecksumRepairs < 2 {
		t.Errorf("%d chunks repaired; the damage spans at least two", rep.ChecksumRepairs)
	}
	if tail.count("quick checksum of the chunks written since the last pass passed") != 1 {
		t.Errorf("no quick check before the postponed cut-over")
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// A new UNIQUE key over values that are duplicated when the copy reaches
// them, and that the application makes unique during the migration: the
// rows the copy had to skip arrive through the binlog, nothing is lost.
func TestDuplicatesFixedDuringTheMigrationAreNotLost(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 20_000
	seedLive(t, db, rows)
	// k = seq % 1000 repeats; make it unique except for ids 1..100, which
	// share k with ids 101..200.
	for _, q := range []string{
		"UPDATE t SET k = id + 1000000", "UPDATE t SET k = id + 100 + 1000000 WHERE id <= 100",
		"UPDATE ref SET k = id + 1000000", "UPDATE ref SET k = id + 100 + 1000000 WHERE id <= 100",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg := testConfig(cluster.Primary, name, "t", "ADD UNIQUE KEY k_unique (k)")
	cfg.AllowOnMaster, cfg.OkToDropTable, cfg.ChunkSize = true, true, 50
	log, tail := tailLogger(t)
	done := startRun(t, cfg, log)
	// Once the copy is past the duplicates, the application fixes them.
	deadline := time.Now().Add(time.Minute)
	for {
		var n int
		db.QueryRow("SELECT COUNT(*) FROM _t_gho").Scan(&n)
		if n >= 1000 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy did not get past id 1000")
		}
		time.Sleep(5 * time.Millisecond)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE t SET k = id + 2000000 WHERE id BETWEEN 101 AND 200", "UPDATE ref SET k = id + 2000000 WHERE id BETWEEN 101 AND 200"} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	if tail.count("rows collided on a unique key other than the migration key") == 0 {
		t.Log("the fix landed before the copy met the duplicates; the transient path was not exercised this time")
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM ref ORDER BY id")
}

// Type changes that convert every value exactly pass the checksum, which
// compares the original's values converted to the new types.
func TestTypeChangesPassTheChecksum(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	for _, q := range []string{
		`CREATE TABLE t (id int NOT NULL PRIMARY KEY, n int NOT NULL, s varchar(50) CHARACTER SET latin1 NULL, d decimal(10,2) NULL)`,
		`INSERT INTO t SELECT seq, CAST(seq AS SIGNED) * 7 - 50000, CONCAT('caf', CHAR(233 USING latin1), ' ', seq), CAST(seq AS SIGNED) / 7 - 300 FROM seq_1_to_20000`,
		`INSERT INTO t VALUES (-1, -2147483648, NULL, NULL), (0, 2147483647, '', 99999999.99)`,
		`CREATE TABLE ref SELECT * FROM t`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	cfg := testConfig(cluster.Primary, name, "t",
		"MODIFY n bigint NOT NULL, MODIFY s varchar(50) CHARACTER SET utf8mb4 NULL, MODIFY d decimal(12,4) NULL")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	log, tail := tailLogger(t)
	rep, err := Run(context.Background(), cfg, log)
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	if tail.count("checksum passed") != 1 || rep.ChecksumDuration <= 0 {
		t.Fatalf("the checksum did not run (report %+v)", rep)
	}
	if tail.count("column not compared by the checksum") != 0 {
		t.Errorf("a column was left out of the checksum")
	}
	t.Logf("checksum %v for a copy of %v", rep.ChecksumDuration, rep.CopyDuration)
	compareRows(t, db, "SELECT id, n, s, d FROM t ORDER BY id",
		"SELECT id, n, CONVERT(s USING utf8mb4), CAST(d AS decimal(12,4)) FROM ref ORDER BY id")
	var typ string
	db.QueryRow("SELECT COLUMN_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't' AND COLUMN_NAME = 'd'").Scan(&typ)
	if typ != "decimal(12,4)" {
		t.Fatalf("d is %s after the migration", typ)
	}
}

// Rows the application writes during the migration that collide on the new
// UNIQUE key: the applier's conflict is not transient, so the migration
// stops before the swap, naming the key and the duplicated value.
func TestDuplicatesWrittenDuringTheMigrationStopIt(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 1000)
	if _, err := db.Exec("UPDATE t SET k = id"); err != nil {
		t.Fatal(err)
	}
	flag := filepath.Join(t.TempDir(), "postpone.flag")
	cfg := testConfig(cluster.Primary, name, "t", "ADD UNIQUE KEY k_unique (k)")
	cfg.AllowOnMaster, cfg.PostponeCutOverFlagFile, cfg.DefaultRetries = true, flag, 2
	log, tail := tailLogger(t)
	done := startRun(t, cfg, log)
	tail.waitFor(t, "cut-over postponed", 1, done)
	for _, q := range []string{
		"INSERT INTO t (id, uk, k, c) VALUES (5001, 'dup-a', 777777, 'a')",
		"INSERT INTO t (id, uk, k, c) VALUES (5002, 'dup-b', 777777, 'b')",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	before := strings.Join(dump(t, db, "SELECT * FROM t ORDER BY id"), "\n")
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	err := <-done
	expectRefusal(t, err, []string{"k_unique", `"777777"`, "kept for inspection"}, false)
	if got := strings.Join(dump(t, db, "SHOW CREATE TABLE t"), "\n"); strings.Contains(got, "k_unique") {
		t.Fatal("the tables were swapped")
	}
	if after := strings.Join(dump(t, db, "SELECT * FROM t ORDER BY id"), "\n"); after != before {
		t.Fatal("the failed migration changed the original's rows")
	}
}

// doppel checksum's machinery: equal tables pass, a changed row is named,
// and nothing is written.
func TestCompareByHand(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 3000)
	s := cluster.Primary
	cfg := CompareConfig{Host: s.Host, Port: s.Port, User: s.User, Password: s.Password, Database: name,
		Table: "t", Against: "ref", Threads: 2, ChunkSize: 500, LockTimeout: 2 * time.Second}
	rep, err := Compare(context.Background(), cfg, testLogger(t))
	if err != nil || rep.Rows != 3000 {
		t.Fatalf("equal tables: %+v, %v", rep, err)
	}
	// Threads 0 sizes the threads from the server's CPUs, as the flag's
	// default does.
	auto := cfg
	auto.Threads = 0
	if rep, err := Compare(context.Background(), auto, testLogger(t)); err != nil || rep.Rows != 3000 {
		t.Fatalf("equal tables, threads sized from the server: %+v, %v", rep, err)
	}
	if _, err := db.Exec("UPDATE ref SET c = 'other' WHERE id = 1234"); err != nil {
		t.Fatal(err)
	}
	_, err = Compare(context.Background(), cfg, testLogger(t))
	if !errors.Is(err, ErrTablesDiffer) || !strings.Contains(err.Error(), "(1234)") || !strings.Contains(err.Error(), "columns whose values differ for key (1234): c") {
		t.Fatalf("error %v, want the tables to differ at id 1234 in column c", err)
	}
	cfg.Against = "missing"
	if _, err := Compare(context.Background(), cfg, testLogger(t)); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a missing table: %v", err)
	}
}
