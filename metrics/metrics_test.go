package metrics

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"
)

// live is a migration's state that tests change between scrapes.
type live struct {
	mu sync.Mutex
	s  Snapshot
}

func (l *live) get() Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.s
}

func (l *live) set(f func(*Snapshot)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(&l.s)
}

func newTestMetrics(t *testing.T, s Snapshot) (*prometheus.Registry, *Metrics, *live) {
	t.Helper()
	reg := prometheus.NewRegistry()
	l := &live{s: s}
	m, err := New(reg, Config{Database: "shop", Table: "orders", Snapshot: l.get})
	if err != nil {
		t.Fatal(err)
	}
	return reg, m, l
}

func compare(t *testing.T, reg *prometheus.Registry, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestStateIsReadAtScrapeTime(t *testing.T) {
	reg, _, l := newTestMetrics(t, Snapshot{Phase: "copy", RowsCopied: 100, RowsEstimate: 1000, Progress: 0.1, ChunkSize: 500,
		Backlog: 3, ApplyLag: 1500 * time.Millisecond, ETA: 90 * time.Second, ChecksumETA: -1})
	const head = `
# HELP doppel_rows_copied_total Rows the copy has written into the ghost table.
# TYPE doppel_rows_copied_total counter
doppel_rows_copied_total{database="shop",table="orders"} %s
# HELP doppel_rows_estimated Rows the original table is estimated (or counted) to hold.
# TYPE doppel_rows_estimated gauge
doppel_rows_estimated{database="shop",table="orders"} 1000
# HELP doppel_copy_progress_ratio Copy progress, from 0 to 1.
# TYPE doppel_copy_progress_ratio gauge
doppel_copy_progress_ratio{database="shop",table="orders"} %s
# HELP doppel_copy_chunk_size_rows Rows in the copier's next chunk (adapts to --target-chunk-time).
# TYPE doppel_copy_chunk_size_rows gauge
doppel_copy_chunk_size_rows{database="shop",table="orders"} 500
# HELP doppel_apply_backlog_transactions Transactions read from the binlog and not applied yet.
# TYPE doppel_apply_backlog_transactions gauge
doppel_apply_backlog_transactions{database="shop",table="orders"} 3
# HELP doppel_apply_lag_seconds Age of the newest heartbeat the applier has passed: how far the ghost table is behind the binlog.
# TYPE doppel_apply_lag_seconds gauge
doppel_apply_lag_seconds{database="shop",table="orders"} 1.5
# HELP doppel_eta_seconds Estimated time until the copy is done; 0 once done, -1 when unknown.
# TYPE doppel_eta_seconds gauge
doppel_eta_seconds{database="shop",table="orders"} %s
`
	names := []string{"doppel_rows_copied_total", "doppel_rows_estimated", "doppel_copy_progress_ratio", "doppel_copy_chunk_size_rows",
		"doppel_apply_backlog_transactions", "doppel_apply_lag_seconds", "doppel_eta_seconds"}
	compare(t, reg, sprintf(head, "100", "0.1", "90"), names...)

	// Nothing is pushed to the collector: the next scrape sees the change.
	l.set(func(s *Snapshot) { s.RowsCopied, s.Progress, s.ETA = 600, 0.6, -1 })
	compare(t, reg, sprintf(head, "600", "0.6", "-1"), names...)
}

func sprintf(format string, args ...any) string {
	for _, a := range args {
		format = strings.Replace(format, "%s", a.(string), 1)
	}
	return format
}

func TestPhaseGaugesSwitch(t *testing.T) {
	reg, _, l := newTestMetrics(t, Snapshot{Phase: "copy"})
	value := func(phase string) float64 {
		t.Helper()
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() != "doppel_phase" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if lp.GetName() == "phase" && lp.GetValue() == phase {
						return m.GetGauge().GetValue()
					}
				}
			}
		}
		t.Fatalf("no doppel_phase series for %q", phase)
		return 0
	}
	for _, now := range []string{"copy", "checksum", "postponed", "cut-over", "done"} {
		l.set(func(s *Snapshot) { s.Phase = now })
		for _, p := range Phases {
			want := 0.0
			if p == now {
				want = 1
			}
			if got := value(p); got != want {
				t.Errorf("in phase %s: doppel_phase{phase=%q} = %v, want %v", now, p, got, want)
			}
		}
	}
	// A phase the list does not know still gets its series.
	l.set(func(s *Snapshot) { s.Phase = "something-new" })
	if value("something-new") != 1 || value("copy") != 0 {
		t.Error("an unknown phase is not shown as current")
	}
}

