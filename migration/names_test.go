package migration

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/doppel-dev/doppel/sandbox"
)

func TestHelperNamesFitTheIdentifierLimit(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 2, 3, 0, time.UTC)
	short := namesFor("orders", true, now)
	if short.ghost != "_orders_gho" || short.changelog != "_orders_ghc" || short.old != "_orders_20261127010203_del" {
		t.Fatalf("gh-ost's names for a short table: %+v", short)
	}
	for _, table := range []string{strings.Repeat("t", 64), strings.Repeat("é", 64), strings.Repeat("x", 59)} {
		for _, ts := range []bool{false, true} {
			n := namesFor(table, ts, now)
			for _, name := range []string{n.ghost, n.changelog, n.old} {
				if c := utf8.RuneCountInString(name); c > maxTableName {
					t.Errorf("%q has %d characters", name, c)
				}
				if !strings.HasPrefix(name, "_"+string([]rune(table)[:10])) {
					t.Errorf("%q does not start with the table's name", name)
				}
			}
		}
	}
	if n := namesFor(strings.Repeat("x", 59), false, now); n.ghost != "_"+strings.Repeat("x", 59)+"_gho" {
		t.Fatalf("a 59-character name needs no cut: %q", n.ghost)
	}
}

func TestTableAtTheNameLimitMigrates(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	table := strings.Repeat("ü", 10) + strings.Repeat("n", 54) // 64 characters
	q := "`" + table + "`"
	mustExec(t, db, "CREATE TABLE "+q+" (id int PRIMARY KEY, v varchar(10))")
	mustExec(t, db, "INSERT INTO "+q+" SELECT seq, CONCAT('v', seq) FROM seq_1_to_300")
	want := dump(t, db, "SELECT id, v FROM "+q+" ORDER BY id")
	cfg := testConfig(cluster.Primary, name, table, "ADD COLUMN x int NOT NULL DEFAULT 5")
	cfg.AllowOnMaster, cfg.TimestampOldTable = true, true
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	if got := dump(t, db, "SELECT id, v FROM "+q+" ORDER BY id"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatal("rows changed")
	}
	if got := columnNames(t, db, table); got != "id,v,x" {
		t.Fatalf("columns %q", got)
	}
	if c := utf8.RuneCountInString(rep.OldTable); c != maxTableName {
		t.Fatalf("old table %q has %d characters, want it cut to %d", rep.OldTable, c, maxTableName)
	}
	if got := dump(t, db, "SELECT COUNT(*) FROM `"+rep.OldTable+"`"); got[0] != `"300"|` {
		t.Fatalf("old table holds %v rows", got)
	}
}

// TestHostileNamesMigrate migrates a table whose name is an SQL injection
// attempt, with column names that break naive quoting, under live writes,
// next to the table the name tries to drop.
func TestHostileNamesMigrate(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const (
		table = "x`; DROP TABLE y; --"
		key   = "i`d; --"
		val   = "v`; DROP TABLE y; #"
		added = "n`ew;"
	)
	quote := func(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }
	tq, kq, vq := quote(table), quote(key), quote(val)
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	for _, q := range []string{
		"CREATE TABLE y (id int PRIMARY KEY)",
		"INSERT INTO y VALUES (42)",
		"CREATE TABLE " + tq + " (" + kq + " int NOT NULL PRIMARY KEY, " + vq + " varchar(60) NOT NULL, UNIQUE KEY " + quote("u`k;") + " (" + vq + "))",
		"INSERT INTO " + tq + " SELECT seq, CONCAT('`; DROP TABLE y; -- ', seq) FROM seq_1_to_3000",
		// The reference is written by the same statements but never migrated.
		"CREATE TABLE ref (id int NOT NULL PRIMARY KEY, v varchar(60) NOT NULL)",
		"INSERT INTO ref SELECT " + kq + ", " + vq + " FROM " + tq,
	} {
		mustExec(t, db, q)
	}

	// Writers change both tables in one transaction, so the changes reach
	// the migration through the binlog and the applier's SQL.
	ctx, stop := context.WithCancel(context.Background())
	writes := make(chan error, 1)
	go func() {
		var n int
		defer func() { close(writes) }()
		for i := 1; ctx.Err() == nil; i++ {
			id := 3000 + i
			stmts := []string{
				"INSERT INTO " + tq + " (" + kq + ", " + vq + ") VALUES (?, CONCAT('new `;', ?))", "INSERT INTO ref VALUES (?, CONCAT('new `;', ?))",
				"UPDATE " + tq + " SET " + vq + " = CONCAT('upd ', " + kq + ", ';--') WHERE " + kq + " = ?", "UPDATE ref SET v = CONCAT('upd ', id, ';--') WHERE id = ?",
				"DELETE FROM " + tq + " WHERE " + kq + " = ?", "DELETE FROM ref WHERE id = ?",
			}
			args := [][]any{{id, id}, {id, id}, {i * 7 % 3000}, {i * 7 % 3000}, {i*13%3000 + 1}, {i*13%3000 + 1}}
			tx, err := db.Begin()
			if err == nil {
				for j, q := range stmts {
					if _, err = tx.Exec(q, args[j]...); err != nil {
						break
					}
				}
				if err == nil {
					err = tx.Commit()
				} else {
					tx.Rollback()
				}
			}
			if err != nil {
				writes <- err
				return
			}
			n++
			time.Sleep(2 * time.Millisecond)
		}
		t.Logf("writers: %d transactions", n)
	}()

	cfg := testConfig(cluster.Primary, name, table, "ADD COLUMN "+quote(added)+" int NOT NULL DEFAULT 3")
	cfg.AllowOnMaster, cfg.OkToDropTable, cfg.Execute = true, true, false
	if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil { // the dry run's throwaway table
		stop()
		<-writes
		t.Fatalf("dry run failed: %v", err)
	}
	cfg.Execute = true
	rep, err := Run(context.Background(), cfg, testLogger(t))
	time.Sleep(200 * time.Millisecond) // writes into the swapped-in table too
	stop()
	if werr := <-writes; werr != nil {
		t.Fatalf("writer: %v", werr)
	}
	if err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	t.Logf("report: %+v", rep)
	if rep.ChangesApplied == 0 {
		t.Errorf("no change was applied from the binlog")
	}

	if got := dump(t, db, "SELECT id FROM y"); len(got) != 1 || got[0] != `"42"|` {
		t.Fatalf("table y holds %v; it must be untouched", got)
	}
	if got, want := columnNames(t, db, table), key+","+val+","+added; got != want {
		t.Fatalf("columns %q, want %q", got, want)
	}
	compareRows(t, db, "SELECT "+kq+", "+vq+", "+quote(added)+" FROM "+tq+" ORDER BY 1", "SELECT id, v, 3 FROM ref ORDER BY id")
	if got := dump(t, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY 1"); strings.Join(got, " ") != `"ref"| "x`+"`"+`; DROP TABLE y; --"| "y"|` {
		t.Fatalf("tables after the migration: %v", got)
	}
}
