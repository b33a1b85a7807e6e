package migration

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// logTap keeps the migration's log lines, with the time each arrived, so a
// test can wait for one and read its fields.
type logTap struct {
	mu    sync.Mutex
	lines []tappedLine
}

type tappedLine struct {
	at     time.Time
	raw    string
	fields map[string]any
}

func (l *logTap) Write(p []byte) (int, error) {
	var f map[string]any
	_ = json.Unmarshal(p, &f)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, tappedLine{at: time.Now(), raw: string(p), fields: f})
	return len(p), nil
}

// with returns the lines whose message starts with prefix.
func (l *logTap) with(prefix string) []tappedLine {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []tappedLine
	for _, line := range l.lines {
		if m, _ := line.fields["message"].(string); strings.HasPrefix(m, prefix) {
			out = append(out, line)
		}
	}
	return out
}

func (l *logTap) logger(t *testing.T) zerolog.Logger {
	w := zerolog.MultiLevelWriter(zerolog.NewTestWriter(t), l)
	return zerolog.New(w).Level(zerolog.InfoLevel).With().Timestamp().Logger()
}

// cutOverGate is a gh-ost-on-before-cut-over hook that holds the migration
// right before its first cut-over attempt until the test lets it go: the
// test's blocking transactions start after the checksum (whose consistent
// point they would block too) and before the swap.
type cutOverGate struct {
	dir string
}