func TestThrottleAndLagsComeFromTheSnapshot(t *testing.T) {
	reg, _, l := newTestMetrics(t, Snapshot{Phase: "copy", Throttle: "lag 2.1s on replica1:3306 > max-lag-millis 1500",
		Throttled: 2500 * time.Millisecond, ReplicaLag: map[string]time.Duration{"replica2:3306": time.Second / 4, "replica1:3306": 2100 * time.Millisecond},
		StreamLag: 300 * time.Millisecond, StreamLagKnown: true, ChecksumDone: 3, ChecksumTotal: 12, ChecksumETA: 9 * time.Second})
	want := `
# HELP doppel_replica_lag_seconds Replication lag last measured through the heartbeat, per watched replica.
# TYPE doppel_replica_lag_seconds gauge
doppel_replica_lag_seconds{database="shop",replica="replica1:3306",table="orders"} 2.1
doppel_replica_lag_seconds{database="shop",replica="replica2:3306",table="orders"} 0.25
# HELP doppel_binlog_stream_lag_seconds Age of the newest heartbeat the binlog reader has read: how far it is behind the binlog's head.
# TYPE doppel_binlog_stream_lag_seconds gauge
doppel_binlog_stream_lag_seconds{database="shop",table="orders"} 0.3
# HELP doppel_throttled_seconds_total Total time the migration's work was paused.
# TYPE doppel_throttled_seconds_total counter
doppel_throttled_seconds_total{database="shop",table="orders"} 2.5
# HELP doppel_checksum_chunks_done Chunks of the current checksum pass compared so far.
# TYPE doppel_checksum_chunks_done gauge
doppel_checksum_chunks_done{database="shop",table="orders"} 3
# HELP doppel_checksum_pass_chunks Chunks in the current checksum pass.
# TYPE doppel_checksum_pass_chunks gauge
doppel_checksum_pass_chunks{database="shop",table="orders"} 12
# HELP doppel_checksum_eta_seconds Estimated time left in the current checksum pass; -1 when unknown.
# TYPE doppel_checksum_eta_seconds gauge
doppel_checksum_eta_seconds{database="shop",table="orders"} 9
`
	compare(t, reg, want, "doppel_replica_lag_seconds", "doppel_binlog_stream_lag_seconds", "doppel_throttled_seconds_total",
		"doppel_checksum_chunks_done", "doppel_checksum_pass_chunks", "doppel_checksum_eta_seconds")

	throttled := func() map[string]float64 {
		mfs, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, mf := range mfs {
			if mf.GetName() == "doppel_throttled" {
				for _, m := range mf.GetMetric() {
					for _, lp := range m.GetLabel() {
						if lp.GetName() == "reason" {
							out[lp.GetValue()] = m.GetGauge().GetValue()
						}
					}
				}
			}
		}
		return out
	}
	check := func(current string) {
		t.Helper()
		got := throttled()
		if len(got) != len(ThrottleReasons) {
			t.Errorf("doppel_throttled has %d series, want one per reason (%d)", len(got), len(ThrottleReasons))
		}
		for r, v := range got {
			if want := boolValue(r == current); v != want {
				t.Errorf("doppel_throttled{reason=%q} = %v, want %v", r, v, want)
			}
		}
	}
	check("lag")
	l.set(func(s *Snapshot) { s.Throttle = "" })
	check("")
	// Without a measurement there is no stream lag series rather than a zero.
	l.set(func(s *Snapshot) { s.StreamLagKnown = false })
	if n, err := testutil.GatherAndCount(reg, "doppel_binlog_stream_lag_seconds"); err != nil || n != 0 {
		t.Errorf("unknown stream lag: %d series (%v), want none", n, err)
	}
}

