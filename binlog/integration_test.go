package binlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"
	"go.uber.org/goleak"

	"github.com/doppel-dev/doppel/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// streamServerIDs keeps every test stream's replica id apart from the
// sandbox servers' ids (which count up from 1) and from each other.
var streamServerIDs atomic.Uint32

func init() { streamServerIDs.Store(50000) }

// openUTC opens a pool on the sandbox database whose sessions run in UTC, so
// TIMESTAMP literals in the tests mean what the stream reports.
func openUTC(t *testing.T, srv *sandbox.Server, database string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", srv.DSN(database)+"&time_zone=%27%2B00%3A00%27")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newTestStreamer(t *testing.T, srv *sandbox.Server, database string, tables ...string) *Streamer {
	t.Helper()
	return New(Config{
		Host:     srv.Host,
		Port:     srv.Port,
		User:     srv.User,
		Password: srv.Password,
		ServerID: streamServerIDs.Add(1),
		Flavor:   FlavorMariaDB,
		Database: database,
		Tables:   tables,
		Logger:   zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.InfoLevel),
	})
}

// running is a stream started by a test.
type running struct {
	txns   chan Txn
	cancel context.CancelFunc
	done   chan error
}

func startStream(t *testing.T, s *Streamer, start Position) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{txns: make(chan Txn), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- s.Run(ctx, start, r.txns) }()
	// Run must be over before the test's logger goes away.
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop cancels the stream and returns Run's error, failing the test if Run
// does not return promptly.
func (r *running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err, ok := <-r.done:
		if !ok {
			return nil
		}
		close(r.done)
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancel")
		return nil
	}
}

func (r *running) next(t *testing.T) Txn {
	t.Helper()
	select {
	case txn := <-r.txns:
		return txn
	case err := <-r.done:
		close(r.done)
		t.Fatalf("stream ended: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no transaction within 20s")
	}
	return Txn{}
}

// expectQuiet asserts that no transaction arrives for a moment.
func (r *running) expectQuiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case txn := <-r.txns:
		t.Fatalf("unexpected transaction %+v", txn)
	case <-time.After(d):
	}
}

