package migration

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/doppel-dev/doppel/sandbox"
)

// A real migration pushes its metrics to a StatsD server: the rows-copied
// counter's pushes add up to the rows of the table, the phases are seen as
// they pass, and the last push, sent as Run returns, shows the run done.
func TestStatsDFollowsARealMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	grams := make(chan string, 4096)
	go func() {
		buf := make([]byte, 65536)
		for {
			n, _, err := pc.ReadFrom(buf)
			if err != nil {
				close(grams)
				return
			}
			grams <- string(buf[:n])
		}
	}()

	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 5000
	seedLive(t, db, rows)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	// Small chunks with a rest after each, so the copy spans several pushes.
	cfg.ChunkSize, cfg.CopyThreads, cfg.NiceRatio, cfg.TargetChunkTime = 200, 1, 1, 0
	cfg.StatsDAddr, cfg.StatsDInterval = pc.LocalAddr().String(), 100*time.Millisecond
	rep, err := Run(context.Background(), cfg, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	// Run returned after its last push; a loopback datagram sent by then is
	// in the socket's buffer.
	_ = pc.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	var lines []string
	for g := range grams {
		lines = append(lines, strings.Split(g, "\n")...)
	}
	var reference int64
	if err := db.QueryRow("SELECT COUNT(*) FROM ref").Scan(&reference); err != nil {
		t.Fatal(err)
	}

	line := regexp.MustCompile(`^([a-z_]+):(-?[0-9.e+]+)\|(c|g)(\|#(.*))?$`)
	tags := "database:" + name + ",table:t"
	var copied float64
	var copiedPushes int
	lastPhase, seen := "", map[string]bool{}
	for _, l := range lines {
		mm := line.FindStringSubmatch(l)
		if mm == nil {
			t.Fatalf("not a StatsD line: %q", l)
		}
		v, err := strconv.ParseFloat(mm[2], 64)
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		switch {
		case mm[1] == "doppel_rows_copied_total":
			if mm[3] != "c" || mm[5] != tags {
				t.Errorf("rows copied sent as %q, want a counter tagged %s", l, tags)
			}
			copied += v
			copiedPushes++
		case mm[1] == "doppel_phase" && v == 1:
			tagged := map[string]string{}
			for _, kv := range strings.Split(mm[5], ",") {
				k, v, _ := strings.Cut(kv, ":")
				tagged[k] = v
			}
			if tagged["database"] != name || tagged["table"] != "t" {
				t.Errorf("phase line %q lacks the table's tags", l)
			}
			seen[tagged["phase"]], lastPhase = true, tagged["phase"]
		}
	}
	if int64(copied) != reference || rep.RowsCopied != reference {
		t.Errorf("rows copied pushed: %v; the report says %d; the table holds %d", copied, rep.RowsCopied, reference)
	}
	if copiedPushes < 2 {
		t.Errorf("rows copied pushed %d times, want it seen growing", copiedPushes)
	}
	if !seen["copy"] || lastPhase != "done" {
		t.Errorf("phases seen %v, last %q; want copy among them and done last", seen, lastPhase)
	}
}
