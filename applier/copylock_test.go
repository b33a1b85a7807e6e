package applier

import (
	"context"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/schema"
)

// TestApplyBesideALongCopyOfAnAutoIncrementTable replays an insert above the
// ghost's highest key while a copier-shaped INSERT … SELECT into the ghost is
// still running. That statement holds the ghost's table-level AUTO-INC lock
// until it ends, and inserts its rows into the gap above the ghost's
// highest key. Under REPEATABLE READ the applier's DELETE of the absent key
// locks that gap before its INSERT waits for AUTO-INC: each waits for the
// other, InnoDB kills the applier, and every retry meets the same copy
// (found by the long-rows-near-limit end-to-end case, whose chunks take a
// second each). The applier must wait for the copy instead.
func TestApplyBesideALongCopyOfAnAutoIncrementTable(t *testing.T) {
	f := newFixture(t)
	f.exec("CREATE TABLE a (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT NOT NULL)")
	f.exec("CREATE TABLE _a_gho LIKE a")
	f.exec("INSERT INTO a (id, v) SELECT seq, seq FROM seq_1_to_20")
	f.exec("INSERT INTO _a_gho SELECT * FROM a WHERE id <= 10")
	m := &schema.Mapping{
		OrigColumns: []string{"id", "v"}, GhostColumns: []string{"id", "v"},
		KeyName: "PRIMARY", KeyOrig: []string{"id"}, KeyGhost: []string{"id"}, GhostKeyName: "PRIMARY",
	}
	a, err := New(Config{DB: f.applierPool(nil), Database: f.name, Ghost: "_a_gho", Orig: f.load("a"), Mapping: m,
		BatchSize: 10, Retries: 1, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })

	// The copy of ids 11..20, 100ms a row, the way the copier reads: with
	// a locking read, one statement.
	copied := make(chan error, 1)
	go func() {
		_, err := f.db.ExecContext(context.Background(), "INSERT IGNORE INTO _a_gho SELECT id, v FROM a "+
			"WHERE id > 10 AND SLEEP(0.1) = 0 ORDER BY id LOCK IN SHARE MODE")
		copied <- err
	}()
	time.Sleep(300 * time.Millisecond) // the copy holds AUTO-INC and has rows in the gap

	if err := a.Apply(t.Context(), []binlog.RowChange{
		{Table: "a", Kind: binlog.Insert, After: []any{int32(100), int32(100)}},
	}); err != nil {
		t.Fatalf("apply beside the copy: %v", err)
	}
	if err := <-copied; err != nil {
		t.Fatalf("copy: %v", err)
	}
	var n int
	if err := f.db.QueryRow("SELECT COUNT(*) FROM _a_gho").Scan(&n); err != nil || n != 21 {
		t.Fatalf("ghost holds %d rows (%v), want 21", n, err)
	}
}
