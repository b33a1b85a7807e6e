package migration

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doppel-dev/doppel/internal/workload"
	"github.com/doppel-dev/doppel/metrics"
	"github.com/doppel-dev/doppel/sandbox"
)

// The Grafana dashboard in dashboards/ is checked on its own (it must
// import into any Grafana unchanged) and against a real migration: every
// metric it queries must be in doppel's exposition, and a real Prometheus
// must scrape doppel and accept every query the dashboard sends.

const dashboardFile = "../dashboards/doppel.json"

// grafanaDashboard is the part of Grafana's dashboard model the tests read.
type grafanaDashboard struct {
	UID           string         `json:"uid"`
	Title         string         `json:"title"`
	SchemaVersion int            `json:"schemaVersion"`
	Panels        []grafanaPanel `json:"panels"`
	Templating    struct {
		List []grafanaVariable `json:"list"`
	} `json:"templating"`
}

type grafanaPanel struct {
	ID         int             `json:"id"`
	Type       string          `json:"type"`
	Title      string          `json:"title"`
	Datasource *grafanaSource  `json:"datasource"`
	Targets    []grafanaTarget `json:"targets"`
	GridPos    struct {
		X, Y, W, H int
	} `json:"gridPos"`
	Panels []grafanaPanel `json:"panels"` // a collapsed row keeps its panels here
}

type grafanaSource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type grafanaTarget struct {
	RefID      string         `json:"refId"`
	Expr       string         `json:"expr"`
	Datasource *grafanaSource `json:"datasource"`
}

type grafanaVariable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Datasource *grafanaSource  `json:"datasource"`
}

// queryText is a variable's query: a plain string for a data source
// variable; for a query variable, an object holding the query (older
// dashboards have a string there too).
func (v grafanaVariable) queryText() string {
	var s string
	if json.Unmarshal(v.Query, &s) == nil {
		return s
	}
	var q struct {
		Query string `json:"query"`
	}
	_ = json.Unmarshal(v.Query, &q)
	return q.Query
}

// sourceVariable is how every query names its data source: through the
// dashboard's datasource variable, since a uid is one Grafana's own.
const sourceVariable = "${datasource}"

func (s *grafanaSource) isVariable() bool {
	return s != nil && s.Type == "prometheus" && s.UID == sourceVariable
}

// migrationSelector is what every selector on a panel must say, so the
// panel shows the migration chosen at the top and no other.
const migrationSelector = `{database="$database",table="$table"}`

func loadDashboard(t *testing.T) (grafanaDashboard, []byte) {
	t.Helper()
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d grafanaDashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s is not valid JSON: %v", dashboardFile, err)
	}
	return d, raw
}

// dataPanels are the panels that query, those inside rows included. Rows
// only group panels: they have neither a data source nor queries.
func (d grafanaDashboard) dataPanels() []grafanaPanel {
	var out []grafanaPanel
	var walk func([]grafanaPanel)
	walk = func(ps []grafanaPanel) {
		for _, p := range ps {
			if p.Type == "row" {
				walk(p.Panels)
				continue
			}
			out = append(out, p)
		}
	}
	walk(d.Panels)
	return out
}

// panelQueries are the PromQL expressions of every panel.
func (d grafanaDashboard) panelQueries() []string {
	var qs []string
	for _, p := range d.dataPanels() {
		for _, tg := range p.Targets {
			qs = append(qs, tg.Expr)
		}
	}
	return qs
}

// variableQueries are the queries of the query variables (Grafana's
// label_values(selector, label), not PromQL).
func (d grafanaDashboard) variableQueries() map[string]string {
	qs := map[string]string{}
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			qs[v.Name] = v.queryText()
		}
	}
	return qs
}

// queries are everything the dashboard asks Prometheus.
func (d grafanaDashboard) queries() []string {
	qs := d.panelQueries()
	for _, q := range d.variableQueries() {
		qs = append(qs, q)
	}
	return qs
}

var metricName = regexp.MustCompile(`doppel_[a-z0-9_]+`)

