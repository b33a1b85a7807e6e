package applier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/internal/syncbuf"
	"github.com/doppel-dev/doppel/schema"
)

// The conflict tests feed the applier row changes in go-mysql's decoded
// form directly: which image arrives when is the point, and a real binlog
// cannot be made to deliver a stale image on cue.

const conflictTable = `CREATE TABLE p (
	id INT NOT NULL PRIMARY KEY,
	u INT NULL,
	v VARCHAR(10) CHARACTER SET latin1 COLLATE latin1_swedish_ci NULL
) ENGINE=InnoDB`

// The ALTER adds unique keys the original does not have.
const conflictAlter = "ALTER TABLE _p_gho ADD UNIQUE KEY uk (u), ADD UNIQUE KEY uv (v)"

func prow(id int, u, v any) []any {
	if n, ok := u.(int); ok {
		u = int32(n)
	}
	return []any{int32(id), u, v}
}

func ins(row []any) binlog.RowChange {
	return binlog.RowChange{Table: "p", Kind: binlog.Insert, After: row}
}
func del(row []any) binlog.RowChange {
	return binlog.RowChange{Table: "p", Kind: binlog.Delete, Before: row}
}
func upd(before, after []any) binlog.RowChange {
	return binlog.RowChange{Table: "p", Kind: binlog.Update, Before: before, After: after}
}

func pMapping() *schema.Mapping {
	return &schema.Mapping{
		OrigColumns: []string{"id", "u", "v"}, GhostColumns: []string{"id", "u", "v"},
		KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY",
	}
}

func conflictFixture(t *testing.T) (*fixture, *schema.Table) {
	f := newFixture(t)
	f.exec(conflictTable)
	f.exec("CREATE TABLE _p_gho LIKE p")
	f.exec(conflictAlter)
	return f, f.load("p")
}

func displacedIDs(a *Applier) string {
	var ids []string
	for _, k := range a.Displaced() {
		ids = append(ids, fmt.Sprintf("%v by %s", k.Values[0], k.Conflict))
	}
	return strings.Join(ids, ", ")
}

func (f *fixture) apply(a *Applier, changes ...binlog.RowChange) {
	f.t.Helper()
	if err := a.Apply(f.t.Context(), changes); err != nil {
		f.t.Fatalf("apply: %v", err)
	}
}

func TestTransientDuplicateResolvesAndLeavesNothingDisplaced(t *testing.T) {
	f, orig := conflictFixture(t)
	f.exec("INSERT INTO _p_gho VALUES (1, 5, 'a')") // as copied
	f.exec("INSERT INTO p VALUES (1, 6, 'a'), (2, 5, 'b')")
	a := f.newApplier(f.applierPool(nil), orig, "_p_gho", pMapping(), 1, zerolog.Nop())

	// Row 2 takes u=5 before the change that moved row 1 off it arrives.
	f.apply(a, ins(prow(2, 5, "b")))
	if got := displacedIDs(a); got != "1 by uk" {
		t.Fatalf("displaced after the stale image: %q, want row 1 by uk", got)
	}
	f.apply(a, upd(prow(1, 5, "a"), prow(1, 6, "a")))
	if got := displacedIDs(a); got != "" {
		t.Fatalf("displaced after row 1 moved on: %q, want none", got)
	}
	sameRows(t, "after convergence", f.dump("SELECT * FROM p ORDER BY id"), f.dump("SELECT * FROM _p_gho ORDER BY id"))
	if err := a.CheckDisplaced(t.Context(), f.db, f.db); err != nil {
		t.Fatalf("CheckDisplaced: %v", err)
	}
}

