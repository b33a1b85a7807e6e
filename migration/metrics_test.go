package migration

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/sandbox"
)

// scrape is one GET of /metrics.
type scrape struct {
	body string
	at   time.Time
}

// value returns the sample of the series named exactly by series (name and
// labels as the exposition writes them, labels sorted), or false.
func (s scrape) value(series string) (float64, bool) {
	for _, line := range strings.Split(s.body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			return v, err == nil
		}
	}
	return 0, false
}

var currentPhase = regexp.MustCompile(`(?m)^doppel_phase\{[^}]*phase="([^"]+)"[^}]*\} 1$`)

// phase is the phase whose doppel_phase series is 1; there must be one.
func (s scrape) phase() string {
	ms := currentPhase.FindAllStringSubmatch(s.body, -1)
	if len(ms) != 1 {
		return ""
	}
	return ms[0][1]
}

// The /metrics endpoint of a real migration, scraped over HTTP while it runs:
// rows copied grows, the phase moves copy → checksum → postponed, and after
// the postpone flag is removed the cut-over is counted. The table is then
// compared row by row with the reference.
func TestMetricsFollowARealMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 20_000
	seedLive(t, db, rows)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	// Small fixed chunks with a rest after each, so the copy lasts long
	// enough (a few seconds) to be seen growing across scrapes.
	cfg.ChunkSize, cfg.CopyThreads, cfg.NiceRatio = 200, 1, 1
	cfg.MetricsAddr = "127.0.0.1:0"
	reg := prometheus.NewRegistry()
	cfg.Metrics = reg
	// doppel creates the flag file at start; removing it releases the cut-over.
	flag := filepath.Join(t.TempDir(), "postpone")
	cfg.PostponeCutOverFlagFile = flag
	log, tail := tailLogger(t)

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 2, Rate: 100, MaxID: rows})
	t.Cleanup(w.Stop)
	done := startRun(t, cfg, log)
	addr := listeningAddr(t, tail, done)
	if strings.HasSuffix(addr, ":0") {
		t.Fatalf("the logged address %s is not the port chosen", addr)
	}
	get := func(path string) (string, error) { return fetch(addr, path) }
	if body, err := get("/healthz"); err != nil || strings.TrimSpace(body) != "ok" {
		t.Fatalf("/healthz: %q, %v", body, err)
	}

	// Scrape every 20ms until the cut-over is postponed.
	series := func(name string) string { return name + `{database="` + cfg.Database + `",table="t"}` }
	var scrapes []scrape
	deadline := time.Now().Add(3 * time.Minute)
	for {
		body, err := get("/metrics")
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		s := scrape{body: body, at: time.Now()}
		scrapes = append(scrapes, s)
		if s.phase() == "postponed" {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("migration ended before the cut-over was postponed: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not postponed after 3 minutes; last phase %q", s.phase())
		}
		time.Sleep(20 * time.Millisecond)
	}
	held := scrapes[len(scrapes)-1]

	// The phases, in the order first seen, follow the migration's order.
	var seen []string
	var copied []float64
	for i, s := range scrapes {
		p := s.phase()
		if p == "" {
			t.Fatalf("scrape %d has no single current phase:\n%s", i, s.body)
		}
		if !slices.Contains(seen, p) {
			seen = append(seen, p)
		}
		v, ok := s.value(series("doppel_rows_copied_total"))
		if !ok && p != "preflight" {
			t.Fatalf("scrape %d (phase %s) has no rows copied", i, p)
		}
		if len(copied) > 0 && v < copied[len(copied)-1] {
			t.Fatalf("rows copied went down: %v after %v", v, copied[len(copied)-1])
		}
		if p == "copy" {
			copied = append(copied, v)
		}
	}
	t.Logf("%d scrapes; phases seen: %v", len(scrapes), seen)
	order := map[string]int{}
	for i, p := range []string{"preflight", "copy", "catch-up", "checksum", "postponed"} {
		order[p] = i
	}
	for i, p := range seen {
		if _, ok := order[p]; !ok {
			t.Errorf("unexpected phase %q before the cut-over", p)
		}
		if i > 0 && order[p] < order[seen[i-1]] {
			t.Errorf("phase %s first seen after %s: %v", p, seen[i-1], seen)
		}
	}
	for _, p := range []string{"copy", "checksum", "postponed"} {
		if !slices.Contains(seen, p) {
			t.Errorf("phase %s never seen: %v", p, seen)
		}
	}
	// Rows copied grew while copying, across several scrapes.
	if distinct := len(slices.Compact(slices.Clone(copied))); distinct < 3 {
		t.Errorf("rows copied took %d distinct values during the copy, want it seen growing: %v", distinct, copied)
	}
	for _, c := range []struct {
		series string
		ok     func(float64) bool
		want   string
	}{
		{series("doppel_rows_copied_total"), func(v float64) bool { return v > rows/2 && v <= rows }, "most rows"},
		{series("doppel_copy_progress_ratio"), func(v float64) bool { return v == 1 }, "1"},
		{series("doppel_eta_seconds"), func(v float64) bool { return v == 0 }, "0"},
		{series("doppel_checksum_pass_chunks"), func(v float64) bool { return v > 0 }, "> 0"},
		{series("doppel_copy_chunk_duration_seconds_count"), func(v float64) bool { return v >= rows/200 }, "a chunk per 200 rows"},
		{series("doppel_apply_lag_seconds"), func(v float64) bool { return v >= 0 && v < 30 }, "0..30"},
		{series("doppel_binlog_stream_lag_seconds"), func(v float64) bool { return v >= 0 && v < 30 }, "0..30"},
		{`doppel_binlog_events_received_total{database="` + cfg.Database + `",table="t",type="update"}`, func(v float64) bool { return v > 0 }, "> 0 (the workload updates)"},
		{`doppel_binlog_events_applied_total{database="` + cfg.Database + `",table="t",type="update"}`, func(v float64) bool { return v > 0 }, "> 0"},
		{series("doppel_apply_batch_duration_seconds_count"), func(v float64) bool { return v > 0 }, "> 0"},
		{`doppel_throttled{database="` + cfg.Database + `",reason="user",table="t"}`, func(v float64) bool { return v == 0 }, "0"},
	} {
		if v, ok := held.value(c.series); !ok || !c.ok(v) {
			t.Errorf("while postponed, %s = %v (present %v), want %s", c.series, v, ok, c.want)
		}
	}

	t.Run("promtool check metrics", func(t *testing.T) { promtoolCheck(t, held.body) })

	// Release the cut-over. The phase may pass too quickly to be scraped,
	// so the cut-over is judged by what the registry counted once Run is
	// done: at least one attempt, a measured stall, and the phase "done".
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("migration failed: %v", err)
	}
	if _, err := get("/healthz"); err == nil {
		t.Error("the metrics server still answers after Run returned")
	}
	attempts, err := testutil.GatherAndCount(reg, "doppel_cutover_attempts_total")
	if err != nil || attempts != 1 {
		t.Fatalf("doppel_cutover_attempts_total: %d series, %v", attempts, err)
	}
	var final bytes.Buffer
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch mf.GetName() {
			case "doppel_cutover_attempts_total":
				if v := m.GetCounter().GetValue(); v < 1 {
					t.Errorf("cut-over attempts %v after the swap", v)
				}
			case "doppel_cutover_writer_stall_max_seconds":
				if v := m.GetGauge().GetValue(); v <= 0 || v > 30 {
					t.Errorf("longest writer stall %vs", v)
				}
			case "doppel_phase":
				for _, l := range m.GetLabel() {
					if l.GetName() == "phase" && m.GetGauge().GetValue() == 1 {
						final.WriteString(l.GetValue())
					}
				}
			}
		}
	}
	if final.String() != "done" {
		t.Errorf("final phase %q, want done", final.String())
	}

	w.Stop()
	checkWriters(t, w)
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// promtoolCheck runs `promtool check metrics` on an exposition and fails
// on anything it reports. Without promtool the check is skipped, unless
// DOPPEL_REQUIRE_PROMTOOL=1 (set by .ci/run) makes that a failure.
func promtoolCheck(t *testing.T, exposition string) {
	path, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("DOPPEL_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("promtool is not installed and DOPPEL_REQUIRE_PROMTOOL=1; install Debian's prometheus package")
		}
		t.Skip("promtool not installed (Debian's prometheus package)")
	}
	cmd := exec.Command(path, "check", "metrics")
	cmd.Stdin = strings.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}

