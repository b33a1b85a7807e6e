package migration

import (
	"context"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
	"github.com/rs/zerolog"
)

func TestBalanceNarrowsTheCopyAsTheApplierFallsBehind(t *testing.T) {
	t.Parallel()
	now := time.Unix(1000, 0)
	b := newBalance(2*time.Second, zerolog.Nop())
	b.now = func() time.Time { return now }
	if b.lag() != 0 {
		t.Fatalf("lag before any heartbeat %v, want 0", b.lag())
	}
	cases := []struct {
		behind  time.Duration
		threads int
		rest    time.Duration // after a chunk of 100ms
	}{
		{0, 8, 0},
		{2 * time.Second, 8, 0},
		{2*time.Second + time.Millisecond, 1, 0},
		{10 * time.Second, 1, 0},
		{10*time.Second + time.Millisecond, 1, 100 * time.Millisecond},
	}
	for _, c := range cases {
		b.passed(now.Add(-c.behind))
		b.applied.Store(now.Add(-c.behind).UnixNano()) // passed never moves back
		if got := b.copyThreads(8, b.lag()); got != c.threads {
			t.Errorf("%v behind: %d copy threads, want %d", c.behind, got, c.threads)
		}
		if got := b.rest(b.lag(), 100*time.Millisecond); got != c.rest {
			t.Errorf("%v behind: rest %v, want %v", c.behind, got, c.rest)
		}
	}
	b.applied.Store(now.Add(-time.Second).UnixNano())
	b.passed(now.Add(-time.Hour))
	if b.lag() != time.Second {
		t.Fatalf("an older heartbeat moved the lag to %v", b.lag())
	}
}

func TestBalanceOffNeverNarrows(t *testing.T) {
	t.Parallel()
	b := newBalance(0, zerolog.Nop())
	if got := b.copyThreads(4, time.Hour); got != 4 {
		t.Fatalf("%d threads, want 4", got)
	}
	if got := b.rest(time.Hour, time.Second); got != 0 {
		t.Fatalf("rest %v, want 0", got)
	}
}

// A narrowed worker waits until the applier catches up, then goes on.
func TestBalanceAdmitWaitsForTheApplier(t *testing.T) {
	t.Parallel()
	b := newBalance(time.Second, zerolog.Nop())
	b.poll = time.Millisecond
	b.passed(time.Now().Add(-time.Minute))
	if err := b.admit(context.Background(), 0, 4); err != nil {
		t.Fatalf("worker 0 not admitted: %v", err)
	}
	admitted := make(chan error, 1)
	go func() { admitted <- b.admit(context.Background(), 2, 4) }()
	select {
	case err := <-admitted:
		t.Fatalf("worker 2 admitted while a minute behind (%v)", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.passed(time.Now())
	select {
	case err := <-admitted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("worker 2 still waiting after the applier caught up")
	}
	ctx, cancel := context.WithCancel(context.Background())
	b.applied.Store(time.Now().Add(-time.Minute).UnixNano())
	cancel()
	if err := b.admit(ctx, 1, 4); err == nil {
		t.Fatal("a cancelled wait returned nil")
	}
}

// TestCopyNarrowsWhileTheApplierIsBehind holds a ghost row the application
// then changes, so the applier waits on the lock and falls behind: the copy
// must narrow to one thread, the migration must go on once the lock goes,
// and the new table must equal the reference.
func TestCopyNarrowsWhileTheApplierIsBehind(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 60_000
	seedLive(t, db, rows)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	// Slow enough that the copy is still running when the applier stalls.
	cfg.CopyThreads, cfg.ChunkSize, cfg.NiceRatio = 4, 100, 5
	cfg.MaxApplyLag = 300 * time.Millisecond
	log, tail := tailLogger(t)

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 2, Rate: 100, MaxID: rows})
	t.Cleanup(w.Stop)
	done := startRun(t, cfg, log)
	tail.waitFor(t, "streaming from binlog", 1, done)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM _t_gho WHERE id <= 10").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the copy did not reach id 10 in a minute")
		}
	}
	holder, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	if _, err := holder.Exec("SELECT id FROM _t_gho WHERE id <= 10 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"UPDATE t SET amount = amount + 1 WHERE id <= 10", "UPDATE ref SET amount = amount + 1 WHERE id <= 10"} {
		if _, err := tx.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	tail.waitFor(t, "copy narrowed to one thread while the applier catches up", 1, done)
	if err := holder.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	w.Stop()
	checkWriters(t, w)
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}
