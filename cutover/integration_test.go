package cutover

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// fixture is one test's database on the shared primary.
type fixture struct {
	t    *testing.T
	ctx  context.Context
	name string
	db   *sql.DB // cut-over and checks
	dsn  string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	cluster := sandbox.Shared(t)
	// Registered before the database so that it runs after the pools of the
	// test are closed: what is left then was leaked.
	leaksBefore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, leaksBefore) })
	name, db := cluster.Primary.NewDatabase(t)
	return &fixture{t: t, ctx: t.Context(), name: name, db: db, dsn: cluster.Primary.DSN(name)}
}

func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.ctx, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

// createPair makes the original and a ghost with the same schema and rows;
// the comments tell the two physical tables apart after swaps.
func (f *fixture) createPair(orig, ghost string, rows int) {
	f.t.Helper()
	f.exec(fmt.Sprintf("CREATE TABLE %s (id BIGINT NOT NULL PRIMARY KEY, v INT NOT NULL DEFAULT 0, "+
		"pad VARCHAR(32) NOT NULL DEFAULT 'x') ENGINE=InnoDB COMMENT='original'", quote(orig)))
	f.exec(fmt.Sprintf("INSERT INTO %s (id) SELECT seq FROM seq_1_to_%d", quote(orig), rows))
	f.exec(fmt.Sprintf("CREATE TABLE %s LIKE %s", quote(ghost), quote(orig)))
	f.exec(fmt.Sprintf("ALTER TABLE %s COMMENT='ghost'", quote(ghost)))
	f.exec(fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", quote(ghost), quote(orig)))
}

// comment is the table's comment, or "" when the table does not exist.
func (f *fixture) comment(table string) string {
	f.t.Helper()
	var c string
	err := f.db.QueryRowContext(f.ctx, "SELECT TABLE_COMMENT FROM information_schema.TABLES "+
		"WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?", f.name, table).Scan(&c)
	if errors.Is(err, sql.ErrNoRows) {
		return ""
	}
	if err != nil {
		f.t.Fatalf("comment of %s: %v", table, err)
	}
	return c
}

func (f *fixture) wantComments(want map[string]string) {
	f.t.Helper()
	for table, c := range want {
		if got := f.comment(table); got != c {
			f.t.Errorf("table %s: comment %q, want %q (\"\" = absent)", table, got, c)
		}
	}
}

func (f *fixture) config(orig, ghost, old string) Config {
	return Config{
		DB: f.db, Database: f.name, Original: orig, Ghost: ghost, Old: old,
		LockTimeout: 2 * time.Second, Flavor: FlavorMariaDB,
		Logger: zerolog.New(zerolog.NewTestWriter(f.t)).Level(zerolog.DebugLevel),
	}
}

// wantPoolIdle checks that the attempt gave back or closed every connection.
func (f *fixture) wantPoolIdle() {
	f.t.Helper()
	if n := f.db.Stats().InUse; n != 0 {
		f.t.Errorf("%d connections still in use after the attempt", n)
	}
}

// otherPool is a pool for sessions that are not the cut-over's, so that
// their connections do not count against wantPoolIdle.
func (f *fixture) otherPool() *sql.DB {
	f.t.Helper()
	db, err := sql.Open("mysql", f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { _ = db.Close() })
	return db
}

func quote(name string) string { return "`" + name + "`" }

// write is one statement of a hammer writer.
type write struct {
	id         int64 // inserted id; 0 for an update
	sent, done time.Time
	err        error
}

// hammer runs writers that insert fresh ids and update existing rows of a
// table, through their own pool, recording every statement.
type hammer struct {
	db      *sql.DB
	table   string
	baseIDs int64
	nextID  atomic.Int64
	stop    chan struct{}
	g       errgroup.Group

	mu     sync.Mutex
	writes []write
	last   []time.Time // per writer: send time of its latest finished statement
}

func (f *fixture) startHammer(table string, writers int, baseIDs int64) *hammer {
	f.t.Helper()
	db, err := sql.Open("mysql", f.dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	db.SetMaxOpenConns(writers)
	db.SetMaxIdleConns(writers)
	h := &hammer{db: db, table: quote(table), baseIDs: baseIDs, stop: make(chan struct{}), last: make([]time.Time, writers)}
	h.nextID.Store(1_000_000)
	for w := range writers {
		h.g.Go(func() error { h.run(w); return nil })
	}
	f.t.Cleanup(h.halt)
	return h
}

func (h *hammer) run(w int) {
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	for {
		select {
		case <-h.stop:
			return
		default:
		}
		// Not the test's context: a statement in flight when the test
		// stops must finish, or its outcome is unknown.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var wr write
		wr.sent = time.Now()
		if rng.IntN(10) < 7 {
			wr.id = h.nextID.Add(1)
			_, wr.err = h.db.ExecContext(ctx, "INSERT INTO "+h.table+" (id, v) VALUES (?, ?)", wr.id, w)
		} else {
			_, wr.err = h.db.ExecContext(ctx, "UPDATE "+h.table+" SET v = v + 1 WHERE id = ?", rng.Int64N(h.baseIDs)+1)
		}
		wr.done = time.Now()
		cancel()
		h.mu.Lock()
		h.writes = append(h.writes, wr)
		h.last[w] = wr.sent
		h.mu.Unlock()
	}
}

// halt stops the writers and closes their pool; safe to call twice.
func (h *hammer) halt() {
	select {
	case <-h.stop:
	default:
		close(h.stop)
	}
	_ = h.g.Wait()
	_ = h.db.Close()
}

// settle waits until every writer has finished a statement sent after t, so
// that every statement sent before t has finished.
func (h *hammer) settle(tb testing.TB, t time.Time) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		h.mu.Lock()
		ok := !slices.ContainsFunc(h.last, func(s time.Time) bool { return !s.After(t) })
		h.mu.Unlock()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("writers did not move on within 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

func (h *hammer) snapshot() []write {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.writes)
}

// insertedBetween is the ids of successful inserts sent in [from, to].
func (h *hammer) insertedBetween(from, to time.Time) []int64 {
	var ids []int64
	for _, w := range h.snapshot() {
		if w.id != 0 && w.err == nil && !w.sent.Before(from) && !w.sent.After(to) {
			ids = append(ids, w.id)
		}
	}
	return ids
}

// longest is the longest statement that was running at some point in
// [from, to]: the writers' view of the stall.
func (h *hammer) longest(from, to time.Time) time.Duration {
	var d time.Duration
	for _, w := range h.snapshot() {
		if !w.sent.After(to) && !w.done.Before(from) {
			d = max(d, w.done.Sub(w.sent))
		}
	}
	return d
}

// errors groups the writers' failures by error number (0 for client-side).
func (h *hammer) errors() map[uint16]int {
	out := map[uint16]int{}
	for _, w := range h.snapshot() {
		if w.err != nil {
			out[dbconn.ErrorNumber(w.err)]++
		}
	}
	return out
}

// wantLanded checks that every id is in table in and, if notIn exists, in
// none of its rows.
func (f *fixture) wantLanded(ids []int64, in, notIn string) {
	f.t.Helper()
	if len(ids) == 0 {
		return
	}
	lo, hi := slices.Min(ids), slices.Max(ids)
	present := func(table string) map[int64]bool {
		got := map[int64]bool{}
		if f.comment(table) == "" {
			return got
		}
		rows, err := f.db.QueryContext(f.ctx, fmt.Sprintf("SELECT id FROM %s WHERE id BETWEEN ? AND ?", quote(table)), lo, hi)
		if err != nil {
			f.t.Fatalf("read %s: %v", table, err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				f.t.Fatal(err)
			}
			got[id] = true
		}
		if err := rows.Err(); err != nil {
			f.t.Fatal(err)
		}
		return got
	}
	inRows := present(in)
	var outRows map[int64]bool
	if notIn != "" {
		outRows = present(notIn)
	}
	missing, misplaced := 0, 0
	for _, id := range ids {
		if !inRows[id] {
			missing++
		}
		if outRows[id] {
			misplaced++
		}
	}
	if missing > 0 || misplaced > 0 {
		f.t.Errorf("of %d inserts sent while the lock was held: %d missing from %s, %d landed in %s (lost by the swap)",
			len(ids), missing, in, misplaced, notIn)
	}
}

// recordDrain is a drain that notes when it was entered: from then on the
// lock is held and every write must end up in the new table.
func recordDrain(at *time.Time, pause time.Duration) Drain {
	return func(ctx context.Context, conn *sql.Conn) error {
		*at = time.Now()
		if conn != nil {
			return errors.New("the MariaDB path must not hand out its lock connection")
		}
		// Let writers pile up behind the lock, as they do in production
		// while the applier catches up.
		select {
		case <-time.After(pause):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func TestAtomicHammer(t *testing.T) {
	rounds := 20
	if testing.Short() {
		rounds = 3
	}
	cases := []struct {
		name, orig   string
		SkipLockView bool
	}{
		{"ghost sorts before the original, with the lock view", "t", false},
		{"ghost sorts before the original, probe only", "t", true},
		// Upper case sorts before '_': the rename queues on the original
		// first and takes the other names after it.
		{"original sorts before the ghost, probe only", "T", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			ghost, old := "_"+tc.orig+"_gho", "_"+tc.orig+"_del"
			f.createPair(tc.orig, ghost, 1000)
			h := f.startHammer(tc.orig, 8, 1000)
			cfg := f.config(tc.orig, ghost, old)
			cfg.SkipLockView = tc.SkipLockView
			var worst, worstStall time.Duration
			for round := range rounds {
				var drainAt time.Time
				called := time.Now()
				res, err := Atomic(f.ctx, cfg, recordDrain(&drainAt, time.Duration(round%5)*2*time.Millisecond))
				returned := time.Now()
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if !res.Swapped {
					t.Fatalf("round %d: no error but not swapped", round)
				}
				f.wantPoolIdle()
				h.settle(t, returned)
				f.wantLanded(h.insertedBetween(drainAt, returned), tc.orig, old)
				want := map[bool]string{true: "ghost", false: "original"}
				f.wantComments(map[string]string{tc.orig: want[round%2 == 0], old: want[round%2 == 1], ghost: ""})
				longest := h.longest(called, returned)
				worst, worstStall = max(worst, longest), max(worstStall, res.Stall)
				t.Logf("round %2d: stall %6.2fms (lock wait %5.2fms, drain %5.2fms); longest writer statement %6.2fms",
					round, ms(res.Stall), ms(res.LockWait), ms(res.Drain), ms(longest))
				if t.Failed() {
					t.FailNow()
				}
				// The retired table becomes the next ghost.
				f.exec(fmt.Sprintf("RENAME TABLE %s TO %s", quote(old), quote(ghost)))
			}
			h.halt()
			if errs := h.errors(); len(errs) > 0 {
				t.Errorf("writers failed (error number: count): %v", errs)
			}
			t.Logf("%d swaps under %d writes: worst stall %.2fms, worst writer statement %.2fms",
				rounds, len(h.snapshot()), ms(worstStall), ms(worst))
		})
	}
}

// TestAtomicHammerWithGhostReaders adds sessions that keep touching the
// ghost in short transactions, the hazard of the sentry scheme: a rename
// stuck on the ghost must never let writers into the table being retired.
// Attempts may fail and are retried; no write may be lost either way.
func TestAtomicHammerWithGhostReaders(t *testing.T) {
	swaps := 10
	if testing.Short() {
		swaps = 2
	}
	for _, skipLockView := range []bool{false, true} {
		t.Run(fmt.Sprintf("SkipLockView=%v", skipLockView), func(t *testing.T) {
			f := newFixture(t)
			f.createPair("t", "_t_gho", 1000)
			h := f.startHammer("t", 8, 1000)
			readerDB := f.otherPool()
			stopReaders := make(chan struct{})
			var readers errgroup.Group
			for range 2 {
				readers.Go(func() error {
					for {
						select {
						case <-stopReaders:
							return nil
						default:
						}
						ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
						if tx, err := readerDB.BeginTx(ctx, nil); err == nil {
							// The ghost is missing for a moment after each
							// swap; that error is the reader's, not ours.
							_, _ = tx.ExecContext(ctx, "SELECT COUNT(*) FROM `_t_gho` WHERE id < 10")
							time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
							_ = tx.Rollback()
						}
						cancel()
					}
				})
			}
			defer func() { close(stopReaders); _ = readers.Wait() }()

			cfg := f.config("t", "_t_gho", "_t_del")
			cfg.SkipLockView = skipLockView
			cfg.LockTimeout = time.Second
			failures := map[string]int{}
			for done := 0; done < swaps; {
				var drainAt time.Time
				res, err := Atomic(f.ctx, cfg, recordDrain(&drainAt, 2*time.Millisecond))
				returned := time.Now()
				h.settle(t, returned)
				if err != nil {
					if !errors.Is(err, ErrLockTimeout) && !errors.Is(err, ErrGhostInUse) {
						t.Fatalf("attempt failed with an error that is not retryable: %v", err)
					}
					if res.Swapped {
						t.Fatalf("failed attempt swapped the tables: %v", err)
					}
					failures[errorKind(err)]++
					if !drainAt.IsZero() {
						f.wantLanded(h.insertedBetween(drainAt, returned), "t", "")
					}
					f.wantComments(map[string]string{"_t_del": ""})
				} else {
					done++
					f.wantLanded(h.insertedBetween(drainAt, returned), "t", "_t_del")
					t.Logf("swap %d: stall %.2fms", done, ms(res.Stall))
					f.exec("RENAME TABLE `_t_del` TO `_t_gho`")
				}
				f.wantPoolIdle()
				if t.Failed() {
					t.FailNow()
				}
			}
			h.halt()
			if errs := h.errors(); len(errs) > 0 {
				t.Errorf("writers failed (error number: count): %v", errs)
			}
			t.Logf("%d swaps; failed attempts retried: %v", swaps, failures)
		})
	}
}

func errorKind(err error) string {
	if errors.Is(err, ErrGhostInUse) {
		return "ghost in use"
	}
	return "lock timeout"
}

func TestAtomicFailsCleanlyWhileAnotherSessionHoldsTheGhost(t *testing.T) {
	cases := []struct {
		name         string
		SkipLockView bool
		heldFor      time.Duration // how long the ghost was held before the attempt
		fast         bool          // the attempt must give up well before the lock timeout
	}{
		{"probe only", true, 0, false},
		{"lock view, holder appears with the attempt", false, 0, false},
		{"lock view, holder older than the lock timeout", false, 1100 * time.Millisecond, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.createPair("t", "_t_gho", 100)
			h := f.startHammer("t", 4, 100)

			// An open transaction that locked ghost rows, as a stuck applier
			// or a forgotten console session would hold it.
			tx, err := f.otherPool().BeginTx(f.ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			var id int64
			if err := tx.QueryRowContext(f.ctx, "SELECT id FROM `_t_gho` WHERE id = 1 FOR UPDATE").Scan(&id); err != nil {
				t.Fatal(err)
			}
			time.Sleep(tc.heldFor)

			cfg := f.config("t", "_t_gho", "_t_del")
			cfg.SkipLockView = tc.SkipLockView
			cfg.LockTimeout = time.Second
			var drainAt time.Time
			start := time.Now()
			res, err := Atomic(f.ctx, cfg, recordDrain(&drainAt, 0))
			returned := time.Now()
			if err == nil || res.Swapped {
				t.Fatalf("swapped while another session held the ghost (err %v)", err)
			}
			if !errors.Is(err, ErrLockTimeout) && !errors.Is(err, ErrGhostInUse) {
				t.Errorf("error %v: want ErrLockTimeout or ErrGhostInUse", err)
			}
			if !tc.SkipLockView && !errors.Is(err, ErrGhostInUse) {
				t.Errorf("error %v: with the lock view it should name the holder", err)
			}
			if tc.fast && returned.Sub(start) > cfg.LockTimeout/2 {
				t.Errorf("took %v to give up on a holder older than the lock timeout", returned.Sub(start))
			}
			t.Logf("attempt failed after %v (writers stalled %.2fms): %v",
				returned.Sub(start).Round(time.Millisecond), ms(res.Stall), err)
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}

			h.settle(t, returned)
			f.wantLanded(h.insertedBetween(drainAt, returned), "t", "")
			f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
			f.wantPoolIdle()
			var n int
			if err := f.db.QueryRowContext(f.ctx, "SELECT COUNT(*) FROM `_t_gho`").Scan(&n); err != nil || n != 100 {
				t.Errorf("ghost: %d rows, %v; want its 100 rows untouched", n, err)
			}
			f.exec("INSERT INTO t (id) VALUES (5000000)")
			h.halt()
			if errs := h.errors(); len(errs) > 0 {
				t.Errorf("writers failed (error number: count): %v", errs)
			}
		})
	}
}

// TestAtomicWaitsOutAGhostHolderThatLetsGo is the hazard in its deadly
// form: the ghost's holder commits while the rename waits on it. A scheme
// that released the original as soon as the rename was queued somewhere
// would let writers into the original first and lose their rows.
func TestAtomicWaitsOutAGhostHolderThatLetsGo(t *testing.T) {
	for _, SkipLockView := range []bool{true, false} {
		t.Run(fmt.Sprintf("SkipLockView=%v", SkipLockView), func(t *testing.T) {
			f := newFixture(t)
			f.createPair("t", "_t_gho", 100)
			h := f.startHammer("t", 8, 100)
			tx, err := f.otherPool().BeginTx(f.ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback()
			if _, err := tx.ExecContext(f.ctx, "SELECT * FROM `_t_gho` WHERE id = 1 FOR UPDATE"); err != nil {
				t.Fatal(err)
			}
			var commit errgroup.Group
			defer func() { _ = commit.Wait() }()

			cfg := f.config("t", "_t_gho", "_t_del")
			cfg.SkipLockView = SkipLockView
			cfg.LockTimeout = 3 * time.Second
			var drainAt time.Time
			res, err := Atomic(f.ctx, cfg, func(ctx context.Context, conn *sql.Conn) error {
				drainAt = time.Now()
				commit.Go(func() error {
					time.Sleep(300 * time.Millisecond)
					return tx.Commit()
				})
				return nil
			})
			returned := time.Now()
			if err := commit.Wait(); err != nil {
				t.Fatal(err)
			}
			h.settle(t, returned)
			if err != nil {
				// Giving up is allowed; losing rows is not.
				if !errors.Is(err, ErrLockTimeout) && !errors.Is(err, ErrGhostInUse) {
					t.Errorf("error %v: want success or a retryable error", err)
				}
				f.wantLanded(h.insertedBetween(drainAt, returned), "t", "")
				f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
			} else {
				f.wantLanded(h.insertedBetween(drainAt, returned), "t", "_t_del")
				f.wantComments(map[string]string{"t": "ghost", "_t_del": "original", "_t_gho": ""})
			}
			t.Logf("swapped %v after %.0fms of the holder (stall %.2fms), err %v", res.Swapped, ms(returned.Sub(drainAt)), ms(res.Stall), err)
			f.wantPoolIdle()
			h.halt()
			if errs := h.errors(); len(errs) > 0 {
				t.Errorf("writers failed (error number: count): %v", errs)
			}
		})
	}
}

func TestAtomicLockTimeoutReleasesEverything(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 100)
	h := f.startHammer("t", 4, 100)

	// A long transaction holding a lock on the original.
	tx, err := f.otherPool().BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(f.ctx, "UPDATE t SET v = v + 1 WHERE id = 1"); err != nil {
		t.Fatal(err)
	}

	cfg := f.config("t", "_t_gho", "_t_del")
	cfg.LockTimeout = time.Second
	drained := false
	start := time.Now()
	res, err := Atomic(f.ctx, cfg, func(context.Context, *sql.Conn) error { drained = true; return nil })
	elapsed := time.Since(start)
	if !errors.Is(err, ErrLockTimeout) {
		t.Fatalf("error %v, want ErrLockTimeout", err)
	}
	if drained || res.Swapped {
		t.Errorf("drained %v, swapped %v: the lock was never held", drained, res.Swapped)
	}
	if elapsed < cfg.LockTimeout || elapsed > cfg.LockTimeout+time.Second {
		t.Errorf("returned after %v, want about %v", elapsed, cfg.LockTimeout)
	}
	t.Logf("gave up after %v (lock wait %v)", elapsed.Round(time.Millisecond), res.LockWait.Round(time.Millisecond))
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
	f.wantPoolIdle()

	// Writers carry on, into the original.
	after := time.Now()
	h.settle(t, after.Add(100*time.Millisecond))
	f.wantLanded(h.insertedBetween(after, after.Add(100*time.Millisecond)), "t", "")
	h.halt()
	if errs := h.errors(); len(errs) > 0 {
		t.Errorf("writers failed (error number: count): %v", errs)
	}
}

func TestAtomicNeverTouchesAnExistingOldTable(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 10)
	f.exec("CREATE TABLE `_t_del` (keep INT) COMMENT='precious'")
	f.exec("INSERT INTO `_t_del` VALUES (42)")
	drained := false
	_, err := Atomic(f.ctx, f.config("t", "_t_gho", "_t_del"),
		func(context.Context, *sql.Conn) error { drained = true; return nil })
	if err == nil || errors.Is(err, ErrLockTimeout) || dbconn.ErrorNumber(err) != dbconn.ErTableExists {
		t.Fatalf("error %v, want the server's table-exists error, not retryable", err)
	}
	if drained {
		t.Errorf("drained although the attempt could not start")
	}
	f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": "precious"})
	var keep int
	if err := f.db.QueryRowContext(f.ctx, "SELECT keep FROM `_t_del`").Scan(&keep); err != nil || keep != 42 {
		t.Errorf("existing old table changed: %d, %v", keep, err)
	}
	f.exec("INSERT INTO t (id) VALUES (5000000)")
	f.wantPoolIdle()
}

func TestAtomicLeavesALeftoverSentryAlone(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 10)
	f.exec("CREATE TABLE `_t_del` (id INT) COMMENT='" + sentryComment + "'")
	_, err := Atomic(f.ctx, f.config("t", "_t_gho", "_t_del"), recordDrain(new(time.Time), 0))
	if err == nil || !strings.Contains(err.Error(), "left behind") {
		t.Fatalf("error %v, want one naming the leftover sentry", err)
	}
	// A leftover sentry may still be what keeps a stray rename from running.
	f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": sentryComment})
	f.wantPoolIdle()
}

func TestAtomicAbortsOnDrainFailureAndCancellation(t *testing.T) {
	boom := errors.New("applier fell behind")
	tests := []struct {
		name  string
		drain func(cancel context.CancelFunc) Drain
		want  error
	}{
		{"a failing drain", func(context.CancelFunc) Drain {
			return func(context.Context, *sql.Conn) error { return boom }
		}, boom},
		{"a cancelled context", func(cancel context.CancelFunc) Drain {
			return func(ctx context.Context, _ *sql.Conn) error { cancel(); return ctx.Err() }
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.createPair("t", "_t_gho", 10)
			ctx, cancel := context.WithCancel(f.ctx)
			defer cancel()
			res, err := Atomic(ctx, f.config("t", "_t_gho", "_t_del"), tc.drain(cancel))
			if !errors.Is(err, tc.want) || res.Swapped {
				t.Fatalf("error %v swapped %v, want %v and nothing swapped", err, res.Swapped, tc.want)
			}
			f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
			f.exec("INSERT INTO t (id) VALUES (5000000)")
			f.wantPoolIdle()
		})
	}
}

func TestAtomicRefusesLowMaxWriteLockCount(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 10)
	var prev uint64
	if err := f.db.QueryRowContext(f.ctx, "SELECT @@GLOBAL.max_write_lock_count").Scan(&prev); err != nil {
		t.Fatal(err)
	}
	f.exec("SET GLOBAL max_write_lock_count = 10")
	defer f.exec(fmt.Sprintf("SET GLOBAL max_write_lock_count = %d", prev))
	_, err := Atomic(f.ctx, f.config("t", "_t_gho", "_t_del"), recordDrain(new(time.Time), 0))
	if err == nil {
		t.Fatal("swapped on a server where writers can overtake the rename")
	}
	f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
	f.wantPoolIdle()
}