func exec(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.ExecContext(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// inTxn runs stmts in one transaction on one connection.
func inTxn(t *testing.T, db *sql.DB, stmts ...string) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s); err != nil {
			tx.Rollback()
			t.Fatalf("%s: %v", s, err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func currentPos(t *testing.T, db *sql.DB) Position {
	t.Helper()
	p, err := CurrentPosition(context.Background(), db, FlavorMariaDB)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func samePosition(t *testing.T, got, want Position) bool {
	t.Helper()
	if got.File != want.File || got.Pos != want.Pos {
		return false
	}
	eq, err := equalMariaGTIDPos(got.GTID, want.GTID)
	if err != nil {
		t.Fatal(err)
	}
	return eq
}

func TestCurrentPositionMatchesServerStatus(t *testing.T) {
	c := sandbox.Shared(t)
	_, db := c.Primary.NewDatabase(t)
	ctx := context.Background()

	flavor, err := DetectFlavor(ctx, db)
	if err != nil || flavor != FlavorMariaDB {
		t.Fatalf("DetectFlavor = %q, %v; want %q", flavor, err, FlavorMariaDB)
	}
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1)")
	got := currentPos(t, db)

	var file, doDB, ignoreDB, gtid string
	var pos uint32
	if err := db.QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&gtid); err != nil {
		t.Fatal(err)
	}
	if got != (Position{File: file, Pos: pos, GTID: gtid}) {
		t.Errorf("CurrentPosition = %v, server says %s:%d gtid %s", got, file, pos, gtid)
	}
	if _, err := CurrentPosition(ctx, db, "oracle"); err == nil {
		t.Error("an unknown flavor was accepted")
	}
}

// TestDecodedValueTypes proves the value table in doc.go: for every column
// type, the Go type and value go-mysql hands over with doppel's settings.
func TestDecodedValueTypes(t *testing.T) {
	c := sandbox.Shared(t)
	name, _ := c.Primary.NewDatabase(t)
	db := openUTC(t, c.Primary, name)

	type column struct {
		name, def string
		// Literals for rows 1 and 2 (row 3 is all NULL), and what arrives.
		lit1, lit2   string
		want1, want2 any
	}
	cols := []column{
		{"ti", "TINYINT", "-128", "127", int8(-128), int8(127)},
		{"tiu", "TINYINT UNSIGNED", "255", "1", int8(-1), int8(1)},
		{"si", "SMALLINT", "-32768", "32767", int16(-32768), int16(32767)},
		{"siu", "SMALLINT UNSIGNED", "65535", "1", int16(-1), int16(1)},
		{"mi", "MEDIUMINT", "-8388608", "8388607", int32(-8388608), int32(8388607)},
		{"miu", "MEDIUMINT UNSIGNED", "16777215", "1", int32(-1), int32(1)},
		{"i", "INT", "-2147483648", "2147483647", int32(-2147483648), int32(2147483647)},
		{"iu", "INT UNSIGNED", "4294967295", "1", int32(-1), int32(1)},
		{"bi", "BIGINT", "-9223372036854775808", "9223372036854775807", int64(-9223372036854775808), int64(9223372036854775807)},
		{"biu", "BIGINT UNSIGNED", "18446744073709551615", "1", int64(-1), int64(1)},
		{"de", "DECIMAL(10,3)", "-1234567.891", "0.5", "-1234567.891", "0.500"},
		{"de0", "DECIMAL(30,0)", "-123456789012345678901234567890", "0", "-123456789012345678901234567890", "0"},
		{"def", "DECIMAL(5,5)", "-0.00001", "0.99999", "-0.00001", "0.99999"},
		{"fl", "FLOAT", "1.5", "-3.25e10", float32(1.5), float32(-3.25e10)},
		{"db", "DOUBLE", "-2.5e-300", "0.1", float64(-2.5e-300), float64(0.1)},
		{"c4", "CHAR(4) CHARACTER SET utf8mb4", "'é😀 '", "''", "é😀", ""},
		{"vc4", "VARCHAR(300) CHARACTER SET utf8mb4", "'é😀 '", "REPEAT('x', 300)", "é😀 ", strings.Repeat("x", 300)},
		{"tx4", "TEXT CHARACTER SET utf8mb4", "'é😀'", "''", []byte("é😀"), []byte{}},
		{"c1", "CHAR(4) CHARACTER SET latin1", "'é'", "'ab  '", "\xe9", "ab"},
		{"vc1", "VARCHAR(10) CHARACTER SET latin1", "'é'", "'ab  '", "\xe9", "ab  "},
		{"tx1", "TEXT CHARACTER SET latin1", "'é'", "'ab'", []byte{0xe9}, []byte("ab")},
		{"bn", "BINARY(4)", "X'6100'", "X'00000000'", "a", ""},
		{"vb", "VARBINARY(10)", "X'610000'", "X''", "a\x00\x00", ""},
		{"bl", "BLOB", "X'00FF'", "X''", []byte{0x00, 0xff}, []byte{}},
		{"en", "ENUM('a','b','c')", "'b'", "'c'", int64(2), int64(3)},
		{"st", "SET('x','y','z')", "'x,z'", "''", int64(5), int64(0)},
		{"b1", "BIT(1)", "b'1'", "b'0'", int64(1), int64(0)},
		{"b12", "BIT(12)", "b'101010101010'", "b'1'", int64(0xaaa), int64(1)},
		{"b64", "BIT(64)", "0xFFFFFFFFFFFFFFFF", "0x8000000000000001", int64(-1), int64(-0x7fffffffffffffff)},
		{"da", "DATE", "'2024-02-29'", "'0000-00-00'", "2024-02-29", "0000-00-00"},
		{"tm", "TIME", "'-838:59:59'", "'00:00:00'", "-838:59:59", "00:00:00"},
		{"tm3", "TIME(3)", "'12:34:56.789'", "'12:00:00.000'", "12:34:56.789", "12:00:00"},
		{"tm6", "TIME(6)", "'-00:00:01.5'", "'838:59:59.000001'", "-00:00:01.500000", "838:59:59.000001"},
		{"dt0", "DATETIME", "'2024-01-02 03:04:05.4'", "'0000-00-00 00:00:00'", "2024-01-02 03:04:05", "0000-00-00 00:00:00"},
		{"dt1", "DATETIME(1)", "'2024-01-02 03:04:05.1'", "'9999-12-31 23:59:59.9'", "2024-01-02 03:04:05.1", "9999-12-31 23:59:59.9"},
		{"dt2", "DATETIME(2)", "'2024-01-02 03:04:05.12'", "'1000-01-01 00:00:00'", "2024-01-02 03:04:05.12", "1000-01-01 00:00:00.00"},
		{"dt3", "DATETIME(3)", "'2024-01-02 03:04:05.123'", "'2024-01-02 03:04:05'", "2024-01-02 03:04:05.123", "2024-01-02 03:04:05.000"},
		{"dt4", "DATETIME(4)", "'2024-01-02 03:04:05.1234'", "'0000-00-00 00:00:00'", "2024-01-02 03:04:05.1234", "0000-00-00 00:00:00.0000"},
		{"dt5", "DATETIME(5)", "'2024-01-02 03:04:05.12345'", "'2024-01-02 03:04:05.00001'", "2024-01-02 03:04:05.12345", "2024-01-02 03:04:05.00001"},
		{"dt6", "DATETIME(6)", "'2024-01-02 03:04:05.123456'", "'1969-12-31 23:59:59.999999'", "2024-01-02 03:04:05.123456", "1969-12-31 23:59:59.999999"},
		{"ts0", "TIMESTAMP NULL", "'2024-01-02 03:04:05'", "'1970-01-01 00:00:01'", "2024-01-02 03:04:05", "1970-01-01 00:00:01"},
		{"ts1", "TIMESTAMP(1) NULL", "'2024-01-02 03:04:05.1'", "'2038-01-19 03:14:07.9'", "2024-01-02 03:04:05.1", "2038-01-19 03:14:07.9"},
		{"ts2", "TIMESTAMP(2) NULL", "'2024-01-02 03:04:05.12'", "'2024-01-02 03:04:05'", "2024-01-02 03:04:05.12", "2024-01-02 03:04:05.00"},
		{"ts3", "TIMESTAMP(3) NULL", "'2024-01-02 03:04:05.123'", "'0000-00-00 00:00:00'", "2024-01-02 03:04:05.123", "0000-00-00 00:00:00.000"},
		{"ts4", "TIMESTAMP(4) NULL", "'2024-01-02 03:04:05.1234'", "'2024-07-01 12:00:00.0001'", "2024-01-02 03:04:05.1234", "2024-07-01 12:00:00.0001"},
		{"ts5", "TIMESTAMP(5) NULL", "'2024-01-02 03:04:05.12345'", "'2024-01-02 03:04:05'", "2024-01-02 03:04:05.12345", "2024-01-02 03:04:05.00000"},
		{"ts6", "TIMESTAMP(6) NULL", "'2024-01-02 03:04:05.123456'", "'2024-01-02 03:04:05.000001'", "2024-01-02 03:04:05.123456", "2024-01-02 03:04:05.000001"},
		{"yr", "YEAR", "2024", "0", int(2024), int(0)},
		{"js", "JSON", `'{"a": [1, "é"]}'`, `'null'`, []byte(`{"a": [1, "é"]}`), []byte("null")},
	}

	var defs, names, lits1, lits2 []string
	for _, col := range cols {
		defs = append(defs, col.name+" "+col.def)
		names = append(names, col.name)
		lits1 = append(lits1, col.lit1)
		lits2 = append(lits2, col.lit2)
	}
	exec(t, db,
		"CREATE TABLE types (id INT PRIMARY KEY, "+strings.Join(defs, ", ")+") DEFAULT CHARSET=utf8mb4")
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "types")
	r := startStream(t, s, start)

	// One connection, so the relaxed sql_mode (zero dates) applies.
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{
		"SET SESSION sql_mode = ''",
		fmt.Sprintf("INSERT INTO types (id, %s) VALUES (1, %s)", strings.Join(names, ", "), strings.Join(lits1, ", ")),
		fmt.Sprintf("INSERT INTO types (id, %s) VALUES (2, %s)", strings.Join(names, ", "), strings.Join(lits2, ", ")),
		"INSERT INTO types (id) VALUES (3)",
	} {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	var rows [][]any
	for len(rows) < 3 {
		txn := r.next(t)
		for _, ch := range txn.Changes {
			if ch.Kind != Insert || ch.Table != "types" {
				t.Fatalf("unexpected change %v on %s", ch.Kind, ch.Table)
			}
			rows = append(rows, ch.After)
		}
	}
	for ri, want := range []func(column) any{
		func(c column) any { return c.want1 },
		func(c column) any { return c.want2 },
		func(c column) any { return nil },
	} {
		row := rows[ri]
		if len(row) != len(cols)+1 {
			t.Fatalf("row %d has %d values, want %d", ri+1, len(row), len(cols)+1)
		}
		if row[0] != int32(ri+1) {
			t.Errorf("row %d: id = %#v", ri+1, row[0])
		}
		for ci, col := range cols {
			got, w := row[ci+1], want(col)
			if !reflect.DeepEqual(got, w) {
				t.Errorf("row %d %s %s: got %T %#v, want %T %#v", ri+1, col.name, col.def, got, got, w, w)
			}
		}
	}
}

func TestTransactionsArriveWholeInCommitOrder(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db,
		"CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB",
		"CREATE TABLE other (id INT PRIMARY KEY) ENGINE=InnoDB",
		"CREATE TABLE hb (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=MyISAM",
	)
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "t", "hb")
	r := startStream(t, s, start)

	row := func(id int32, v string) []any { return []any{id, v} }
	var wantTxns []Txn
	var ends []Position

	inTxn(t, db,
		"INSERT INTO t VALUES (1, 'a'), (2, 'b')",
		"INSERT INTO other VALUES (1)",
		"UPDATE t SET v = 'c' WHERE id = 1",
	)
	ends = append(ends, currentPos(t, db))
	wantTxns = append(wantTxns, Txn{Changes: []RowChange{
		{Table: "t", Kind: Insert, After: row(1, "a")},
		{Table: "t", Kind: Insert, After: row(2, "b")},
		{Table: "t", Kind: Update, Before: row(1, "a"), After: row(1, "c")},
	}})

	inTxn(t, db,
		"DELETE FROM t WHERE id = 2",
		"INSERT INTO other VALUES (2)",
		"INSERT INTO t VALUES (3, 'd')",
	)
	ends = append(ends, currentPos(t, db))
	wantTxns = append(wantTxns, Txn{Changes: []RowChange{
		{Table: "t", Kind: Delete, Before: row(2, "b")},
		{Table: "t", Kind: Insert, After: row(3, "d")},
	}})

	// Only an unwatched table: nothing to hand on.
	inTxn(t, db, "INSERT INTO other VALUES (3)", "DELETE FROM other WHERE id = 1")
	unwatchedEnd := currentPos(t, db)

	// A non-transactional table: closed by a COMMIT query, not an XID.
	exec(t, db, "INSERT INTO hb VALUES (1, 'x')")
	ends = append(ends, currentPos(t, db))
	wantTxns = append(wantTxns, Txn{Changes: []RowChange{{Table: "hb", Kind: Insert, After: row(1, "x")}}})

	// One statement changing several rows: every row, in the server's order.
	inTxn(t, db, "UPDATE t SET v = CONCAT(v, '!') ORDER BY id")
	ends = append(ends, currentPos(t, db))
	wantTxns = append(wantTxns, Txn{Changes: []RowChange{
		{Table: "t", Kind: Update, Before: row(1, "c"), After: row(1, "c!")},
		{Table: "t", Kind: Update, Before: row(3, "d"), After: row(3, "d!")},
	}})

	var prev Position = start
	for i, want := range wantTxns {
		got := r.next(t)
		if !reflect.DeepEqual(got.Changes, want.Changes) {
			t.Errorf("txn %d changes:\n got %+v\nwant %+v", i, got.Changes, want.Changes)
		}
		if !samePosition(t, got.End, ends[i]) {
			t.Errorf("txn %d ends at %v; SHOW MASTER STATUS after its commit said %v", i, got.End, ends[i])
		}
		if got.End.Compare(prev) <= 0 {
			t.Errorf("txn %d end %v is not after %v", i, got.End, prev)
		}
		if got.GTID == "" || !strings.Contains(got.End.GTID, got.GTID) {
			t.Errorf("txn %d gtid %q not in its end position %q", i, got.GTID, got.End.GTID)
		}
		if got.DDL != "" {
			t.Errorf("txn %d flagged as ddl: %q", i, got.DDL)
		}
		if i == 2 && got.End.Compare(unwatchedEnd) <= 0 {
			t.Errorf("txn %d end %v not after the unwatched transaction's %v", i, got.End, unwatchedEnd)
		}
		prev = got.End
	}
	r.expectQuiet(t, 300*time.Millisecond)
	if lr := s.LastRead(); !samePosition(t, lr, ends[len(ends)-1]) {
		t.Errorf("LastRead = %v, want %v", lr, ends[len(ends)-1])
	}
}

