package migration

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/internal/syncbuf"
	"github.com/doppel-dev/doppel/sandbox"
)

func TestAutoThreadsIsHalfTheServersCPUs(t *testing.T) {
	t.Parallel()
	for cpus, want := range map[int]int{
		0: 2, // the server does not say
		1: 1, 2: 1, 3: 1, 4: 2, 8: 4, 15: 7, 16: 8, 96: 8,
	} {
		if got := AutoThreads(cpus); got != want {
			t.Errorf("AutoThreads(%d) = %d, want %d", cpus, got, want)
		}
	}
}

// machineCPUs are the counts the sandbox's server may have sized its thread
// pool to: the CPUs this process may run on, and the CPUs online.
func machineCPUs(t *testing.T) []int {
	t.Helper()
	counts := []int{runtime.NumCPU()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		n := 0
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "processor") {
				n++
			}
		}
		counts = append(counts, n)
	}
	return counts
}

// The sandbox runs on this machine, so the CPUs the server reports are the
// ones this process sees; a migration at the defaults sizes both thread
// counts from them, and an operator's count stands.
func TestThreadsAreSizedFromTheServersCPUs(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	seedLive(t, db, 100)

	cpus, err := ServerCPUs(context.Background(), db, binlog.FlavorMariaDB)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ServerCPUs(context.Background(), db, binlog.FlavorMySQL); err != nil || n != 0 {
		t.Fatalf("as a MySQL server: %d CPUs (%v), want 0: its thread pool does not size itself to them", n, err)
	}
	machine := machineCPUs(t)
	if cpus != machine[0] && (len(machine) < 2 || cpus != machine[1]) {
		t.Fatalf("the server reports %d CPUs; this machine has %v", cpus, machine)
	}
	auto := AutoThreads(cpus)

	for _, c := range []struct {
		copy, checksum         int
		wantCopy, wantChecksum int
	}{
		{0, 0, auto, auto},
		{3, 0, 3, auto},
		{0, 5, auto, 5},
	} {
		var logs syncbuf.Buffer
		cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int")
		cfg.AllowOnMaster, cfg.Execute = true, false
		cfg.CopyThreads, cfg.ChecksumThreads = c.copy, c.checksum
		if _, err := Run(context.Background(), cfg, zerolog.New(&logs)); err != nil {
			t.Fatalf("dry run: %v", err)
		}
		var sized []map[string]any
		for _, ev := range logEvents(t, &logs) {
			if strings.HasPrefix(ev["message"].(string), "threads sized") {
				sized = append(sized, ev)
			}
		}
		if len(sized) != 1 {
			t.Fatalf("--threads=%d --checksum-threads=%d: %d sizing events, want 1", c.copy, c.checksum, len(sized))
		}
		ev := sized[0]
		if ev["copy_threads"] != float64(c.wantCopy) || ev["checksum_threads"] != float64(c.wantChecksum) || ev["server_cpus"] != float64(cpus) {
			t.Errorf("--threads=%d --checksum-threads=%d: sized %v, want copy %d, checksum %d from %d CPUs",
				c.copy, c.checksum, ev, c.wantCopy, c.wantChecksum, cpus)
		}
	}
}