func TestTwoStep(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 1000)
	h := f.startHammer("t", 8, 1000)
	var drainAt time.Time
	res, err := TwoStep(f.ctx, f.config("t", "_t_gho", "_t_del"), recordDrain(&drainAt, 2*time.Millisecond))
	returned := time.Now()
	if err != nil || !res.Swapped {
		t.Fatalf("two-step: swapped %v, %v", res.Swapped, err)
	}
	h.settle(t, returned)
	f.wantComments(map[string]string{"t": "ghost", "_t_del": "original", "_t_gho": ""})
	f.wantLanded(h.insertedBetween(drainAt, returned), "t", "_t_del")
	f.wantPoolIdle()
	h.halt()
	errs := h.errors()
	missing := errs[dbconn.ErNoSuchTable]
	delete(errs, dbconn.ErNoSuchTable)
	if len(errs) > 0 {
		t.Errorf("writers failed with more than the documented missing table (error number: count): %v", errs)
	}
	t.Logf("two-step: stall %.2fms; %d writes failed with 1146 in the window between the renames", ms(res.Stall), missing)
}

func TestTwoStepPutsTheOriginalBackWhenTheGhostIsHeld(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 10)
	tx, err := f.otherPool().BeginTx(f.ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(f.ctx, "SELECT * FROM `_t_gho` FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	cfg := f.config("t", "_t_gho", "_t_del")
	cfg.LockTimeout = time.Second
	time.Sleep(cfg.LockTimeout) // old enough for the lock view to refuse before renaming
	for _, SkipLockView := range []bool{false, true} {
		cfg.SkipLockView = SkipLockView
		res, err := TwoStep(f.ctx, cfg, recordDrain(new(time.Time), 0))
		if err == nil || res.Swapped {
			t.Fatalf("SkipLockView=%v: swapped while the ghost was held: %v", SkipLockView, err)
		}
		if !errors.Is(err, ErrLockTimeout) && !errors.Is(err, ErrGhostInUse) {
			t.Errorf("SkipLockView=%v: error %v, want a retryable one", SkipLockView, err)
		}
		t.Logf("SkipLockView=%v: %v", SkipLockView, err)
		f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
		f.wantPoolIdle()
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestMySQLPathOnMariaDB runs MySQL's rename-under-lock against MariaDB,
// which refuses the rename (1192): the failure path on a real server. The
// drain writes the ghost through the lock connection, as an applier must
// on MySQL, where that session holds the ghost's WRITE lock.
func TestMySQLPathOnMariaDB(t *testing.T) {
	f := newFixture(t)
	f.createPair("t", "_t_gho", 10)
	h := f.startHammer("t", 4, 10)
	cfg := f.config("t", "_t_gho", "_t_del")
	cfg.Flavor = FlavorMySQL
	var drainAt time.Time
	res, err := Atomic(f.ctx, cfg, func(ctx context.Context, conn *sql.Conn) error {
		drainAt = time.Now()
		if conn == nil {
			return errors.New("MySQL's path must hand the drain its lock connection")
		}
		_, err := conn.ExecContext(ctx, "INSERT INTO `_t_gho` (id) VALUES (4000000)")
		return err
	})
	returned := time.Now()
	if err == nil || res.Swapped || errors.Is(err, ErrLockTimeout) {
		t.Fatalf("swapped %v, error %v: want MariaDB's refusal, not retryable", res.Swapped, err)
	}
	t.Logf("refused as expected: %v", err)
	h.settle(t, returned)
	f.wantLanded(h.insertedBetween(drainAt, returned), "t", "")
	f.wantLanded([]int64{4000000}, "_t_gho", "t")
	f.wantComments(map[string]string{"t": "original", "_t_gho": "ghost", "_t_del": ""})
	f.wantPoolIdle()
	h.halt()
	if errs := h.errors(); len(errs) > 0 {
		t.Errorf("writers failed (error number: count): %v", errs)
	}
}
