package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// kill is one interruption: wait for a log line, then a random delay, then
// the signal.
type kill struct {
	phase string // what the run is doing when it is killed
	after string // log line to wait for
	nth   int    // its occurrence
	upTo  time.Duration
	sig   syscall.Signal
}

// TestKilledRunsResume kills doppel ten times at random moments across the
// copy, the apply catch-up and the checksum (and once stops it with SIGTERM),
// each time resuming with --resume, while writers keep changing the table.
// The migration that finally swaps must equal the reference row by row.
func TestKilledRunsResume(t *testing.T) {
	c := sandbox.Shared(t)
	tg := newTarget(t, c.Primary, 100000)
	w := tg.writers(300)
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 7))
	t.Logf("random seed %d", seed)

	// The second checkpoint of a run is the first one written while it
	// copies: killing after it makes every run leave progress behind.
	const copying = `"message":"checkpoint written"`
	const copyEnded = "(the copy's end)"
	kills := []kill{
		{"copy", copying, 2, time.Second, syscall.SIGKILL},
		{"copy", copying, 2, time.Second, syscall.SIGTERM},
		{"copy", copying, 2, time.Second, syscall.SIGKILL},
		{"copy", copying, 2, time.Second, syscall.SIGKILL},
		// copyEnded is the log line that ends the copy in this run: which
		// one depends on whether the checkpoint before it recorded the copy
		// as done (a kill may land just before or just after that).
		{"catch-up", copyEnded, 1, 30 * time.Millisecond, syscall.SIGKILL},
		{"catch-up", copyEnded, 1, 30 * time.Millisecond, syscall.SIGKILL},
		{"apply (postponed)", "cut-over postponed while the flag file exists", 1, time.Second, syscall.SIGKILL},
		{"checksum", "checksum snapshot open", 1, 40 * time.Millisecond, syscall.SIGKILL},
		{"checksum", "checksum snapshot open", 2, 40 * time.Millisecond, syscall.SIGKILL},
		{"checksum", "checksum snapshot open", 1, 40 * time.Millisecond, syscall.SIGKILL},
	}
	copyDone := false
	for i, k := range kills {
		if k.after == copyEnded {
			k.after = "row copy complete"
			if copyDone {
				k.after = "row copy was complete before the resume"
			}
		}
		args := tg.args()
		if i > 0 {
			args = tg.args("--resume")
		}
		p := tg.run(args...)
		if !p.waitForN(k.after, k.nth, 3*time.Minute) {
			t.Fatalf("kill %d (%s): never saw %q; log tail:\n%s", i+1, k.phase, k.after, p.tail(40))
		}
		time.Sleep(time.Duration(rnd.Int64N(int64(k.upTo))))
		copied := p.saw("row copy complete") || p.saw("row copy was complete")
		p.signal(k.sig)
		code := p.wait(2 * time.Minute)
		if i > 0 && !p.saw("resuming from checkpoint") {
			t.Fatalf("run %d did not resume from the checkpoint; log tail:\n%s", i+1, p.tail(40))
		}
		if k.sig == syscall.SIGTERM {
			if code != 1 || !p.saw("--resume") {
				t.Fatalf("SIGTERM: exit code %d, want 1 and a message naming --resume; log tail:\n%s", code, p.tail(20))
			}
		}
		phase, rows, done, err := tg.checkpointRow()
		if err != nil {
			t.Fatalf("after kill %d: read checkpoint: %v", i+1, err)
		}
		copyDone = done
		if k.phase == "copy" && copied {
			t.Logf("kill %d landed after the copy ended (the copy outran the delay)", i+1)
		}
		t.Logf("kill %d (%s, %v): exit %d; checkpoint phase %s, rows %d, copy done %v", i+1, k.phase, k.sig, code, phase, rows, done)
	}
	final := tg.run(tg.args("--resume")...)
	tg.finish(final)
	if !final.saw("resuming from checkpoint") {
		t.Fatal("the final run did not resume")
	}
	tg.verify(w)
}