func newCutOverGate(t *testing.T) cutOverGate {
	g := cutOverGate{dir: t.TempDir()}
	script := fmt.Sprintf("#!/bin/sh\ntouch %q\nwhile [ ! -e %q ]; do sleep 0.05; done\n",
		filepath.Join(g.dir, "entered"), filepath.Join(g.dir, "go"))
	if err := os.WriteFile(filepath.Join(g.dir, "gh-ost-on-before-cut-over"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return g
}

func (g cutOverGate) wait(t *testing.T, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(g.dir, "entered")); err == nil {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("migration ended before its cut-over: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the migration never reached its cut-over")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (g cutOverGate) open(t *testing.T) time.Time {
	t.Helper()
	if err := os.WriteFile(filepath.Join(g.dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	return time.Now()
}

// session is one client connection of the test, with its server id.
type session struct {
	conn *sql.Conn
	id   int64
}

func openSession(t *testing.T, db *sql.DB, stmts ...string) session {
	t.Helper()
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := session{conn: conn}
	if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&s.id); err != nil {
		t.Fatal(err)
	}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return s
}

func (s session) alive() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var one int
	return s.conn.QueryRowContext(ctx, "SELECT 1").Scan(&one) == nil
}

func waitDone(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-time.After(3 * time.Minute):
		t.Fatal("the migration did not finish")
		return nil
	}
}

// blockedCutOver is the setup both tests share: a live table under writes,
// a migration held at its cut-over, and a log to watch.
type blockedCutOver struct {
	db   *sql.DB
	cfg  Config
	w    *workload.Workload
	gate cutOverGate
	tap  *logTap
	done <-chan error
}

// blockerRow is a row of t (and ref) that the writers never touch, so only
// the test's blocking transaction holds its lock.
const blockerRow = "INSERT INTO %s (id, uk, k, c) VALUES (-1, 'blocker', 0, 'blocker')"

func startBlockedCutOver(t *testing.T, lockTimeout, force time.Duration) blockedCutOver {
	t.Helper()
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 5000
	seedLive(t, db, rows)
	for _, q := range []string{fmt.Sprintf(blockerRow, "t"), fmt.Sprintf(blockerRow, "ref"),
		"CREATE TABLE other (id int PRIMARY KEY, v int)", "INSERT INTO other VALUES (1, 0)"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	b := blockedCutOver{db: db, gate: newCutOverGate(t), tap: &logTap{}}
	b.cfg = testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	b.cfg.AllowOnMaster, b.cfg.OkToDropTable = true, true
	b.cfg.HooksPath = b.gate.dir
	b.cfg.CutOverLockTimeout = lockTimeout
	b.cfg.DefaultRetries = 30
	b.cfg.ForceCutOverAfter = force

	b.w = workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 2, MaxID: rows})
	t.Cleanup(b.w.Stop)
	done := make(chan error, 1)
	log := b.tap.logger(t)
	go func() {
		_, err := Run(context.Background(), b.cfg, log)
		done <- err
	}()
	b.done = done
	b.gate.wait(t, done)
	return b
}

// finish checks the outcome both tests share: the migration succeeded, no
// writer ever failed, and the new table holds exactly the reference's rows.
func (b blockedCutOver) finish(t *testing.T) {
	t.Helper()
	if err := waitDone(t, b.done); err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	time.Sleep(200 * time.Millisecond) // writes into the new table too
	b.w.Stop()
	checkWriters(t, b.w)
	if got := columnNames(t, b.db, "t"); got != "id,uk,k,c,pad,amount,ts,extra" {
		t.Fatalf("columns after the migration: %s", got)
	}
	compareRows(t, b.db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id",
		"SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// Without --force-cut-over-after a transaction that holds the original
// makes each attempt time out; the original stays in place and writable
// between attempts, and the swap happens once the transaction commits.
func TestCutOverWaitsForABlockingTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	b := startBlockedCutOver(t, time.Second, 0)
	ctx := context.Background()
	blocker := openSession(t, b.db, "START TRANSACTION",
		"UPDATE t SET c = 'blocker-value-4711' WHERE id = -1", "UPDATE ref SET c = 'blocker-value-4711' WHERE id = -1")
	b.gate.open(t)

	// Between attempts the original is the original, and it takes writes.
	for n := 1; n <= 3; n++ {
		waitFor(t, b.done, fmt.Sprintf("failed attempt %d", n), func() bool {
			return len(b.tap.with("cut-over attempt failed")) >= n
		})
		writesBefore := b.w.Result().Writes
		if got := columnNames(t, b.db, "t"); got != "id,uk,k,c,pad,amount,ts" {
			t.Fatalf("after failed attempt %d the original has columns %s", n, got)
		}
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		began := time.Now()
		tx, err := b.db.BeginTx(wctx, nil)
		if err == nil {
			for _, table := range []string{"t", "ref"} {
				if _, err = tx.ExecContext(wctx, fmt.Sprintf("INSERT INTO %s (id, uk, k, c) VALUES (?, ?, 0, 'between')", table), -1-n, fmt.Sprint("between-", n)); err != nil {
					break
				}
			}
			if err == nil {
				err = tx.Commit()
			} else {
				tx.Rollback()
			}
		}
		cancel()
		if err != nil {
			t.Fatalf("a write after failed attempt %d: %v", n, err)
		}
		t.Logf("write after failed attempt %d took %v", n, time.Since(began).Round(time.Millisecond))
		waitFor(t, b.done, "the writers to make progress", func() bool { return b.w.Result().Writes > writesBefore })
	}
	if _, err := blocker.conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Fatalf("the blocking transaction could not commit (was it killed?): %v", err)
	}
	b.finish(t)
	if killed := b.tap.with("force cut-over"); len(killed) > 0 {
		t.Errorf("a session was killed without --force-cut-over-after: %s", killed[0].raw)
	}
	// The committed change is in the new table.
	if got := dump(t, b.db, "SELECT c FROM t WHERE id = -1"); len(got) != 1 || got[0] != `"blocker-value-4711"|` {
		t.Errorf("the blocker's committed change: %v", got)
	}
}

// With --force-cut-over-after the sessions that hold the original's lock
// are killed once that long has passed since the first attempt, and the
// cut-over then succeeds; sessions that hold nothing on the tables survive.
func TestForceCutOverKillsOnlyTheBlockers(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	// The first attempt times out before the deadline; the kill comes in
	// the second, once the blockers have held on for a second (half the
	// lock timeout) of it. Workload transactions take milliseconds.
	const after = 3 * time.Second
	b := startBlockedCutOver(t, 2*time.Second, after)
	ctx := context.Background()
	writer := openSession(t, b.db, "START TRANSACTION",
		"UPDATE t SET c = 'blocker-value-4711' WHERE id = -1", "UPDATE ref SET c = 'blocker-value-4711' WHERE id = -1")
	// A plain read in an open transaction holds no row lock, only the
	// shared metadata lock; it blocks the cut-over all the same.
	reader := openSession(t, b.db, "START TRANSACTION", "SELECT COUNT(*) FROM t WHERE id = -1")
	idle := openSession(t, b.db)
	other := openSession(t, b.db, "START TRANSACTION", "UPDATE other SET v = 1 WHERE id = 1")
	released := b.gate.open(t)

	b.finish(t)
	killed := b.tap.with("force cut-over: killed")
	ids := map[int64]bool{}
	for _, l := range killed {
		id, _ := l.fields["session_id"].(float64)
		ids[int64(id)] = true
		for _, f := range []string{"session_id", "user", "host", "command", "time_seconds", "state", "table", "lock", "held_for_at_least"} {
			if _, ok := l.fields[f]; !ok {
				t.Errorf("the kill log lacks %s: %s", f, l.raw)
			}
		}
		for _, secret := range []string{"UPDATE", "SELECT", "blocker-value"} {
			if strings.Contains(l.raw, secret) {
				t.Errorf("the kill log shows query text (%q): %s", secret, l.raw)
			}
		}
		if d := l.at.Sub(released); d < after {
			t.Errorf("session %d killed %v after the cut-over was released, before --force-cut-over-after=%v", int64(id), d, after)
		}
	}
	if !ids[writer.id] || !ids[reader.id] || len(ids) != 2 {
		t.Errorf("killed sessions %v, want the writer %d and the reader %d", ids, writer.id, reader.id)
	}
	if len(b.tap.with("cut-over attempt failed")) == 0 {
		t.Errorf("no attempt failed before the kill: the test did not block the cut-over")
	}
	if writer.alive() || reader.alive() {
		t.Errorf("a killed session still answers")
	}
	if !idle.alive() {
		t.Errorf("the idle session was killed")
	}
	if _, err := other.conn.ExecContext(ctx, "COMMIT"); err != nil {
		t.Errorf("the transaction on another table did not survive: %v", err)
	}
	if got := dump(t, b.db, "SELECT v FROM other"); len(got) != 1 || got[0] != `"1"|` {
		t.Errorf("the other table's committed change: %v", got)
	}
	// The killed writer's change was rolled back in both tables.
	if got := dump(t, b.db, "SELECT c FROM t WHERE id = -1"); len(got) != 1 || got[0] != `"blocker"|` {
		t.Errorf("the killed transaction's change: %v", got)
	}
}

func waitFor(t *testing.T, done <-chan error, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		select {
		case err := <-done:
			t.Fatalf("migration ended while waiting for %s: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
