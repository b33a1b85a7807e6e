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
	flag := filepath.Join(t.TempDir(), "postpone")
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
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
	const writes = 200
	for i := 1; i <= writes; i++ {
		mustExec(t, db, "UPDATE t SET v = v + 1 WHERE id = "+strconv.Itoa(i))
		mustExec(t, db, "UPDATE ref SET v = v + 1 WHERE id = "+strconv.Itoa(i))
		time.Sleep(time.Millisecond)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		changes, batches := applied()
		if changes-changes0 >= writes {
			// One batch per write is what the linger prevents; at a
			// write every millisecond or two, 10ms gathers several.
			if n := batches - batches0; n > writes/3 {
				t.Errorf("%d writes applied in %d batches, want at most %d", writes, n, writes/3)
			} else {
				t.Logf("%d writes applied in %d batches", writes, n)
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
