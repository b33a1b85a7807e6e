// Command bench migrates the same 1M-row sysbench-shaped table with doppel,
// pt-online-schema-change and a plain ALTER TABLE … ALGORITHM=COPY, in one
// run on one local MariaDB, with and without an application write load, and
// prints the times side by side as ratios. Run it with `make bench`.
//
// Numbers from one machine mean little alone; the ratios between tools
// measured in the same run are the result.
package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/go-sql-driver/mysql"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

type result struct {
	tool, load string
	took       time.Duration
	writes     int64
	errors     int
	longest    time.Duration
	phases     *phases // doppel only
	// phaseWrites is the writers' rate in each of doppel's phases (loaded
	// doppel runs only).
	phaseWrites []phaseRate
	rssKB       int64 // peak resident memory of the tool's process (0: not measured)
	// lockWaits and lockWaited are the server's row lock waits during the
	// run (Innodb_row_lock_waits, Innodb_row_lock_time): the writers' and
	// the tool's own.
	lockWaits  int64
	lockWaited time.Duration
	// toolCPU and serverCPU are the CPU time (user and system) the tool's
	// process and mariadbd used during the run.
	toolCPU, serverCPU time.Duration
	rows               int
	err                error
}

func main() {
	doppel := flag.String("doppel", "bin/doppel", "path to the doppel binary")
	rows := flag.Int("rows", 1_000_000, "rows in the sysbench-shaped table")
	rate := flag.Int("writes-per-second", 1000, "write load for the loaded runs")
	chunk := flag.Int("chunk-size", 1000, "doppel's and pt-osc's chunk size")
	only := flag.String("tools", "alter,pt-osc,doppel", "comma-separated tools to run (empty: none)")
	drainThreads := flag.String("drain-apply-threads", "1,2,4,8", "--apply-threads values for the apply-throughput run (empty: skip it)")
	drainFor := flag.Duration("drain-load", 30*time.Second, "how long the clients write while the migration is throttled")
	drainRows := flag.Int("drain-rows", 100_000, "rows in the apply-throughput run's table")
	growthRows := flag.Int("growth-rows", 4_000_000, "rows of the larger table doppel migrates (idle) to compare with -rows (0: skip)")
	dmlBatch := flag.Int("dml-batch-size", 0, "doppel's --dml-batch-size in the apply-throughput run (0: doppel's default)")
	balanceLags := flag.String("balance-max-apply-lag", "2s,0", "--max-apply-lag values for the copy/apply balance run under unthrottled writes (empty: skip it)")
	deferRounds := flag.Int("defer-keys-rounds", 1, "rounds of the deferred-secondary-keys measurement: doppel's copy with and without the index k_1, and k_1 built afterwards (0: skip it)")
	doppelFlags := flag.String("doppel-flags", "", "extra flags for every doppel run, space-separated (e.g. \"--threads=4 --target-chunk-time=100ms\")")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var threads []int
	for _, f := range strings.Split(*drainThreads, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		var n int
		if _, err := fmt.Sscan(f, &n); err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench: -drain-apply-threads: %q is not a positive number\n", f)
			os.Exit(2)
		}
		threads = append(threads, n)
	}
	var tools []string
	if *only != "" {
		tools = strings.Split(*only, ",")
	}
	var lags []string
	for _, l := range strings.Split(*balanceLags, ",") {
		if l = strings.TrimSpace(l); l != "" {
			lags = append(lags, l)
		}
	}
	cfg := runConfig{doppel: *doppel, rows: *rows, rate: *rate, chunk: *chunk, tools: tools, growthRows: *growthRows,
		drain: drainConfig{threads, *drainFor, *drainRows, *dmlBatch}, balanceLags: lags, deferRounds: *deferRounds, extra: strings.Fields(*doppelFlags)}
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// runConfig is what one bench run measures.
type runConfig struct {
	doppel            string
	rows, rate, chunk int
	tools             []string
	growthRows        int
	drain             drainConfig
	balanceLags       []string
	deferRounds       int
	extra             []string // flags added to every doppel command line
}

