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
