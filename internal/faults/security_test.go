package faults

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
)

// TestPasswordLeavesTheProcessList: a password given with --password must
// not stay visible to ps (/proc/<pid>/cmdline) while doppel runs, and
// neither the password nor the table's values may reach the log of a
// --debug run: rows copied, and rows written, updated and deleted while the
// binlog is applied, carry marker strings that the log must not contain.
func TestPasswordLeavesTheProcessList(t *testing.T) {
	c := sandbox.Shared(t)
	tg := newTarget(t, c.Primary, 20000)
	const copied, live, amount = "zz-secret-row-value-7731", "zz-live-row-value-4419", "4242424.42"
	if _, err := tg.db.Exec(`INSERT INTO t (id, uk, k, c, pad, amount) SELECT seq, CONCAT(?, '-uk-', seq), 1, CONCAT(?, '-c-', seq), ?, NULL
		FROM seq_20001_to_20003`, copied, copied, copied); err != nil {
		t.Fatal(err)
	}
	user := fmt.Sprintf("pw_%d", tg.serverID)
	const secret = "Pw-in-argv-7q"
	tg.newUser(user, secret)
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := tg.runAs(user, "", tg.args("--user="+user, "--password="+secret)...)
	if !p.waitFor(`"message":"binlog stream started"`, 2*time.Minute) {
		t.Fatalf("the run did not start (was the password lost?); log tail:\n%s", p.tail(20))
	}
	// Applied from the binlog: an insert, an update, a delete.
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO t (id, uk, k, c, pad, amount) VALUES (20010, ?, 2, ?, ?, ?)", []any{live + "-uk", live + "-c", live + "-pad", amount}},
		{"UPDATE t SET c = ?, pad = ? WHERE id = 5", []any{live + "-updated", live + "-pad2"}},
		{"DELETE FROM t WHERE id = 20003", nil},
	} {
		if _, err := tg.db.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), secret) {
		t.Fatalf("the password is in the process list: %q", cmdline)
	}
	if !strings.Contains(string(cmdline), "--user="+user) {
		t.Fatalf("unexpected command line %q", cmdline)
	}
	tg.finish(p)
	// The markers went through the migration, so their absence from the
	// log below means something.
	var n int
	if err := tg.db.QueryRow("SELECT COUNT(*) FROM t WHERE c LIKE 'zz-%' AND (id IN (20001, 20002, 20010) OR c = ?)", live+"-updated").Scan(&n); err != nil || n != 4 {
		t.Fatalf("%d marker rows in the migrated table, want 4 (err %v)", n, err)
	}
	if !p.saw(`"level":"debug"`) {
		t.Fatal("the run logged nothing at debug level")
	}
	log := strings.Join(p.log, "\n")
	if strings.Contains(log, secret) {
		t.Error("the password reached the log")
	}
	for _, value := range []string{copied, live, amount} {
		if strings.Contains(log, value) {
			t.Errorf("a row value (%s) reached the log:\n%s", value, p.linesWith(value))
		}
	}
}
