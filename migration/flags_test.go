package migration

import (
	"context"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestTriggersAreRecreatedOnTheNewTable(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 5000)
	mustExec(t, db, "CREATE TABLE audit (id bigint NOT NULL, action varchar(10) NOT NULL)")
	mustExec(t, db, "CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO audit VALUES (NEW.id, 'insert')")
	mustExec(t, db, "CREATE TRIGGER t_bu_v2 BEFORE UPDATE ON t FOR EACH ROW SET NEW.k = NEW.k")

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 2, MaxID: 5000})
	t.Cleanup(w.Stop)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 1")
	cfg.AllowOnMaster, cfg.IncludeTriggers, cfg.TriggerSuffix, cfg.RemoveTriggerSuffix = true, true, "_v2", true
	cfg.AnalyzeGhostTable, cfg.GTID = true, true
	if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	w.Stop()
	checkWriters(t, w)
	got := dump(t, db, "SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() ORDER BY TRIGGER_NAME")
	want := []string{`"t_ai"|"_t_del"|`, `"t_ai_v2"|"t"|`, `"t_bu"|"t"|`, `"t_bu_v2"|"_t_del"|`}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("triggers after migration:\n%v\nwant\n%v", got, want)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM ref ORDER BY id")
	// Every insert fired the trigger exactly once: the copy and the replay
	// never fire it on the ghost, and inserts after the swap fire the new one.
	if twice := dump(t, db, "SELECT id FROM audit GROUP BY id HAVING COUNT(*) > 1"); len(twice) > 0 {
		t.Fatalf("the trigger fired twice for ids %v", twice)
	}
	if missed := dump(t, db, "SELECT id FROM ref WHERE id > 5000 AND id NOT IN (SELECT id FROM audit)"); len(missed) > 0 {
		t.Fatalf("the trigger did not fire for ids %v", missed)
	}
	mustExec(t, db, "INSERT INTO t (id, uk, k, c) VALUES (999999, 'after', 1, 'x')")
	if n := dump(t, db, "SELECT COUNT(*) FROM audit WHERE id = 999999"); n[0] != `"1"|` {
		t.Fatalf("the trigger on the new table did not fire: %v", n)
	}
}

func TestTriggerNamesAreCheckedBeforeAnyWork(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	cases := []struct {
		name, trigger, suffix string
		extra                 []string
		want                  []string
	}{
		{"name taken", "tr", "_x", []string{"CREATE TABLE other (id int)", "CREATE TRIGGER tr_x BEFORE INSERT ON other FOR EACH ROW SET @a = 1"}, []string{"tr_x", "already exists"}},
		{"name too long", strings.Repeat("n", 62), "_xyz", nil, []string{"longer than 64"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			mustExec(t, db, "CREATE TABLE t (id int PRIMARY KEY, v int)")
			mustExec(t, db, "CREATE TRIGGER "+c.trigger+" BEFORE INSERT ON t FOR EACH ROW SET NEW.v = 1")
			for _, q := range c.extra {
				mustExec(t, db, q)
			}
			before := snapshot(t, db, "t")
			cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int")
			cfg.AllowOnMaster, cfg.IncludeTriggers, cfg.TriggerSuffix = true, true, c.suffix
			_, err := Run(context.Background(), cfg, testLogger(t))
			expectRefusal(t, err, c.want, true)
			if after := snapshot(t, db, "t"); after != before {
				t.Fatal("the refused run changed the database")
			}
		})
	}
}

func TestDiscardForeignKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	mustExec(t, db, "CREATE TABLE parent (id int PRIMARY KEY)")
	mustExec(t, db, "INSERT INTO parent VALUES (1), (2)")
	mustExec(t, db, "CREATE TABLE t (id int PRIMARY KEY, pid int NOT NULL, CONSTRAINT fk_t_parent FOREIGN KEY (pid) REFERENCES parent (id))")
	mustExec(t, db, "INSERT INTO t SELECT seq, 1 + seq % 2 FROM seq_1_to_500")
	want := dump(t, db, "SELECT * FROM t ORDER BY id")
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int")
	cfg.AllowOnMaster, cfg.DiscardForeignKeys = true, true
	if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	if got := dump(t, db, "SELECT id, pid FROM t ORDER BY id"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatal("rows changed")
	}
	if fks := dump(t, db, "SELECT CONSTRAINT_NAME FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() AND TABLE_NAME = 't'"); len(fks) != 0 {
		t.Fatalf("the new table has foreign keys %v; --discard-foreign-keys drops them", fks)
	}
}