func run(ctx context.Context, rc runConfig) error {
	doppel, rows, rate, chunk, tools, dc, growthRows := rc.doppel, rc.rows, rc.rate, rc.chunk, rc.tools, rc.drain, rc.growthRows
	cluster, err := sandbox.Start(ctx, sandbox.Options{})
	if err != nil {
		return err
	}
	defer cluster.Close()
	s := cluster.Primary
	admin, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE bench"); err != nil {
		return err
	}
	db, err := sql.Open("mysql", s.DSN("bench"))
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(32)

	var results []result
	for _, load := range []int{0, rate} {
		if len(tools) == 0 {
			break
		}
		runTools := tools
		if load > 0 {
			runTools = append([]string{"none"}, tools...)
		}
		for _, tool := range runTools {
			fmt.Fprintf(os.Stderr, "bench: %s, %d writes/s: seeding %d rows\n", tool, load, rows)
			if err := seed(ctx, db, rows); err != nil {
				return err
			}
			r := measure(ctx, db, s, tool, load, rows, doppel, chunk, rc.extra)
			if r.err != nil {
				fmt.Fprintf(os.Stderr, "bench: %s failed: %v\n", tool, r.err)
			}
			results = append(results, r)
		}
	}
	if len(results) > 0 {
		report(results, rows)
	}
	if growthRows > 0 {
		if err := growth(ctx, db, s, doppel, chunk, []int{rows, growthRows}, rc.extra); err != nil {
			return err
		}
	}
	if rc.deferRounds > 0 {
		if err := deferKeys(ctx, db, s, doppel, rows, chunk, rc.deferRounds, rc.extra); err != nil {
			return err
		}
	}
	if len(rc.balanceLags) > 0 {
		if err := balance(ctx, s, db, doppel, rows, chunk, rc.balanceLags, rc.extra); err != nil {
			return err
		}
	}
	if len(dc.threads) > 0 {
		return drain(ctx, s, db, doppel, dc, rc.extra)
	}
	return nil
}

// growth migrates (idle) tables of each size with doppel: time should grow
// no worse than linearly, and doppel's memory not with the table.
func growth(ctx context.Context, db *sql.DB, s *sandbox.Server, doppel string, chunk int, sizes []int, extra []string) error {
	var results []result
	for _, n := range sizes {
		fmt.Fprintf(os.Stderr, "bench: growth, doppel on %d rows: seeding\n", n)
		if err := seed(ctx, db, n); err != nil {
			return err
		}
		r := measure(ctx, db, s, "doppel", 0, n, doppel, chunk, extra)
		r.rows = n
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "bench: growth run on %d rows failed: %v\n", n, r.err)
		}
		results = append(results, r)
	}
	fmt.Printf("\ngrowth: doppel, idle, ALTER ENGINE=InnoDB\n\n")
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "rows\tseconds\ttime vs smallest\trows vs smallest\tpeak RSS")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(tw, "%d\tfailed\t-\t-\t-\n", r.rows)
			continue
		}
		base := results[0]
		fmt.Fprintf(tw, "%d\t%.1f\t%.2fx\t%.1fx\t%s\n", r.rows, r.took.Seconds(), r.took.Seconds()/base.took.Seconds(),
			float64(r.rows)/float64(base.rows), rssText(r.rssKB))
	}
	return tw.Flush()
}

func rssText(kb int64) string {
	if kb == 0 {
		return "-"
	}
	return fmt.Sprintf("%d MB", kb/1024)
}

// seed creates sbtest1 with rows rows, and ref, the reference the loaded
// runs write alongside it, with the same rows.
func seed(ctx context.Context, db *sql.DB, rows int) error {
	for _, q := range []string{
		"DROP TABLE IF EXISTS sbtest1, ref, _sbtest1_gho, _sbtest1_ghc, _sbtest1_del, _sbtest1_new, _sbtest1_old",
		"CREATE TABLE sbtest1 " + workload.SysbenchSchema,
		workload.SeedSQL(workload.Sysbench, "sbtest1", rows),
		"CREATE TABLE ref " + workload.SysbenchSchema,
		"INSERT INTO ref SELECT * FROM sbtest1",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
	}
	return nil
}