func TestStreamFromReplicaSeesPrimaryWrites(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))")
	ctx := context.Background()
	if err := c.WaitReplicaCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	rdb, err := sql.Open("mysql", c.Replica.DSN(name))
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	start := currentPos(t, rdb)
	r := startStream(t, newTestStreamer(t, c.Replica, name, "t"), start)

	// One connection, to read the transaction's GTID in its session.
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var gtids []string
	for i, stmt := range []string{"INSERT INTO t VALUES (1, 'a'), (2, 'b')", "UPDATE t SET v = 'z' WHERE id = 2", "DELETE FROM t WHERE id = 1"} {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		var g string
		if err := conn.QueryRowContext(ctx, "SELECT @@last_gtid").Scan(&g); err != nil {
			t.Fatal(err)
		}
		gtids = append(gtids, g)
	}
	if err := c.WaitReplicaCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}
	wantKinds := [][]Kind{{Insert, Insert}, {Update}, {Delete}}
	var last Txn
	for i := range wantKinds {
		txn := r.next(t)
		var kinds []Kind
		for _, ch := range txn.Changes {
			kinds = append(kinds, ch.Kind)
		}
		if !reflect.DeepEqual(kinds, wantKinds[i]) {
			t.Errorf("txn %d kinds %v, want %v", i, kinds, wantKinds[i])
		}
		if txn.GTID != gtids[i] {
			t.Errorf("txn %d gtid %q, primary logged %q", i, txn.GTID, gtids[i])
		}
		last = txn
	}
	if want := currentPos(t, rdb); !samePosition(t, last.End, want) {
		t.Errorf("last txn ends at %v; replica status says %v", last.End, want)
	}
	if got := last.Changes[0].Before; !reflect.DeepEqual(got, []any{int32(1), "a"}) {
		t.Errorf("deleted row %#v", got)
	}
}

