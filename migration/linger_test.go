package migration

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doppel-dev/doppel/sandbox"
)

// A trickle of one-row transactions, as an application writes them, is
// applied in batches gathered over applyLinger, not one ghost transaction
// per row; and every change still lands.
func TestTrickleOfWritesIsAppliedInBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	mustExec(t, db, "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)")
	mustExec(t, db, "INSERT INTO t SELECT seq, 0 FROM seq_1_to_1000")
	mustExec(t, db, "CREATE TABLE ref LIKE t")
	mustExec(t, db, "INSERT INTO ref SELECT * FROM t")
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int NOT NULL DEFAULT 3")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	reg := prometheus.NewRegistry()
	cfg.Metrics = reg
	// doppel creates the flag file at start; removing it releases the cut-over.
	flag := filepath.Join(t.TempDir(), "postpone")
	cfg.PostponeCutOverFlagFile = flag
	log, tail := tailLogger(t)
	done := startRun(t, cfg, log)
	tail.waitFor(t, "cut-over postponed", 1, done)

	applied := func() (changes, batches uint64) {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch mf.GetName() {
				case "doppel_binlog_events_applied_total":
					changes += uint64(m.GetCounter().GetValue())
				case "doppel_apply_batch_duration_seconds":
					batches += m.GetHistogram().GetSampleCount()
				}
			}
		}
		return changes, batches
	}
	changes0, batches0 := applied()
	// One-row transactions 2ms apart: each alone in the binlog, but several
	// inside applyLinger.
	const writes = 200
	began := time.Now()
	for i := 1; i <= writes; i++ {
		mustExec(t, db, "UPDATE t SET v = v + 1 WHERE id = "+strconv.Itoa(i))
		time.Sleep(2 * time.Millisecond)
	}
	interval := time.Since(began) / writes
	mustExec(t, db, "UPDATE ref SET v = v + 1 WHERE id <= "+strconv.Itoa(writes))
	deadline := time.Now().Add(time.Minute)
	for {
		changes, batches := applied()
		if changes-changes0 >= writes {
			// One batch per write is what the linger prevents: with
			// writes at most half applyLinger apart, a batch gathers two or
			// more (a full stretch or a flush for a barrier may cut one).
			n := int(batches - batches0)
			switch {
			case interval > applyLinger/2:
				t.Logf("writes %v apart: too slow here to tell gathering from none (%d batches)", interval, n)
			case n > writes*6/10:
				t.Errorf("%d writes %v apart applied in %d batches, want at most %d", writes, interval, n, writes*6/10)
			default:
				t.Logf("%d writes %v apart applied in %d batches", writes, interval, n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d writes applied after a minute", changes-changes0, writes)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	compareRows(t, db, "SELECT id, v, x FROM t ORDER BY id", "SELECT id, v, 3 FROM ref ORDER BY id")
}
