package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// requireEnv names the variable that turns a missing mariadbd from a skip
// into a failure; CI sets it so that a broken install cannot pass as green.
const requireEnv = "DOPPEL_REQUIRE_DB"

// logEnv, when set to anything but empty, sends the shared cluster's progress
// lines to stderr even without -v.
const logEnv = "DOPPEL_SANDBOX_LOG"

var shared struct {
	once    sync.Once
	mu      sync.Mutex // guards cluster against Main closing it
	cluster *Cluster
	err     error
}

// Shared returns the test binary's primary+replica cluster, starting it on
// first use. It skips the test in -short mode, and when mariadbd is not
// installed unless DOPPEL_REQUIRE_DB=1. A binary that calls Shared should
// call Main from TestMain so the servers are stopped and their directories
// removed.
func Shared(t testing.TB) *Cluster {
	t.Helper()
	skipWithoutServer(t)
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		c, err := Start(ctx, Options{Replica: true, Log: testLog()})
		shared.mu.Lock()
		shared.cluster, shared.err = c, err
		shared.mu.Unlock()
	})
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.err != nil {
		t.Fatalf("sandbox: shared cluster: %v", shared.err)
	}
	if shared.cluster == nil {
		t.Fatal("sandbox: shared cluster already closed (Shared called after Main finished the tests)")
	}
	return shared.cluster
}

// StartForTest starts a cluster of the test's own, for a test that needs
// servers set up unlike the shared ones (TLS, other server arguments), and
// stops it when the test ends. It skips as Shared does. Starting servers
// takes seconds, so tests share Shared's cluster wherever they can.
func StartForTest(t testing.TB, o Options) *Cluster {
	t.Helper()
	skipWithoutServer(t)
	if o.Log == nil {
		o.Log = testLog()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c, err := Start(ctx, o)
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func skipWithoutServer(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("sandbox: needs a MariaDB server; skipped in -short mode")
	}
	if _, err := findBinaries(); err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%v; %s=1 requires it", err, requireEnv)
		}
		t.Skipf("%v; set %s=1 to fail instead of skipping", err, requireEnv)
	}
}

// testLog is where clusters started for tests report progress: stderr with
// -v or DOPPEL_SANDBOX_LOG, else nowhere.
func testLog() io.Writer {
	if testing.Verbose() || os.Getenv(logEnv) != "" {
		return os.Stderr
	}
	return nil
}

// Main runs the tests, stops the shared cluster if one was started, and
// exits. A failure to stop it fails the run: it means a server was wedged or
// its files could not be removed.
func Main(m *testing.M) {
	code := m.Run()
	shared.mu.Lock()
	c := shared.cluster
	shared.cluster = nil
	shared.mu.Unlock()
	if c != nil {
		if err := c.Close(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			if code == 0 {
				code = 1
			}
		}
	}
	os.Exit(code)
}

var dbSeq atomic.Uint64

// maxIdentifier is MySQL's limit on database names.
const maxIdentifier = 64

// NewDatabase creates a database named after the test, opens a pool on it
// and drops it when the test ends. On a primary it returns only once the
// database exists on the replica as well, so a test can go straight to
// reading or writing there.
func (s *Server) NewDatabase(t testing.TB) (string, *sql.DB) {
	t.Helper()
	if s.admin == nil {
		t.Fatalf("sandbox: NewDatabase on %s: server is closed", s.name)
	}
	name := databaseName(t.Name(), dbSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE "+quoteIdent(name)); err != nil {
		t.Fatalf("sandbox: create database %s: %v", name, err)
	}
	// The drop is registered before anything else can fail, so a failed
	// setup does not leave the database behind.
	var db *sql.DB
	t.Cleanup(func() {
		if db != nil {
			db.Close()
		}
		if err := s.dropDatabase(name); err != nil {
			t.Errorf("sandbox: drop database %s (a connection of the test still holds a lock on it?): %v", name, err)
		}
	})
	if r := s.follower; r != nil {
		if err := waitCaughtUp(ctx, s, r); err != nil {
			t.Fatalf("sandbox: database %s did not reach the replica: %v", name, err)
		}
	}
	var err error
	db, err = sql.Open("mysql", s.DSN(name))
	if err != nil {
		t.Fatalf("sandbox: open %s: %v", name, err)
	}
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("sandbox: connect to %s: %v", name, err)
	}
	return name, db
}

// dropDatabase bounds its lock wait: a test that leaked an open transaction
// would otherwise make the drop, and so the whole test binary, hang for a day.
func (s *Server) dropDatabase(name string) error {
	if s.admin == nil {
		return nil // the server is gone, and its directory with it
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SET SESSION lock_wait_timeout = 30"); err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, "DROP DATABASE IF EXISTS "+quoteIdent(name))
	return err
}

// databaseName makes a name that says which test owns the database, for
// whoever looks at a server after a failure, and that stays unique when
// subtests share a prefix or a test calls NewDatabase twice.
func databaseName(testName string, seq uint64) string {
	suffix := fmt.Sprintf("_%d", seq)
	var b strings.Builder
	b.WriteString("t_")
	for _, r := range strings.ToLower(testName) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if len(base)+len(suffix) > maxIdentifier {
		base = base[:maxIdentifier-len(suffix)]
	}
	return base + suffix
}

func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}
