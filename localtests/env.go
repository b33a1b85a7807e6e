package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/client"
	mysqlproto "github.com/go-mysql-org/go-mysql/mysql"
	_ "github.com/go-sql-driver/mysql"

	"github.com/doppel-dev/doppel/sandbox"
)

// runEnv is the sandbox the cases run against and what the runner needs to
// talk to it.
type runEnv struct {
	cluster *sandbox.Cluster
	primary *sql.DB
	replica *sql.DB

	user, password   string
	replicaHost      string
	replicaPort      int
	primaryAddr      string
	workDir          string // throttle flag file, socket
	throttleFlagFile string
	socketFile       string

	version, versionComment string
	sqlMode                 [2]string // the servers' global sql_mode at start (primary, replica)
	mariadbClient           string
}

func startEnv(ctx context.Context, verbose bool) (*runEnv, error) {
	client, err := exec.LookPath("mariadb")
	if err != nil {
		if client, err = exec.LookPath("mysql"); err != nil {
			return nil, errors.New("the mariadb command-line client is not installed (apt-get install mariadb-client)")
		}
	}
	var log *os.File
	if verbose {
		log = os.Stderr
	}
	opts := sandbox.Options{Replica: true}
	if log != nil {
		opts.Log = log
	}
	c, err := sandbox.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	e := &runEnv{
		cluster:       c,
		user:          c.Replica.User,
		password:      c.Replica.Password,
		replicaHost:   c.Replica.Host,
		replicaPort:   c.Replica.Port,
		primaryAddr:   c.Primary.Addr(),
		mariadbClient: client,
	}
	if err := e.setup(ctx); err != nil {
		e.close()
		return nil, err
	}
	return e, nil
}

func (e *runEnv) setup(ctx context.Context) error {
	var err error
	if e.workDir, err = os.MkdirTemp("", "doppel-localtests-"); err != nil {
		return err
	}
	e.throttleFlagFile = filepath.Join(e.workDir, "throttle.flag")
	e.socketFile = filepath.Join(e.workDir, "gh-ost.test.sock")
	if e.primary, err = sql.Open("mysql", e.cluster.Primary.DSN("")); err != nil {
		return err
	}
	if e.replica, err = sql.Open("mysql", e.cluster.Replica.DSN("")); err != nil {
		return err
	}
	if err := e.primary.QueryRowContext(ctx, "SELECT @@version, @@version_comment").Scan(&e.version, &e.versionComment); err != nil {
		return fmt.Errorf("read version: %w", err)
	}
	for i, db := range []*sql.DB{e.primary, e.replica} {
		if err := db.QueryRowContext(ctx, "SELECT @@GLOBAL.sql_mode").Scan(&e.sqlMode[i]); err != nil {
			return fmt.Errorf("read sql_mode: %w", err)
		}
	}
	if _, err := e.primary.ExecContext(ctx, "SET GLOBAL event_scheduler=ON"); err != nil {
		return fmt.Errorf("enable event_scheduler: %w", err)
	}
	return e.reset(ctx)
}

func (e *runEnv) close() error {
	for _, db := range []*sql.DB{e.primary, e.replica} {
		if db != nil {
			db.Close()
		}
	}
	if e.workDir != "" {
		os.RemoveAll(e.workDir)
	}
	return e.cluster.Close()
}

// gtidMode is what a gtid_mode file is compared with. MariaDB always records
// GTIDs (and the sandbox replicates by GTID), so it counts as ON there.
func (e *runEnv) gtidMode(ctx context.Context) string {
	if strings.Contains(strings.ToLower(e.version), "mariadb") {
		return "ON"
	}
	var mode string
	if err := e.primary.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_mode").Scan(&mode); err != nil {
		return "unsupported"
	}
	return mode
}