// metricNames are the doppel metric names in queries, sorted, each once.
func metricNames(queries []string) []string {
	var names []string
	for _, q := range queries {
		names = append(names, metricName.FindAllString(q, -1)...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// family is the metric family a queried name belongs to, among families
// (name → type): the name itself, or the histogram whose _bucket, _sum or
// _count series it is.
func family(name string, families map[string]string) (string, bool) {
	if _, ok := families[name]; ok {
		return name, true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && families[base] == "histogram" {
			return base, true
		}
	}
	return "", false
}

// exposedFamilies reads the families of a text exposition from its
// "# TYPE name type" lines; client_golang writes one for every family that
// has a series, and none for a labelled family before its first event.
func exposedFamilies(exposition string) map[string]string {
	fams := map[string]string{}
	for _, line := range strings.Split(exposition, "\n") {
		if f := strings.Fields(line); len(f) == 4 && f[0] == "#" && f[1] == "TYPE" {
			fams[f[2]] = f[3]
		}
	}
	return fams
}

var documentedMetric = regexp.MustCompile("(?m)^\\| `(doppel_[a-z0-9_]+)` \\| ([a-z]+)")

// documentedFamilies reads the metric tables of docs/metrics.md.
func documentedFamilies(t *testing.T) map[string]string {
	t.Helper()
	doc, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	fams := map[string]string{}
	for _, m := range documentedMetric.FindAllStringSubmatch(string(doc), -1) {
		fams[m[1]] = m[2]
	}
	if len(fams) == 0 {
		t.Fatal("no metric table found in docs/metrics.md")
	}
	return fams
}

func TestDashboardMetricNames(t *testing.T) {
	got := metricNames([]string{
		`histogram_quantile(0.99, sum by (le) (rate(doppel_a_seconds_bucket{table="$table"}[$__rate_interval])))`,
		`doppel_b_total / doppel_a_seconds_count`,
		`label_values(doppel_b_total, database)`,
	})
	if want := []string{"doppel_a_seconds_bucket", "doppel_a_seconds_count", "doppel_b_total"}; !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	fams := map[string]string{"doppel_a_seconds": "histogram", "doppel_b_total": "counter", "doppel_c_count": "gauge"}
	for _, c := range []struct{ name, family string }{
		{"doppel_a_seconds_bucket", "doppel_a_seconds"},
		{"doppel_a_seconds_sum", "doppel_a_seconds"},
		{"doppel_a_seconds", "doppel_a_seconds"},
		{"doppel_b_total", "doppel_b_total"},
		{"doppel_c_count", "doppel_c_count"}, // a gauge that happens to end in _count
		{"doppel_b_total_sum", ""},           // only histograms have _sum series
		{"doppel_d_count", ""},
	} {
		if f, _ := family(c.name, fams); f != c.family {
			t.Errorf("family(%s) = %q, want %q", c.name, f, c.family)
		}
	}
	exposition := "# HELP doppel_a_seconds x\n# TYPE doppel_a_seconds histogram\ndoppel_a_seconds_bucket{le=\"1\"} 0\n# TYPE doppel_b_total counter\ndoppel_b_total 3\n"
	if got := exposedFamilies(exposition); len(got) != 2 || got["doppel_a_seconds"] != "histogram" || got["doppel_b_total"] != "counter" {
		t.Errorf("families of the exposition: %v", got)
	}
}

// The dashboard imports into Grafana unchanged: nothing in it belongs to
// one installation (no data source uid), the data source and the
// migration are chosen at the top, and every panel queries.
func TestDashboardImportsUnchanged(t *testing.T) {
	d, raw := loadDashboard(t)
	if d.UID == "" || d.Title == "" {
		t.Errorf("uid %q, title %q: both are needed to import", d.UID, d.Title)
	}
	// 36 is the first schema whose data source references are {type, uid}.
	if d.SchemaVersion < 36 {
		t.Errorf("schemaVersion %d, want 36 or later", d.SchemaVersion)
	}
	vars := map[string]grafanaVariable{}
	for _, v := range d.Templating.List {
		vars[v.Name] = v
	}
	if v := vars["datasource"]; v.Type != "datasource" || v.queryText() != "prometheus" {
		t.Errorf("variable datasource: type %q, query %q; want a Prometheus data source variable", v.Type, v.queryText())
	}
	for name, want := range map[string]string{
		"database": "label_values(doppel_phase, database)",
		"table":    `label_values(doppel_phase{database="$database"}, table)`,
	} {
		if v := vars[name]; v.Type != "query" || v.queryText() != want || !v.Datasource.isVariable() {
			t.Errorf("variable %s: type %q, query %q, data source %+v; want %q on %s", name, v.Type, v.queryText(), v.Datasource, want, sourceVariable)
		}
	}

	selector := regexp.MustCompile(`(doppel_[a-z0-9_]+)(\{[^}]*\})?`)
	ids := map[int]bool{}
	panels := d.dataPanels()
	if len(panels) == 0 {
		t.Fatal("no panels")
	}
	for _, p := range panels {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if p.ID == 0 || ids[p.ID] {
			t.Errorf("%s: its id is missing or not unique", name)
		}
		ids[p.ID] = true
		if g := p.GridPos; g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("%s: gridPos %+v is off Grafana's 24 columns", name, g)
		}
		if !p.Datasource.isVariable() {
			t.Errorf("%s: data source %+v, want {prometheus %s}", name, p.Datasource, sourceVariable)
		}
		if len(p.Targets) == 0 {
			t.Errorf("%s: no queries", name)
		}
		refs := map[string]bool{}
		for _, tg := range p.Targets {
			if tg.Expr == "" || tg.RefID == "" || refs[tg.RefID] {
				t.Errorf("%s: query %q has an empty expression or a missing or repeated refId %q", name, tg.Expr, tg.RefID)
			}
			refs[tg.RefID] = true
			if tg.Datasource != nil && !tg.Datasource.isVariable() {
				t.Errorf("%s: query %s names data source %+v", name, tg.RefID, tg.Datasource)
			}
			for _, m := range selector.FindAllStringSubmatch(tg.Expr, -1) {
				if m[2] != migrationSelector {
					t.Errorf("%s: %s is selected by %q, want %s", name, m[1], m[2], migrationSelector)
				}
			}
		}
	}

	// Anything else that names a data source (annotations, say) must go
	// through a variable too.
	var all any
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	for _, path := range fixedSources(all, "") {
		t.Errorf("%s names a data source by uid; use %s", path, sourceVariable)
	}

	docs := documentedFamilies(t)
	for _, n := range metricNames(d.queries()) {
		if _, ok := family(n, docs); !ok {
			t.Errorf("the dashboard queries %s, which docs/metrics.md does not list", n)
		}
	}
}

// fixedSources returns the JSON paths under v where a data source is named
// by a literal uid rather than a ${variable}.
func fixedSources(v any, path string) []string {
	var found []string
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if k == "datasource" {
				var uid string
				switch ds := c.(type) {
				case string:
					uid = ds
				case map[string]any:
					uid, _ = ds["uid"].(string)
				}
				if uid != "" && !strings.HasPrefix(uid, "$") {
					found = append(found, path+"."+k)
				}
			}
			found = append(found, fixedSources(c, path+"."+k)...)
		}
	case []any:
		for i, c := range v {
			found = append(found, fixedSources(c, fmt.Sprintf("%s[%d]", path, i))...)
		}
	}
	return found
}