func TestCancelStopsPromptlyWithoutLeaks(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))")
	start := currentPos(t, db)
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	// Connections the writer opens each hold a driver goroutine while idle.
	defer db.SetMaxIdleConns(0)

	t.Run("while waiting for events", func(t *testing.T) {
		r := startStream(t, newTestStreamer(t, c.Primary, name, "t"), start)
		time.Sleep(300 * time.Millisecond)
		began := time.Now()
		if err := r.stop(t); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
		if d := time.Since(began); d > time.Second {
			t.Errorf("Run took %v to return", d)
		}
	})

	t.Run("while blocked handing on a transaction", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _ = db.ExecContext(ctx, "INSERT INTO t (v) VALUES ('x')")
			}
		}()
		r := startStream(t, newTestStreamer(t, c.Primary, name, "t"), start)
		for range 5 {
			r.next(t)
		}
		// Nobody reads now: Run is blocked on out, with more events queued.
		time.Sleep(200 * time.Millisecond)
		began := time.Now()
		if err := r.stop(t); !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
		if d := time.Since(began); d > time.Second {
			t.Errorf("Run took %v to return", d)
		}
		cancel()
		wg.Wait()
	})

	t.Run("before the stream connects", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := newTestStreamer(t, c.Primary, name, "t").Run(ctx, start, make(chan Txn))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	})
}

