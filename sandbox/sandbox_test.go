package sandbox

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestClusterReplicatesRowBinlog(t *testing.T) {
	c := Shared(t)
	if c.Replica == nil {
		t.Fatal("shared cluster has no replica")
	}
	if c.Primary.ServerID == c.Replica.ServerID {
		t.Fatalf("primary and replica share server_id %d", c.Primary.ServerID)
	}
	ctx := t.Context()

	name, db := c.Primary.NewDatabase(t)
	if _, err := db.ExecContext(ctx, "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB"); err != nil {
		t.Fatal(err)
	}
	// Through a placeholder, to exercise interpolateParams with utf8mb4.
	const want = "héllo 🦫"
	if _, err := db.ExecContext(ctx, "INSERT INTO t VALUES (1, ?)", want); err != nil {
		t.Fatal(err)
	}
	if err := c.WaitReplicaCaughtUp(ctx); err != nil {
		t.Fatal(err)
	}

	rdb := open(t, c.Replica.DSN(name))
	var got string
	if err := rdb.QueryRowContext(ctx, "SELECT v FROM t WHERE id = 1").Scan(&got); err != nil {
		t.Fatalf("read on replica: %v", err)
	}
	if got != want {
		t.Fatalf("replica has %q, want %q", got, want)
	}

	for _, s := range []*Server{c.Primary, c.Replica} {
		var logBin, slaveUpdates, readOnly int
		var formatS, imageS string
		err := open(t, s.DSN("")).QueryRowContext(ctx,
			"SELECT @@log_bin, @@binlog_format, @@binlog_row_image, @@log_slave_updates, @@read_only").
			Scan(&logBin, &formatS, &imageS, &slaveUpdates, &readOnly)
		if err != nil {
			t.Fatal(err)
		}
		if logBin != 1 || formatS != "ROW" || imageS != "FULL" || slaveUpdates != 1 || readOnly != 0 {
			t.Errorf("%s: log_bin=%d binlog_format=%s binlog_row_image=%s log_slave_updates=%d read_only=%d",
				s.name, logBin, formatS, imageS, slaveUpdates, readOnly)
		}
	}
}

func TestNewDatabaseIsDroppedAfterTest(t *testing.T) {
	c := Shared(t)
	var name string
	t.Run("sub", func(t *testing.T) {
		name, _ = c.Primary.NewDatabase(t)
		if !strings.HasPrefix(name, "t_testnewdatabaseisdroppedaftertest_sub_") {
			t.Errorf("database name %q does not name the test", name)
		}
	})
	if err := c.WaitReplicaCaughtUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Server{c.Primary, c.Replica} {
		var n int
		err := open(t, s.DSN("")).QueryRowContext(t.Context(),
			"SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?", name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: database %s still exists after its test ended", s.name, name)
		}
	}
}

func TestWaitReplicaCaughtUpReportsBrokenReplication(t *testing.T) {
	c := Shared(t)
	ctx := t.Context()
	_, db := c.Primary.NewDatabase(t)
	r := open(t, c.Replica.DSN(""))
	if _, err := r.ExecContext(ctx, "STOP SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := r.ExecContext(context.Background(), "START SLAVE SQL_THREAD"); err != nil {
			t.Errorf("restart replica: %v", err)
		}
		if err := c.WaitReplicaCaughtUp(context.Background()); err != nil {
			t.Errorf("replica did not recover: %v", err)
		}
	})
	if _, err := db.ExecContext(ctx, "CREATE TABLE x (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := c.WaitReplicaCaughtUp(wctx)
	if err == nil || !strings.Contains(err.Error(), "Slave_SQL_Running=No") {
		t.Fatalf("WaitReplicaCaughtUp = %v, want an error naming the stopped SQL thread", err)
	}
}

