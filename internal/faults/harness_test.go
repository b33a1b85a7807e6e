// Package faults holds the end-to-end fault tests: the doppel binary is run
// as a separate process against real MariaDB servers and is killed, cut off,
// interrupted and restarted under a live write load. Every test ends by
// comparing the migrated table with a reference table that received the
// same writes in the same transactions, row by row.
package faults

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestMain(m *testing.M) { sandbox.Main(m) }

// binary builds doppel once per test binary, with the race detector: the
// faults are also a chance to catch races on paths unit tests do not reach.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "doppel-faults-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "doppel")
	out, err := exec.Command("go", "build", "-race", "-o", path, "github.com/doppel-dev/doppel/cmd/doppel").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

var serverIDs atomic.Uint32

// target is one table under migration and the reference it is judged by.
type target struct {
	t        *testing.T
	server   *sandbox.Server
	database string
	db       *sql.DB
	rows     int
	flagFile string // the postpone flag file
	socket   string
	serverID uint32
	procs    []*proc // every run, so verify can read their logs
}

// newTarget creates t (to migrate) and ref with the same rows.
func newTarget(t *testing.T, s *sandbox.Server, rows int) *target {
	t.Helper()
	name, db := s.NewDatabase(t)
	for _, q := range []string{
		"CREATE TABLE t " + workload.LiveSchema,
		"CREATE TABLE ref " + workload.LiveSchema,
		workload.SeedSQL(workload.Live, "t", rows),
		"INSERT INTO ref SELECT * FROM t",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	dir := t.TempDir()
	id := serverIDs.Add(1)
	return &target{t: t, server: s, database: name, db: db, rows: rows,
		flagFile: filepath.Join(dir, "postpone.flag"),
		socket:   filepath.Join(os.TempDir(), fmt.Sprintf("dplf-%d-%d.sock", os.Getpid(), id)),
		serverID: 60000 + id}
}

// writers starts the application writes: every write goes to t and ref in
// one transaction.
func (tg *target) writers(rate int) *workload.Workload {
	w := workload.Start(workload.Config{DB: tg.db, Shape: workload.Live, Tables: []string{"t", "ref"},
		Workers: 2, Rate: rate, MaxID: int64(tg.rows)})
	tg.t.Cleanup(w.Stop)
	return w
}

// args is the command line of one run; extra flags go last and win.
func (tg *target) args(extra ...string) []string {
	a := []string{
		"--host=" + tg.server.Host, fmt.Sprintf("--port=%d", tg.server.Port), "--user=" + tg.server.User,
		"--database=" + tg.database, "--table=t", "--alter=ADD COLUMN x int NOT NULL DEFAULT 7",
		"--execute", "--allow-on-master", "--checkpoint", "--checkpoint-seconds=1",
		"--chunk-size=100", "--threads=4", "--checksum-threads=4", "--target-chunk-time=0", "--default-retries=30", "--heartbeat-interval-millis=50",
		fmt.Sprintf("--replica-server-id=%d", tg.serverID), "--serve-socket-file=" + tg.socket,
		"--initially-drop-socket-file", "--postpone-cut-over-flag-file=" + tg.flagFile,
		"--checksum-interval=1s", "--debug",
	}
	return append(a, extra...)
}

// waitCopying waits until p has written its second checkpoint, the first
// one written while it copies: from then on an interruption leaves progress
// behind to resume from.
func (tg *target) waitCopying(p *proc, timeout time.Duration) {
	tg.t.Helper()
	if !p.waitForN(`"message":"checkpoint written"`, 2, timeout) {
		tg.t.Fatalf("copy did not start; log tail:\n%s", p.tail(30))
	}
}

// newUser creates a server account with every privilege, dropped when the
// test ends.
func (tg *target) newUser(name, password string) {
	tg.t.Helper()
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", name, password),
		fmt.Sprintf("GRANT ALL ON *.* TO '%s'@'%%'", name),
	} {
		if _, err := tg.db.Exec(q); err != nil {
			tg.t.Fatal(err)
		}
	}
	tg.t.Cleanup(func() { tg.db.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", name)) })
}

// proc is one running doppel.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	mu   sync.Mutex
	cond *sync.Cond
	log  []string
	done bool
	code int
}

// run starts doppel with args as the sandbox's user.
func (tg *target) run(args ...string) *proc {
	return tg.runAs(tg.server.User, tg.server.Password, args...)
}

// runAs starts doppel with args; the password goes through the environment.
func (tg *target) runAs(user, password string, args ...string) *proc {
	tg.t.Helper()
	bin, err := binary()
	if err != nil {
		tg.t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	if password != "" {
		cmd.Env = append(cmd.Env, "DOPPEL_PASSWORD="+password)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		tg.t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		tg.t.Fatal(err)
	}
	p := &proc{t: tg.t, cmd: cmd}
	p.cond = sync.NewCond(&p.mu)
	tg.procs = append(tg.procs, p)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.log = append(p.log, sc.Text())
			p.cond.Broadcast()
			p.mu.Unlock()
		}
		err := cmd.Wait()
		p.mu.Lock()
		p.done, p.code = true, cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		p.cond.Broadcast()
		p.mu.Unlock()
	}()
	tg.t.Cleanup(func() {
		_ = cmd.Process.Kill()
		p.wait(time.Minute)
	})
	return p
}

