package main

import (
	"bytes"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/migration"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// TestBadInputChangesNothing runs the real doppel, with --execute, against a
// real server for each kind of bad input an operator can give. Each must
// exit with the documented code and a message that names the problem and
// the fix, and leave the table exactly as it was.
func TestBadInputChangesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	p := cluster.Primary
	dir := t.TempDir()
	notADir := filepath.Join(dir, "hooks-file")
	if err := os.WriteFile(notADir, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	closed := closedPort(t)
	long := strings.Repeat("x", 65)

	const (
		usage  = exitUsage
		failed = exitFailed
	)
	cases := []struct {
		name string
		args []string
		code int
		want []string // what is wrong, then what to do
	}{
		{"unknown flag", []string{"--no-such-flag=1"}, usage,
			[]string{"unknown flag --no-such-flag", "doppel --help"}},
		{"misspelt flag", []string{"--chunksize=500"}, usage,
			[]string{"unknown flag --chunksize", "did you mean --chunk-size?"}},
		{"malformed flag value", []string{"--chunk-size=many"}, usage,
			[]string{`--chunk-size: "many" is not a number`, "doppel --help"}},
		{"test and migrate on replica", []string{"--test-on-replica", "--migrate-on-replica"}, usage,
			[]string{"--test-on-replica and --migrate-on-replica cannot be used together", "drop one"}},
		{"allow on master and migrate on replica", []string{"--migrate-on-replica"}, usage,
			[]string{"--allow-on-master and --migrate-on-replica cannot be used together", "drop one"}},
		{"skip and approve renamed columns", []string{"--skip-renamed-columns", "--approve-renamed-columns"}, usage,
			[]string{"--approve-renamed-columns and --skip-renamed-columns contradict each other", "choose one"}},
		{"force cut-over without the lock view", []string{"--force-cut-over-after=10s", "--skip-metadata-lock-check"}, usage,
			[]string{"--force-cut-over-after needs the metadata lock view that --skip-metadata-lock-check turns off", "drop one"}},
		{"quiet and debug", []string{"--quiet", "--debug"}, usage,
			[]string{"--quiet and --debug cannot be used together", "drop one"}},
		{"unparsable alter", []string{"--alter=ADD COLUMN"}, usage,
			[]string{"--alter does not parse", "unexpected end of text", `e.g. --alter="ADD COLUMN c INT"`}},
		{"alter of another table", []string{"--alter=ALTER TABLE other ADD COLUMN c2 INT"}, usage,
			[]string{"--table=t but --alter names table other", "one table per run"}},
		{"several statements", []string{"--alter=ADD COLUMN c2 INT; DROP TABLE other"}, usage,
			[]string{"--alter does not parse", "2 statements", "one ALTER per run"}},
		{"empty database", []string{"--database="}, usage,
			[]string{"--database is required"}},
		{"empty table", []string{"--table="}, usage,
			[]string{"--table is required"}},
		{"blank table", []string{"--table=  "}, usage,
			[]string{"--table is required"}},
		{"database name too long", []string{"--database=" + long}, usage,
			[]string{"--database is 65 characters long", "at most 64", "check the name"}},
		{"table name too long", []string{"--table=" + long}, usage,
			[]string{"--table is 65 characters long", "at most 64", "check the name"}},
		{"chunk size zero", []string{"--chunk-size=0"}, usage,
			[]string{"--chunk-size=0", "give a positive number of rows"}},
		{"chunk size negative", []string{"--chunk-size=-100"}, usage,
			[]string{"--chunk-size=-100", "give a positive number of rows"}},
		{"socket in a missing directory", []string{"--serve-socket-file=/nonexistent/dir/x.sock"}, usage,
			[]string{"--serve-socket-file=/nonexistent/dir/x.sock", "directory /nonexistent/dir does not exist", "create it or choose another path"}},
		{"hooks path is a file", []string{"--hooks-path=" + notADir}, usage,
			[]string{"--hooks-path=" + notADir, "is not a directory", "give the directory that holds the gh-ost-on-* hooks"}},
		{"hooks path is missing", []string{"--hooks-path=" + filepath.Join(dir, "missing")}, usage,
			[]string{"--hooks-path=" + filepath.Join(dir, "missing"), "does not exist", "give the directory that holds the gh-ost-on-* hooks"}},
		{"unreachable throttle-http", []string{fmt.Sprintf("--throttle-http=http://127.0.0.1:%d/", closed)}, failed,
			[]string{"migration refused", fmt.Sprintf("--throttle-http=http://127.0.0.1:%d/ cannot be reached", closed), "connection refused",
				"start the service or fix the URL, or pass --ignore-http-errors"}},
		// Found only against the server: exit 1, and still nothing changed.
		{"table that does not exist", []string{"--table=nope"}, failed,
			[]string{"migration refused", ".nope does not exist on", "check --database and --table"}},
		{"alter the server refuses", []string{"--alter=ADD COLUMN k int"}, failed,
			[]string{"migration refused", "the ALTER fails on the ghost table", "Duplicate column name 'k'", "fix --alter"}},
		{"socket file left by another run", nil, failed,
			[]string{"migration refused", "already exists", "remove it, or pass --initially-drop-socket-file"}},
	}
	// A file already where the control socket goes: found only once the
	// migration binds it, which must be before it creates any table.
	staleSocket := map[string]bool{"socket file left by another run": true}

	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, db := p.NewDatabase(t)
			seedBadInput(t, db)
			before := tableState(t, db)
			sock := filepath.Join(os.TempDir(), fmt.Sprintf("dpl-bad-%d-%d.sock", os.Getpid(), i))
			if staleSocket[c.name] {
				if err := os.WriteFile(sock, nil, 0o600); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Remove(sock) })
			}
			args := []string{
				"--host=" + p.Host, fmt.Sprintf("--port=%d", p.Port), "--user=" + p.User,
				"--database=" + name, "--table=t", "--alter=ADD COLUMN c2 INT", "--allow-on-master", "--execute",
				"--serve-socket-file=" + sock,
				"--default-retries=1", "--throttle-additional-flag-file=",
			}
			args = append(args, c.args...)
			code, stderr := runDoppel(t, p.Password, args...)
			if code != c.code {
				t.Errorf("exit code %d, want %d", code, c.code)
			}
			for _, w := range c.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("the output does not say %q", w)
				}
			}
			if strings.Contains(stderr, p.Password+"@") {
				t.Errorf("the password reached the output")
			}
			if t.Failed() || testing.Verbose() {
				t.Logf("output:\n%s", stderr)
			}
			before.compare(t, tableState(t, db))
		})
	}
}

