package binlog

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// Builders for synthetic events, in the shape go-mysql's parser produces.

func ev(typ replication.EventType, logPos uint32, e replication.Event) *replication.BinlogEvent {
	return &replication.BinlogEvent{Header: &replication.EventHeader{EventType: typ, LogPos: logPos}, Event: e}
}

func rotate(file string, pos uint64) *replication.BinlogEvent {
	return ev(replication.ROTATE_EVENT, 0, &replication.RotateEvent{NextLogName: []byte(file), Position: pos})
}

func mariaGTIDEv(domain, server uint32, seq uint64, standalone bool, logPos uint32) *replication.BinlogEvent {
	var flags byte
	if standalone {
		flags = replication.BINLOG_MARIADB_FL_STANDALONE
	}
	return ev(replication.MARIADB_GTID_EVENT, logPos, &replication.MariadbGTIDEvent{
		GTID:  mysql.MariadbGTID{DomainID: domain, ServerID: server, SequenceNumber: seq},
		Flags: flags,
	})
}

func mysqlGTIDEv(sid byte, gno int64, logPos uint32) *replication.BinlogEvent {
	u := make([]byte, 16)
	for i := range u {
		u[i] = sid
	}
	return ev(replication.GTID_EVENT, logPos, &replication.GTIDEvent{SID: u, GNO: gno})
}

func queryEv(schema, q string, logPos uint32) *replication.BinlogEvent {
	return ev(replication.QUERY_EVENT, logPos, &replication.QueryEvent{Schema: []byte(schema), Query: []byte(q)})
}

func xidEv(logPos uint32) *replication.BinlogEvent {
	return ev(replication.XID_EVENT, logPos, &replication.XIDEvent{})
}

func rowsEv(typ replication.EventType, schema, table string, logPos uint32, rows ...[]any) *replication.BinlogEvent {
	skipped := make([][]int, len(rows))
	for i := range skipped {
		skipped[i] = []int{}
	}
	return ev(typ, logPos, &replication.RowsEvent{
		Table:          &replication.TableMapEvent{Schema: []byte(schema), Table: []byte(table)},
		Rows:           rows,
		SkippedColumns: skipped,
	})
}

func row(v ...any) []any { return v }

// feed runs events through an assembler and collects what it emits.
func feed(t *testing.T, a *assembler, events ...*replication.BinlogEvent) (txns []Txn, boundaries []Position) {
	t.Helper()
	for _, e := range events {
		st, err := a.handle(e)
		if err != nil {
			t.Fatalf("handle %s: %v", e.Header.EventType, err)
		}
		if st.boundary != nil {
			boundaries = append(boundaries, *st.boundary)
		}
		if st.txn != nil {
			txns = append(txns, *st.txn)
		}
	}
	return txns, boundaries
}

var shopWatch = map[string]bool{"orders": true, "_orders_ghc": true}

func newTestAssembler(t *testing.T, flavor string, start Position) *assembler {
	t.Helper()
	a, err := newAssembler(flavor, "shop", shopWatch, start)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAssemblerMariaDBTransactions(t *testing.T) {
	a := newTestAssembler(t, FlavorMariaDB, Position{File: "bin.000001", Pos: 100, GTID: "0-1-10,1-1-3"})
	txns, bounds := feed(t, a,
		rotate("bin.000001", 100),
		// An InnoDB transaction over a watched and an unwatched table.
		mariaGTIDEv(0, 1, 11, false, 150),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "orders", 200, row(int32(1), "a"), row(int32(2), "b")),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "customers", 250, row(int32(9))),
		rowsEv(replication.UPDATE_ROWS_EVENTv1, "shop", "orders", 300, row(int32(1), "a"), row(int32(1), "c")),
		rowsEv(replication.DELETE_ROWS_EVENTv1, "shop", "orders", 350, row(int32(2), "b")),
		xidEv(400),
		// A transaction touching only other tables: no Txn, but a boundary.
		mariaGTIDEv(0, 1, 12, false, 450),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "customers", 500, row(int32(10))),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "other", "orders", 520, row(int32(10))),
		xidEv(550),
		// A non-transactional table, closed by a COMMIT query, in domain 1.
		mariaGTIDEv(1, 2, 4, false, 600),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "_orders_ghc", 650, row(int64(1), "hb")),
		queryEv("shop", "COMMIT", 700),
	)
	want := []Txn{
		{
			Changes: []RowChange{
				{Table: "orders", Kind: Insert, After: row(int32(1), "a")},
				{Table: "orders", Kind: Insert, After: row(int32(2), "b")},
				{Table: "orders", Kind: Update, Before: row(int32(1), "a"), After: row(int32(1), "c")},
				{Table: "orders", Kind: Delete, Before: row(int32(2), "b")},
			},
			End:  Position{File: "bin.000001", Pos: 400, GTID: "0-1-11,1-1-3"},
			GTID: "0-1-11",
		},
		{
			Changes: []RowChange{{Table: "_orders_ghc", Kind: Insert, After: row(int64(1), "hb")}},
			End:     Position{File: "bin.000001", Pos: 700, GTID: "0-1-12,1-2-4"},
			GTID:    "1-2-4",
		},
	}
	if !reflect.DeepEqual(txns, want) {
		t.Errorf("txns:\n got %+v\nwant %+v", txns, want)
	}
	wantBounds := []Position{
		{File: "bin.000001", Pos: 100, GTID: "0-1-10,1-1-3"},
		{File: "bin.000001", Pos: 400, GTID: "0-1-11,1-1-3"},
		{File: "bin.000001", Pos: 550, GTID: "0-1-12,1-1-3"},
		{File: "bin.000001", Pos: 700, GTID: "0-1-12,1-2-4"},
	}
	if !reflect.DeepEqual(bounds, wantBounds) {
		t.Errorf("boundaries:\n got %+v\nwant %+v", bounds, wantBounds)
	}
}

