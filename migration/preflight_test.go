package migration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/sandbox"
)

// snapshot is everything that must not change when a run is refused.
func snapshot(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	create := strings.Join(dump(t, db, "SHOW CREATE TABLE "+table), "\n")
	tables := dump(t, db, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME")
	rows := dump(t, db, "SELECT * FROM "+table+" ORDER BY 1")
	return create + "\n" + strings.Join(tables, "\n") + "\n" + strings.Join(rows, "\n")
}

type refusal struct {
	name    string
	setup   []string // run in a fresh database on the primary
	table   string
	alter   string
	tweak   func(*Config)
	global  [2]string // a global variable set for the test and restored after: {name, value}
	want    []string  // substrings of the error
	isUsage bool
}

func TestPreflightRefusals(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	base := []string{"CREATE TABLE t (id int NOT NULL PRIMARY KEY, v varchar(20), k int NOT NULL)", "INSERT INTO t VALUES (1,'a',10),(2,'b',20)"}
	cases := []refusal{
		{name: "wrong password", setup: base, table: "t", alter: "ADD COLUMN x int",
			tweak: func(c *Config) { c.Password = "wrong" }, want: []string{"access denied", "--password"}, isUsage: true},
		{name: "unreachable server", setup: base, table: "t", alter: "ADD COLUMN x int",
			tweak: func(c *Config) { c.Port = 1 }, want: []string{"cannot connect", "--port"}, isUsage: true},
		{name: "missing table", setup: base, table: "nope", alter: "ADD COLUMN x int", want: []string{"does not exist", "--table"}, isUsage: true},
		{name: "missing database", setup: base, table: "t", alter: "ADD COLUMN x int",
			tweak: func(c *Config) { c.Database = "no_such_db" }, want: []string{"does not exist", "--database"}, isUsage: true},
		{name: "a view", setup: append(base, "CREATE VIEW vw AS SELECT * FROM t"), table: "vw", alter: "ADD COLUMN x int", want: []string{"is a view"}, isUsage: true},
		{name: "primary without --allow-on-master", setup: base, table: "t", alter: "ADD COLUMN x int",
			tweak: func(c *Config) { c.AllowOnMaster = false }, want: []string{"is a primary", "--allow-on-master"}, isUsage: true},
		{name: "statement binlog", setup: base, table: "t", alter: "ADD COLUMN x int", global: [2]string{"binlog_format", "STATEMENT"},
			want: []string{"binlog_format=STATEMENT", "ROW", "--assume-rbr"}, isUsage: true},
		{name: "minimal row image", setup: base, table: "t", alter: "ADD COLUMN x int", global: [2]string{"binlog_row_image", "MINIMAL"},
			want: []string{"binlog_row_image=MINIMAL", "FULL"}, isUsage: true},
		{name: "no unique key", setup: []string{"CREATE TABLE t (id int, v int)", "INSERT INTO t VALUES (1,1)"}, table: "t", alter: "ADD COLUMN x int",
			want: []string{"PRIMARY KEY"}, isUsage: true},
		{name: "nullable unique key only", setup: []string{"CREATE TABLE t (id int NULL, UNIQUE KEY u (id))", "INSERT INTO t VALUES (1),(NULL)"}, table: "t", alter: "ADD COLUMN x int",
			want: []string{"u"}, isUsage: true},
		{name: "no shared unique key", setup: base, table: "t", alter: "DROP PRIMARY KEY, ADD PRIMARY KEY (k)",
			want: []string{"PRIMARY"}, isUsage: true},
		{name: "float unique key", setup: []string{"CREATE TABLE t (f float NOT NULL PRIMARY KEY, v int)", "INSERT INTO t VALUES (1.5, 1)"}, table: "t", alter: "ADD COLUMN x int",
			want: []string{"float"}, isUsage: true},
		{name: "foreign key child", setup: append(base, "CREATE TABLE child (id int PRIMARY KEY, tid int, CONSTRAINT fk_child FOREIGN KEY (tid) REFERENCES t (id))"),
			table: "child", alter: "ADD COLUMN x int", want: []string{"foreign keys", "fk_child"}, isUsage: true},
		{name: "foreign key parent", setup: append(base, "CREATE TABLE child (id int PRIMARY KEY, tid int, CONSTRAINT fk_parent FOREIGN KEY (tid) REFERENCES t (id))"),
			table: "t", alter: "ADD COLUMN x int", want: []string{"foreign keys", "fk_parent"}, isUsage: true},
		{name: "trigger", setup: append(base, "CREATE TRIGGER trg_t BEFORE INSERT ON t FOR EACH ROW SET NEW.k = NEW.k"),
			table: "t", alter: "ADD COLUMN x int", want: []string{"triggers", "trg_t"}, isUsage: true},
		{name: "alter renames the table", setup: base, table: "t", alter: "RENAME TO t2", want: []string{"seems to RENAME the table"}, isUsage: true},
		{name: "alter does not parse", setup: base, table: "t", alter: "ADD COLUMN COLUMN", want: []string{"--alter"}, isUsage: true},
		{name: "alter fails on the ghost", setup: base, table: "t", alter: "DROP COLUMN nope", want: []string{"ALTER fails on the ghost", "nope"}, isUsage: true},
		{name: "rename without approval", setup: base, table: "t", alter: "CHANGE COLUMN v w varchar(20)", want: []string{"--approve-renamed-columns"}, isUsage: true},
		{name: "leftover ghost", setup: append(base, "CREATE TABLE _t_gho (id int)"), table: "t", alter: "ADD COLUMN x int",
			want: []string{"_t_gho", "--initially-drop-ghost-table"}, isUsage: true},
		{name: "leftover old table", setup: append(base, "CREATE TABLE _t_del (id int)"), table: "t", alter: "ADD COLUMN x int",
			want: []string{"_t_del", "--initially-drop-old-table"}, isUsage: true},
	}
	cluster := sandbox.Shared(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			for _, q := range c.setup {
				if _, err := db.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			table := c.table
			if table == "nope" {
				table = "t"
			}
			before := snapshot(t, db, table)
			if c.global[0] != "" {
				var old string
				db.QueryRow("SELECT @@global." + c.global[0]).Scan(&old)
				mustExec(t, db, fmt.Sprintf("SET GLOBAL %s = '%s'", c.global[0], c.global[1]))
				t.Cleanup(func() { mustExec(t, db, fmt.Sprintf("SET GLOBAL %s = '%s'", c.global[0], old)) })
			}
			cfg := testConfig(cluster.Primary, name, c.table, c.alter)
			cfg.AllowOnMaster = true
			if c.tweak != nil {
				c.tweak(&cfg)
			}
			_, err := Run(context.Background(), cfg, testLogger(t))
			expectRefusal(t, err, c.want, c.isUsage)
			if c.global[0] != "" {
				mustExec(t, db, fmt.Sprintf("SET GLOBAL %s = DEFAULT", c.global[0]))
			}
			if after := snapshot(t, db, table); after != before {
				t.Fatalf("the refused run changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func expectRefusal(t *testing.T, err error, want []string, usage bool) {
	t.Helper()
	if err == nil {
		t.Fatal("the run was not refused")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	var ue *UsageError
	if usage && !errors.As(err, &ue) {
		t.Errorf("error %v is not a usage error", err)
	}
	t.Logf("refused: %v", err)
}

func mustExec(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func TestPreflightRefusesMissingPrivileges(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	mustExec(t, db, "CREATE TABLE t (id int PRIMARY KEY, v int)")
	user := "weak_" + name
	mustExec(t, db, fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY 'weakpw'", user))
	t.Cleanup(func() { db.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", user)) })
	mustExec(t, db, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE, CREATE ON `%s`.* TO '%s'@'%%'", name, user))
	mustExec(t, db, fmt.Sprintf("GRANT BINLOG MONITOR, SLAVE MONITOR ON *.* TO '%s'@'%%'", user))
	before := snapshot(t, db, "t")
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN x int")
	cfg.AllowOnMaster, cfg.User, cfg.Password = true, user, "weakpw"
	_, err := Run(context.Background(), cfg, testLogger(t))
	expectRefusal(t, err, []string{"lacks privileges", "REPLICATION SLAVE", "DROP", "ALTER", "LOCK TABLES"}, true)
	if after := snapshot(t, db, "t"); after != before {
		t.Fatalf("the refused run changed the database")
	}
}

// Servers whose binlog settings cannot be changed at run time get a
// cluster of their own.
func TestPreflightRefusesServerSettings(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	sandbox.Shared(t) // skips when MariaDB is missing
	cases := []struct {
		name    string
		opts    sandbox.Options
		replica bool
		want    []string
	}{
		{name: "binary log off", opts: sandbox.Options{ServerArgs: []string{"--skip-log-bin"}}, want: []string{"log_bin=OFF", "--log-bin"}},
		{name: "replica without log_slave_updates", opts: sandbox.Options{Replica: true, ServerArgs: []string{"--log-slave-updates=0"}}, replica: true,
			want: []string{"log_slave_updates=OFF"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := sandbox.Start(context.Background(), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { cl.Close() })
			name, db := cl.Primary.NewDatabase(t)
			mustExec(t, db, "CREATE TABLE t (id int PRIMARY KEY, v int)")
			mustExec(t, db, "INSERT INTO t VALUES (1, 1)")
			target := cl.Primary
			if c.replica {
				if err := cl.WaitReplicaCaughtUp(context.Background()); err != nil {
					t.Fatal(err)
				}
				target = cl.Replica
			}
			before := snapshot(t, db, "t")
			cfg := testConfig(target, name, "t", "ADD COLUMN x int")
			cfg.AllowOnMaster = true
			_, err = Run(context.Background(), cfg, testLogger(t))
			expectRefusal(t, err, c.want, true)
			if after := snapshot(t, db, "t"); after != before {
				t.Fatalf("the refused run changed the database")
			}
		})
	}
}
