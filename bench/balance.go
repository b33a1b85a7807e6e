package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// balanceResult is one migration under an unthrottled write load.
type balanceResult struct {
	maxApplyLag string
	copyTook    time.Duration // from the start of the copy to its end
	catchUp     time.Duration // from the end of the copy to the applier caught up
	took        time.Duration
	worstLag    time.Duration // the largest apply lag seen while copying
	writes      int64
	err         error
}

// balance measures the copy/apply balance (migration's balance): doppel
// migrates while clients write as fast as they can, once with each
// --max-apply-lag value; the status socket is read every 100ms for the apply
// lag during the copy and for when the copy and the catch-up end.
func balance(ctx context.Context, s *sandbox.Server, db *sql.DB, doppel string, rows, chunk int, lags []string, extra []string) error {
	var results []balanceResult
	for _, lag := range lags {
		fmt.Fprintf(os.Stderr, "bench: balance with --max-apply-lag=%s: seeding %d rows\n", lag, rows)
		if err := seed(ctx, db, rows); err != nil {
			return err
		}
		r := balanceOnce(ctx, s, db, doppel, rows, chunk, lag, extra)
		if r.err != nil {
			fmt.Fprintf(os.Stderr, "bench: balance with --max-apply-lag=%s failed: %v\n", lag, r.err)
		}
		results = append(results, r)
	}
	fmt.Printf("\ncopy/apply balance: %d rows migrated while 8 clients write as fast as they can\n\n", rows)
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "--max-apply-lag\tcopy s\tworst apply lag while copying\tcatch-up s\ttotal s\tclient writes")
	for _, r := range results {
		if r.err != nil {
			fmt.Fprintf(tw, "%s\tfailed\t-\t-\t-\t-\n", r.maxApplyLag)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%v\t%.1f\t%.1f\t%d\n", r.maxApplyLag, r.copyTook.Seconds(), r.worstLag.Round(time.Millisecond),
			r.catchUp.Seconds(), r.took.Seconds(), r.writes)
	}
	return tw.Flush()
}

func balanceOnce(ctx context.Context, s *sandbox.Server, db *sql.DB, doppel string, rows, chunk int, lag string, extra []string) balanceResult {
	r := balanceResult{maxApplyLag: lag}
	dir, err := os.MkdirTemp("", "doppel-bench-")
	if err != nil {
		r.err = err
		return r
	}
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, "s.sock")
	args := append([]string{"--host=" + s.Host, fmt.Sprintf("--port=%d", s.Port), "--user=" + s.User,
		"--database=bench", "--table=sbtest1", "--alter=ENGINE=InnoDB", "--allow-on-master", "--execute",
		"--serve-socket-file=" + socket, "--ok-to-drop-table", fmt.Sprintf("--chunk-size=%d", chunk),
		"--max-apply-lag=" + lag}, extra...)
	w := workload.Start(workload.Config{DB: db, Shape: workload.Sysbench, Tables: []string{"sbtest1"}, Workers: 8, MaxID: int64(rows)})
	time.Sleep(time.Second)
	cmd := exec.CommandContext(ctx, doppel, args...)
	cmd.Env = append(os.Environ(), "DOPPEL_PASSWORD="+s.Password)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	if err := cmd.Start(); err != nil {
		w.Stop()
		r.err = err
		return r
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var copyStart, copyEnd, caughtUp time.Time
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for done := false; !done; {
		select {
		case err = <-exited:
			done = true
			continue
		case <-tick.C:
		}
		st, err := readStatus(socket)
		if err != nil {
			continue // not listening yet, or gone
		}
		now := time.Now()
		// A catch-up shorter than the polling interval is never seen: the
		// first phase after the copy then ends both.
		switch {
		case st.Phase == "copy":
			if copyStart.IsZero() {
				copyStart = now
			}
			r.worstLag = max(r.worstLag, st.ApplyLag)
		case copyStart.IsZero():
		case st.Phase == "catch-up":
			if copyEnd.IsZero() {
				copyEnd = now
			}
		default:
			if copyEnd.IsZero() {
				copyEnd = now
			}
			if caughtUp.IsZero() {
				caughtUp = now
			}
		}
	}
	r.took = time.Since(start)
	w.Stop()
	r.writes = w.Result().Writes
	if err != nil {
		r.err = fmt.Errorf("doppel: %w\n%s", err, tail(out.String()))
		return r
	}
	if copyStart.IsZero() || copyEnd.IsZero() || caughtUp.IsZero() {
		r.err = fmt.Errorf("the status socket never showed the copy and its catch-up end\n%s", tail(out.String()))
		return r
	}
	r.copyTook, r.catchUp = copyEnd.Sub(copyStart), caughtUp.Sub(copyEnd)
	return r
}