// measure migrates sbtest1 with tool. Under load, every write goes to
// sbtest1 and ref in one transaction, and the migrated table must equal ref
// row by row afterwards.
func measure(ctx context.Context, db *sql.DB, s *sandbox.Server, tool string, load, rows int, doppel string, chunk int, extra []string) result {
	r := result{tool: tool, load: "none"}
	var w *workload.Workload
	if load > 0 {
		r.load = fmt.Sprintf("%d/s", load)
		w = workload.Start(workload.Config{DB: db, Shape: workload.Sysbench, Tables: []string{"sbtest1", "ref"}, Workers: 4, Rate: load, MaxID: int64(rows)})
		time.Sleep(time.Second)
	}
	waits0, waited0, lockErr := rowLockWaits(ctx, db)
	cpu0, cpuErr := serverCPU(s)
	start := time.Now()
	var sampler *writeSampler
	if w != nil {
		sampler = sampleWrites(w, start)
	}
	var out []byte
	switch tool {
	case "none":
		// The writers alone: what "throughput kept" is measured against.
		select {
		case <-ctx.Done():
			r.err = ctx.Err()
		case <-time.After(baselineFor):
		}
	case "alter":
		_, r.err = db.ExecContext(ctx, "ALTER TABLE sbtest1 ENGINE=InnoDB, ALGORITHM=COPY")
	case "pt-osc":
		_, _, r.toolCPU, r.err = outputRSS(ctx, "pt-online-schema-change", "--alter", "ENGINE=InnoDB",
			fmt.Sprintf("h=%s,P=%d,u=%s,p=%s,D=bench,t=sbtest1", s.Host, s.Port, s.User, s.Password),
			"--execute", "--recursion-method=none", "--no-check-replication-filters",
			fmt.Sprintf("--chunk-size=%d", chunk), "--no-drop-old-table", "--max-load=Threads_running=1000", "--critical-load=Threads_running=2000")
	case "doppel":
		args := append([]string{"--host=" + s.Host, fmt.Sprintf("--port=%d", s.Port), "--user=" + s.User, "--password=" + s.Password,
			"--database=bench", "--table=sbtest1", "--alter=ENGINE=InnoDB", "--allow-on-master", "--initially-drop-socket-file", "--execute",
			fmt.Sprintf("--chunk-size=%d", chunk)}, extra...)
		out, r.rssKB, r.toolCPU, r.err = outputRSS(ctx, doppel, args...)
		if r.err == nil {
			r.phases, r.err = doppelPhases(out)
		}
	default:
		r.err = fmt.Errorf("unknown tool %q", tool)
	}
	r.took = time.Since(start)
	if cpu1, err := serverCPU(s); err == nil && cpuErr == nil {
		r.serverCPU = cpu1 - cpu0
	}
	if waits1, waited1, err := rowLockWaits(ctx, db); err == nil && lockErr == nil {
		r.lockWaits, r.lockWaited = waits1-waits0, waited1-waited0
	}
	if w != nil {
		samples := sampler.stop()
		w.Stop()
		if tool == "doppel" && r.err == nil {
			r.phaseWrites = writesByPhase(out, samples, r.took)
		}
		res := w.Result()
		r.writes, r.errors, r.longest = res.Writes, len(res.Errors), res.Longest
		if r.err == nil {
			r.err = sameRows(ctx, db)
		}
	}
	return r
}

// rowLockWaits reads the server's count of row lock waits and their total
// time so far.
func rowLockWaits(ctx context.Context, db *sql.DB) (int64, time.Duration, error) {
	var waits, ms int64
	err := db.QueryRowContext(ctx, `SELECT
		(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_WAITS'),
		(SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'INNODB_ROW_LOCK_TIME')`).Scan(&waits, &ms)
	return waits, time.Duration(ms) * time.Millisecond, err
}

// serverCPU is the CPU time mariadbd has used since it started, from
// /proc (clock ticks of 1/100 s on Linux).
func serverCPU(s *sandbox.Server) (time.Duration, error) {
	pid, err := os.ReadFile(filepath.Join(s.Dir, "mariadbd.pid"))
	if err != nil {
		return 0, err
	}
	stat, err := os.ReadFile("/proc/" + strings.TrimSpace(string(pid)) + "/stat")
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces; the fields after it are fixed.
	f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
	if len(f) < 13 {
		return 0, fmt.Errorf("short /proc stat for mariadbd")
	}
	var utime, stime int64
	if _, err := fmt.Sscan(f[11]+" "+f[12], &utime, &stime); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// sameRows compares every row of the migrated sbtest1 with ref.
func sameRows(ctx context.Context, db *sql.DB) error {
	const differ = `SELECT COUNT(*) FROM %s a LEFT JOIN %s b ON a.id = b.id
WHERE b.id IS NULL OR NOT (a.k <=> b.k AND a.c <=> b.c AND a.pad <=> b.pad)`
	for _, pair := range [][2]string{{"sbtest1", "ref"}, {"ref", "sbtest1"}} {
		var n int64
		if err := db.QueryRowContext(ctx, fmt.Sprintf(differ, pair[0], pair[1])).Scan(&n); err != nil {
			return fmt.Errorf("compare with the reference: %w", err)
		}
		if n > 0 {
			return fmt.Errorf("%d rows of %s are missing from or differ in %s", n, pair[0], pair[1])
		}
	}
	return nil
}

func output(ctx context.Context, name string, args ...string) ([]byte, error) {
	out, _, _, err := outputRSS(ctx, name, args...)
	return out, err
}

// outputRSS runs a command and also reports its peak resident memory and
// the CPU time it used.
func outputRSS(ctx context.Context, name string, args ...string) ([]byte, int64, time.Duration, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	var rss int64
	var cpu time.Duration
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			rss = ru.Maxrss // kilobytes on Linux
		}
		cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	if err != nil {
		tail := string(out)
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return out, rss, cpu, fmt.Errorf("%s: %w\n%s", name, err, tail)
	}
	return out, rss, cpu, nil
}