func TestThrottleReasonNamesTheKindOnly(t *testing.T) {
	for reason, want := range map[string]string{
		"":                  "",
		"commanded by user": "user",
		"lag 2s on db2:3306 > max-lag-millis 1500": "lag",
		"control replica db3:3306 unreachable":     "replica-unreachable",
		"replica db2:3306: lag unknown (timeout)":  "replica-unreachable",
		"flag file /tmp/gh-ost.throttle exists":    "flag-file",
		"max-load Threads_running=30 >= 25":        "max-load",
		"throttle-query returned 1":                "throttle-query",
		"throttle-http returned 503":               "throttle-http",
		"hibernating for 1m0s: critical-load":      "critical-load",
		"something else":                           "other",
	} {
		if got := ThrottleReason(reason); got != want {
			t.Errorf("ThrottleReason(%q) = %q, want %q", reason, got, want)
		}
	}
}

func TestEventsAreCounted(t *testing.T) {
	reg, m, _ := newTestMetrics(t, Snapshot{Phase: "copy"})
	m.Received("insert", 5)
	m.Received("delete", 2)
	m.Applied("insert", 4)
	m.Applied("update", 0)
	compare(t, reg, `
# HELP doppel_binlog_events_received_total Row changes to the migrated table read from the binlog, by type.
# TYPE doppel_binlog_events_received_total counter
doppel_binlog_events_received_total{database="shop",table="orders",type="delete"} 2
doppel_binlog_events_received_total{database="shop",table="orders",type="insert"} 5
doppel_binlog_events_received_total{database="shop",table="orders",type="update"} 0
# HELP doppel_binlog_events_applied_total Row changes to the migrated table applied to the ghost table, by type.
# TYPE doppel_binlog_events_applied_total counter
doppel_binlog_events_applied_total{database="shop",table="orders",type="delete"} 0
doppel_binlog_events_applied_total{database="shop",table="orders",type="insert"} 4
doppel_binlog_events_applied_total{database="shop",table="orders",type="update"} 0
`, "doppel_binlog_events_received_total", "doppel_binlog_events_applied_total")

	m.ChecksumMismatch(true)
	m.ChecksumMismatch(false)
	if got := testutil.ToFloat64(m.mismatches); got != 2 {
		t.Errorf("mismatches = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.repaired); got != 1 {
		t.Errorf("repaired = %v, want 1", got)
	}

	m.CutOverAttempt(40 * time.Millisecond)
	m.CutOverAttempt(3 * time.Second)
	m.CutOverAttempt(25 * time.Millisecond)
	if got := testutil.ToFloat64(m.cutOverAttempts); got != 3 {
		t.Errorf("cut-over attempts = %v, want 3", got)
	}
	if got := testutil.ToFloat64(m.stall); got != 3 {
		t.Errorf("longest stall = %v, want the longest attempt's 3s", got)
	}

	m.Retry("cut-over")
	m.Retry("cut-over")
	m.Error("migration")
	compare(t, reg, `
# HELP doppel_errors_total Errors met, by where they happened; most are retried (see doppel_retries_total).
# TYPE doppel_errors_total counter
doppel_errors_total{database="shop",kind="cut-over",table="orders"} 2
doppel_errors_total{database="shop",kind="migration",table="orders"} 1
# HELP doppel_retries_total Operations started again after an error, by operation.
# TYPE doppel_retries_total counter
doppel_retries_total{database="shop",kind="cut-over",table="orders"} 2
`, "doppel_errors_total", "doppel_retries_total")
}

func TestHistogramsObserveSeconds(t *testing.T) {
	reg, m, _ := newTestMetrics(t, Snapshot{Phase: "copy"})
	m.ChunkCopied(250 * time.Millisecond)
	m.ChunkCopied(750 * time.Millisecond)
	m.ApplyBatch(2 * time.Millisecond)
	m.CutOverAttempt(30 * time.Millisecond)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]float64{ // count, sum in seconds
		"doppel_copy_chunk_duration_seconds":   {2, 1},
		"doppel_apply_batch_duration_seconds":  {1, 0.002},
		"doppel_cutover_lock_duration_seconds": {1, 0.03},
	}
	for _, mf := range mfs {
		w, ok := want[mf.GetName()]
		if !ok {
			continue
		}
		delete(want, mf.GetName())
		h := mf.GetMetric()[0].GetHistogram()
		if float64(h.GetSampleCount()) != w[0] || h.GetSampleSum() < w[1]-1e-9 || h.GetSampleSum() > w[1]+1e-9 {
			t.Errorf("%s: count %d sum %v, want %v", mf.GetName(), h.GetSampleCount(), h.GetSampleSum(), w)
		}
	}
	for name := range want {
		t.Errorf("%s not exported", name)
	}
}

