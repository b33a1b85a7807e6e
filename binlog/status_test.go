package binlog

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

// scriptedServer answers SQL with canned results, to exercise the flavor
// branches of CurrentPosition that the MariaDB sandbox cannot reach.
type scriptedServer struct {
	mu      sync.Mutex
	queries []string
	answer  func(n int, query string, args []driver.NamedValue) (cols []string, row []driver.Value, err error)
}

func (s *scriptedServer) Open(string) (driver.Conn, error) { return &scriptedConn{s}, nil }

type scriptedConn struct{ s *scriptedServer }

func (c *scriptedConn) Prepare(string) (driver.Stmt, error) { return nil, errors.New("not supported") }
func (c *scriptedConn) Close() error                        { return nil }
func (c *scriptedConn) Begin() (driver.Tx, error)           { return nil, errors.New("not supported") }

func (c *scriptedConn) QueryContext(_ context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	c.s.mu.Lock()
	n := len(c.s.queries)
	c.s.queries = append(c.s.queries, q)
	c.s.mu.Unlock()
	cols, row, err := c.s.answer(n, q, args)
	if err != nil {
		return nil, err
	}
	r := &scriptedRows{cols: cols}
	if row != nil {
		r.rows = [][]driver.Value{row}
	}
	return r, nil
}

type scriptedRows struct {
	cols []string
	rows [][]driver.Value
}

func (r *scriptedRows) Columns() []string { return r.cols }
func (r *scriptedRows) Close() error      { return nil }
func (r *scriptedRows) Next(dest []driver.Value) error {
	if len(r.rows) == 0 {
		return io.EOF
	}
	copy(dest, r.rows[0])
	r.rows = r.rows[1:]
	return nil
}

var scriptedSeq int

func openScripted(t *testing.T, s *scriptedServer) *sql.DB {
	t.Helper()
	scriptedSeq++
	name := fmt.Sprintf("binlog-scripted-%d", scriptedSeq)
	sql.Register(name, s)
	db, err := sql.Open(name, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

var (
	mysqlStatusCols   = []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB", "Executed_Gtid_Set"}
	mariadbStatusCols = []string{"File", "Position", "Binlog_Do_DB", "Binlog_Ignore_DB"}
	errSyntax         = errors.New("Error 1064 (42000): You have an error in your SQL syntax")
)

func TestCurrentPositionOnMySQL(t *testing.T) {
	const gtid = "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"
	t.Run("8.4 answers SHOW BINARY LOG STATUS", func(t *testing.T) {
		s := &scriptedServer{answer: func(_ int, q string, _ []driver.NamedValue) ([]string, []driver.Value, error) {
			if q != "SHOW BINARY LOG STATUS" {
				return nil, nil, fmt.Errorf("unexpected %q", q)
			}
			return mysqlStatusCols, []driver.Value{"binlog.000007", "1234", "", "", gtid}, nil
		}}
		p, err := CurrentPosition(context.Background(), openScripted(t, s), FlavorMySQL)
		if err != nil {
			t.Fatal(err)
		}
		want := Position{File: "binlog.000007", Pos: 1234,
			GTID: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-9"}
		if p != want {
			t.Errorf("got %+v, want %+v", p, want)
		}
	})
	t.Run("8.0 falls back to SHOW MASTER STATUS", func(t *testing.T) {
		s := &scriptedServer{answer: func(_ int, q string, _ []driver.NamedValue) ([]string, []driver.Value, error) {
			if q == "SHOW BINARY LOG STATUS" {
				return nil, nil, errSyntax
			}
			return mysqlStatusCols, []driver.Value{"binlog.000002", "4", "", "", ""}, nil
		}}
		p, err := CurrentPosition(context.Background(), openScripted(t, s), FlavorMySQL)
		if err != nil || p != (Position{File: "binlog.000002", Pos: 4}) {
			t.Errorf("got %+v, %v", p, err)
		}
		if len(s.queries) != 2 || s.queries[1] != "SHOW MASTER STATUS" {
			t.Errorf("queries %q", s.queries)
		}
	})
	t.Run("a server without a binlog is an error", func(t *testing.T) {
		s := &scriptedServer{answer: func(int, string, []driver.NamedValue) ([]string, []driver.Value, error) {
			return mysqlStatusCols, nil, nil
		}}
		if _, err := CurrentPosition(context.Background(), openScripted(t, s), FlavorMySQL); err == nil {
			t.Error("no error")
		}
	})
}

func TestCurrentPositionOnBusyMariaDB(t *testing.T) {
	// Every status read sees a new offset, as under a steady write load: the
	// GTID must come from BINLOG_GTID_POS for the last offset read.
	var mapped []driver.NamedValue
	s := &scriptedServer{answer: func(n int, q string, args []driver.NamedValue) ([]string, []driver.Value, error) {
		switch q {
		case "SHOW MASTER STATUS":
			return mariadbStatusCols, []driver.Value{"mysql-bin.000003", fmt.Sprint(1000 + n), "", ""}, nil
		case "SELECT @@gtid_binlog_pos":
			return []string{"@@gtid_binlog_pos"}, []driver.Value{"0-1-" + fmt.Sprint(n)}, nil
		case "SELECT BINLOG_GTID_POS(?, ?)":
			mapped = args
			return []string{"pos"}, []driver.Value{"0-1-77"}, nil
		}
		return nil, nil, fmt.Errorf("unexpected %q", q)
	}}
	p, err := CurrentPosition(context.Background(), openScripted(t, s), FlavorMariaDB)
	if err != nil {
		t.Fatal(err)
	}
	last := 1000 + 3*stableStatusAttempts - 1
	if want := (Position{File: "mysql-bin.000003", Pos: uint32(last), GTID: "0-1-77"}); p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	if len(mapped) != 2 || mapped[0].Value != "mysql-bin.000003" || fmt.Sprint(mapped[1].Value) != fmt.Sprint(last) {
		t.Errorf("BINLOG_GTID_POS asked for %+v", mapped)
	}
}
