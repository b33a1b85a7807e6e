package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// drainConfig is the apply-throughput run's settings.
type drainConfig struct {
	threads  []int // --apply-threads values, one run each
	load     time.Duration
	rows     int
	dmlBatch int // 0: doppel's default
}

// drainResult is one apply-throughput measurement.
type drainResult struct {
	threads int
	writes  int64
	events  int64
	took    time.Duration
	err     error
}

// drain measures how fast doppel applies a binlog backlog (the issue's
// "apply throughput"): after the copy, with the cut-over postponed, the
// migration is throttled by a flag file while the writers run as fast as
// they can for a while; then the flag goes and the time until the applier
// has reached the binlog position the writers left is measured. It runs
// once per --apply-threads value on a fresh table.
func drain(ctx context.Context, s *sandbox.Server, db *sql.DB, doppel string, dc drainConfig, extra []string) error {
	var results []drainResult
	for _, n := range dc.threads {
		fmt.Fprintf(os.Stderr, "bench: drain with --apply-threads=%d: seeding %d rows\n", n, dc.rows)
		if err := seed(ctx, db, dc.rows); err != nil {
			return err
		}
		r := drainOnce(ctx, s, db, doppel, dc, n, extra)
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "bench: drain with %d threads failed: %v\n", n, r.err)
		}
		results = append(results, r)
	}
	batch := "doppel's default"
	if dc.dmlBatch > 0 {
		batch = fmt.Sprint(dc.dmlBatch)
	}
	fmt.Printf("\napply throughput: %s of writes as fast as 8 clients can, applied after the throttle is lifted (--dml-batch-size %s)\n\n", dc.load, batch)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "apply threads\twrites\trow events applied\tdrain s\tevents/s")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(tw, "%d\t-\t-\tfailed\t-\n", r.threads)
			continue
		}
		fmt.Fprintf(tw, "%d\t%d\t%d\t%.1f\t%.0f\n", r.threads, r.writes, r.events, r.took.Seconds(), float64(r.events)/r.took.Seconds())
	}
	return tw.Flush()
}

func drainOnce(ctx context.Context, s *sandbox.Server, db *sql.DB, doppel string, dc drainConfig, threads int, extra []string) drainResult {
	r := drainResult{threads: threads}
	dir, err := os.MkdirTemp("", "doppel-bench-")
	if err != nil {
		r.err = err
		return r
	}
	defer os.RemoveAll(dir)
	postpone, throttle := filepath.Join(dir, "postpone"), filepath.Join(dir, "throttle")
	socket := filepath.Join(dir, "s.sock")
	cmd := exec.CommandContext(ctx, doppel, "--host="+s.Host, fmt.Sprintf("--port=%d", s.Port), "--user="+s.User,
		"--database=bench", "--table=sbtest1", "--alter=ENGINE=InnoDB", "--allow-on-master", "--execute",
		"--postpone-cut-over-flag-file="+postpone, "--throttle-flag-file="+throttle, "--serve-socket-file="+socket,
		fmt.Sprintf("--apply-threads=%d", threads), "--checksum-interval=24h", "--ok-to-drop-table")
	if dc.dmlBatch > 0 {
		cmd.Args = append(cmd.Args, fmt.Sprintf("--dml-batch-size=%d", dc.dmlBatch))
	}
	cmd.Args = append(cmd.Args, extra...)
	cmd.Env = append(os.Environ(), "DOPPEL_PASSWORD="+s.Password)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		r.err = err
		return r
	}
	defer func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	fail := func(err error) drainResult {
		r.err = fmt.Errorf("%w\n%s", err, tail(out.String()))
		return r
	}
	if err := waitStatus(ctx, socket, 10*time.Minute, func(st status) bool { return st.Phase == "postponed" }); err != nil {
		return fail(err)
	}
	if err := os.WriteFile(throttle, nil, 0o600); err != nil {
		return fail(err)
	}
	if err := waitStatus(ctx, socket, time.Minute, func(st status) bool { return st.Throttle != "" }); err != nil {
		return fail(err)
	}
	w := workload.Start(workload.Config{DB: db, Shape: workload.Sysbench, Tables: []string{"sbtest1"}, Workers: 8, MaxID: int64(dc.rows)})
	time.Sleep(dc.load)
	w.Stop()
	r.writes = w.Result().Writes
	var file string
	var pos uint32
	var doDB, ignoreDB sql.NullString
	if err := db.QueryRowContext(ctx, "SHOW MASTER STATUS").Scan(&file, &pos, &doDB, &ignoreDB); err != nil {
		return fail(err)
	}
	before, err := readStatus(socket)
	if err != nil {
		return fail(err)
	}
	start := time.Now()
	if err := os.Remove(throttle); err != nil {
		return fail(err)
	}
	var after status
	err = waitStatus(ctx, socket, 10*time.Minute, func(st status) bool {
		after = st
		return st.Applied.File > file || st.Applied.File == file && st.Applied.Pos >= pos
	})
	if err != nil {
		return fail(err)
	}
	r.took = time.Since(start)
	r.events = after.ChangesApplied - before.ChangesApplied
	if err := os.Remove(postpone); err != nil {
		return fail(err)
	}
	if err := cmd.Wait(); err != nil {
		return fail(fmt.Errorf("doppel: %w", err))
	}
	return r
}

// status is the part of doppel's status-json the drain reads.
type status struct {
	Phase          string
	Throttle       string
	ChangesApplied int64
	ApplyLag       time.Duration
	Applied        struct {
		File string
		Pos  uint32
	}
}

func readStatus(socket string) (status, error) {
	var st status
	c, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return st, err
	}
	defer c.Close()
	if _, err := c.Write([]byte("status-json\n")); err != nil {
		return st, err
	}
	line, err := bufio.NewReader(c).ReadBytes('\n')
	if err != nil && len(line) == 0 {
		return st, err
	}
	return st, json.Unmarshal(line, &st)
}

func waitStatus(ctx context.Context, socket string, limit time.Duration, done func(status) bool) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if st, err := readStatus(socket); err == nil && done(st) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return fmt.Errorf("doppel's status did not reach the expected state within %s", limit)
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
