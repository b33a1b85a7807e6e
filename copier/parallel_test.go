package copier

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/syncbuf"
	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

// With parallel workers a chunk held up by a row lock finishes after the
// chunks above it. The watermark a checkpoint saves must not pass it: a
// resume from a watermark past an uncommitted chunk would never copy it.
func TestWatermarkWaitsForAChunkHeldUpByALock(t *testing.T) {
	cluster := sandbox.Shared(t)
	db, cp := newTestCopier(t, cluster, 10, "CREATE TABLE t (id int NOT NULL PRIMARY KEY, v int)",
		"INSERT INTO t SELECT seq, seq FROM seq_1_to_300", "CREATE TABLE _t_gho LIKE t")
	cp.cfg.Threads = 4
	ctx := context.Background()

	// Chunks are [1..10], (10..20], (20..30], …: lock a row of the third.
	blocker, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	if _, err := blocker.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.ExecContext(ctx, "SELECT v FROM t WHERE id = 25 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cp.Run(ctx) }()

	deadline := time.Now().Add(20 * time.Second)
	for cp.Chunks() < 12 {
		if time.Now().After(deadline) {
			t.Fatalf("only %d chunks copied while one was blocked", cp.Chunks())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := watermarkKey(t, cp); got != "20" {
		t.Fatalf("%d chunks finished with (20..30] still blocked, watermark %s, want 20", cp.Chunks(), got)
	}
	if _, err := blocker.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := watermarkKey(t, cp); got != "300" || !cp.Done() || cp.Copied() != 300 || cp.Chunks() != 30 {
		t.Fatalf("after the copy: watermark %s, done %v, %d rows in %d chunks; want 300, true, 300 in 30",
			got, cp.Done(), cp.Copied(), cp.Chunks())
	}
}

func watermarkKey(t *testing.T, cp *Copier) string {
	t.Helper()
	w := cp.Watermark()
	if w == "" {
		return ""
	}
	k, err := cp.chunk.DecodeKey(w)
	if err != nil {
		t.Fatal(err)
	}
	return schema.FormatKey(k)
}

// A parallel copy resumed from a watermark copies exactly the rows above it.
func TestParallelCopyResumesAfterTheWatermark(t *testing.T) {
	cluster := sandbox.Shared(t)
	db, cp := newTestCopier(t, cluster, 10, "CREATE TABLE t (id int NOT NULL PRIMARY KEY, v int)",
		"INSERT INTO t SELECT seq, seq FROM seq_1_to_300", "CREATE TABLE _t_gho LIKE t")
	after, err := schema.EncodeKey([]any{int64(150)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := cp.cfg
	cfg.Threads = 4
	cfg.Resume = &Resume{After: after, Rows: 150, Chunks: 15}
	cp, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := cp.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n, lo int
	if err := db.QueryRow("SELECT COUNT(*), MIN(id) FROM _t_gho").Scan(&n, &lo); err != nil {
		t.Fatal(err)
	}
	if n != 150 || lo != 151 || cp.Copied() != 300 || cp.Chunks() != 30 {
		t.Fatalf("resumed copy wrote %d rows from %d (counters %d rows, %d chunks); want 150 from 151, 300, 30",
			n, lo, cp.Copied(), cp.Chunks())
	}
}

// The first chunk that fails stops the others, and Run reports that failure.
func TestParallelCopyStopsAtTheFirstFailingChunk(t *testing.T) {
	cluster := sandbox.Shared(t)
	_, cp := newTestCopier(t, cluster, 10, "CREATE TABLE t (id int NOT NULL PRIMARY KEY, v int)",
		"INSERT INTO t SELECT seq, IF(seq = 55, 1000, seq % 100) FROM seq_1_to_3000",
		"CREATE TABLE _t_gho (id int NOT NULL PRIMARY KEY, v tinyint)")
	cp.cfg.Threads = 4
	err := cp.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "would lose data") || !strings.Contains(err.Error(), "(50 .. 60]") {
		t.Fatalf("Run = %v, want the failure of chunk (50 .. 60]", err)
	}
	if cp.Done() || cp.Chunks() > 50 {
		t.Fatalf("after the failure: done %v, %d chunks copied; the others should have stopped", cp.Done(), cp.Chunks())
	}
	// Chunks below the failing one may have been cancelled too.
	if got, _ := strconv.Atoi(watermarkKey(t, cp)); got > 50 {
		t.Fatalf("watermark %d after chunk (50 .. 60] failed, want at most 50", got)
	}
}

// Workers the caller keeps idle through Admit never hold up the copy: worker
// 0 copies every chunk, and the copy ends although the others never get in.
func TestAdmitNarrowsTheCopyToOneWorker(t *testing.T) {
	cluster := sandbox.Shared(t)
	db, cp := newTestCopier(t, cluster, 10, "CREATE TABLE t (id int NOT NULL PRIMARY KEY, v int)",
		"INSERT INTO t SELECT seq, seq FROM seq_1_to_300", "CREATE TABLE _t_gho LIKE t")
	cp.cfg.Threads = 4
	var mu sync.Mutex
	admitted := map[int]int{}
	cp.cfg.Admit = func(ctx context.Context, w int) error {
		if w > 0 {
			<-ctx.Done()
			return ctx.Err()
		}
		mu.Lock()
		admitted[w]++
		mu.Unlock()
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if cp.Copied() != 300 || cp.Chunks() != 30 {
		t.Fatalf("%d rows in %d chunks, want 300 in 30", cp.Copied(), cp.Chunks())
	}
	// One admission per chunk, and one more to find the jobs all taken.
	if admitted[0] != 31 {
		t.Fatalf("worker 0 admitted %d times, want 31", admitted[0])
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM _t_gho g JOIN t USING (id) WHERE g.v = t.v").Scan(&n); err != nil || n != 300 {
		t.Fatalf("%d equal rows in the ghost (%v), want 300", n, err)
	}
}

// The copier looks at the row lock wait counter after every chunk; a rise
// shortens the chunks (logged once at info level), a counter that cannot be
// read changes nothing, and the copy is complete either way.
func TestLockWaitsShortenTheChunks(t *testing.T) {
	cluster := sandbox.Shared(t)
	db, cp := newTestCopier(t, cluster, 10, "CREATE TABLE t (id int NOT NULL PRIMARY KEY, v int)",
		"INSERT INTO t SELECT seq, seq FROM seq_1_to_2000", "CREATE TABLE _t_gho LIKE t")
	cp.cfg.Threads, cp.cfg.TargetChunkTime = 2, 500*time.Millisecond
	var log syncbuf.Buffer
	cp.cfg.Logger = zerolog.New(&log).Level(zerolog.InfoLevel)
	var looks atomic.Int64
	cp.cfg.LockWaits = func(context.Context) (int64, error) {
		n := looks.Add(1)
		if n == 2 {
			return 0, errors.New("status unreadable")
		}
		return max(n-5, 0), nil // quiet for a few chunks, then rising on every one
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cp.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if cp.Copied() != 2000 || looks.Load() != cp.Chunks() {
		t.Fatalf("%d rows copied, %d looks at the counter for %d chunks; want 2000 rows and a look per chunk", cp.Copied(), looks.Load(), cp.Chunks())
	}
	if n := strings.Count(log.String(), "chunks shortened"); n != 1 {
		t.Fatalf("%d info events about shortened chunks, want 1:\n%s", n, log.String())
	}
	if aim := cp.contention.current(cp.cfg.TargetChunkTime); aim != contendedChunkTime {
		t.Fatalf("aim %v after waits rose on every chunk, want %v", aim, contendedChunkTime)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM _t_gho g JOIN t USING (id) WHERE g.v = t.v").Scan(&n); err != nil || n != 2000 {
		t.Fatalf("%d equal rows in the ghost (%v), want 2000", n, err)
	}
}
