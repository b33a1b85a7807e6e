package cutover

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/dbconn"
	"github.com/doppel-dev/doppel/sandbox"
)

// lines collects JSON log lines.
type lines struct {
	mu  sync.Mutex
	got []map[string]any
}

func (l *lines) Write(p []byte) (int, error) {
	var m map[string]any
	_ = json.Unmarshal(p, &m)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, m)
	return len(p), nil
}

// A Forcer kills the sessions that hold a lock on its tables, whatever the
// lock (a write, a plain read in an open transaction), and nothing else:
// not doppel's own sessions, not idle ones, not transactions on other
// tables. Both ways of seeing lock holders are tried: MariaDB's plugin on
// the shared server, performance_schema on a server without the plugin.
func TestForcerKillsOnlyLockHolders(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	t.Run("metadata_lock_info", func(t *testing.T) {
		f := newFixture(t)
		checkForcer(t, sandbox.Shared(t).Primary, f.db, f.name, sourceMDLInfo)
	})
	t.Run("performance_schema", func(t *testing.T) {
		sandbox.Shared(t) // the same skip rules
		c, err := sandbox.Start(t.Context(), sandbox.Options{ServerArgs: []string{
			"--performance-schema=ON", "--performance-schema-instrument=wait/lock/metadata/sql/mdl=ON",
			// No plugins, so metadata_lock_info cannot be installed.
			"--plugin-dir=" + t.TempDir(),
		}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		})
		name, db := c.Primary.NewDatabase(t)
		checkForcer(t, c.Primary, db, name, sourcePerfSchema)
	})
}

func checkForcer(t *testing.T, srv *sandbox.Server, db *sql.DB, database, wantSource string) {
	ctx := t.Context()
	for _, q := range []string{
		"CREATE TABLE t (id INT PRIMARY KEY, v INT)", "INSERT INTO t VALUES (1, 0), (2, 0)",
		"CREATE TABLE g LIKE t", "CREATE TABLE o LIKE t", "INSERT INTO o VALUES (1, 0)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	type sess struct {
		conn *sql.Conn
		id   int64
	}
	open := func(stmts ...string) sess {
		t.Helper()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		s := sess{conn: conn}
		if err := conn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&s.id); err != nil {
			t.Fatal(err)
		}
		for _, q := range stmts {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return s
	}
	alive := func(s sess) bool {
		var one int
		return s.conn.QueryRowContext(ctx, "SELECT 1").Scan(&one) == nil
	}
	writer := open("START TRANSACTION", "UPDATE t SET v = 1 WHERE id = 1")
	reader := open("START TRANSACTION", "SELECT COUNT(*) FROM g")
	// doppel's own session comes from a pool that records its sessions,
	// as the migration's pools do.
	var ours dbconn.Sessions
	ownDB, err := dbconn.Open(ctx, dbconn.Config{Host: srv.Host, Port: srv.Port, User: srv.User, Password: srv.Password,
		Database: database, Sessions: &ours})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ownDB.Close() })
	ownConn, err := ownDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ownConn.Close() })
	own := sess{conn: ownConn}
	for _, q := range []string{"START TRANSACTION", "SELECT COUNT(*) FROM t"} {
		if _, err := ownConn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := ownConn.QueryRowContext(ctx, "SELECT CONNECTION_ID()").Scan(&own.id); err != nil || !ours.Has(own.id) {
		t.Fatalf("the pool did not record its session %d (%v)", own.id, err)
	}
	idle := open()
	other := open("START TRANSACTION", "UPDATE o SET v = 1")

	var log lines
	f, err := NewForcer(ctx, ForceConfig{DB: db, Database: database, Tables: []string{"t", "g"},
		Own: ours.Has, LockTimeout: time.Second, Logger: zerolog.New(&log)})
	if err != nil {
		t.Fatal(err)
	}
	if f.Source() != wantSource {
		t.Fatalf("lock holders read from %s, want %s", f.Source(), wantSource)
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	f.Watch(wctx, time.Now())
	cancel()

	if alive(writer) || alive(reader) {
		t.Errorf("a lock holder survived: writer %v, reader %v", alive(writer), alive(reader))
	}
	for name, s := range map[string]sess{"doppel's own": own, "idle": idle, "other table's": other} {
		if !alive(s) {
			t.Errorf("the %s session was killed", name)
		}
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	killed := map[float64]string{}
	for _, l := range log.got {
		if m, _ := l["message"].(string); strings.HasPrefix(m, "force cut-over: killed") {
			killed[l["session_id"].(float64)] = l["table"].(string) + " " + l["lock"].(string)
		}
	}
	if len(killed) != 2 || !strings.HasPrefix(killed[float64(writer.id)], "t ") || !strings.HasPrefix(killed[float64(reader.id)], "g ") {
		t.Errorf("kills logged: %v (writer %d, reader %d)", killed, writer.id, reader.id)
	}
}