// TestStartStandalone checks what Shared does not: a cluster without replica,
// ServerArgs, a directory deep enough to need the short socket path, and that
// Close leaves neither processes nor files behind.
func TestStartStandalone(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	if _, err := findBinaries(); err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := filepath.Join(t.TempDir(), strings.Repeat("deep", 20))

	// Hand out a port someone else holds first, as happens when another
	// process grabs the free port between our probe and mariadbd's bind.
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	var picks atomic.Int32
	pickPort = func() (int, error) {
		if picks.Add(1) == 1 {
			return takenPort, nil
		}
		return freePort()
	}
	t.Cleanup(func() { pickPort = freePort })

	var log strings.Builder
	began := time.Now()
	c, err := Start(t.Context(), Options{Dir: dir, ServerArgs: []string{"--max-connections=77"}, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("standalone server started in %v", time.Since(began).Round(time.Millisecond))
	closed := false
	t.Cleanup(func() {
		if !closed {
			c.Close()
		}
	})
	if c.Replica != nil {
		t.Fatal("Replica set without Options.Replica")
	}
	if err := c.WaitReplicaCaughtUp(t.Context()); err != nil {
		t.Fatalf("WaitReplicaCaughtUp without replica: %v", err)
	}
	if strings.HasPrefix(c.Primary.Socket, dir) {
		t.Errorf("socket %s left under the long directory", c.Primary.Socket)
	}
	if !strings.Contains(log.String(), "ready on "+c.Primary.Addr()) {
		t.Errorf("log does not report the server: %q", log.String())
	}
	if c.Primary.Port == takenPort || !strings.Contains(log.String(), "was taken, retrying") {
		t.Errorf("no retry after a taken port: server on %d, taken %d, log:\n%s", c.Primary.Port, takenPort, log.String())
	}

	db := open(t, c.Primary.DSN(""))
	var maxConn int
	if err := db.QueryRowContext(t.Context(), "SELECT @@max_connections").Scan(&maxConn); err != nil {
		t.Fatal(err)
	}
	if maxConn != 77 {
		t.Errorf("max_connections = %d, ServerArgs asked for 77", maxConn)
	}
	// The doppel user must also work over the socket, as 'doppel'@'localhost'.
	sock := open(t, "doppel:doppel@unix("+c.Primary.Socket+")/")
	var user string
	if err := sock.QueryRowContext(t.Context(), "SELECT CURRENT_USER()").Scan(&user); err != nil {
		t.Fatal(err)
	}
	if user != "doppel@localhost" {
		t.Errorf("socket login is %s", user)
	}
	db.Close()
	sock.Close()

	pid := c.Primary.cmd.Process.Pid
	root := c.root
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("mariadbd pid %d still exists after Close (kill 0: %v)", pid, err)
	}
	for _, p := range []string{root, filepath.Dir(c.Primary.Socket)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s not removed by Close (stat: %v)", p, err)
		}
	}
}

func TestStartReportsServerErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("bootstraps a MariaDB data directory")
	}
	if _, err := findBinaries(); err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	c, err := Start(t.Context(), Options{Dir: dir, ServerArgs: []string{"--no-such-option-for-doppel"}})
	if err == nil {
		c.Close()
		t.Fatal("Start succeeded with an unknown server option")
	}
	// The error must carry the server's own explanation, not just "exited".
	if !strings.Contains(err.Error(), "no-such-option-for-doppel") || !strings.Contains(err.Error(), "error log") {
		t.Errorf("error does not quote the error log:\n%v", err)
	}
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("failed Start left %d entries in %s", len(left), dir)
	}
}

// orphanEnv makes the test binary act as a test that starts a server and is
// then killed without running any cleanup, as on a -timeout panic.
const orphanEnv = "DOPPEL_SANDBOX_ORPHAN"