func TestNullableUniqueKey(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	for _, withNull := range []bool{false, true} {
		t.Run(map[bool]string{false: "no NULL migrates", true: "a NULL is refused"}[withNull], func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			mustExec(t, db, "CREATE TABLE t (u int NULL, v varchar(10), UNIQUE KEY u (u))")
			mustExec(t, db, "INSERT INTO t SELECT seq, 'x' FROM seq_1_to_300")
			if withNull {
				mustExec(t, db, "INSERT INTO t VALUES (NULL, 'null')")
			}
			before := snapshot(t, db, "t")
			cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int")
			cfg.AllowOnMaster, cfg.AllowNullableUniqueKey = true, true
			_, err := Run(context.Background(), cfg, testLogger(t))
			if withNull {
				expectRefusal(t, err, []string{"NULL values", "NOT NULL unique key"}, true)
				if after := snapshot(t, db, "t"); after != before {
					t.Fatal("the refused run changed the database")
				}
				return
			}
			if err != nil {
				t.Fatalf("migration failed: %v", err)
			}
			if got := dump(t, db, "SELECT COUNT(*), SUM(u) FROM t"); got[0] != `"300"|"45150"|` {
				t.Fatalf("rows after migration: %v", got)
			}
		})
	}
}

func TestZeroDatesInTheDefinition(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	for _, allow := range []bool{false, true} {
		t.Run(map[bool]string{false: "refused without the flag", true: "migrated with --allow-zero-in-date"}[allow], func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{"SET SESSION sql_mode = ''",
				"CREATE TABLE t (id int PRIMARY KEY, dt datetime NOT NULL DEFAULT '0000-00-00 00:00:00')",
				"INSERT INTO t (id) SELECT seq FROM seq_1_to_100"} {
				if _, err := conn.ExecContext(context.Background(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			conn.Close()
			var old string
			db.QueryRow("SELECT @@global.sql_mode").Scan(&old)
			mustExec(t, db, "SET GLOBAL sql_mode = 'STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE'")
			t.Cleanup(func() { db.Exec("SET GLOBAL sql_mode = '" + old + "'") })
			cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int")
			cfg.AllowOnMaster, cfg.AllowZeroInDate = true, allow
			_, err = Run(context.Background(), cfg, testLogger(t))
			if !allow {
				expectRefusal(t, err, []string{"Invalid default value for 'dt'"}, false)
				return
			}
			if err != nil {
				t.Fatalf("migration failed: %v", err)
			}
			if got := dump(t, db, "SELECT COUNT(*) FROM t WHERE dt = '0000-00-00 00:00:00'"); got[0] != `"100"|` {
				t.Fatalf("zero dates after migration: %v", got)
			}
		})
	}
}

func TestAutoIncrementCounterIsKept(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	mustExec(t, db, "CREATE TABLE t (id int AUTO_INCREMENT PRIMARY KEY, v int)")
	mustExec(t, db, "INSERT INTO t (v) SELECT seq FROM seq_1_to_10")
	mustExec(t, db, "DELETE FROM t WHERE id > 7")
	next := dump(t, db, "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't'")
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int")
	cfg.AllowOnMaster = true
	if _, err := Run(context.Background(), cfg, testLogger(t)); err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	mustExec(t, db, "INSERT INTO t (v) VALUES (99)")
	if got := dump(t, db, "SELECT id FROM t WHERE v = 99"); got[0] != next[0] || next[0] == `"8"|` {
		t.Fatalf("the next id after migration is %v, want the original's counter %v: deleted ids must not be handed out again", got, next)
	}
}
