package faults

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
)

// TestPrimaryRestartMidCopy stops the primary mid-copy and starts it again
// a few seconds later. doppel must ride it out by itself: the binlog
// stream, the copy, the applier, the heartbeat and the migration lock all
// reconnect, and the swapped table equals the reference.
func TestPrimaryRestartMidCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := ctxFor(t, 5*time.Minute)
	c, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tg := newTarget(t, c.Primary, 100000)
	w := tg.writers(200)
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := tg.run(tg.args("--max-reconnect-wait=2m")...)
	tg.waitCopying(p, 3*time.Minute)
	if err := c.Primary.Restart(ctx, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	tg.finish(p)
	if p.saw("resuming from checkpoint") {
		t.Fatal("the run was restarted; it should have ridden out the server restart")
	}
	// Writes that failed while the server was down never committed to
	// either table; the others must all be in the new one.
	tg.verifyAllowingWriterErrors(w)
}

// TestServerGoneLongerThanTheWait: the primary stays away longer than
// --max-reconnect-wait. doppel must stop with the original untouched and a
// message naming --resume, and a resumed run must finish the migration.
func TestServerGoneLongerThanTheWait(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := ctxFor(t, 5*time.Minute)
	c, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	tg := newTarget(t, c.Primary, 60000)
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := tg.run(tg.args("--max-reconnect-wait=3s")...)
	tg.waitCopying(p, 3*time.Minute)
	restarted := make(chan error, 1)
	go func() { restarted <- c.Primary.Restart(ctx, 15*time.Second) }()
	if code := p.wait(time.Minute); code != 1 || !p.saw("--resume") {
		t.Fatalf("exit code %d, want 1 and a message naming --resume; log tail:\n%s", code, p.tail(20))
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	w := tg.writers(100)
	resumed := tg.run(tg.args("--resume")...)
	tg.finish(resumed)
	if !resumed.saw("resuming from checkpoint") {
		t.Fatal("the second run did not resume")
	}
	tg.verify(w)
}

// TestEveryConnectionKilledOnce kills, on the server, each connection
// doppel holds mid-copy (the binlog dump first), one at a time. Each must be
// survived: reconnected, retried or re-taken.
func TestEveryConnectionKilledOnce(t *testing.T) {
	c := sandbox.Shared(t)
	tg := newTarget(t, c.Primary, 100000)
	user := fmt.Sprintf("mig_%d", tg.serverID)
	tg.newUser(user, "migpw")
	w := tg.writers(200)
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// One copy thread, slowed: the copy must still run while sessions are
	// caught mid-statement below.
	p := tg.runAs(user, "migpw", tg.args("--user="+user, "--threads=1", "--chunk-size=50", "--nice-ratio=2")...)
	tg.waitCopying(p, 3*time.Minute)
	ids := tg.sessionsOf(t, user)
	if len(ids) < 3 {
		t.Fatalf("found only %d doppel sessions: %v", len(ids), ids)
	}
	for _, s := range ids {
		if _, err := tg.db.Exec(fmt.Sprintf("KILL %d", s.id)); err != nil && !strings.Contains(err.Error(), "Unknown thread") {
			t.Fatalf("kill %d: %v", s.id, err)
		}
		t.Logf("killed session %d (%s)", s.id, s.command)
		time.Sleep(300 * time.Millisecond)
	}
	// Idle sessions are easy. Now sessions caught mid-statement: the copy
	// (slowed by --nice-ratio) runs statement after statement, and ghost
	// rows the writers update are locked so the applier must wait. The
	// locked rows must be behind the copy, or they would stop it too.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		var passed int
		if err := tg.db.QueryRow("SELECT COUNT(*) FROM _t_gho WHERE id > 3000").Scan(&passed); err != nil {
			t.Fatal(err)
		}
		if passed > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the copy did not pass id 3000 in a minute; log tail:\n%s", p.tail(30))
		}
	}
	holder, err := tg.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback()
	for _, q := range []string{"SELECT id FROM _t_gho WHERE id <= 3000 FOR UPDATE"} {
		if _, err := holder.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	killed := map[int64]bool{}
	for _, s := range ids {
		killed[s.id] = true
	}
	var busy []string
	for end := time.Now().Add(60 * time.Second); len(busy) < 3 && time.Now().Before(end) && !p.exited(); time.Sleep(20 * time.Millisecond) {
		for _, s := range tg.sessionsOf(t, user) {
			// Statements with arguments run prepared: "Execute".
			if killed[s.id] || (s.command != "Query" && s.command != "Execute") {
				continue
			}
			killed[s.id] = true
			if _, err := tg.db.Exec(fmt.Sprintf("KILL %d", s.id)); err == nil {
				busy = append(busy, s.info)
			}
		}
	}
	holder.Rollback()
	t.Logf("killed %d sessions mid-statement: %q", len(busy), busy)
	if len(busy) < 3 {
		t.Fatalf("fewer than three doppel sessions were caught mid-statement; log tail:\n%s", p.tail(40))
	}
	tg.finish(p)
	if !p.saw("lock taken again") {
		t.Error("the migration lock's session was killed but the lock was not taken again")
	}
	tg.verify(w)
}

// TestHandAlterStopsTheMigration: someone alters the original while it is
// being migrated. The migration must stop naming the statement, swap
// nothing and leave the original as the operator's ALTER made it.
func TestHandAlterStopsTheMigration(t *testing.T) {
	c := sandbox.Shared(t)
	tg := newTarget(t, c.Primary, 50000)
	w := tg.writers(100)
	if err := os.WriteFile(tg.flagFile, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := tg.run(tg.args()...)
	tg.waitCopying(p, 3*time.Minute)
	if _, err := tg.db.Exec("ALTER TABLE t ADD COLUMN by_hand int NULL"); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(2 * time.Minute); code != 1 {
		t.Fatalf("exit code %d, want 1; log tail:\n%s", code, p.tail(20))
	}
	if !p.saw(`ALTER TABLE t ADD COLUMN by_hand int NULL`) || !p.saw("nothing was swapped") {
		t.Fatalf("the error does not name the statement; log tail:\n%s", p.tail(20))
	}
	w.Stop()
	var cols string
	if err := tg.db.QueryRow("SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 't'").Scan(&cols); err != nil {
		t.Fatal(err)
	}
	if cols != "id,uk,k,c,pad,amount,ts,by_hand" {
		t.Fatalf("columns of t: %s (swapped?)", cols)
	}
	tg.compare("SELECT id, uk, k, c, pad, amount, ts FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts FROM ref ORDER BY id")
}

type session struct {
	id      int64
	command string
	seconds int64
	info    string // the statement's first words
}

// sessionsOf lists user's sessions, the binlog dump first.
func (tg *target) sessionsOf(t *testing.T, user string) []session {
	rows, err := tg.db.QueryContext(context.Background(),
		"SELECT ID, COMMAND, TIME, LEFT(COALESCE(INFO, ''), 30) FROM information_schema.PROCESSLIST WHERE USER = ? ORDER BY COMMAND <> 'Binlog Dump', ID", user)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []session
	for rows.Next() {
		var s session
		if err := rows.Scan(&s.id, &s.command, &s.seconds, &s.info); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}