func TestRealDuplicateStaysDisplacedUntilCheckedOrDeleted(t *testing.T) {
	f, orig := conflictFixture(t)
	f.exec("INSERT INTO _p_gho VALUES (4, 7, 'd')")
	f.exec("INSERT INTO p VALUES (3, 7, 'c'), (4, 7, 'd')") // the original allows the duplicate
	a := f.newApplier(f.applierPool(nil), orig, "_p_gho", pMapping(), 10, zerolog.Nop())

	f.apply(a, ins(prow(3, 7, "c")))
	if got := displacedIDs(a); got != "4 by uk" {
		t.Fatalf("displaced: %q, want row 4 by uk", got)
	}
	err := a.CheckDisplaced(t.Context(), f.db, f.db)
	if !errors.Is(err, ErrRowsLost) || !strings.Contains(err.Error(), "id=4") || !strings.Contains(err.Error(), "`uk`") {
		t.Fatalf("CheckDisplaced = %v, want ErrRowsLost naming id=4 and uk", err)
	}
	if got := displacedIDs(a); got != "4 by uk" {
		t.Fatalf("a failed check dropped the key: %q", got)
	}

	// The original deletes row 4: the displacement no longer loses anything.
	f.exec("DELETE FROM p WHERE id = 4")
	f.apply(a, del(prow(4, 7, "d")))
	if got := displacedIDs(a); got != "" {
		t.Fatalf("displaced after the delete: %q, want none", got)
	}
	if err := a.CheckDisplaced(t.Context(), f.db, f.db); err != nil {
		t.Fatalf("CheckDisplaced after the delete: %v", err)
	}
}

func TestDuplicateInsideOneBatchOnRelabelledCaseInsensitiveKey(t *testing.T) {
	f, orig := conflictFixture(t)
	// é and É are one value to latin1_swedish_ci: the lookup must compare as
	// the unique index does, on the relabelled latin1 bytes.
	f.exec("INSERT INTO p VALUES (5, NULL, CONVERT(UNHEX('E974E9') USING latin1)), (6, NULL, CONVERT(UNHEX('C954C9') USING latin1)), (7, 1, 'x')")
	a := f.newApplier(f.applierPool(nil), orig, "_p_gho", pMapping(), 10, zerolog.Nop())

	f.apply(a, ins(prow(5, nil, "\xe9t\xe9")), ins(prow(6, nil, "\xc9T\xc9")), ins(prow(7, 1, "x")))
	if got := displacedIDs(a); got != "5 by uv" {
		t.Fatalf("displaced: %q, want row 5 by uv", got)
	}
	var hexV string
	if err := f.db.QueryRowContext(t.Context(), "SELECT HEX(v) FROM _p_gho WHERE id = 6").Scan(&hexV); err != nil || hexV != "C954C9" {
		t.Fatalf("row 6 holds %q (%v), want the latin1 bytes C954C9", hexV, err)
	}
	err := a.CheckDisplaced(t.Context(), f.db, f.db)
	if !errors.Is(err, ErrRowsLost) || !strings.Contains(err.Error(), "id=5") {
		t.Fatalf("CheckDisplaced = %v, want ErrRowsLost naming id=5", err)
	}

	// Once the ghost holds the row again (a later change rewrote it, seen
	// here as the check would find it), the check drops it.
	f.exec("UPDATE p SET v = 'y' WHERE id = 5")
	f.apply(a, upd(prow(5, nil, "\xe9t\xe9"), prow(5, nil, "y")))
	if err := a.CheckDisplaced(t.Context(), f.db, f.db); err != nil || len(a.Displaced()) != 0 {
		t.Fatalf("CheckDisplaced after the rewrite: %v, displaced %q", err, displacedIDs(a))
	}
	sameRows(t, "after the rewrite", f.dump("SELECT * FROM p ORDER BY id"), f.dump("SELECT * FROM _p_gho ORDER BY id"))
}

func TestDuplicateOnKeyOverColumnsTheOriginalLacksFailsLoudly(t *testing.T) {
	f, orig := conflictFixture(t)
	f.exec("ALTER TABLE _p_gho ADD COLUMN w INT NOT NULL DEFAULT 0, ADD UNIQUE KEY uw (w)")
	db := f.applierPool(nil)
	a := f.newApplier(db, orig, "_p_gho", pMapping(), 10, zerolog.Nop())

	err := a.Apply(t.Context(), []binlog.RowChange{ins(prow(1, 1, "a")), ins(prow(2, 2, "b"))})
	if err == nil || dbconn.ErrorNumber(err) != dbconn.ErDupEntry || !strings.Contains(err.Error(), "`uw`") {
		t.Fatalf("Apply = %v, want a duplicate error naming uw", err)
	}
	var n int
	if err := f.db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM _p_gho").Scan(&n); err != nil || n != 0 {
		t.Fatalf("ghost holds %d rows after a failed batch (%v), want it rolled back", n, err)
	}
	if len(a.Displaced()) != 0 {
		t.Fatalf("displaced %q after a rolled back batch", displacedIDs(a))
	}
	noConnectionsInUse(t, a, db)
}