// reset brings the sandbox to the state every case starts from: no events
// issuing DML, replication running and caught up, and an empty utf8mb4
// database `test` on both servers. Dropping the database takes whatever a
// case or doppel left behind (gh_ost_test, _gh_ost_test_gho/_ghc/_del, child
// tables, triggers) with it.
func (e *runEnv) reset(ctx context.Context) error {
	if err := e.dropEvents(ctx); err != nil {
		return err
	}
	if err := e.restartReplication(ctx); err != nil {
		// A case can leave the replica unable to replay the primary (say,
		// a table doppel left renamed there). Nothing of `test` is worth
		// keeping: drop it on the replica alone and skip what is pending.
		if rerr := e.repairReplica(ctx); rerr != nil {
			return fmt.Errorf("%w; repair failed: %v", err, rerr)
		}
		fmt.Printf("      (replication was broken, replica reset: %v)\n", err)
	}
	for _, q := range []string{
		"DROP DATABASE IF EXISTS test",
		"CREATE DATABASE test CHARACTER SET utf8mb4",
	} {
		if _, err := e.primary.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("primary: %s: %w", q, err)
		}
	}
	return e.waitReplica(ctx)
}

func (e *runEnv) dropEvents(ctx context.Context) error {
	rows, err := e.primary.QueryContext(ctx, "SELECT EVENT_SCHEMA, EVENT_NAME FROM information_schema.EVENTS")
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	var names []string
	for rows.Next() {
		var schema, name string
		if err := rows.Scan(&schema, &name); err != nil {
			rows.Close()
			return err
		}
		names = append(names, quoteIdent(schema)+"."+quoteIdent(name))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, n := range names {
		if _, err := e.primary.ExecContext(ctx, "DROP EVENT IF EXISTS "+n); err != nil {
			return fmt.Errorf("drop event %s: %w", n, err)
		}
	}
	return nil
}

// restartReplication does what gh-ost's harness does before each case (stop
// and start the replica threads; --test-on-replica leaves them stopped) and
// waits until both threads run and the replica has caught up.
func (e *runEnv) restartReplication(ctx context.Context) error {
	for _, q := range []string{"STOP SLAVE", "START SLAVE"} {
		if _, err := e.replica.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("replica: %s: %w", q, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		io, sqlRunning, lastErr, err := e.replicaThreads(ctx)
		if err != nil {
			return err
		}
		if io == "Yes" && sqlRunning == "Yes" {
			break
		}
		if lastErr != "" && sqlRunning != "Yes" {
			return fmt.Errorf("replication stopped: %s", lastErr)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("replication did not start within 30s (io %s, sql %s, %s)", io, sqlRunning, lastErr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return e.waitReplica(ctx)
}

func (e *runEnv) waitReplica(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return e.cluster.WaitReplicaCaughtUp(ctx)
}

func (e *runEnv) replicaThreads(ctx context.Context) (io, sqlRunning, lastErr string, err error) {
	rows, err := e.replica.QueryContext(ctx, "SHOW SLAVE STATUS")
	if err != nil {
		return "", "", "", fmt.Errorf("show slave status: %w", err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return "", "", "", err
	}
	if !rows.Next() {
		return "", "", "", errors.New("the replica has no replication configured")
	}
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", "", "", err
	}
	for i, c := range cols {
		switch c {
		case "Slave_IO_Running":
			io = vals[i].String
		case "Slave_SQL_Running":
			sqlRunning = vals[i].String
		case "Last_SQL_Error":
			if vals[i].String != "" {
				lastErr = vals[i].String
			}
		case "Last_IO_Error":
			if vals[i].String != "" && lastErr == "" {
				lastErr = vals[i].String
			}
		}
	}
	return io, sqlRunning, lastErr, rows.Err()
}

// repairReplica drops `test` on the replica alone and moves its position to
// the primary's current one, skipping whatever it could not apply.
func (e *runEnv) repairReplica(ctx context.Context) error {
	var pos string
	if err := e.primary.QueryRowContext(ctx, "SELECT @@GLOBAL.gtid_binlog_pos").Scan(&pos); err != nil {
		return err
	}
	conn, err := e.replica.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{
		"STOP SLAVE",
		"SET SESSION sql_log_bin=0",
		"DROP DATABASE IF EXISTS test",
		"SET GLOBAL gtid_slave_pos='" + pos + "'",
		"START SLAVE",
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("replica: %s: %w", q, err)
		}
	}
	return nil
}

// setSQLMode sets the global sql_mode on both servers; new sessions (the
// client running create.sql, doppel's connections) take it.
func (e *runEnv) setSQLMode(ctx context.Context, primary, replica string) error {
	if _, err := e.primary.ExecContext(ctx, "SET GLOBAL sql_mode=?", primary); err != nil {
		return fmt.Errorf("primary: set sql_mode: %w", err)
	}
	if _, err := e.replica.ExecContext(ctx, "SET GLOBAL sql_mode=?", replica); err != nil {
		return fmt.Errorf("replica: set sql_mode: %w", err)
	}
	return nil
}

// runSQLFile feeds a file to the mariadb command-line client, as gh-ost's
// harness does: the cases use `delimiter ;;`, which only the client knows.
func (e *runEnv) runSQLFile(ctx context.Context, onReplica bool, path string) error {
	s := e.cluster.Primary
	if onReplica {
		s = e.cluster.Replica
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.mariadbClient,
		"--no-defaults", "--default-character-set=utf8mb4", "--protocol=tcp",
		"-h"+s.Host, "-P"+strconv.Itoa(s.Port), "-u"+s.User, "-p"+s.Password, "test")
	cmd.Stdin = f
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		where := "primary"
		if onReplica {
			where = "replica"
		}
		return &sqlFileError{file: filepath.Base(path), where: where, err: err, output: strings.TrimSpace(out.String())}
	}
	return nil
}

// sqlFileError is a failed run of the mariadb client: Error is one line (the
// client's ERROR line), Output all it printed.
type sqlFileError struct {
	file, where string
	err         error
	output      string
}

func (e *sqlFileError) Error() string {
	msg := e.err.Error()
	for _, l := range strings.Split(e.output, "\n") {
		if strings.HasPrefix(l, "ERROR") {
			msg = l
			break
		}
	}
	return fmt.Sprintf("%s failed on the %s: %s", e.file, e.where, msg)
}

// query reads a result from the replica byte for byte. It uses go-mysql's
// client and decodes the row packets itself because database/sql drivers
// parse numbers (go-sql-driver turns FLOAT/DOUBLE text into float64), which
// would compare values, not bytes.
func (e *runEnv) query(ctx context.Context, q string) (table, error) {
	s := e.cluster.Replica
	dl, _ := ctx.Deadline()
	if dl.IsZero() {
		dl = time.Now().Add(60 * time.Second)
	}
	conn, err := gomysql.ConnectWithContext(ctx, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), s.User, s.Password, "test", 10*time.Second)
	if err != nil {
		return table{}, err
	}
	defer conn.Close()
	if err := conn.SetDeadline(dl); err != nil {
		return table{}, err
	}
	// What gh-ost's harness gets from --default-character-set=utf8mb4.
	if _, err := conn.Execute("SET NAMES utf8mb4"); err != nil {
		return table{}, err
	}
	res, err := conn.Execute(q)
	if err != nil {
		return table{}, err
	}
	defer res.Close()
	if res.Resultset == nil {
		return table{}, fmt.Errorf("%s returned no result set", q)
	}
	var t table
	for _, f := range res.Fields {
		t.Columns = append(t.Columns, string(f.Name))
	}
	for _, raw := range res.RowDatas {
		row, err := decodeTextRow(raw, len(res.Fields))
		if err != nil {
			return table{}, fmt.Errorf("%s: %w", q, err)
		}
		t.Rows = append(t.Rows, row)
	}
	return t, nil
}

// decodeTextRow splits a text-protocol row packet into its values.
func decodeTextRow(raw []byte, n int) ([]value, error) {
	row := make([]value, 0, n)
	pos := 0
	for range n {
		if pos >= len(raw) {
			return nil, errors.New("row packet too short")
		}
		b, isNull, size, err := mysqlproto.LengthEncodedString(raw[pos:])
		if err != nil {
			return nil, err
		}
		pos += size
		if isNull {
			row = append(row, nil)
		} else {
			row = append(row, append(value{}, b...))
		}
	}
	if pos != len(raw) {
		return nil, fmt.Errorf("row packet has %d trailing bytes", len(raw)-pos)
	}
	return row, nil
}

func (e *runEnv) showCreateGhost(ctx context.Context) (string, error) {
	var name, ddl string
	err := e.replica.QueryRowContext(ctx, "SHOW CREATE TABLE test._gh_ost_test_gho").Scan(&name, &ddl)
	return ddl, err
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}