// TestKilledDuringCutOverResumes kills doppel inside the cut-over's critical
// section (tables locked, sentry in place or just dropped, rename queued or
// not). Whether the swap had happened or not, the table must never be left
// locked or missing for the writers, and --resume must end with the new
// table in place and every row equal to the reference, or, when the kill
// fell past the point of no return and writers reached the old table, name
// every such row.
func TestKilledDuringCutOverResumes(t *testing.T) {
	c := sandbox.Shared(t)
	const locked, dropped = "original table locked", "sentry dropped"
	cases := []struct {
		after string
		delay time.Duration
		extra []string
	}{
		{locked, 0, nil}, {locked, 2 * time.Millisecond, nil}, {locked, 20 * time.Millisecond, nil},
		// The resumed run starts later than the interrupted one, so its own
		// timestamped name for the old table would differ.
		{locked, 20 * time.Millisecond, []string{"--timestamp-old-table"}},
		// Right past the point of no return: the rename may not be queued
		// on the original yet when the lock goes with the process.
		{dropped, 0, nil},
	}
	for _, tc := range cases {
		delay := tc.delay
		t.Run(fmt.Sprint(tc.after, delay, tc.extra), func(t *testing.T) {
			tg := newTarget(t, c.Primary, 20000)
			w := tg.writers(300)
			p := tg.run(tg.args(append([]string{"--postpone-cut-over-flag-file="}, tc.extra...)...)...)
			if !p.waitFor(`"message":"`+tc.after+`"`, 3*time.Minute) {
				t.Fatalf("never reached the cut-over; log tail:\n%s", p.tail(30))
			}
			time.Sleep(delay)
			p.signal(syscall.SIGKILL)
			p.wait(time.Minute)
			// Writers must not be stuck behind a dead session's locks.
			before := w.Result().Writes
			time.Sleep(time.Second)
			if w.Result().Writes == before {
				t.Fatal("writers made no progress after the kill: a lock was left behind")
			}
			time.Sleep(1100 * time.Millisecond) // a new second: a new timestamped name
			resumed := tg.run(tg.args(append([]string{"--resume", "--postpone-cut-over-flag-file="}, tc.extra...)...)...)
			code := resumed.wait(3 * time.Minute)
			if code != 0 && resumed.saw(lostWrites) {
				// The kill fell between the sentry's drop and the rename's
				// place in the queue: writers got in first. That cannot be
				// prevented, only never be silent: the report must name
				// every row that differs.
				t.Logf("killed %v after %q: past the point of no return; the resume reported the writes that reached the old table", delay, tc.after)
				tg.verifyReportedLoss(w, resumed)
				return
			}
			if code != 0 {
				t.Fatalf("resume exited %d; log tail:\n%s", code, resumed.tail(30))
			}
			outcome := "not yet swapped: resumed and swapped"
			if resumed.saw("had already swapped") {
				outcome = "swapped before the kill: cleanup finished"
				if !resumed.saw("swap audited in the binlog") {
					t.Fatalf("the swap was not audited; log tail:\n%s", resumed.tail(30))
				}
			}
			t.Logf("killed %v after %q: %s", delay, tc.after, outcome)
			tg.verify(w)
		})
	}
}

// lostWrites is how the resume reports writes that reached only the old
// table of a swap it finds done.
const lostWrites = "committed to the old table between the drain and the rename"

// verifyReportedLoss checks a resume's lost-writes report against the
// data: every row in which the new table and the reference differ must be
// named by its key, and there must be such rows.
func (tg *target) verifyReportedLoss(w *workload.Workload, p *proc) {
	tg.t.Helper()
	w.Stop()
	report := p.linesWith(lostWrites)
	rows, err := tg.db.Query(`SELECT r.id FROM ref r LEFT JOIN t ON t.id = r.id
WHERE t.id IS NULL OR NOT (t.uk <=> r.uk AND t.k <=> r.k AND t.c <=> r.c AND t.pad <=> r.pad AND t.amount <=> r.amount AND t.ts <=> r.ts)
UNION SELECT t.id FROM t LEFT JOIN ref r ON r.id = t.id WHERE r.id IS NULL`)
	if err != nil {
		tg.t.Fatal(err)
	}
	defer rows.Close()
	var differ []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			tg.t.Fatal(err)
		}
		differ = append(differ, id)
	}
	if err := rows.Err(); err != nil {
		tg.t.Fatal(err)
	}
	if len(differ) == 0 {
		tg.t.Fatalf("the resume reported lost writes but the table equals the reference:\n%s", report)
	}
	for _, id := range differ {
		if !strings.Contains(report, fmt.Sprintf("id=%d)", id)) {
			tg.t.Errorf("row id=%d differs from the reference but the report does not name it:\n%s", id, report)
		}
	}
	tg.t.Logf("%d differing rows, each named in the report", len(differ))
}

