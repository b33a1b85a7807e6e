package migration

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// parallelRuns is how many times TestParallelApplyUnderLoad migrates; set
// DOPPEL_PARALLEL_RUNS=20 for the soak.
func parallelRuns() int {
	if n, err := strconv.Atoi(os.Getenv("DOPPEL_PARALLEL_RUNS")); err == nil && n > 0 {
		return n
	}
	return 2
}

// TestParallelApplyUnderLoad migrates a sysbench-shaped table with 8 copy
// threads and 8 apply threads (no unique key but the primary, so the
// applier does run in parallel) under three kinds of
// writes, each applied to t and ref in one transaction: the random
// inserts, updates and deletes of the workload, hot keys (a few rows
// updated over and over), and updates that move a row to another primary
// key and back. The new table must equal ref row by row.
func TestParallelApplyUnderLoad(t *testing.T) {
	cluster := sandbox.Shared(t)
	for run := 1; run <= parallelRuns(); run++ {
		t.Run(fmt.Sprint("run", run), func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			const rows = 30_000
			for _, q := range []string{
				"CREATE TABLE t " + workload.SysbenchSchema,
				"CREATE TABLE ref " + workload.SysbenchSchema,
				workload.SeedSQL(workload.Sysbench, "t", rows),
				"INSERT INTO ref SELECT * FROM t",
			} {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int NOT NULL DEFAULT 5")
			cfg.AllowOnMaster = true
			// Explicit, not the CPU-sized defaults: the point is concurrency.
			cfg.ApplyThreads = 8
			cfg.CopyThreads = 8
			cfg.ChecksumThreads = 4
			cfg.ChunkSize = 500
			cfg.TargetChunkTime = 50 * time.Millisecond

			w := workload.Start(workload.Config{DB: db, Shape: workload.Sysbench, Tables: []string{"t", "ref"}, Workers: 2, MaxID: rows})
			t.Cleanup(w.Stop)
			hot := startHotWriters(t, db, uint64(run))
			time.Sleep(200 * time.Millisecond)
			rep, err := Run(context.Background(), cfg, testLogger(t))
			if err != nil {
				t.Fatalf("migration failed: %v", err)
			}
			time.Sleep(200 * time.Millisecond)
			w.Stop()
			hot.stop()
			checkWriters(t, w)
			if err := hot.err(); err != nil {
				t.Fatal(err)
			}
			t.Logf("hot writes %d, key moves %d, changes applied %d", hot.updates.Load(), hot.moves.Load(), rep.ChangesApplied)
			if hot.moves.Load() == 0 || hot.updates.Load() == 0 {
				t.Fatal("the hot writers wrote nothing")
			}
			compareRows(t, db, "SELECT id, k, c, pad, x FROM t ORDER BY id", "SELECT id, k, c, pad, 5 FROM ref ORDER BY id")
		})
	}
}

// hotWriters update a handful of rows as fast as they can, and move rows
// to far-away primary keys and back.
type hotWriters struct {
	updates, moves atomic.Int64
	done           chan struct{}
	wg             sync.WaitGroup
	mu             sync.Mutex
	first          error
}

func startHotWriters(t *testing.T, db *sql.DB, seed uint64) *hotWriters {
	h := &hotWriters{done: make(chan struct{})}
	both := func(q string, args ...any) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		for _, table := range []string{"t", "ref"} {
			if _, err := tx.Exec(fmt.Sprintf(q, table), args...); err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
	loop := func(fn func(r *rand.Rand) error, n *atomic.Int64, seed uint64) {
		defer h.wg.Done()
		r := rand.New(rand.NewPCG(seed, 99))
		for {
			select {
			case <-h.done:
				return
			default:
			}
			if err := fn(r); err != nil {
				h.mu.Lock()
				if h.first == nil {
					h.first = err
				}
				h.mu.Unlock()
				return
			}
			n.Add(1)
		}
	}
	h.wg.Add(3)
	// Hot keys: ids 1..5, which the copy's first chunk holds too.
	for i := range 2 {
		go loop(func(r *rand.Rand) error {
			return both("UPDATE %s SET k = k + 1, c = ? WHERE id = ?", fmt.Sprint("hot ", r.IntN(1000)), 1+r.IntN(5))
		}, &h.updates, seed*10+uint64(i))
	}
	// Key moves: a row in 100..199 goes to id+10,000,000 and back.
	go loop(func(r *rand.Rand) error {
		id := 100 + r.IntN(100)
		if err := both("UPDATE %s SET id = id + 10000000 WHERE id = ?", id); err != nil {
			return err
		}
		if r.IntN(3) == 0 {
			return nil // leave some moved
		}
		return both("UPDATE %s SET id = id - 10000000 WHERE id = ?", id+10_000_000)
	}, &h.moves, seed*10+7)
	return h
}

func (h *hotWriters) stop() {
	close(h.done)
	h.wg.Wait()
}

func (h *hotWriters) err() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.first
}