func TestDDLOnWatchedTableIsFlagged(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)", "CREATE TABLE other (id INT PRIMARY KEY)")
	start := currentPos(t, db)
	r := startStream(t, newTestStreamer(t, c.Primary, name, "t"), start)

	exec(t, db, "ALTER TABLE other ADD COLUMN x INT") // not watched: no Txn
	exec(t, db, "ALTER TABLE t ADD COLUMN x INT")
	want := currentPos(t, db)
	txn := r.next(t)
	if txn.DDL != "ALTER TABLE t ADD COLUMN x INT" || !reflect.DeepEqual(txn.DDLTables, []string{"t"}) || len(txn.Changes) != 0 {
		t.Errorf("got %+v", txn)
	}
	if !samePosition(t, txn.End, want) {
		t.Errorf("ddl txn ends at %v, server says %v", txn.End, want)
	}

	exec(t, db, "INSERT INTO t VALUES (1, 2)")
	if txn := r.next(t); txn.DDL != "" || len(txn.Changes) != 1 || !reflect.DeepEqual(txn.Changes[0].After, []any{int32(1), int32(2)}) {
		t.Errorf("the row after the alter: %+v", txn)
	}

	exec(t, db, fmt.Sprintf("TRUNCATE TABLE `%s`.t", name))
	if txn := r.next(t); !strings.HasPrefix(txn.DDL, "TRUNCATE") {
		t.Errorf("truncate: %+v", txn)
	}
	exec(t, db, "RENAME TABLE t TO t_old")
	if txn := r.next(t); !strings.HasPrefix(txn.DDL, "RENAME") {
		t.Errorf("rename: %+v", txn)
	}
}