// TestResumeRefusals: --resume must refuse, with the original untouched,
// when the interrupted migration cannot be continued safely.
func TestResumeRefusals(t *testing.T) {
	c := sandbox.Shared(t)
	tg := newTarget(t, c.Primary, 30000)
	unchanged := func() {
		t.Helper()
		tg.compare("SELECT * FROM t ORDER BY id", "SELECT * FROM ref ORDER BY id")
	}
	refused := func(want string, extra ...string) {
		t.Helper()
		p := tg.run(tg.args(append([]string{"--resume"}, extra...)...)...)
		if code := p.wait(time.Minute); code != 1 || !p.saw(want) {
			t.Fatalf("exit %d, want 1 and %q; log tail:\n%s", code, want, p.tail(10))
		}
		unchanged()
	}
	refused("there is no interrupted migration")

	p := tg.run(tg.args()...)
	tg.waitCopying(p, 2*time.Minute)
	p.signal(syscall.SIGTERM)
	if code := p.wait(time.Minute); code != 1 {
		t.Fatalf("SIGTERM: exit %d", code)
	}
	unchanged()

	// A dry run says whether the checkpoint can be resumed.
	dry := tg.run(append(tg.args("--resume"), "--execute=false")...)
	if code := dry.wait(time.Minute); code != 0 || !dry.saw("can be resumed") {
		t.Fatalf("dry run: exit %d; log tail:\n%s", code, dry.tail(10))
	}
	// A new run must not overwrite the interrupted one's tables.
	fresh := tg.run(tg.args()...)
	if code := fresh.wait(time.Minute); code != 1 || !fresh.saw("continue it with --resume") {
		t.Fatalf("new run over a checkpoint: exit %d; log tail:\n%s", code, fresh.tail(10))
	}
	refused("ran a different ALTER", "--alter=ADD COLUMN y int")

	if _, err := tg.db.Exec("FLUSH BINARY LOGS"); err != nil {
		t.Fatal(err)
	}
	var file string
	if err := tg.db.QueryRow("SELECT binlog_file FROM _t_ghk").Scan(&file); err != nil {
		t.Fatal(err)
	}
	// Purging needs every later binlog kept: purge only up to the file
	// after the checkpoint's, on a server whose replica has read it all.
	if err := c.WaitReplicaCaughtUp(ctxFor(t, time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.db.Exec("PURGE BINARY LOGS TO '" + nextBinlog(file) + "'"); err != nil {
		t.Fatal(err)
	}
	refused("no longer on")

	if _, err := tg.db.Exec("ALTER TABLE t ADD COLUMN by_hand int NULL"); err != nil {
		t.Fatal(err)
	}
	p2 := tg.run(tg.args("--resume")...)
	if code := p2.wait(time.Minute); code != 1 || !p2.saw("changed since the checkpoint") {
		t.Fatalf("altered original: exit %d; log tail:\n%s", code, p2.tail(10))
	}
	tg.compare("SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT * FROM ref ORDER BY id")
}

// nextBinlog names the binlog file after name (mysql-bin.000007 →
// mysql-bin.000008).
func nextBinlog(name string) string {
	i := strings.LastIndexByte(name, '.')
	var n int
	fmt.Sscanf(name[i+1:], "%d", &n)
	return fmt.Sprintf("%s.%0*d", name[:i], len(name)-i-1, n+1)
}