// runDoppel runs the command as main does, with the real migration, and
// returns its exit code and everything it wrote. The password comes from
// the environment, as an operator's should.
func runDoppel(t *testing.T, password string, args ...string) (int, string) {
	t.Helper()
	var out bytes.Buffer
	a := app{
		stdin: strings.NewReader(""), stdout: &out, stderr: &out,
		migrate: migration.Run, compare: migration.Compare,
		getenv: func(k string) string {
			if k == "DOPPEL_PASSWORD" {
				return password
			}
			return ""
		},
		exit: func(code int) { t.Errorf("unexpected hard exit %d", code) },
	}
	code := a.run(args)
	return code, out.String()
}

func seedBadInput(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, q := range []string{
		"CREATE TABLE t (id int NOT NULL PRIMARY KEY, v varchar(20), k int NOT NULL, KEY k (k)) COMMENT='orders'",
		"INSERT INTO t VALUES (1,'a',10),(2,NULL,20),(3,'c',30),(4,'d',40)",
		"CREATE TABLE other (id int PRIMARY KEY)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// state is everything a refused run must leave as it was: the table's
// definition, every row, and the database's list of tables (so no ghost,
// changelog or old table is left behind).
type state struct {
	create string
	rows   []string
	tables []string
}

func tableState(t *testing.T, db *sql.DB) state {
	t.Helper()
	dump := func(q string) []string {
		rows, err := workload.Dump(db, q)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	return state{
		create: strings.Join(dump("SHOW CREATE TABLE t"), "\n"),
		rows:   dump("SELECT * FROM t ORDER BY id"),
		tables: dump("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME"),
	}
}

func (before state) compare(t *testing.T, after state) {
	t.Helper()
	for _, helper := range []string{"_t_gho", "_t_ghc", "_t_del"} {
		for _, name := range after.tables {
			if name == `"`+helper+`"|` {
				t.Errorf("%s was left behind", helper)
			}
		}
	}
	if after.create != before.create {
		t.Errorf("SHOW CREATE TABLE changed:\nbefore: %s\nafter:  %s", before.create, after.create)
	}
	if d := workload.Diff(after.rows, before.rows, 5); len(d) > 0 {
		t.Errorf("rows changed (%d now, %d before):\n%s", len(after.rows), len(before.rows), strings.Join(d, "\n"))
	}
	if a, b := strings.Join(after.tables, " "), strings.Join(before.tables, " "); a != b {
		t.Errorf("tables changed: before %s, after %s", b, a)
	}
}

// closedPort is a local TCP port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}