// A real migration with every series the dashboard draws made to exist:
// a watched replica (replica lag), the build info (registered as
// cmd/doppel does), and a cut-over attempt that times out on a blocking
// transaction (errors and retries are labelled families, which exist from
// their first event). While the cut-over is postponed a real Prometheus
// scrapes it; during the blocked cut-over the exposition is read for every
// metric the dashboard queries.
func TestDashboardOnARealMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	dash, _ := loadDashboard(t)
	cluster := sandbox.Shared(t)
	name, db := cluster.Primary.NewDatabase(t)
	const rows = 5000
	seedLive(t, db, rows)
	cfg := testConfig(cluster.Primary, name, "t", "ADD COLUMN extra int NOT NULL DEFAULT 7")
	cfg.AllowOnMaster, cfg.OkToDropTable = true, true
	cfg.ChunkSize = 500
	cfg.MetricsAddr = "127.0.0.1:0"
	reg := prometheus.NewRegistry()
	cfg.Metrics = reg
	// Run does not register doppel_build_info: cmd/doppel does, on the
	// registry it hands to Run. The test does the same.
	if err := metrics.RegisterBuildInfo(reg, cfg.Database, cfg.Table, "test", runtime.Version()); err != nil {
		t.Fatal(err)
	}
	cfg.ThrottleControlReplicas = cluster.Replica.Addr()
	// The blocked attempt gives up after a second; the retries have room.
	cfg.CutOverLockTimeout, cfg.DefaultRetries = time.Second, 30
	// doppel creates the flag file at start; removing it releases the cut-over.
	flag := filepath.Join(t.TempDir(), "postpone")
	cfg.PostponeCutOverFlagFile = flag
	log, tail := tailLogger(t)

	w := workload.Start(workload.Config{DB: db, Shape: workload.Live, Tables: []string{"t", "ref"}, Workers: 2, Rate: 100, MaxID: rows})
	t.Cleanup(w.Stop)
	done := startRun(t, cfg, log)
	addr := listeningAddr(t, tail, done)
	waitForPhase(t, addr, "postponed", done)

	t.Run("a real Prometheus scrapes it and answers the dashboard's queries", func(t *testing.T) {
		prom := startPrometheus(t, addr)
		began := time.Now()
		waitForRowsCopied(t, prom, cfg.Database, cfg.Table, done)
		t.Logf("Prometheus had doppel_rows_copied_total %v after it started", time.Since(began).Round(time.Millisecond))

		values := map[string]string{"database": cfg.Database, "table": cfg.Table}
		for _, q := range dash.panelQueries() {
			var result json.RawMessage
			if err := prom.get("/api/v1/query", url.Values{"query": {expand(t, q, values)}}, &result); err != nil {
				t.Errorf("query %s: %v", q, err)
			}
		}
		labelValues := regexp.MustCompile(`^label_values\((.+),\s*(\w+)\)$`)
		for name, q := range dash.variableQueries() {
			m := labelValues.FindStringSubmatch(q)
			if m == nil {
				t.Errorf("variable %s: %q is not label_values(selector, label)", name, q)
				continue
			}
			var got []string
			if err := prom.get("/api/v1/label/"+m[2]+"/values", url.Values{"match[]": {expand(t, m[1], values)}}, &got); err != nil {
				t.Errorf("variable %s: %v", name, err)
			} else if !slices.Contains(got, values[name]) {
				t.Errorf("variable %s offers %v, not this migration's %q", name, got, values[name])
			}
		}
	})

	// A transaction that has read the table holds a shared metadata lock,
	// which is enough to make an attempt time out.
	blocker := openSession(t, db, "START TRANSACTION", "SELECT COUNT(*) FROM t")
	if err := os.Remove(flag); err != nil {
		t.Fatal(err)
	}
	tail.waitFor(t, "cut-over attempt failed", 1, done)
	// The next attempt waits on the same transaction while this is read.
	exposition, err := getMetrics(addr)
	if err != nil {
		t.Fatalf("scrape during the blocked cut-over: %v", err)
	}
	if _, err := blocker.conn.ExecContext(context.Background(), "COMMIT"); err != nil {
		t.Fatal(err)
	}
	if err := waitDone(t, done); err != nil {
		t.Fatalf("migration failed: %v", err)
	}

	t.Run("every metric the dashboard queries is exposed", func(t *testing.T) {
		fams := exposedFamilies(exposition)
		names := metricNames(dash.queries())
		for _, n := range names {
			if _, ok := family(n, fams); !ok {
				t.Errorf("the dashboard queries %s, which the migration does not expose", n)
			}
		}
		t.Logf("%d metric names queried; the exposition has %d families", len(names), len(fams))
	})

	w.Stop()
	checkWriters(t, w)
	compareRows(t, db, "SELECT id, uk, k, c, pad, amount, ts, extra FROM t ORDER BY id", "SELECT id, uk, k, c, pad, amount, ts, 7 FROM ref ORDER BY id")
}