func TestAssemblerDDL(t *testing.T) {
	t.Run("a standalone alter of a watched table is a ddl txn", func(t *testing.T) {
		a := newTestAssembler(t, FlavorMariaDB, Position{File: "bin.000003", Pos: 4})
		txns, _ := feed(t, a,
			mariaGTIDEv(0, 1, 1, true, 50),
			queryEv("shop", "ALTER TABLE orders ADD COLUMN z int", 120),
		)
		want := []Txn{{End: Position{File: "bin.000003", Pos: 120, GTID: "0-1-1"}, GTID: "0-1-1",
			DDL: "ALTER TABLE orders ADD COLUMN z int", DDLTables: []string{"orders"}}}
		if !reflect.DeepEqual(txns, want) {
			t.Errorf("got %+v, want %+v", txns, want)
		}
	})
	t.Run("ddl on another table is only a boundary", func(t *testing.T) {
		a := newTestAssembler(t, FlavorMariaDB, Position{File: "bin.000003", Pos: 4})
		txns, bounds := feed(t, a,
			mariaGTIDEv(0, 1, 1, true, 50),
			queryEv("shop", "ALTER TABLE customers ADD COLUMN z int", 120),
		)
		if len(txns) != 0 || len(bounds) != 1 || bounds[0].Pos != 120 {
			t.Errorf("txns %+v bounds %+v", txns, bounds)
		}
	})
	t.Run("a statement inside a transaction waits for its commit", func(t *testing.T) {
		a := newTestAssembler(t, FlavorMySQL, Position{File: "bin.000003", Pos: 4})
		txns, _ := feed(t, a,
			mysqlGTIDEv(0xab, 7, 50),
			queryEv("shop", "BEGIN", 80),
			queryEv("shop", "CREATE TABLE copy SELECT * FROM orders", 120),
			xidEv(200),
		)
		if len(txns) != 1 || txns[0].End.Pos != 200 || txns[0].DDL == "" {
			t.Errorf("got %+v", txns)
		}
	})
}

func TestAssemblerMySQLGTIDSet(t *testing.T) {
	const u1 = "abababab-abab-abab-abab-abababababab"
	a := newTestAssembler(t, FlavorMySQL, Position{File: "bin.000001", Pos: 4, GTID: u1 + ":1-5"})
	txns, _ := feed(t, a,
		mysqlGTIDEv(0xab, 6, 50),
		queryEv("shop", "BEGIN", 80),
		rowsEv(replication.WRITE_ROWS_EVENTv2, "shop", "orders", 150, row(int32(1))),
		xidEv(180),
		mysqlGTIDEv(0xcd, 1, 230),
		queryEv("shop", "BEGIN", 260),
		rowsEv(replication.DELETE_ROWS_EVENTv2, "shop", "orders", 300, row(int32(1))),
		xidEv(330),
	)
	if len(txns) != 2 {
		t.Fatalf("got %d txns", len(txns))
	}
	if txns[0].GTID != u1+":6" || txns[0].End.GTID != u1+":1-6" {
		t.Errorf("first txn gtid %q end %q", txns[0].GTID, txns[0].End.GTID)
	}
	const u2 = "cdcdcdcd-cdcd-cdcd-cdcd-cdcdcdcdcdcd"
	if txns[1].GTID != u2+":1" || txns[1].End.GTID != u1+":1-6,"+u2+":1" {
		t.Errorf("second txn gtid %q end %q", txns[1].GTID, txns[1].End.GTID)
	}
}