func TestApplyOnKeepsTheCallersLocksAndSession(t *testing.T) {
	f, orig := conflictFixture(t)
	f.exec("INSERT INTO _p_gho VALUES (1, 5, 'a'), (9, 9, 'z'), (4, 7, 'd')")
	f.exec("INSERT INTO p VALUES (1, 6, 'a'), (2, 5, 'b'), (3, 7, 'c'), (4, 7, 'd')")
	var logs syncbuf.Buffer
	a := f.newApplier(f.applierPool(nil), orig, "_p_gho", pMapping(), 1, zerolog.New(&logs))
	ctx := t.Context()

	lock, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE', time_zone = '+02:00'"); err != nil {
		t.Fatal(err)
	}
	session := func() string {
		var mode, zone string
		var ac int
		if err := lock.QueryRowContext(ctx, "SELECT @@SESSION.sql_mode, @@SESSION.time_zone, @@SESSION.autocommit").Scan(&mode, &zone, &ac); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprintf("%s %s %d", mode, zone, ac)
	}
	before := session()
	if _, err := lock.ExecContext(ctx, "LOCK TABLES p WRITE, _p_gho WRITE"); err != nil {
		t.Fatal(err)
	}
	// One transaction per change: the first displaces row 1 for a while,
	// the fourth displaces row 4 for good. The ghost's keys are first read
	// here, under LOCK TABLES.
	err = a.ApplyOn(ctx, lock, []binlog.RowChange{
		ins(prow(2, 5, "b")), upd(prow(1, 5, "a"), prow(1, 6, "a")), del(prow(9, 9, "z")), ins(prow(3, 7, "c")),
	})
	if err != nil {
		t.Fatalf("ApplyOn: %v", err)
	}
	if !strings.Contains(logs.String(), "rows displaced") {
		t.Fatalf("no displacement logged:\n%s", logs.String())
	}
	if after := session(); after != before {
		t.Fatalf("session after ApplyOn %q, want %q", after, before)
	}
	// Still locked: another session cannot write the original.
	other, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, "SET SESSION lock_wait_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	if _, err := other.ExecContext(ctx, "INSERT INTO p VALUES (100, 100, 'w')"); err == nil || dbconn.ErrorNumber(err) != dbconn.ErLockWaitTimeout {
		t.Fatalf("write to the original during the lock: %v, want a lock wait timeout", err)
	}
	// The cut-over's check, on the lock connection.
	if err := a.CheckDisplaced(ctx, lock, lock); !errors.Is(err, ErrRowsLost) || !strings.Contains(err.Error(), "id=4") {
		t.Fatalf("CheckDisplaced under the lock = %v, want ErrRowsLost naming id=4", err)
	}
	if got := displacedIDs(a); got != "4 by uk" {
		t.Fatalf("displaced %q, want only row 4", got)
	}
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	sameRows(t, "after ApplyOn", f.dump("SELECT * FROM p WHERE id <> 4 ORDER BY id"), f.dump("SELECT * FROM _p_gho ORDER BY id"))
}

func TestLockWaitTimeoutIsRetried(t *testing.T) {
	f, orig := conflictFixture(t)
	f.exec("INSERT INTO _p_gho VALUES (1, 5, 'secret')")
	db := f.applierPool(map[string]string{"innodb_lock_wait_timeout": "1"})
	var logs syncbuf.Buffer
	a := f.newApplier(db, orig, "_p_gho", pMapping(), 10, zerolog.New(&logs))
	ctx := t.Context()

	blocker, err := f.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Close()
	if _, err := blocker.ExecContext(ctx, "BEGIN"); err != nil {
		t.Fatal(err)
	}
	if _, err := blocker.ExecContext(ctx, "SELECT * FROM _p_gho WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Apply(ctx, []binlog.RowChange{upd(prow(1, 5, "secret"), prow(1, 6, "secret"))}) }()
	time.Sleep(1500 * time.Millisecond)
	if _, err := blocker.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Apply did not return")
	}
	var u int
	if err := f.db.QueryRowContext(ctx, "SELECT u FROM _p_gho WHERE id = 1").Scan(&u); err != nil || u != 6 {
		t.Fatalf("u = %d (%v), want 6", u, err)
	}
	out := logs.String()
	if !strings.Contains(out, `"errno":1205`) || !strings.Contains(out, `"component":"applier"`) {
		t.Fatalf("no retry logged:\n%s", out)
	}
	if strings.Contains(out, "secret") {
		t.Fatalf("a row value reached the log:\n%s", out)
	}
	noConnectionsInUse(t, a, db)
}