// A metrics address that cannot be bound refuses the run before anything
// else: the server named here does not even exist, and the error is about
// the address, not the connection.
func TestAnUnusableMetricsAddressRefusesTheRunFirst(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	for _, addr := range []string{busy.Addr().String(), "nonsense"} {
		cfg := Config{Host: "127.0.0.1", Port: 1, User: "u", Database: "d", Table: "t", Alter: "ADD COLUMN c INT",
			Execute: true, MetricsAddr: addr}
		_, err := Run(context.Background(), cfg, zerolog.Nop())
		var refused *UsageError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "--metrics-addr") || !strings.Contains(err.Error(), addr) {
			t.Errorf("MetricsAddr %q: %v, want a refusal naming --metrics-addr and the address", addr, err)
		}
	}
}

// listeningAddr waits for the "metrics listening" event and returns the
// address it logged.
func listeningAddr(t *testing.T, tail *logTail, done <-chan error) string {
	t.Helper()
	tail.waitFor(t, "metrics listening", 1, done)
	logged := tail.String()
	for _, line := range strings.Split(logged, "\n") {
		var ev struct {
			Message string `json:"message"`
			Addr    string `json:"addr"`
		}
		if json.Unmarshal([]byte(line), &ev) == nil && ev.Message == "metrics listening" && ev.Addr != "" {
			return ev.Addr
		}
	}
	t.Fatal(`no "metrics listening" event with an addr field`)
	return ""
}

var scrapeClient = &http.Client{Timeout: 10 * time.Second}

// fetch GETs path from the metrics server; a status other than 200 is an
// error.
func fetch(addr, path string) (string, error) {
	resp, err := scrapeClient.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return string(b), err
}

func getMetrics(addr string) (string, error) { return fetch(addr, "/metrics") }
