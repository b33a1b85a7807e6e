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
// not stay visible to ps (/proc/<pid>/cmdline) while doppel runs.
func TestPasswordLeavesTheProcessList(t *testing.T) {
	c := sandbox.Shared(t)
	tg := newTarget(t, c.Primary, 20000)
	user := fmt.Sprintf("pw_%d", tg.serverID)
	const secret = "Pw-in-argv-7q"
	for _, q := range []string{
		fmt.Sprintf("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'", user, secret),
		fmt.Sprintf("GRANT ALL ON *.* TO '%s'@'%%'", user),
	} {
		if _, err := tg.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { tg.db.Exec(fmt.Sprintf("DROP USER '%s'@'%%'", user)) })
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := tg.runAs(user, "", tg.args("--user="+user, "--password="+secret)...)
	if !p.waitFor(`"message":"binlog stream started"`, 2*time.Minute) {
		t.Fatalf("the run did not start (was the password lost?); log tail:\n%s", p.tail(20))
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
	if strings.Contains(strings.Join(p.log, "\n"), secret) {
		t.Fatal("the password reached the log")
	}
	tg.finish(p)
}