// phases is what doppel's final log line says about its copy and checksum.
type phases struct {
	Copy     float64 `json:"copy_duration"`      // ms
	Checksum float64 `json:"checksum_duration"`  // ms
	LockWait float64 `json:"checksum_lock_wait"` // ms
	LockHeld float64 `json:"checksum_lock_held"` // ms
	Stall    float64 `json:"cut_over_stall"`     // ms
}

func doppelPhases(out []byte) (*phases, error) {
	for _, line := range bytes.Split(out, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"migration finished"`)) {
			continue
		}
		var p phases
		if err := json.Unmarshal(line, &p); err != nil {
			return nil, fmt.Errorf("doppel's final log line: %w", err)
		}
		return &p, nil
	}
	return nil, fmt.Errorf("doppel printed no \"migration finished\" line")
}

func report(results []result, rows int) {
	fmt.Printf("\n%d-row sysbench-shaped table, ALTER ENGINE=InnoDB (a full rebuild), one MariaDB, one run\n\n", rows)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "load\ttool\tseconds\tvs ALTER COPY\twrites\twrites/s\tkept\twrite errors\tlongest write\trow lock waits\ttool CPU s\tserver CPU s\tpeak RSS")
	base := map[string]time.Duration{}
	var alone float64 // the writers' rate with no migration running
	for _, r := range results {
		if r.tool == "alter" && r.err == nil {
			base[r.load] = r.took
		}
		if r.tool == "none" && r.err == nil {
			alone = r.writeRate()
		}
	}
	for _, r := range results {
		ratio := "-"
		if b := base[r.load]; b > 0 && r.err == nil && r.tool != "none" {
			ratio = fmt.Sprintf("%.2fx", r.took.Seconds()/b.Seconds())
		}
		secs := fmt.Sprintf("%.1f", r.took.Seconds())
		if r.err != nil {
			secs = "failed"
		}
		rate, kept := "-", "-"
		if r.load != "none" {
			rate = fmt.Sprintf("%.0f", r.writeRate())
			if alone > 0 && r.tool != "none" {
				kept = fmt.Sprintf("%.0f%%", 100*r.writeRate()/alone)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\t%d\t%v\t%d (%v)\t%.1f\t%.1f\t%s\n", r.load, r.tool, secs, ratio, r.writes, rate, kept, r.errors,
			r.longest.Round(time.Millisecond), r.lockWaits, r.lockWaited, r.toolCPU.Seconds(), r.serverCPU.Seconds(), rssText(r.rssKB))
	}
	tw.Flush()
	if alone > 0 {
		fmt.Printf("\n(\"none\" is the writers alone for %v; \"kept\" is each tool's writes/s as a share of theirs)\n", baselineFor)
	}
	reportPhaseWrites(results, alone)

	fmt.Printf("\ndoppel's checksum (both tables compared at one consistent point) against its copy\n\n")
	tw = tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "load\tcopy s\tchecksum s\tchecksum / copy\tconsistent point: lock wait + held\tcut-over stall")
	for _, r := range results {
		if p := r.phases; p != nil && p.Copy > 0 {
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.0f%%\t%.0f + %.0f ms\t%.0f ms\n", r.load, p.Copy/1000, p.Checksum/1000, 100*p.Checksum/p.Copy, p.LockWait, p.LockHeld, p.Stall)
		}
	}
	tw.Flush()
}