func TestNilMetricsIgnoreEvents(t *testing.T) {
	var m *Metrics
	m.ChunkCopied(time.Second)
	m.Received("insert", 1)
	m.Applied("insert", 1)
	m.ApplyBatch(time.Second)
	m.ChecksumMismatch(true)
	m.CutOverAttempt(time.Second)
	m.Error("x")
	m.Retry("x")
}

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	if err := RegisterBuildInfo(reg, "shop", "orders", "v1.2.3", "go1.26"); err != nil {
		t.Fatal(err)
	}
	compare(t, reg, `
# HELP doppel_build_info Always 1; the labels name the doppel version and the Go version that built it.
# TYPE doppel_build_info gauge
doppel_build_info{database="shop",goversion="go1.26",table="orders",version="v1.2.3"} 1
`, "doppel_build_info")
}

func TestNamesLintClean(t *testing.T) {
	reg, m, _ := newTestMetrics(t, Snapshot{Phase: "copy", ReplicaLag: map[string]time.Duration{"r:3306": 0}, StreamLagKnown: true, ETA: -1, ChecksumETA: -1})
	if err := RegisterBuildInfo(reg, "shop", "orders", "dev", "go"); err != nil {
		t.Fatal(err)
	}
	// Every labelled series exists, so every family is linted.
	m.Retry("copy-chunk")
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	// CollectAndLint on one collector too, as a registry may hide a problem
	// a single collector shows.
	problems, err = testutil.CollectAndLint(newState(prometheus.Labels{"database": "d", "table": "t"}, func() Snapshot { return Snapshot{Phase: "copy"} }))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
}

func TestRegisteringTwiceOnOneRegistryFails(t *testing.T) {
	reg, _, _ := newTestMetrics(t, Snapshot{})
	if _, err := New(reg, Config{Database: "shop", Table: "orders", Snapshot: func() Snapshot { return Snapshot{} }}); err == nil {
		t.Error("a second migration's metrics on the same registry were accepted")
	}
	if _, err := New(prometheus.NewRegistry(), Config{}); err == nil {
		t.Error("metrics without a snapshot function were accepted")
	}
}

func TestServerServesMetricsAndHealth(t *testing.T) {
	reg, m, _ := newTestMetrics(t, Snapshot{Phase: "checksum"})
	m.Received("update", 7)
	srv, err := Listen("127.0.0.1:0", reg, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx) }()

	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + srv.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK || strings.TrimSpace(body) != "ok" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := get("/metrics")
	for _, want := range []string{
		`doppel_phase{database="shop",phase="checksum",table="orders"} 1`,
		`doppel_binlog_events_received_total{database="shop",table="orders",type="update"} 7`,
	} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %s", code, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve after cancel: %v", err)
	}
	if _, err := http.Get("http://" + srv.Addr() + "/healthz"); err == nil {
		t.Error("still serving after its context ended")
	}
}

func TestListenRefusesABadAddress(t *testing.T) {
	for _, addr := range []string{"nonsense", "127.0.0.1:99999", "256.0.0.1:0"} {
		if srv, err := Listen(addr, prometheus.NewRegistry(), zerolog.Nop()); err == nil {
			srv.Close()
			t.Errorf("Listen(%q) succeeded", addr)
		} else if !strings.Contains(err.Error(), addr) {
			t.Errorf("Listen(%q): error %q does not name the address", addr, err)
		}
	}
}
