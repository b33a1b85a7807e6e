package migration

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/sandbox"
	"github.com/doppel-dev/doppel/throttle"
)

// send runs one command on the migration's socket and returns the reply.
func send(t *testing.T, socket, cmd string) string {
	t.Helper()
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", socket, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		t.Fatalf("read reply to %q: %v", cmd, err)
	}
	return string(b)
}

func statusOf(t *testing.T, socket string) Status {
	t.Helper()
	var s Status
	reply := send(t, socket, "status-json")
	if err := json.Unmarshal([]byte(reply), &s); err != nil {
		t.Fatalf("status-json %q: %v", reply, err)
	}
	return s
}

// socketPath is a short unix socket path (the limit is 107 bytes).
func socketPath(t *testing.T) string {
	dir, err := os.MkdirTemp("", "dpl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "s.sock")
}

// waitStatus polls the socket until cond holds.
func waitStatus(t *testing.T, socket, what string, done <-chan error, cond func(Status) bool) Status {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-done:
			t.Fatalf("migration ended while waiting for %s: %v", what, err)
		default:
		}
		if _, err := os.Stat(socket); err == nil {
			if s := statusOf(t, socket); cond(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// startRun runs the migration in the background; its end (nil or the error)
// arrives on the channel.
func startRun(t *testing.T, cfg Config, log zerolog.Logger) <-chan error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := Run(context.Background(), cfg, log)
		done <- err
	}()
	return done
}

// Stopping the replica's SQL thread raises its lag past --max-lag-millis:
// the copy stops within a second and resumes when replication does.
func TestReplicaLagThrottlesTheCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	const rows = 40_000
	name, db, replica := seedWithReplica(t, cluster, rows)
	cfg := testConfig(cluster.Replica, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.OkToDropTable, cfg.ChunkSize, cfg.MaxLag = true, 10, 500*time.Millisecond
	cfg.ServeSocketFile = socketPath(t)
	done := startRun(t, cfg, testLogger(t))
	waitStatus(t, cfg.ServeSocketFile, "the copy to start", done, func(s Status) bool { return s.RowsCopied > 0 })
	if _, err := replica.Exec("STOP SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	defer replica.Exec("START SLAVE SQL_THREAD")
	stopped := time.Now()
	s := waitStatus(t, cfg.ServeSocketFile, "lag throttling", done, func(s Status) bool { return strings.HasPrefix(s.Throttle, "lag ") })
	t.Logf("throttled %v after the SQL thread stopped: %s", time.Since(stopped).Round(time.Millisecond), s.Throttle)
	if s.Progress >= 1 {
		t.Fatal("the copy finished before the test could throttle it; make it longer")
	}
	before := statusOf(t, cfg.ServeSocketFile).RowsCopied
	time.Sleep(time.Second)
	after := statusOf(t, cfg.ServeSocketFile)
	if after.RowsCopied-before > cfg.ChunkSize {
		t.Fatalf("the copy went on while throttled: %d rows", after.RowsCopied-before)
	}
	if after.Lag < cfg.MaxLag {
		t.Fatalf("status reports lag %v", after.Lag)
	}
	if _, err := replica.Exec("START SLAVE SQL_THREAD"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migration failed after replication resumed: %v", err)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM ref ORDER BY id")
}

// Every socket command, through a real socket, on a live migration that
// waits for unpostpone.
func TestSocketCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 5000)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.ServeSocketFile = socketPath(t)
	cfg.PostponeCutOverFlagFile = filepath.Join(t.TempDir(), "postpone")
	done := startRun(t, cfg, testLogger(t))
	sock := cfg.ServeSocketFile
	waitStatus(t, sock, "postponed", done, func(s Status) bool { return s.Phase == "postponed" })

	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode: %v %v", fi.Mode(), err)
	}
	expect := func(cmd string, want ...string) string {
		t.Helper()
		reply := send(t, sock, cmd)
		for _, w := range want {
			if !strings.Contains(reply, w) {
				t.Errorf("%s: reply %q lacks %q", cmd, reply, w)
			}
		}
		return reply
	}
	expect("help", "chunk-size", "unpostpone", "status-json")
	expect("status", "Phase: postponed", "Throttled: no")
	expect("sup", "postponed")
	expect("info", name+".t", "ADD COLUMN extra")
	expect("coordinates", "applied")
	expect("applier", fmt.Sprint(cluster.Primary.Port))
	expect("inspector", fmt.Sprint(cluster.Primary.Port))
	for cmd, value := range map[string]string{
		"chunk-size": "500", "dml-batch-size": "20", "max-lag-millis": "2000", "max-load": "Threads_running=1000",
		"critical-load": "Threads_running=100000", "nice-ratio": "0.5", "throttle-query": "SELECT 0",
		"throttle-control-replicas": cluster.Replica.Addr(),
	} {
		expect(cmd + "=" + value)
		if got := strings.TrimSpace(send(t, sock, cmd+"=?")); got != value {
			t.Errorf("%s=? gave %q after setting %q", cmd, got, value)
		}
	}
	for _, bad := range []string{"chunk-size=abc", "chunk-size=5", "max-load=garbage", "nice-ratio=500", "throttle-http=ftp://x", "no-such-command", "max-lag-millis=1"} {
		reply := send(t, sock, bad)
		if strings.Count(strings.TrimSpace(reply), "\n") != 0 {
			t.Errorf("%s: reply is not one line: %q", bad, reply)
		}
	}
	for cmd, want := range map[string]string{"chunk-size": "500", "max-load": "Threads_running=1000", "nice-ratio": "0.5", "max-lag-millis": "2000"} {
		if got := strings.TrimSpace(send(t, sock, cmd+"=?")); got != want {
			t.Errorf("a bad value changed %s to %q", cmd, got)
		}
	}
	expect("throttle", "commanded by user")
	waitStatus(t, sock, "throttled", done, func(s Status) bool { return s.Throttle == "commanded by user" })
	expect("no-throttle")
	waitStatus(t, sock, "unthrottled", done, func(s Status) bool { return s.Throttle == "" })
	expect("nice-ratio=0")
	expect("unpostpone", "Unpostponed")
	if err := <-done; err != nil {
		t.Fatalf("migration failed after unpostpone: %v", err)
	}
	if _, err := os.Stat(sock); !os.IsNotExist(err) {
		t.Errorf("the socket file outlived the migration: %v", err)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// panic, --critical-load and the panic flag file abort before the swap.
func TestAbortsLeaveTheOriginalAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	cases := []struct {
		name   string
		setup  func(cfg *Config)
		during func(t *testing.T, cfg Config)
		want   error
	}{
		{"panic command", nil, func(t *testing.T, cfg Config) { send(t, cfg.ServeSocketFile, "panic") }, throttle.ErrPanic},
		{"panic flag file", nil, func(t *testing.T, cfg Config) { os.WriteFile(cfg.PanicFlagFile, nil, 0o644) }, throttle.ErrPanic},
		{"critical load", func(cfg *Config) { cfg.CriticalLoad = "Threads_running=1" }, nil, throttle.ErrCriticalLoad},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name, db := cluster.Primary.NewDatabase(t)
			seedLive(t, db, 2000)
			before := strings.Join(dump(t, db, "SHOW CREATE TABLE t"), "\n") + strings.Join(dump(t, db, "SELECT * FROM t ORDER BY id"), "\n")
			cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
			cfg.AllowOnMaster = true
			cfg.ServeSocketFile = socketPath(t)
			cfg.PanicFlagFile = filepath.Join(t.TempDir(), "panic")
			cfg.PostponeCutOverFlagFile = filepath.Join(t.TempDir(), "postpone")
			if c.setup != nil {
				c.setup(&cfg)
			}
			done := startRun(t, cfg, testLogger(t))
			var err error
			if c.during != nil {
				waitStatus(t, cfg.ServeSocketFile, "postponed", done, func(s Status) bool { return s.Phase == "postponed" })
				c.during(t, cfg)
			}
			select {
			case err = <-done:
			case <-time.After(time.Minute):
				t.Fatal("the migration did not stop")
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
			after := strings.Join(dump(t, db, "SHOW CREATE TABLE t"), "\n") + strings.Join(dump(t, db, "SELECT * FROM t ORDER BY id"), "\n")
			if after != before {
				t.Fatal("the aborted migration changed the original table")
			}
		})
	}
}