func TestAssemblerRotation(t *testing.T) {
	a := newTestAssembler(t, FlavorMariaDB, Position{File: "bin.000001", Pos: 4})
	txns, bounds := feed(t, a,
		rotate("bin.000001", 4),
		rotate("bin.000002", 4),
		mariaGTIDEv(0, 1, 1, false, 300),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "orders", 350, row(int32(1))),
		// go-mysql's artificial rotate after a reconnect inside a transaction.
		rotate("bin.000002", 350),
		rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "orders", 400, row(int32(2))),
		xidEv(430),
	)
	if len(txns) != 1 || len(txns[0].Changes) != 2 || txns[0].End.File != "bin.000002" || txns[0].End.Pos != 430 {
		t.Errorf("txns %+v", txns)
	}
	if len(bounds) != 3 || bounds[1] != (Position{File: "bin.000002", Pos: 4}) {
		t.Errorf("boundaries %+v", bounds)
	}
}

func TestAssemblerRefusals(t *testing.T) {
	partial := rowsEv(replication.UPDATE_ROWS_EVENTv1, "shop", "orders", 200, row(int32(1), nil), row(int32(1), nil))
	partial.Event.(*replication.RowsEvent).SkippedColumns = [][]int{{1}, {1}}
	cases := []struct {
		name        string
		events      []*replication.BinlogEvent
		unsupported bool
		contains    string
	}{
		{"a partial row image", []*replication.BinlogEvent{mariaGTIDEv(0, 1, 1, false, 100), partial}, true, "binlog_row_image"},
		{"an xa transaction on a watched table", []*replication.BinlogEvent{
			mysqlGTIDEv(1, 1, 50), queryEv("shop", "XA START X'01'", 80),
			rowsEv(replication.WRITE_ROWS_EVENTv2, "shop", "orders", 150, row(int32(1))),
			queryEv("shop", "XA END X'01'", 180),
		}, true, "xa"},
		{"a commit without a position", []*replication.BinlogEvent{mariaGTIDEv(0, 1, 1, false, 100), xidEv(0)}, false, "no log position"},
		{"a watched transaction that never commits", []*replication.BinlogEvent{
			mariaGTIDEv(0, 1, 1, false, 100),
			rowsEv(replication.WRITE_ROWS_EVENTv1, "shop", "orders", 150, row(int32(1))),
			mariaGTIDEv(0, 1, 2, false, 200),
		}, false, "without a commit"},
		{"a compressed mysql transaction", []*replication.BinlogEvent{
			ev(replication.TRANSACTION_PAYLOAD_EVENT, 100, &replication.TransactionPayloadEvent{}),
		}, true, "compress"},
		{"an update with an odd number of images", []*replication.BinlogEvent{
			mariaGTIDEv(0, 1, 1, false, 100),
			rowsEv(replication.UPDATE_ROWS_EVENTv1, "shop", "orders", 150, row(int32(1))),
		}, false, "pairs"},
	}
	for _, c := range cases {
		t.Run("refuses "+c.name, func(t *testing.T) {
			a := newTestAssembler(t, FlavorMariaDB, Position{File: "bin.000001", Pos: 4})
			var err error
			for _, e := range c.events {
				if _, err = a.handle(e); err != nil {
					break
				}
			}
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrUnsupported) != c.unsupported || !strings.Contains(err.Error(), c.contains) {
				t.Errorf("err = %v; want unsupported=%v containing %q", err, c.unsupported, c.contains)
			}
		})
	}
}

func TestAssemblerRollbackKeepsNonTransactionalRows(t *testing.T) {
	a := newTestAssembler(t, FlavorMySQL, Position{File: "bin.000001", Pos: 4})
	txns, _ := feed(t, a,
		queryEv("shop", "BEGIN", 80),
		rowsEv(replication.WRITE_ROWS_EVENTv2, "shop", "orders", 150, row(int32(1))),
		queryEv("shop", "ROLLBACK", 180),
	)
	if len(txns) != 1 || txns[0].End.Pos != 180 || txns[0].GTID != "" {
		t.Errorf("txns %+v", txns)
	}
}

func TestFirstWords(t *testing.T) {
	for in, want := range map[string]string{"": "", "  COMMIT ": "COMMIT", "XA  START\tx'1'": "XA START", "a b c": "a b"} {
		if got := firstWords(in, 2); got != want {
			t.Errorf("firstWords(%q) = %q, want %q", in, got, want)
		}
	}
}