// waitFor blocks until a log line contains s (true) or the process ends or
// timeout passes (false).
func (p *proc) waitFor(s string, timeout time.Duration) bool { return p.waitForN(s, 1, timeout) }

// waitForN is waitFor for the n-th line containing s.
func (p *proc) waitForN(s string, n int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	stop := time.AfterFunc(timeout, func() { p.mu.Lock(); p.cond.Broadcast(); p.mu.Unlock() })
	defer stop.Stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, seen := 0, 0; ; {
		for ; i < len(p.log); i++ {
			if strings.Contains(p.log[i], s) {
				if seen++; seen == n {
					return true
				}
			}
		}
		if p.done || time.Now().After(deadline) {
			return false
		}
		p.cond.Wait()
	}
}

// saw reports whether any log line so far contains s.
func (p *proc) saw(s string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.log {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// wait returns the exit code once the process ends, or fails the test.
func (p *proc) wait(timeout time.Duration) int {
	if !p.waitFor("\x00never", timeout) {
		p.mu.Lock()
		done, code := p.done, p.code
		p.mu.Unlock()
		if done {
			return code
		}
	}
	p.t.Fatalf("doppel still running after %v; log tail:\n%s", timeout, p.tail(30))
	return -1
}

// linesWith is every log line containing s.
func (p *proc) linesWith(s string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.log {
		if strings.Contains(l, s) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

func (p *proc) signal(sig syscall.Signal) {
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

// tail is the last n log lines, for failure messages.
func (p *proc) tail(n int) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	// Debug lines (one per applied batch) would bury the story.
	var out []string
	for i := len(p.log) - 1; i >= 0 && len(out) < n; i-- {
		if !strings.Contains(p.log[i], `"level":"debug"`) {
			out = append(out, p.log[i])
		}
	}
	slices.Reverse(out)
	return strings.Join(out, "\n")
}

// finish ends a postponed run: the flag file goes, the run must swap and
// exit 0.
func (tg *target) finish(p *proc) {
	tg.t.Helper()
	if !p.waitFor("cut-over postponed while the flag file exists", 3*time.Minute) {
		tg.t.Fatalf("the run never reached the postponed cut-over; log tail:\n%s", p.tail(40))
	}
	if err := os.Remove(tg.flagFile); err != nil {
		tg.t.Fatal(err)
	}
	if code := p.wait(3 * time.Minute); code != 0 {
		tg.t.Fatalf("final run exited %d; log tail:\n%s", code, p.tail(40))
	}
}

// verify stops the writers and compares the migrated table with the
// reference, row by row; the helper tables must be gone but the old one.
func (tg *target) verify(w *workload.Workload) { tg.verifyWith(w, false) }

// verifyAllowingWriterErrors is verify for a test in which the server went
// away: writes failed then, and each failed in both tables alike.
func (tg *target) verifyAllowingWriterErrors(w *workload.Workload) { tg.verifyWith(w, true) }

func (tg *target) verifyWith(w *workload.Workload, allowErrors bool) {
	tg.t.Helper()
	w.Stop()
	r := w.Result()
	if len(r.Errors) > 0 && !allowErrors {
		tg.t.Fatalf("%d writer errors, first: %v", len(r.Errors), r.Errors[0])
	}
	// The checksum repairs what differs, which would hide a resume or
	// reconnect that lost a change: no run may have needed a repair.
	for i, p := range tg.procs {
		if p.saw("checksum mismatch") {
			tg.t.Errorf("run %d needed a checksum repair: the ghost had diverged before the checksum:\n%s", i+1, p.linesWith("checksum mismatch"))
		}
	}
	const cols = "id, uk, k, c, pad, amount, ts"
	tg.compare("SELECT "+cols+", x FROM t ORDER BY id", "SELECT "+cols+", 7 FROM ref ORDER BY id")
	tg.t.Logf("after %d writes (%d failed)", r.Writes, len(r.Errors))
	var left []string
	rows, err := tg.db.Query("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE '\\_t\\_%' ORDER BY 1")
	if err != nil {
		tg.t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var n string
		rows.Scan(&n)
		left = append(left, n)
	}
	if len(left) != 1 || !oldTable.MatchString(left[0]) {
		tg.t.Errorf("helper tables left: %v, want only the old table", left)
	}
}

// compare checks every row of gotQ against wantQ.
func (tg *target) compare(gotQ, wantQ string) {
	tg.t.Helper()
	got, err := workload.Dump(tg.db, gotQ)
	if err != nil {
		tg.t.Fatal(err)
	}
	want, err := workload.Dump(tg.db, wantQ)
	if err != nil {
		tg.t.Fatal(err)
	}
	if d := workload.Diff(got, want, 5); len(d) > 0 {
		tg.t.Fatalf("migrated table differs from the reference (%d vs %d rows):\n%s", len(got), len(want), strings.Join(d, "\n"))
	}
	tg.t.Logf("all %d rows equal to the reference", len(got))
}

// oldTable is the original's name after the swap, with or without
// --timestamp-old-table.
var oldTable = regexp.MustCompile(`^_t_(\d{14}_)?del$`)

// checkpointRow reads the checkpoint's progress columns.
func (tg *target) checkpointRow() (phase string, rows int64, done bool, err error) {
	err = tg.db.QueryRow("SELECT phase, rows_copied, copy_done FROM _t_ghk WHERE id = 1").Scan(&phase, &rows, &done)
	return phase, rows, done, err
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