// --max-load and flag files pause the copy; lifting them lets it finish.
func TestLoadAndFlagFilesPause(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 5000)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.ServeSocketFile = socketPath(t)
	cfg.ThrottleFlagFile = filepath.Join(t.TempDir(), "throttle")
	cfg.MaxLoad = "Threads_running=1"
	if err := os.WriteFile(cfg.ThrottleFlagFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	done := startRun(t, cfg, testLogger(t))
	waitStatus(t, cfg.ServeSocketFile, "flag file throttling", done, func(s Status) bool { return strings.HasPrefix(s.Throttle, "flag file") })
	time.Sleep(time.Second)
	if s := statusOf(t, cfg.ServeSocketFile); s.RowsCopied > 0 {
		t.Fatalf("%d rows copied while the flag file exists", s.RowsCopied)
	}
	os.Remove(cfg.ThrottleFlagFile)
	waitStatus(t, cfg.ServeSocketFile, "max-load throttling", done, func(s Status) bool { return strings.HasPrefix(s.Throttle, "max-load Threads_running") })
	if s := statusOf(t, cfg.ServeSocketFile); s.RowsCopied > 0 {
		t.Fatalf("%d rows copied under max-load", s.RowsCopied)
	}
	send(t, cfg.ServeSocketFile, "max-load=Threads_running=100000")
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// writeHook writes an executable hook that records its event and the
// gh-ost and doppel variables it was given, and exits with code.
func writeHook(t *testing.T, dir, name string, code int) {
	t.Helper()
	script := fmt.Sprintf("#!/bin/sh\n{ echo \"event=%s\"; env | grep -E '^(GH_OST|DOPPEL)_' | sort; } >> \"%s/log\"\nexit %d\n", name, dir, code)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// Each hook runs at its point with gh-ost's variables (and DOPPEL_ ones);
// a failing gh-ost-on-before-cut-over prevents the swap.
func TestHooks(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	events := []string{"on-startup", "on-validated", "on-rowcount-complete", "on-before-row-copy", "on-row-copy-complete",
		"on-begin-postponed", "on-before-cut-over", "on-success", "on-status", "on-interactive-command"}

	t.Run("a successful migration", func(t *testing.T) {
		name, db := cluster.Primary.NewDatabase(t)
		seedLive(t, db, 2000)
		dir := t.TempDir()
		for _, ev := range events {
			writeHook(t, dir, "gh-ost-"+ev+"-01", 0)
		}
		writeHook(t, dir, "gh-ost-on-failure", 0)
		cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
		cfg.AllowOnMaster, cfg.OkToDropTable = true, true
		cfg.HooksPath, cfg.HooksHint, cfg.HooksHintOwner, cfg.HooksHintToken = dir, "the hint", "ops", "tok-1"
		cfg.HooksStatusInterval = 200 * time.Millisecond
		cfg.ServeSocketFile = socketPath(t)
		cfg.PostponeCutOverFlagFile = filepath.Join(t.TempDir(), "postpone")
		done := startRun(t, cfg, testLogger(t))
		waitStatus(t, cfg.ServeSocketFile, "postponed", done, func(s Status) bool { return s.Phase == "postponed" })
		time.Sleep(500 * time.Millisecond) // an on-status run or two
		send(t, cfg.ServeSocketFile, "unpostpone")
		if err := <-done; err != nil {
			t.Fatalf("migration failed: %v", err)
		}
		b, err := os.ReadFile(filepath.Join(dir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		log := string(b)
		for _, ev := range events {
			if !strings.Contains(log, "event=gh-ost-"+ev+"-01\n") {
				t.Errorf("hook %s did not run", ev)
			}
		}
		if strings.Contains(log, "event=gh-ost-on-failure") {
			t.Error("on-failure ran for a successful migration")
		}
		for _, v := range []string{
			"GH_OST_DATABASE_NAME=" + name, "DOPPEL_DATABASE_NAME=" + name, "GH_OST_TABLE_NAME=t", "GH_OST_GHOST_TABLE_NAME=_t_gho",
			"GH_OST_OLD_TABLE_NAME=_t_del", "GH_OST_DDL=ADD COLUMN extra int NOT NULL DEFAULT 7", "GH_OST_HOOKS_HINT=the hint",
			"GH_OST_HOOKS_HINT_OWNER=ops", "GH_OST_HOOKS_HINT_TOKEN=tok-1", "GH_OST_DRY_RUN=false", "GH_OST_COPIED_ROWS=2000",
			"GH_OST_COMMAND='unpostpone'", "DOPPEL_COMMAND=unpostpone", "GH_OST_STATUS='phase postponed",
		} {
			if !strings.Contains(log, v) {
				t.Errorf("no %s in the hooks' environment", v)
			}
		}
	})

	t.Run("a failing before-cut-over hook", func(t *testing.T) {
		name, db := cluster.Primary.NewDatabase(t)
		seedLive(t, db, 2000)
		before := strings.Join(dump(t, db, "SHOW CREATE TABLE t"), "\n")
		dir := t.TempDir()
		writeHook(t, dir, "gh-ost-on-before-cut-over", 3)
		writeHook(t, dir, "gh-ost-on-failure", 0)
		cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
		cfg.AllowOnMaster, cfg.HooksPath = true, dir
		_, err := Run(context.Background(), cfg, testLogger(t))
		if err == nil || !strings.Contains(err.Error(), "gh-ost-on-before-cut-over") {
			t.Fatalf("error %v, want the failing hook named", err)
		}
		if after := strings.Join(dump(t, db, "SHOW CREATE TABLE t"), "\n"); after != before {
			t.Fatal("the tables were swapped despite the failing hook")
		}
		b, _ := os.ReadFile(filepath.Join(dir, "log"))
		if !strings.Contains(string(b), "event=gh-ost-on-failure") {
			t.Error("on-failure did not run")
		}
	})
}

// A chunk that times out on a row lock is retried, and gh-ost's
// on-batch-copy-retry hook hears of the error.
func TestBatchCopyRetryHook(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 2000)
	// Only this test binary's servers see the setting, and no other
	// migration test runs at the same time.
	var was int
	if err := db.QueryRow("SELECT @@GLOBAL.innodb_lock_wait_timeout").Scan(&was); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("SET GLOBAL innodb_lock_wait_timeout = 1"); err != nil {
		t.Fatal(err)
	}
	defer db.Exec("SET GLOBAL innodb_lock_wait_timeout = ?", was)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("SELECT id FROM t WHERE id = 1 FOR UPDATE"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable, cfg.HooksPath = true, true, t.TempDir()
	writeHook(t, cfg.HooksPath, "gh-ost-on-batch-copy-retry", 0)
	done := startRun(t, cfg, testLogger(t))
	logFile := filepath.Join(cfg.HooksPath, "log")
	deadline := time.Now().Add(time.Minute)
	for {
		if b, _ := os.ReadFile(logFile); strings.Contains(string(b), "GH_OST_LAST_BATCH_COPY_ERROR=") {
			if !strings.Contains(string(b), "1205") {
				t.Errorf("the hook was not given the lock wait error:\n%s", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("on-batch-copy-retry did not run")
		}
		time.Sleep(100 * time.Millisecond)
	}
	tx.Rollback()
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// --throttle-query runs in the migrated database, as in gh-ost: its tables
// need no database name.
func TestThrottleQueryPausesTheCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 2000)
	if _, err := db.Exec("CREATE TABLE hold (id int PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO hold VALUES (1)"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.ServeSocketFile = socketPath(t)
	cfg.ThrottleQuery = "SELECT COUNT(*) FROM hold"
	done := startRun(t, cfg, testLogger(t))
	waitStatus(t, cfg.ServeSocketFile, "throttle-query throttling", done, func(s Status) bool { return s.Throttle == "throttle-query returned 1" })
	if s := statusOf(t, cfg.ServeSocketFile); s.RowsCopied > 0 {
		t.Fatalf("%d rows copied while the throttle query said no", s.RowsCopied)
	}
	if _, err := db.Exec("DELETE FROM hold"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
}

// A second migration of the same table is refused while the first runs,
// even with --initially-drop-ghost-table, and the first is unharmed.
func TestSecondMigrationOfATableIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 2000)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.ServeSocketFile = socketPath(t)
	cfg.PostponeCutOverFlagFile = filepath.Join(t.TempDir(), "postpone")
	done := startRun(t, cfg, testLogger(t))
	waitStatus(t, cfg.ServeSocketFile, "postponed", done, func(s Status) bool { return s.Phase == "postponed" })

	second := cfg
	second.ServeSocketFile = socketPath(t)
	second.InitiallyDropGhostTable, second.InitiallyDropOldTable = true, true
	_, err := Run(context.Background(), second, testLogger(t))
	expectRefusal(t, err, []string{"another migration of " + name + ".t is running"}, true)

	send(t, cfg.ServeSocketFile, "unpostpone")
	if err := <-done; err != nil {
		t.Fatalf("the first migration failed: %v", err)
	}
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
	// Once it ended, the table can be migrated again.
	again := testConfig(cluster.Primary, name, "t", "DROP COLUMN extra")
	again.AllowOnMaster, again.OkToDropTable, again.ServeSocketFile = true, true, socketPath(t)
	if _, err := Run(context.Background(), again, testLogger(t)); err != nil {
		t.Fatalf("a later migration was refused: %v", err)
	}
}

// No password in a debug-level run's output, its status or its hooks'
// environment; nor in the error of a run that fails.
func TestPasswordIsNeverShown(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 1000)
	const user, password = "pwcheck", "Zq8-unmistakable-2718"
	for _, q := range []string{
		"CREATE USER IF NOT EXISTS '" + user + "'@'%' IDENTIFIED BY '" + password + "'",
		"GRANT ALL PRIVILEGES ON *.* TO '" + user + "'@'%'",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var out logTail
	log := zerolog.New(zerolog.SyncWriter(&out)).Level(zerolog.DebugLevel)
	hooksDir := t.TempDir()
	writeHook(t, hooksDir, "gh-ost-on-success", 0)

	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.User, cfg.Password = user, password
	cfg.AllowOnMaster, cfg.OkToDropTable, cfg.HooksPath = true, true, hooksDir
	cfg.ServeSocketFile = socketPath(t)
	cfg.PostponeCutOverFlagFile = filepath.Join(t.TempDir(), "postpone")
	done := startRun(t, cfg, log)
	waitStatus(t, cfg.ServeSocketFile, "postponed", done, func(s Status) bool { return s.Phase == "postponed" })
	replies := send(t, cfg.ServeSocketFile, "status") + send(t, cfg.ServeSocketFile, "status-json") + send(t, cfg.ServeSocketFile, "info")
	send(t, cfg.ServeSocketFile, "unpostpone")
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	bad := cfg
	bad.Alter, bad.ServeSocketFile = "ADD COLUMN oops nonsense_type", socketPath(t)
	_, err := Run(context.Background(), bad, log)
	if err == nil {
		t.Fatal("a broken ALTER ran")
	}
	hooksEnv, _ := os.ReadFile(filepath.Join(hooksDir, "log"))
	if out.count("\"level\":\"debug\"") == 0 {
		t.Fatal("no debug output was captured")
	}
	for what, text := range map[string]string{"log": out.String(), "socket replies": replies, "hooks' environment": string(hooksEnv), "error": err.Error()} {
		if strings.Contains(text, password) {
			t.Errorf("the password appears in the %s", what)
		}
	}
}