// waitForPhase scrapes until doppel_phase says phase.
func waitForPhase(t *testing.T, addr, phase string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	for {
		body, err := getMetrics(addr)
		if err != nil {
			t.Fatalf("scrape: %v", err)
		}
		now := scrape{body: body}.phase()
		if now == phase {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("migration ended before the phase %s: %v", phase, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not in phase %s after 3 minutes; in %q", phase, now)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// expand substitutes what Grafana would before a query leaves it; a
// variable it does not know fails the test.
func expand(t *testing.T, query string, values map[string]string) string {
	t.Helper()
	// The window only has to be a valid duration over 1s scrapes.
	q := strings.NewReplacer("$__rate_interval", "5s", "$database", values["database"], "$table", values["table"]).Replace(query)
	if strings.Contains(q, "$") {
		t.Fatalf("query %q uses a variable the test does not expand", query)
	}
	return q
}

// promServer is a Prometheus started by the test.
type promServer struct {
	url     string
	stopped <-chan struct{} // closed once the process has exited
}

// startPrometheus runs Debian's prometheus on a free loopback port, with
// its data in a temporary directory, scraping target every second. It is
// stopped and waited for when the test ends, and dies with the test binary
// if that is killed before (Pdeathsig). Without prometheus on PATH the
// test is skipped, unless DOPPEL_REQUIRE_PROMTOOL=1 (set by .ci/run, which
// installs the package for promtool) makes that a failure.
func startPrometheus(t *testing.T, target string) promServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("DOPPEL_REQUIRE_PROMTOOL") == "1" {
			t.Fatal("prometheus is not installed and DOPPEL_REQUIRE_PROMTOOL=1; install Debian's prometheus package")
		}
		t.Skip("prometheus not installed (Debian's prometheus package)")
	}
	dir := t.TempDir()
	config := filepath.Join(dir, "prometheus.yml")
	yml := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: doppel
    static_configs:
      - targets: [%q]
`, target)
	if err := os.WriteFile(config, []byte(yml), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "prometheus.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	listen := freeLoopbackAddr(t)
	cmd := exec.Command(bin, "--config.file="+config, "--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+listen)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("start prometheus: %v", err)
	}
	stopped := make(chan struct{})
	go func() {
		_ = cmd.Wait() // a signalled exit is the normal end here
		close(stopped)
	}()
	// Registered after TempDir's, so it runs first: the process is gone
	// before its data directory is removed.
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-stopped
		}
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("prometheus log:\n%s", b[max(len(b)-4000, 0):])
			}
		}
	})
	return promServer{url: "http://" + listen, stopped: stopped}
}

// freeLoopbackAddr is a loopback address whose port was free a moment
// ago: prometheus must be given a port, it cannot report one it chose.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// get calls Prometheus' HTTP API and decodes its data into data; a
// refused query is an error carrying Prometheus' reason.
func (p promServer) get(path string, params url.Values, data any) error {
	resp, err := scrapeClient.Get(p.url + path + "?" + params.Encode())
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Status    string          `json:"status"`
		ErrorType string          `json:"errorType"`
		Error     string          `json:"error"`
		Data      json.RawMessage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("%s: %s, undecodable answer: %w", path, resp.Status, err)
	}
	if r.Status != "success" {
		return fmt.Errorf("%s: %s: %s: %s", path, resp.Status, r.ErrorType, r.Error)
	}
	return json.Unmarshal(r.Data, data)
}

// waitForRowsCopied queries Prometheus until it holds doppel's rows copied
// for the migrated table, scraped from doppel (job "doppel").
func waitForRowsCopied(t *testing.T, p promServer, database, table string, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last string
	for {
		var vector struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"` // [unix time, "value"]
			} `json:"result"`
		}
		err := p.get("/api/v1/query", url.Values{"query": {"doppel_rows_copied_total"}}, &vector)
		last = fmt.Sprintf("%+v, %v", vector, err)
		if err == nil && vector.ResultType == "vector" {
			for _, s := range vector.Result {
				text, _ := s.Value[1].(string)
				v, perr := strconv.ParseFloat(text, 64)
				if s.Metric["database"] == database && s.Metric["table"] == table && s.Metric["job"] == "doppel" && perr == nil && v > 0 {
					return
				}
			}
		}
		select {
		case <-p.stopped:
			t.Fatal("prometheus exited")
		case err := <-done:
			t.Fatalf("the migration ended while Prometheus was waited for: %v", err)
		case <-time.After(500 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus has no doppel_rows_copied_total for %s.%s after 60s; last answer %s", database, table, last)
		}
	}
}
