package applier

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/schema"
)

// fixture is one test's database on the shared sandbox primary.
type fixture struct {
	t    *testing.T
	srv  *sandbox.Server
	name string
	db   *sql.DB // the sandbox's pool: setup, writers and comparisons
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	c := sandbox.Shared(t)
	name, db := c.Primary.NewDatabase(t)
	return &fixture{t: t, srv: c.Primary, name: name, db: db}
}

func (f *fixture) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.ExecContext(f.t.Context(), query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

// applierPool opens a pool the way dbconn does (binary protocol, UTC), with
// a session sql_mode hostile to replaying rows (no zero dates, strict), so
// the tests prove the applier sets its own session up. extra adds session
// variables.
func (f *fixture) applierPool(extra map[string]string) *sql.DB {
	f.t.Helper()
	dsn := dbconn.Config{Host: f.srv.Host, Port: f.srv.Port, User: f.srv.User, Password: f.srv.Password, Database: f.name}.DSN()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		f.t.Fatal(err)
	}
	cfg.Params["sql_mode"] = "'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'"
	for k, v := range extra {
		cfg.Params[k] = v
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { db.Close() })
	return db
}

func (f *fixture) load(table string) *schema.Table {
	f.t.Helper()
	tbl, err := schema.LoadTable(f.t.Context(), f.db, f.name, table)
	if err != nil {
		f.t.Fatal(err)
	}
	return tbl
}

func (f *fixture) newApplier(db *sql.DB, orig *schema.Table, ghost string, m *schema.Mapping, batch int, log zerolog.Logger) *Applier {
	f.t.Helper()
	a, err := New(Config{DB: db, Database: f.name, Ghost: ghost, Orig: orig, Mapping: m, BatchSize: batch, Retries: 5, Logger: log})
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { a.Close() })
	return a
}

func (f *fixture) position() binlog.Position {
	f.t.Helper()
	p, err := binlog.CurrentPosition(f.t.Context(), f.db, binlog.FlavorMariaDB)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

var streamID atomic.Uint32

// markerTable is watched next to the tables under test: a row written to it
// after the workload tells the reader it has seen every earlier transaction.
const markerTable = "marker"

// stream reads the real binlog from start with doppel's streamer until the
// marker row written now arrives, and returns the transactions before it.
func (f *fixture) stream(start binlog.Position, tables ...string) []binlog.Txn {
	f.t.Helper()
	f.exec("CREATE TABLE IF NOT EXISTS " + markerTable + " (id INT AUTO_INCREMENT PRIMARY KEY)")
	f.exec("INSERT INTO " + markerTable + " () VALUES ()")
	ctx, cancel := context.WithTimeout(f.t.Context(), 2*time.Minute)
	defer cancel()
	s := binlog.New(binlog.Config{
		Host: f.srv.Host, Port: f.srv.Port, User: f.srv.User, Password: f.srv.Password,
		ServerID: 900000 + streamID.Add(1), Flavor: binlog.FlavorMariaDB, Database: f.name,
		Tables: append([]string{markerTable}, tables...), Logger: zerolog.Nop(),
	})
	out := make(chan binlog.Txn)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, start, out) }()
	var txns []binlog.Txn
	for {
		select {
		case txn := <-out:
			var keep []binlog.RowChange
			marker := false
			for _, c := range txn.Changes {
				if c.Table == markerTable {
					marker = true
					continue
				}
				keep = append(keep, c)
			}
			if len(keep) > 0 {
				txn.Changes = keep
				txns = append(txns, txn)
			}
			if marker {
				cancel()
				<-done
				return txns
			}
		case err := <-done:
			f.t.Fatalf("binlog stream ended before the marker: %v", err)
		}
	}
}

// dump reads every row of a query as text, one string per row.
func (f *fixture) dump(query string) []string {
	f.t.Helper()
	rows, err := f.db.QueryContext(f.t.Context(), query)
	if err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			f.t.Fatal(err)
		}
		parts := make([]string, len(cols))
		for i, v := range vals {
			if v == nil {
				parts[i] = cols[i] + "=NULL"
			} else {
				parts[i] = fmt.Sprintf("%s=%q", cols[i], string(v))
			}
		}
		out = append(out, strings.Join(parts, " "))
	}
	if err := rows.Err(); err != nil {
		f.t.Fatal(err)
	}
	return out
}

// sameRows fails the test with the first differing rows.
func sameRows(t *testing.T, what string, orig, ghost []string) {
	t.Helper()
	if len(orig) == 0 {
		t.Fatalf("%s: the original is empty; the test proves nothing", what)
	}
	n := max(len(orig), len(ghost))
	shown := 0
	for i := 0; i < n && shown < 5; i++ {
		var o, g string
		if i < len(orig) {
			o = orig[i]
		}
		if i < len(ghost) {
			g = ghost[i]
		}
		if o != g {
			t.Errorf("%s: row %d differs:\n orig  %s\n ghost %s", what, i, o, g)
			shown++
		}
	}
	if shown > 0 {
		t.FailNow()
	}
}

func changesOf(txns []binlog.Txn) []binlog.RowChange {
	var out []binlog.RowChange
	for _, t := range txns {
		out = append(out, t.Changes...)
	}
	return out
}

// noConnectionsInUse is spirit's leak check: after Close, the applier holds
// no connection of the pool.
func noConnectionsInUse(t *testing.T, a *Applier, db *sql.DB) {
	t.Helper()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if n := db.Stats().InUse; n != 0 {
		t.Fatalf("%d connections still in use after Close", n)
	}
}