func TestCancelledApplyReturnsPromptly(t *testing.T) {
	f, orig := conflictFixture(t)
	db := f.applierPool(nil)
	a := f.newApplier(db, orig, "_p_gho", pMapping(), 10, zerolog.Nop())
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := a.Apply(ctx, []binlog.RowChange{ins(prow(1, 1, "a"))}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply with a cancelled context = %v, want context.Canceled", err)
	}
	noConnectionsInUse(t, a, db)
}

// An enum holding index 0 (the empty value a non-strict write stores for an
// invalid label) cannot be written in strict mode. The replay keeps the
// server's strictness, so this fails loudly instead of changing the value.
func TestEnumEmptyValueFailsLoudlyUnderStrictMode(t *testing.T) {
	f := newFixture(t)
	f.exec("CREATE TABLE t (id INT PRIMARY KEY, e ENUM('a','b') NOT NULL)")
	f.exec("CREATE TABLE _t_gho LIKE t")
	orig := f.load("t")
	m := &schema.Mapping{OrigColumns: []string{"id", "e"}, GhostColumns: []string{"id", "e"},
		KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY"}
	a := f.newApplier(f.applierPool(nil), orig, "_t_gho", m, 10, zerolog.Nop())
	err := a.Apply(t.Context(), []binlog.RowChange{{Table: "t", Kind: binlog.Insert, After: []any{int32(1), int64(0)}}})
	if dbconn.ErrorNumber(err) != 1265 {
		t.Fatalf("Apply of enum index 0 = %v, want error 1265 (data truncated)", err)
	}
}

// TestParallelAppliesLoseNoRowSilently runs workers on disjoint key sets
// whose rows collide on a unique key only the ghost has. Which row wins a
// collision depends on timing; what must hold is that every row the ghost
// lacks is reported displaced, and that once later changes move the rows
// apart the ghost holds all of them and nothing stays displaced.
func TestParallelAppliesLoseNoRowSilently(t *testing.T) {
	f, orig := conflictFixture(t)
	const rows, workers = 200, 4
	for id := 1; id <= rows; id++ {
		f.exec("INSERT INTO p VALUES (?, ?, NULL)", id, id%50)
	}
	db := f.applierPool(nil)
	a, err := New(Config{DB: db, Database: f.name, Ghost: "_p_gho", Orig: orig, Mapping: pMapping(),
		BatchSize: 5, Retries: 50, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()

	round := func(change func(id int) binlog.RowChange) {
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var changes []binlog.RowChange
				for id := 1 + w; id <= rows; id += workers {
					changes = append(changes, change(id))
				}
				for len(changes) > 0 {
					n := min(7, len(changes))
					if err := a.Apply(t.Context(), changes[:n]); err != nil {
						errs <- err
						return
					}
					changes = changes[n:]
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("worker: %v", err)
		}
	}

	round(func(id int) binlog.RowChange { return ins(prow(id, id%50, nil)) })
	inGhost := map[int64]bool{}
	ids, err := f.db.QueryContext(t.Context(), "SELECT id FROM _p_gho")
	if err != nil {
		t.Fatal(err)
	}
	for ids.Next() {
		var id int64
		if err := ids.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inGhost[id] = true
	}
	if err := ids.Close(); err != nil {
		t.Fatal(err)
	}
	displaced := map[int64]bool{}
	for _, k := range a.Displaced() {
		displaced[k.Values[0].(int64)] = true
	}
	for id := int64(1); id <= rows; id++ {
		if inGhost[id] == displaced[id] {
			t.Fatalf("row %d: in ghost %v, displaced %v; want exactly one", id, inGhost[id], displaced[id])
		}
	}
	if len(inGhost) != 50 {
		t.Fatalf("ghost holds %d rows, want one per u value (50)", len(inGhost))
	}
	err = a.CheckDisplaced(t.Context(), f.db, f.db)
	if !errors.Is(err, ErrRowsLost) || !strings.Contains(err.Error(), fmt.Sprintf("%d rows", rows-50)) {
		t.Fatalf("CheckDisplaced = %v, want ErrRowsLost for %d rows", err, rows-50)
	}

	f.exec("UPDATE p SET u = id + 1000")
	round(func(id int) binlog.RowChange { return upd(prow(id, id%50, nil), prow(id, id+1000, nil)) })
	if d := displacedIDs(a); d != "" {
		t.Fatalf("still displaced after the rows moved apart: %s", d)
	}
	if err := a.CheckDisplaced(t.Context(), f.db, f.db); err != nil {
		t.Fatalf("CheckDisplaced: %v", err)
	}
	sameRows(t, "after the rows moved apart", f.dump("SELECT * FROM p ORDER BY id"), f.dump("SELECT * FROM _p_gho ORDER BY id"))
	noConnectionsInUse(t, a, db)
}

// MariaDB's INET6, UUID and INET4 read back as text; the rows a duplicate
// displaces are looked up on the ghost and deleted by their key, which must
// be the binary form the key placeholders take. Seen in the localtests: an
// INET6 key ending in zero bytes, a row the copier wrote between the
// batch's DELETE and INSERT, and sixteen attempts that deleted nothing.
func TestDisplacedRowsKeyedByMariaDBBinaryTypes(t *testing.T) {
	for _, c := range []struct {
		typ            string
		held, arriving string // the text forms of the two keys
	}{
		{"INET6", "fe80:0:4174::", "fe80:1::"},
		{"UUID", "12345678-1234-1234-1234-000000000000", "ffffffff-ffff-ffff-ffff-ffffffff0000"},
		{"INET4", "10.0.0.0", "10.0.1.0"},
	} {
		t.Run(c.typ, func(t *testing.T) {
			f := newFixture(t)
			f.exec("CREATE TABLE n (k " + c.typ + " NOT NULL PRIMARY KEY, u INT NULL)")
			f.exec("CREATE TABLE _n_gho LIKE n")
			f.exec("ALTER TABLE _n_gho ADD UNIQUE KEY uk (u)")
			f.exec(fmt.Sprintf("INSERT INTO _n_gho VALUES ('%s', 5)", c.held)) // as copied
			f.exec(fmt.Sprintf("INSERT INTO n VALUES ('%s', 6), ('%s', 5)", c.held, c.arriving))
			var heldImage, arrivingImage string // the row images: binary, trailing zero bytes dropped
			for _, p := range []struct {
				text string
				into *string
			}{{c.held, &heldImage}, {c.arriving, &arrivingImage}} {
				var b []byte
				if err := f.db.QueryRowContext(t.Context(), "SELECT CAST(k AS BINARY(16)) FROM n WHERE k = ?", p.text).Scan(&b); err != nil {
					t.Fatal(err)
				}
				*p.into = strings.TrimRight(string(b), "\x00")
			}
			m := &schema.Mapping{
				OrigColumns: []string{"k", "u"}, GhostColumns: []string{"k", "u"},
				KeyName: "PRIMARY", KeyOrig: []string{"k"}, KeyGhost: []string{"k"}, GhostKeyName: "PRIMARY",
			}
			a := f.newApplier(f.applierPool(nil), f.load("n"), "_n_gho", m, 10, zerolog.Nop())
			change := func(kind binlog.Kind, before, after []any) binlog.RowChange {
				return binlog.RowChange{Table: "n", Kind: kind, Before: before, After: after}
			}

			// The arriving row takes u=5 before the change that moved the held
			// row off it: the held row is displaced, found by its key.
			f.apply(a, change(binlog.Insert, nil, []any{arrivingImage, int32(5)}))
			if got := len(a.Displaced()); got != 1 {
				t.Fatalf("%d rows displaced, want the held one", got)
			}
			f.apply(a, change(binlog.Update, []any{heldImage, int32(5)}, []any{heldImage, int32(6)}))
			if got := len(a.Displaced()); got != 0 {
				t.Fatalf("%d rows still displaced after the held row moved on", got)
			}
			sameRows(t, "after convergence", f.dump("SELECT k, u FROM n ORDER BY u"), f.dump("SELECT k, u FROM _n_gho ORDER BY u"))
			if err := a.CheckDisplaced(t.Context(), f.db, f.db); err != nil {
				t.Fatalf("CheckDisplaced: %v", err)
			}
		})
	}
}