func TestServersDieWithTestBinary(t *testing.T) {
	if os.Getenv(orphanEnv) != "" {
		c, err := Start(context.Background(), Options{})
		if err != nil {
			fmt.Println("sandbox-orphan-error", err)
			return
		}
		fmt.Println("sandbox-orphan", c.Primary.cmd.Process.Pid, c.root)
		select {} // wait to be killed
	}
	if testing.Short() {
		t.Skip("starts a MariaDB server")
	}
	if _, err := findBinaries(); err != nil {
		if os.Getenv(requireEnv) == "1" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestServersDieWithTestBinary$", "-test.count=1")
	cmd.Env = append(os.Environ(), orphanEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var pid int
	var root string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "sandbox-orphan") {
			if _, err := fmt.Sscanf(line, "sandbox-orphan %d %s", &pid, &root); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("helper: %s", line)
			}
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if pid == 0 {
		t.Fatal("helper did not report a server")
	}
	deadline := time.Now().Add(10 * time.Second)
	for syscall.Kill(pid, 0) == nil {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("mariadbd pid %d outlived its killed test binary", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Nothing ran the dead binary's cleanup: its directory is the sweep's job.
	sweepStale(nil)
	if _, err := os.Stat(root); !errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(root)
		t.Errorf("sweep left the killed binary's directory %s (stat: %v)", root, err)
	}
}

func TestSharedSkipsWithoutMariaDB(t *testing.T) {
	if testing.Short() {
		t.Skip("Shared skips in -short mode before it looks for mariadbd")
	}
	t.Setenv("PATH", t.TempDir())
	t.Setenv(requireEnv, "")
	saved := searchDirs
	searchDirs = nil
	t.Cleanup(func() { searchDirs = saved })
	var sub *testing.T
	t.Run("nodb", func(t *testing.T) {
		sub = t
		Shared(t)
	})
	if !sub.Skipped() {
		t.Error("Shared did not skip without mariadbd")
	}
}

func TestDatabaseName(t *testing.T) {
	for _, tc := range []struct {
		test string
		seq  uint64
		want string
	}{
		{"TestX", 1, "t_testx_1"},
		{"TestX/sub case#2", 12, "t_testx_sub_case_2_12"},
		{"Test" + strings.Repeat("Long", 30), 123, "t_test" + strings.Repeat("long", 14)[:54] + "_123"},
	} {
		got := databaseName(tc.test, tc.seq)
		if got != tc.want {
			t.Errorf("databaseName(%q, %d) = %q, want %q", tc.test, tc.seq, got, tc.want)
		}
		if len(got) > maxIdentifier {
			t.Errorf("databaseName(%q) is %d bytes long", tc.test, len(got))
		}
	}
}

func TestDSN(t *testing.T) {
	s := &Server{Host: "127.0.0.1", Port: 4242, User: "doppel", Password: "doppel"}
	want := "doppel:doppel@tcp(127.0.0.1:4242)/db1?charset=utf8mb4&interpolateParams=true&parseTime=false&timeout=10s"
	if got := s.DSN("db1"); got != want {
		t.Errorf("DSN = %q, want %q", got, want)
	}
	if got := s.Addr(); got != "127.0.0.1:4242" {
		t.Errorf("Addr = %q", got)
	}
}

func TestBootstrapSQLHasNoBinlogEffects(t *testing.T) {
	// The users must be created by the bootstrap, never by a statement the
	// replica would replay; and the grant tables are only writable after
	// FLUSH PRIVILEGES in bootstrap mode.
	sql := bootstrapSQL()
	if !strings.HasPrefix(sql, "FLUSH PRIVILEGES;") {
		t.Errorf("bootstrap does not load the grant tables first:\n%s", sql)
	}
	for _, want := range []string{"'doppel'@'%'", "'doppel'@'localhost'", "'repl'@'%'", "WITH GRANT OPTION"} {
		if !strings.Contains(sql, want) {
			t.Errorf("bootstrap lacks %s:\n%s", want, sql)
		}
	}
}

func TestSweepStaleRemovesOnlyDeadOwners(t *testing.T) {
	live, err := os.MkdirTemp("", dirPrefix+"test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(live) })
	if err := writeOwner(live); err != nil {
		t.Fatal(err)
	}
	dead, err := os.MkdirTemp("", dirPrefix+"test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dead) })
	// A pid above pid_max cannot belong to a live process.
	if err := os.WriteFile(filepath.Join(dead, ownerFile), []byte("2147483646"), 0o600); err != nil {
		t.Fatal(err)
	}
	sweepStale(nil)
	if _, err := os.Stat(live); err != nil {
		t.Errorf("live directory removed: %v", err)
	}
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dead owner's directory kept (stat: %v)", err)
	}
}

func open(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Test binaries run side by side, each starting servers on ports the kernel
// called free a moment before; a port can go to another binary's server,
// which answers to the same login. The new server must retry on another
// port, and the other server must not be touched.
func TestStartSkipsAPortAnotherServerHolds(t *testing.T) {
	other := Shared(t)
	var picks atomic.Int32
	pickPort = func() (int, error) {
		if picks.Add(1) == 1 {
			return other.Primary.Port, nil
		}
		return freePort()
	}
	t.Cleanup(func() { pickPort = freePort })

	var log strings.Builder
	c, err := Start(t.Context(), Options{Dir: t.TempDir(), Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if c.Primary.Port == other.Primary.Port || !strings.Contains(log.String(), "was taken, retrying") {
		t.Errorf("no retry after the port of a running server: new server on %d, other on %d, log:\n%s",
			c.Primary.Port, other.Primary.Port, log.String())
	}
	if err := c.Primary.checkIdentity(t.Context(), c.Primary.admin); err != nil {
		t.Errorf("new server: %v", err)
	}
	if err := other.Primary.checkIdentity(t.Context(), other.Primary.admin); err != nil {
		t.Errorf("the other server after the clash: %v", err)
	}
	if err := other.WaitReplicaCaughtUp(t.Context()); err != nil {
		t.Errorf("the other cluster's replication after the clash: %v", err)
	}
	// The check itself, without the race: each server is told apart from the
	// other.
	if err := c.Primary.checkIdentity(t.Context(), other.Primary.admin); !errors.Is(err, errNotOurServer) {
		t.Errorf("checkIdentity of a server from another data directory = %v, want errNotOurServer", err)
	}
}