// cuttableDialer hands out connections that the test can break, like a
// network failure between doppel and the server.
type cuttableDialer struct {
	mu    sync.Mutex
	conns []net.Conn
	dials int
}

func (d *cuttableDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var nd net.Dialer
	conn, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conns = append(d.conns, conn)
	d.dials++
	return conn, nil
}

func (d *cuttableDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		c.Close()
	}
	d.conns = nil
}

func TestBrokenConnectionResumesWithoutLossOrDuplicates(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, pad VARCHAR(2000))")
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "t")
	d := &cuttableDialer{}
	s.dial = d.dial
	r := startStream(t, s, start)

	const txns, rowsPerTxn = 40, 50
	writeErr := make(chan error, 1)
	go func() {
		for i := range txns {
			var vals []string
			for j := range rowsPerTxn {
				vals = append(vals, fmt.Sprintf("(%d, REPEAT('p', 2000))", i*rowsPerTxn+j))
			}
			if _, err := db.Exec("INSERT INTO t VALUES " + strings.Join(vals, ",")); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	}()

	next := 0
	for got := 0; got < txns; got++ {
		txn := r.next(t)
		if len(txn.Changes) != rowsPerTxn {
			t.Fatalf("txn %d has %d rows, want %d", got, len(txn.Changes), rowsPerTxn)
		}
		for _, ch := range txn.Changes {
			if id := ch.After[0].(int32); id != int32(next) {
				t.Fatalf("row %d arrived where %d was due", id, next)
			}
			next++
		}
		if got%8 == 3 {
			d.cut()
		}
	}
	if err := <-writeErr; err != nil {
		t.Fatal(err)
	}
	r.expectQuiet(t, 300*time.Millisecond)
	d.mu.Lock()
	dials := d.dials
	d.mu.Unlock()
	if dials < 5 {
		t.Errorf("only %d dials: the connection was not re-established after each cut", dials)
	}
}

func TestFatalStreamErrorIsReturned(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	start := currentPos(t, db)
	start.File = "no-such-binlog.000001"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := newTestStreamer(t, c.Primary, name, "t").Run(ctx, start, make(chan Txn))
	if err == nil || ctx.Err() != nil {
		t.Fatalf("Run = %v (ctx %v), want a prompt stream error", err, ctx.Err())
	}
	if !strings.Contains(err.Error(), "no-such-binlog") && !strings.Contains(err.Error(), "1236") {
		t.Errorf("error does not say what failed: %v", err)
	}
}

func TestRunRejectsBadConfig(t *testing.T) {
	good := Config{Host: "127.0.0.1", Port: 3306, ServerID: 9, Flavor: FlavorMariaDB, Database: "d", Tables: []string{"t"}}
	for name, mutate := range map[string]func(*Config){
		"no host":        func(c *Config) { c.Host = "" },
		"server id zero": func(c *Config) { c.ServerID = 0 },
		"unknown flavor": func(c *Config) { c.Flavor = "postgres" },
		"no database":    func(c *Config) { c.Database = "" },
		"no tables":      func(c *Config) { c.Tables = nil },
		"bad port":       func(c *Config) { c.Port = 0 },
	} {
		t.Run("rejects "+name, func(t *testing.T) {
			cfg := good
			mutate(&cfg)
			if err := New(cfg).Run(context.Background(), Position{File: "x.000001", Pos: 4}, nil); err == nil {
				t.Error("accepted")
			}
		})
	}
	t.Run("rejects a start without a file", func(t *testing.T) {
		if err := New(good).Run(context.Background(), Position{GTID: "0-1-1"}, nil); err == nil {
			t.Error("accepted")
		}
	})
}

func TestIdleStreamLivesOnHeartbeatsAndResumesAfterACut(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "t")
	d := &cuttableDialer{}
	s.dial = d.dial
	s.heartbeat = 200 * time.Millisecond
	s.readTimeout = 800 * time.Millisecond
	r := startStream(t, s, start)

	dials := func() int {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.dials
	}
	// Idle for many read timeouts: only heartbeats keep the connection.
	r.expectQuiet(t, 2*time.Second)
	if n := dials(); n != 1 {
		t.Errorf("%d dials while idle; heartbeats did not keep the connection", n)
	}
	exec(t, db, "INSERT INTO t VALUES (1)")
	if txn := r.next(t); len(txn.Changes) != 1 {
		t.Fatalf("got %+v", txn)
	}
	// Idle again (the server's heartbeats move go-mysql's resume position),
	// then break the connection and write.
	r.expectQuiet(t, time.Second)
	d.cut()
	time.Sleep(100 * time.Millisecond)
	exec(t, db, "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)")
	want := currentPos(t, db)
	var last Txn
	for _, id := range []int32{2, 3} {
		last = r.next(t)
		if len(last.Changes) != 1 || last.Changes[0].After[0] != id {
			t.Fatalf("want row %d, got %+v", id, last)
		}
	}
	if !samePosition(t, last.End, want) {
		t.Errorf("last txn ends at %v, server says %v", last.End, want)
	}
	r.expectQuiet(t, 300*time.Millisecond)
	if n := dials(); n < 2 {
		t.Errorf("%d dials: no reconnect after the cut", n)
	}
}

func TestKilledDumpThreadIsReplacedWithoutLoss(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "t")
	r := startStream(t, s, start)
	exec(t, db, "INSERT INTO t VALUES (1)")
	r.next(t)

	// What a DBA would do: KILL the stream's connection on the server.
	var id int64
	err := db.QueryRowContext(context.Background(),
		"SELECT id FROM information_schema.processlist WHERE command LIKE 'Binlog Dump%' AND info IS NULL ORDER BY id DESC LIMIT 1").Scan(&id)
	if err != nil {
		t.Fatalf("find the dump thread: %v", err)
	}
	exec(t, db, fmt.Sprintf("KILL %d", id))
	exec(t, db, "INSERT INTO t VALUES (2)", "INSERT INTO t VALUES (3)")
	for _, want := range []int32{2, 3} {
		txn := r.next(t)
		if len(txn.Changes) != 1 || txn.Changes[0].After[0] != want {
			t.Fatalf("want row %d, got %+v", want, txn)
		}
	}
	r.expectQuiet(t, 300*time.Millisecond)
}

func TestStalledConsumerLosesNothing(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY)")
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "t")
	d := &cuttableDialer{}
	s.dial = d.dial
	s.heartbeat = 100 * time.Millisecond
	s.readTimeout = 500 * time.Millisecond
	r := startStream(t, s, start)

	// Far more events than go-mysql buffers, so its reader blocks on Run,
	// which blocks on a consumer that does not read for several read
	// timeouts: neither a reconnect nor a lost event may follow.
	const n = 1500
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range n {
		if _, err := conn.ExecContext(context.Background(), fmt.Sprintf("INSERT INTO t VALUES (%d)", i)); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)
	for i := range n {
		txn := r.next(t)
		if len(txn.Changes) != 1 || txn.Changes[0].After[0] != int32(i) {
			t.Fatalf("txn %d: %+v", i, txn)
		}
	}
	r.expectQuiet(t, 300*time.Millisecond)
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dials != 1 {
		t.Errorf("%d dials: a slow consumer tripped the read timeout", d.dials)
	}
}

// --gtid: the stream is requested by GTID set, and the same transactions
// arrive, whole and in order, with the same end positions.
func TestStreamByGTID(t *testing.T) {
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	exec(t, db, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))", "CREATE TABLE other (id INT PRIMARY KEY)")
	start := currentPos(t, db)
	s := newTestStreamer(t, c.Primary, name, "t")
	s.cfg.UseGTID = true
	r := startStream(t, s, start)
	exec(t, db, "INSERT INTO other VALUES (1)")
	inTxn(t, db, "INSERT INTO t VALUES (1, 'a'), (2, 'b')", "UPDATE t SET v = 'c' WHERE id = 1")
	exec(t, db, "DELETE FROM t WHERE id = 2")
	first, second := r.next(t), r.next(t)
	if len(first.Changes) != 3 || first.Changes[2].Kind != Update || len(second.Changes) != 1 || second.Changes[0].Kind != Delete {
		t.Fatalf("transactions %+v then %+v", first, second)
	}
	if want := currentPos(t, db); !samePosition(t, second.End, want) {
		t.Fatalf("last txn ends at %v; server status says %v", second.End, want)
	}
}
