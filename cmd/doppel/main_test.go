package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/migration"
	"github.com/doppel-dev/doppel/sandbox"
)

// required are the flags without which doppel refuses to start.
var required = []string{"--database=shop", "--table=orders", "--alter=ADD COLUMN note TEXT"}

type outcome struct {
	code   int
	stdout string
	stderr string
	called bool
	cfg    migration.Config
	level  zerolog.Level
}

type harness struct {
	stdin  io.Reader
	env    map[string]string
	report migration.Report                // what the fake migration returns
	result error                           // what the fake migration returns
	during func(ctx context.Context) error // replaces result when set
	exit   func(int)
}

func (h harness) run(t *testing.T, args ...string) outcome {
	t.Helper()
	var out outcome
	var stdout, stderr bytes.Buffer
	stdin := h.stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	exit := h.exit
	if exit == nil {
		exit = func(code int) { t.Errorf("unexpected hard exit with code %d", code) }
	}
	a := app{
		stdin:  stdin,
		stdout: &stdout,
		stderr: &stderr,
		migrate: func(ctx context.Context, cfg migration.Config, log zerolog.Logger) (migration.Report, error) {
			out.called = true
			out.cfg = cfg
			out.level = log.GetLevel()
			if h.during != nil {
				return migration.Report{}, h.during(ctx)
			}
			return h.report, h.result
		},
		getenv: func(k string) string { return h.env[k] },
		exit:   exit,
	}
	out.code = a.run(args)
	out.stdout = stdout.String()
	out.stderr = stderr.String()
	return out
}

func withRequired(args ...string) []string {
	return append(append([]string{}, required...), args...)
}

// logLines decodes the JSON log lines doppel wrote to stderr.
func logLines(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(stderr), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("stderr line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// findLog finds a log line by its message, or by the outcome of the final
// failure line (whose message is gh-ost's "FATAL <error>").
func findLog(lines []map[string]any, msg string) map[string]any {
	for _, l := range lines {
		if l["message"] == msg || l["outcome"] == msg {
			return l
		}
	}
	return nil
}

func TestFlagSyntaxFormsAreAllAccepted(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		chunkSize int64
		execute   bool
	}{
		{"double dash with equals", []string{"--chunk-size=2000"}, 2000, false},
		{"double dash with separate value", []string{"--chunk-size", "2000"}, 2000, false},
		{"single dash with equals", []string{"-chunk-size=2000"}, 2000, false},
		{"single dash with separate value", []string{"-chunk-size", "2000"}, 2000, false},
		{"the last of repeated values wins", []string{"--chunk-size=2000", "-chunk-size", "3000"}, 3000, false},
		{"a bare bool sets it", []string{"--execute"}, 1000, true},
		{"a single-dash bool sets it", []string{"-execute"}, 1000, true},
		{"a bool can be set to false", []string{"--execute=false"}, 1000, false},
		{"a later bool value wins", []string{"--execute", "--execute=false"}, 1000, false},
		{"a later true wins over false", []string{"--execute=false", "-execute=true"}, 1000, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(tc.args...)...)
			if out.code != exitOK {
				t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
			}
			if out.cfg.ChunkSize != tc.chunkSize || out.cfg.Execute != tc.execute {
				t.Errorf("chunk size %d, execute %v; want %d, %v", out.cfg.ChunkSize, out.cfg.Execute, tc.chunkSize, tc.execute)
			}
		})
	}
}

// implementedFlags are the flags doppel honours today: gh-ost's, then its own.
var implementedFlags = []string{
	"host", "port", "user", "password", "conf", "ask-pass", "database", "table", "alter",
	"execute", "allow-on-master", "assume-master-host", "assume-rbr", "exact-rowcount",
	"concurrent-rowcount", "chunk-size", "dml-batch-size", "default-retries",
	"initially-drop-ghost-table", "initially-drop-old-table", "ok-to-drop-table",
	"timestamp-old-table", "test-on-replica", "migrate-on-replica", "replica-server-id",
	"cut-over", "cut-over-lock-timeout-seconds", "storage-engine", "skip-metadata-lock-check",
	"approve-renamed-columns", "skip-renamed-columns", "verbose", "debug", "stack", "quiet",
	"version", "help", "include-triggers", "trigger-suffix", "remove-trigger-suffix-if-exists",
	"discard-foreign-keys", "skip-foreign-key-checks", "allow-zero-in-date", "skip-strict-mode",
	"allow-nullable-unique-key", "gtid", "analyze-ghost-table-before-cutover", "panic-on-warnings",
	"postpone-cut-over-flag-file", "max-lag-millis", "throttle-control-replicas", "throttle-query",
	"throttle-http", "throttle-http-interval-millis", "throttle-http-timeout-millis", "ignore-http-errors",
	"heartbeat-interval-millis", "throttle-flag-file", "throttle-additional-flag-file", "panic-flag-file",
	"initially-drop-socket-file", "serve-socket-file", "serve-tcp-port", "hooks-path", "hooks-hint",
	"hooks-hint-owner", "hooks-hint-token", "hooks-status-interval", "max-load", "critical-load",
	"critical-load-interval-millis", "critical-load-hibernate-seconds", "nice-ratio",
	"cut-over-exponential-backoff", "exponential-backoff-max-interval", "attempt-instant-ddl",
	"ssl", "ssl-ca", "ssl-cert", "ssl-key", "ssl-allow-insecure", "mysql-timeout", "statsd-addr",
	// doppel's own
	"checksum", "checksum-threads", "checksum-interval", "serve-tcp-address", "force-cut-over-after",
	"checkpoint", "checkpoint-seconds", "resume", "max-reconnect-wait", "apply-threads", "threads", "target-chunk-time",
	"max-apply-lag", "metrics-addr", "plan-format", "fail-on", "lint-full-scan", "log-format",
}

// handledInCmd are implemented flags that shape doppel's own behaviour rather
// than a Config field; each has its own test below.
var handledInCmd = map[string]string{
	"conf":     "TestConfFileGivesCredentialsTheCommandLineOverrides",
	"ask-pass": "TestAskPassReadsOneLineFromStdin",
	"verbose":  "TestLogLevelFollowsTheVerbosityFlags",
	"debug":    "TestLogLevelFollowsTheVerbosityFlags",
	"quiet":    "TestLogLevelFollowsTheVerbosityFlags",
	"stack":    "TestStackAddsTheErrorChainToTheFailure",
	"version":  "TestVersionPrintsBuildInfo",
	"help":     "TestHelpSeparatesImplementedFromPendingFlags",
	// The dry run's plan (plan_test.go).
	"plan-format": "TestPlanFormatJSONPrintsOneDocument",
	"fail-on":     "TestFailOnExitsOneOnSevereFindings",

	"log-format": "TestLogFormatFlag", // doppel's own
}

var configFieldCases = []struct {
	flag string
	arg  string
	get  func(migration.Config) any
	want any
}{
	{"host", "--host=db1.example", func(c migration.Config) any { return c.Host }, "db1.example"},
	{"port", "--port=3307", func(c migration.Config) any { return c.Port }, 3307},
	{"user", "--user=migrator", func(c migration.Config) any { return c.User }, "migrator"},
	{"password", "--password=hunter22", func(c migration.Config) any { return c.Password }, "hunter22"},
	{"assume-master-host", "--assume-master-host=primary:3306", func(c migration.Config) any { return c.AssumeMasterHost }, "primary:3306"},
	{"database", "--database=billing", func(c migration.Config) any { return c.Database }, "billing"},
	{"table", "--table=invoices", func(c migration.Config) any { return c.Table }, "invoices"},
	{"alter", "--alter=DROP COLUMN x", func(c migration.Config) any { return c.Alter }, "DROP COLUMN x"},
	{"execute", "--execute", func(c migration.Config) any { return c.Execute }, true},
	{"allow-on-master", "--allow-on-master", func(c migration.Config) any { return c.AllowOnMaster }, true},
	{"assume-rbr", "--assume-rbr", func(c migration.Config) any { return c.AssumeRBR }, true},
	{"exact-rowcount", "--exact-rowcount", func(c migration.Config) any { return c.ExactRowCount }, true},
	{"concurrent-rowcount", "--concurrent-rowcount=false", func(c migration.Config) any { return c.ConcurrentRowCnt }, false},
	{"chunk-size", "--chunk-size=5000", func(c migration.Config) any { return c.ChunkSize }, int64(5000)},
	{"dml-batch-size", "--dml-batch-size=50", func(c migration.Config) any { return c.DMLBatchSize }, int64(50)},
	{"default-retries", "--default-retries=5", func(c migration.Config) any { return c.DefaultRetries }, int64(5)},
	{"initially-drop-ghost-table", "--initially-drop-ghost-table", func(c migration.Config) any { return c.InitiallyDropGhostTable }, true},
	{"initially-drop-old-table", "--initially-drop-old-table", func(c migration.Config) any { return c.InitiallyDropOldTable }, true},
	{"ok-to-drop-table", "--ok-to-drop-table", func(c migration.Config) any { return c.OkToDropTable }, true},
	{"timestamp-old-table", "--timestamp-old-table", func(c migration.Config) any { return c.TimestampOldTable }, true},
	{"test-on-replica", "--test-on-replica", func(c migration.Config) any { return c.TestOnReplica }, true},
	{"migrate-on-replica", "--migrate-on-replica", func(c migration.Config) any { return c.MigrateOnReplica }, true},
	{"replica-server-id", "--replica-server-id=4242", func(c migration.Config) any { return c.ReplicaServerID }, uint32(4242)},
	{"cut-over", "--cut-over=two-step", func(c migration.Config) any { return c.CutOver }, "two-step"},
	{"cut-over-lock-timeout-seconds", "--cut-over-lock-timeout-seconds=7", func(c migration.Config) any { return c.CutOverLockTimeout }, 7 * time.Second},
	{"storage-engine", "--storage-engine=InnoDB", func(c migration.Config) any { return c.StorageEngine }, "innodb"},
	{"attempt-instant-ddl", "--attempt-instant-ddl", func(c migration.Config) any { return c.AttemptInstantDDL }, true},
	{"skip-metadata-lock-check", "--skip-metadata-lock-check", func(c migration.Config) any { return c.SkipMetadataLockCheck }, true},
	{"force-cut-over-after", "--force-cut-over-after=90s", func(c migration.Config) any { return c.ForceCutOverAfter }, 90 * time.Second},
	{"approve-renamed-columns", "--approve-renamed-columns", func(c migration.Config) any { return c.ApproveRenamedColumns }, true},
	{"skip-renamed-columns", "--skip-renamed-columns", func(c migration.Config) any { return c.SkipRenamedColumns }, true},
	// "|" separates several arguments, for flags that need a partner.
	{"include-triggers", "--include-triggers|--trigger-suffix=_v2", func(c migration.Config) any { return c.IncludeTriggers }, true},
	{"trigger-suffix", "--include-triggers|--trigger-suffix=_v2", func(c migration.Config) any { return c.TriggerSuffix }, "_v2"},
	{"remove-trigger-suffix-if-exists", "--include-triggers|--trigger-suffix=_v2|--remove-trigger-suffix-if-exists", func(c migration.Config) any { return c.RemoveTriggerSuffix }, true},
	{"discard-foreign-keys", "--discard-foreign-keys", func(c migration.Config) any { return c.DiscardForeignKeys }, true},
	{"skip-foreign-key-checks", "--skip-foreign-key-checks", func(c migration.Config) any { return c.SkipForeignKeyChecks }, true},
	{"allow-zero-in-date", "--allow-zero-in-date", func(c migration.Config) any { return c.AllowZeroInDate }, true},
	{"skip-strict-mode", "--skip-strict-mode", func(c migration.Config) any { return c.SkipStrictMode }, true},
	{"allow-nullable-unique-key", "--allow-nullable-unique-key", func(c migration.Config) any { return c.AllowNullableUniqueKey }, true},
	{"gtid", "--gtid", func(c migration.Config) any { return c.GTID }, true},
	{"panic-on-warnings", "--panic-on-warnings", func(c migration.Config) any { return c.PanicOnWarnings }, true},
	{"analyze-ghost-table-before-cutover", "--analyze-ghost-table-before-cutover", func(c migration.Config) any { return c.AnalyzeGhostTable }, true},
	{"postpone-cut-over-flag-file", "--postpone-cut-over-flag-file=/tmp/p.flag", func(c migration.Config) any { return c.PostponeCutOverFlagFile }, "/tmp/p.flag"},
	{"checksum", "--checksum=false", func(c migration.Config) any { return c.SkipChecksum }, true},
	{"checksum-threads", "--checksum-threads=8", func(c migration.Config) any { return c.ChecksumThreads }, 8},
	{"threads", "--threads=8", func(c migration.Config) any { return c.CopyThreads }, 8},
	{"target-chunk-time", "--target-chunk-time=2s", func(c migration.Config) any { return c.TargetChunkTime }, 2 * time.Second},
	{"checksum-interval", "--checksum-interval=10m", func(c migration.Config) any { return c.ChecksumInterval }, 10 * time.Minute},
	{"checkpoint", "--checkpoint", func(c migration.Config) any { return c.Checkpoint }, true},
	{"apply-threads", "--apply-threads=8", func(c migration.Config) any { return c.ApplyThreads }, 8},
	{"lint-full-scan", "--lint-full-scan", func(c migration.Config) any { return c.LintFullScan }, true},
	{"max-apply-lag", "--max-apply-lag=5s", func(c migration.Config) any { return c.MaxApplyLag }, 5 * time.Second},
	{"metrics-addr", "--metrics-addr=127.0.0.1:0", func(c migration.Config) any { return c.MetricsAddr }, "127.0.0.1:0"},
	{"statsd-addr", "--statsd-addr=127.0.0.1:8125", func(c migration.Config) any { return c.StatsDAddr }, "127.0.0.1:8125"},
	{"checkpoint-seconds", "--checkpoint-seconds=30", func(c migration.Config) any { return c.CheckpointInterval }, 30 * time.Second},
	{"resume", "--resume", func(c migration.Config) any { return [2]bool{c.Resume, c.Checkpoint} }, [2]bool{true, true}},
	{"max-reconnect-wait", "--max-reconnect-wait=90s", func(c migration.Config) any { return c.MaxReconnectWait }, 90 * time.Second},
	{"max-lag-millis", "--max-lag-millis=800", func(c migration.Config) any { return c.MaxLag }, 800 * time.Millisecond},
	{"throttle-control-replicas", "--throttle-control-replicas=r1,r2:3307", func(c migration.Config) any { return c.ThrottleControlReplicas }, "r1,r2:3307"},
	{"throttle-query", "--throttle-query=select 1", func(c migration.Config) any { return c.ThrottleQuery }, "select 1"},
	{"throttle-http", "--throttle-http=http://h/x", func(c migration.Config) any { return c.ThrottleHTTP }, "http://h/x"},
	{"throttle-http-interval-millis", "--throttle-http-interval-millis=250", func(c migration.Config) any { return c.ThrottleHTTPInterval }, 250 * time.Millisecond},
	{"throttle-http-timeout-millis", "--throttle-http-timeout-millis=300", func(c migration.Config) any { return c.ThrottleHTTPTimeout }, 300 * time.Millisecond},
	{"ignore-http-errors", "--ignore-http-errors", func(c migration.Config) any { return c.IgnoreHTTPErrors }, true},
	{"heartbeat-interval-millis", "--heartbeat-interval-millis=50", func(c migration.Config) any { return c.HeartbeatInterval }, 50 * time.Millisecond},
	{"throttle-flag-file", "--throttle-flag-file=/tmp/t.flag", func(c migration.Config) any { return c.ThrottleFlagFile }, "/tmp/t.flag"},
	{"throttle-additional-flag-file", "--throttle-additional-flag-file=/tmp/a.flag", func(c migration.Config) any { return c.ThrottleAdditionalFlagFile }, "/tmp/a.flag"},
	{"panic-flag-file", "--panic-flag-file=/tmp/p", func(c migration.Config) any { return c.PanicFlagFile }, "/tmp/p"},
	{"initially-drop-socket-file", "--initially-drop-socket-file", func(c migration.Config) any { return c.InitiallyDropSocketFile }, true},
	{"serve-socket-file", "--serve-socket-file=/tmp/s.sock", func(c migration.Config) any { return c.ServeSocketFile }, "/tmp/s.sock"},
	{"serve-tcp-port", "--serve-tcp-port=7000", func(c migration.Config) any { return c.ServeTCPAddr }, "127.0.0.1:7000"},
	{"serve-tcp-address", "--serve-tcp-port=7000|--serve-tcp-address=0.0.0.0", func(c migration.Config) any { return c.ServeTCPAddr }, "0.0.0.0:7000"},
	{"hooks-path", "--hooks-path=/", func(c migration.Config) any { return c.HooksPath }, "/"},
	{"hooks-hint", "--hooks-hint=h", func(c migration.Config) any { return c.HooksHint }, "h"},
	{"hooks-hint-owner", "--hooks-hint-owner=o", func(c migration.Config) any { return c.HooksHintOwner }, "o"},
	{"hooks-hint-token", "--hooks-hint-token=tk", func(c migration.Config) any { return c.HooksHintToken }, "tk"},
	{"hooks-status-interval", "--hooks-status-interval=5", func(c migration.Config) any { return c.HooksStatusInterval }, 5 * time.Second},
	{"max-load", "--max-load=Threads_running=30", func(c migration.Config) any { return c.MaxLoad }, "Threads_running=30"},
	{"critical-load", "--critical-load=Threads_running=300", func(c migration.Config) any { return c.CriticalLoad }, "Threads_running=300"},
	{"critical-load-interval-millis", "--critical-load-interval-millis=500", func(c migration.Config) any { return c.CriticalLoadInterval }, 500 * time.Millisecond},
	{"critical-load-hibernate-seconds", "--critical-load-hibernate-seconds=9", func(c migration.Config) any { return c.CriticalLoadHibernate }, 9 * time.Second},
	{"nice-ratio", "--nice-ratio=0.5", func(c migration.Config) any { return c.NiceRatio }, 0.5},
	{"cut-over-exponential-backoff", "--cut-over-exponential-backoff", func(c migration.Config) any { return c.CutOverExponentialBackoff }, true},
	{"exponential-backoff-max-interval", "--exponential-backoff-max-interval=10", func(c migration.Config) any { return c.ExponentialBackoffMaxInterval }, 10 * time.Second},
	// {certs} is a directory of sandbox.NewCerts files, made per test.
	{"ssl", "--ssl", func(c migration.Config) any { return describeTLS(c.TLS) }, "verify with system CAs"},
	{"ssl-ca", "--ssl|--ssl-ca={certs}/ca.pem", func(c migration.Config) any { return describeTLS(c.TLS) }, "verify with given CAs"},
	{"ssl-cert", "--ssl|--ssl-cert={certs}/client-cert.pem|--ssl-key={certs}/client-key.pem", func(c migration.Config) any { return describeTLS(c.TLS) }, "verify with system CAs, client certificate CN=doppel"},
	{"ssl-key", "--ssl|--ssl-key={certs}/client-key.pem|--ssl-cert={certs}/client-cert.pem", func(c migration.Config) any { return describeTLS(c.TLS) }, "verify with system CAs, client certificate CN=doppel"},
	{"ssl-allow-insecure", "--ssl|--ssl-allow-insecure", func(c migration.Config) any { return describeTLS(c.TLS) }, "no verification"},
	{"mysql-timeout", "--mysql-timeout=2.5", func(c migration.Config) any { return c.MySQLTimeout }, 2500 * time.Millisecond},
}

// describeTLS says what a TLS configuration does, in words a test can compare.
func describeTLS(c *tls.Config) string {
	if c == nil {
		return "plaintext"
	}
	var s string
	switch {
	case c.InsecureSkipVerify:
		s = "no verification"
	case c.RootCAs == nil:
		s = "verify with system CAs"
	default:
		s = "verify with given CAs"
	}
	for _, cert := range c.Certificates {
		if cert.Leaf != nil && cert.PrivateKey != nil {
			s += ", client certificate CN=" + cert.Leaf.Subject.CommonName
		}
	}
	return s
}

// testCerts writes a CA, a server and a client certificate for one test.
func testCerts(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := sandbox.NewCerts(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEveryImplementedFlagReachesItsConfigField(t *testing.T) {
	t.Parallel()
	certs := testCerts(t)
	for _, tc := range configFieldCases {
		t.Run(tc.flag, func(t *testing.T) {
			t.Parallel()
			arg := strings.ReplaceAll(tc.arg, "{certs}", certs)
			out := harness{}.run(t, withRequired(strings.Split(arg, "|")...)...)
			if out.code != exitOK || !out.called {
				t.Fatalf("exit code %d, migration called %v; stderr:\n%s", out.code, out.called, out.stderr)
			}
			if got := tc.get(out.cfg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%s gave %#v, want %#v", tc.arg, got, tc.want)
			}
		})
	}
}

func TestTriggerFlagsNeedEachOther(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--include-triggers"},
		{"--trigger-suffix=_x"},
		{"--remove-trigger-suffix-if-exists", "--trigger-suffix=_x"},
		{"--include-triggers", "--trigger-suffix=bad-suffix"},
	} {
		out := harness{}.run(t, withRequired(args...)...)
		if out.code != exitUsage || out.called || !strings.Contains(out.stderr, "trigger") {
			t.Errorf("%v: exit code %d, called %v, stderr:\n%s", args, out.code, out.called, out.stderr)
		}
	}
}

func TestEveryImplementedFlagIsCoveredByATest(t *testing.T) {
	t.Parallel()
	covered := map[string]bool{}
	for _, tc := range configFieldCases {
		covered[tc.flag] = true
	}
	for name := range handledInCmd {
		covered[name] = true
	}
	for _, name := range implementedFlags {
		if !covered[name] {
			t.Errorf("--%s is implemented but no test checks where it goes", name)
		}
	}
}

func TestDefaultsBecomeTheDefaultConfig(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, required...)
	if out.code != exitOK {
		t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
	want := migration.Config{
		Host:               "127.0.0.1",
		Port:               3306,
		Database:           "shop",
		Table:              "orders",
		Alter:              "ADD COLUMN note TEXT",
		ConcurrentRowCnt:   true,
		ChunkSize:          1000,
		DMLBatchSize:       10,
		DefaultRetries:     60,
		ReplicaServerID:    99999,
		CutOver:            "atomic",
		CutOverLockTimeout: 3 * time.Second,
		StorageEngine:      "innodb",
		ChecksumThreads:    0, // half the server's CPUs, settled once connected
		CopyThreads:        0,
		TargetChunkTime:    500 * time.Millisecond,
		ChecksumInterval:   time.Hour,
		CheckpointInterval: 300 * time.Second,
		ApplyThreads:       4,
		MaxApplyLag:        2 * time.Second,
		MaxReconnectWait:   5 * time.Minute,

		MaxLag:                     1500 * time.Millisecond,
		HeartbeatInterval:          100 * time.Millisecond,
		ThrottleAdditionalFlagFile: "/tmp/gh-ost.throttle",
		ThrottleHTTPInterval:       100 * time.Millisecond,
		ThrottleHTTPTimeout:        time.Second,
		HooksStatusInterval:        time.Minute,

		ExponentialBackoffMaxInterval: 64 * time.Second,
	}
	if !reflect.DeepEqual(out.cfg, want) {
		t.Errorf("config\n got %+v\nwant %+v", out.cfg, want)
	}
}

func TestEveryDefinedFlagIsImplementedOrPending(t *testing.T) {
	t.Parallel()
	implemented := map[string]bool{}
	for _, name := range implementedFlags {
		implemented[name] = true
	}
	pending := pendingNames()
	if len(pending) != len(notImplemented) {
		t.Errorf("notImplemented lists a flag twice")
	}
	var o options
	fs := defineFlags(&o)
	defined := 0
	fs.VisitAll(func(f *flag.Flag) {
		defined++
		switch {
		case implemented[f.Name] && pending[f.Name]:
			t.Errorf("--%s is both implemented and in notImplemented", f.Name)
		case !implemented[f.Name] && !pending[f.Name]:
			t.Errorf("--%s is defined but neither implemented nor in notImplemented", f.Name)
		}
	})
	if want := len(implementedFlags) + len(notImplemented); defined != want {
		t.Errorf("%d flags defined, want %d", defined, want)
	}
}

func TestEveryPendingFlagIsRefusedByName(t *testing.T) {
	t.Parallel()
	var o options
	fs := defineFlags(&o)
	for _, p := range notImplemented {
		// Set to its own default: asking for it explicitly is what counts.
		arg := "--" + p.name + "=" + fs.Lookup(p.name).DefValue
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired("--execute", arg)...)
			if out.code != exitUsage {
				t.Errorf("exit code %d, want %d", out.code, exitUsage)
			}
			if out.called {
				t.Errorf("the migration ran despite %s", arg)
			}
			want := fmt.Sprintf("doppel: --%s is not implemented yet in this version of doppel; remove it or use gh-ost for now", p.name)
			if !strings.Contains(out.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, out.stderr)
			}
		})
	}
}

func TestPendingBoolFlagIsRefusedInEveryForm(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--tungsten", "-tungsten", "--tungsten=false", "-tungsten=true"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(arg)...)
			if out.code != exitUsage || out.called || !strings.Contains(out.stderr, "--tungsten is not implemented yet") {
				t.Errorf("exit code %d, called %v, stderr:\n%s", out.code, out.called, out.stderr)
			}
		})
	}
}

func TestAllRefusedFlagsAreNamedAtOnce(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, withRequired("--revert", "--tungsten", "--aliyun-rds")...)
	if out.code != exitUsage {
		t.Fatalf("exit code %d, want %d", out.code, exitUsage)
	}
	for _, name := range []string{"--revert", "--tungsten", "--aliyun-rds"} {
		if !strings.Contains(out.stderr, name+" is not implemented yet") {
			t.Errorf("stderr does not name %s:\n%s", name, out.stderr)
		}
	}
}

func TestUnknownFlagFailsWithUsage(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, withRequired("--no-such-flag=1")...)
	if out.code != exitUsage || out.called {
		t.Fatalf("exit code %d, called %v", out.code, out.called)
	}
	// One line that names the flag and the way out, not the whole help,
	// which would push the error off the screen.
	if want := "doppel: unknown flag --no-such-flag; run 'doppel --help' for the list of flags\n"; out.stderr != want {
		t.Errorf("stderr %q, want %q", out.stderr, want)
	}
	if out.stdout != "" {
		t.Errorf("stdout should be empty, got:\n%s", out.stdout)
	}
}

func TestParseErrorsSayWhatToDo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg, want string
	}{
		{"--port=abc", `--port: "abc" is not a number (a whole number is expected)`},
		{"--port=99999999999999999999", `--port: "99999999999999999999" is out of range`},
		{"--replica-server-id=-1", `--replica-server-id: "-1" is not a number (a whole number, 0 or more, is expected)`},
		{"--execute=maybe", `--execute: "maybe" is not true or false`},
		{"--nice-ratio=lots", `--nice-ratio: "lots" is not a number`},
		{"--checksum-interval=10", `--checksum-interval: "10" is not a duration (a number with a unit, e.g. 30s, 5m or 1h)`},
		{"--alter", "--alter needs a value, e.g. --alter=VALUE"},
		{"--chunk_size=5", "unknown flag --chunk_size (did you mean --chunk-size?)"},
		{"--exucute", "unknown flag --exucute (did you mean --execute?)"},
		{"--AllowOnMaster", "unknown flag --AllowOnMaster (did you mean --allow-on-master?)"},
		{"---execute", "bad flag syntax: ---execute"},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, append(append([]string{}, required...), tc.arg)...)
			if out.code != exitUsage || out.called {
				t.Fatalf("exit code %d, called %v", out.code, out.called)
			}
			want := "doppel: " + tc.want
			if !strings.HasPrefix(out.stderr, want) || !strings.HasSuffix(out.stderr, "; run 'doppel --help' for the list of flags\n") {
				t.Errorf("stderr %q, want %q and the hint", out.stderr, want)
			}
		})
	}
}

func TestStrayArgumentIsRefused(t *testing.T) {
	t.Parallel()
	// An unquoted --alter: flag would stop at COLUMN and drop --execute.
	out := harness{}.run(t, "--database=shop", "--table=orders", "--alter", "ADD", "COLUMN", "c", "INT", "--execute")
	if out.code != exitUsage || out.called {
		t.Fatalf("exit code %d, called %v", out.code, out.called)
	}
	if !strings.Contains(out.stderr, `unexpected argument "COLUMN"`) || !strings.Contains(out.stderr, "quote the whole --alter") {
		t.Errorf("stderr:\n%s", out.stderr)
	}
}

func TestVersionPrintsBuildInfo(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"--version"}, {"-version"}, {"--version", "--max-load=x"}} {
		out := harness{}.run(t, args...)
		if out.code != exitOK || out.called {
			t.Errorf("%v: exit code %d, called %v", args, out.code, out.called)
		}
		if want := "doppel dev (commit unknown, built unknown)\n"; out.stdout != want {
			t.Errorf("%v: stdout %q, want %q", args, out.stdout, want)
		}
	}
}

func TestHelpSeparatesImplementedFromPendingFlags(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--help", "-h"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, arg)
			if out.code != exitOK || out.called {
				t.Fatalf("exit code %d, called %v", out.code, out.called)
			}
			pendingAt := strings.Index(out.stdout, "gh-ost flags not implemented yet")
			if pendingAt < 0 {
				t.Fatalf("help has no not-implemented section:\n%s", out.stdout)
			}
			for _, name := range implementedFlags {
				at := strings.Index(out.stdout, "  --"+name+" ")
				if at < 0 {
					at = strings.Index(out.stdout, "  --"+name+"\n")
				}
				if at < 0 || at > pendingAt {
					t.Errorf("--%s is not listed among the implemented flags", name)
				}
			}
			for _, p := range notImplemented {
				if at := strings.LastIndex(out.stdout, "  --"+p.name); at < pendingAt {
					t.Errorf("--%s is not listed among the pending flags", p.name)
				}
			}
			if !strings.HasPrefix(out.stdout, "doppel changes the schema") {
				t.Errorf("help does not start with the description")
			}
		})
	}
}

func TestValidationErrorsStopBeforeTheMigration(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no table", []string{"--database=shop", "--alter=ADD c INT"}, "--table is required"},
		{"no database", []string{"--table=orders", "--alter=ADD c INT"}, "--database is required"},
		{"no alter", []string{"--database=shop", "--table=orders"}, "--alter is required"},
		{"blank alter", []string{"--database=shop", "--table=orders", "--alter=  "}, "--alter is required"},
		{"unknown cut-over", withRequired("--cut-over=fast"), "--cut-over=fast is not a cut-over algorithm; use atomic or two-step"},
		{"rocksdb", withRequired("--storage-engine=rocksdb"), "--storage-engine=rocksdb is not supported: doppel migrates InnoDB tables only"},
		{"other engine", withRequired("--storage-engine=myisam"), "--storage-engine=myisam is not supported"},
		{"test and migrate on replica", withRequired("--test-on-replica", "--migrate-on-replica"), "--test-on-replica and --migrate-on-replica cannot be used together (one swaps back for a test, the other keeps the swap); drop one"},
		{"allow-on-master and test-on-replica", withRequired("--allow-on-master", "--test-on-replica"), "--allow-on-master and --test-on-replica cannot be used together (one migrates on the primary, the other on a replica); drop one"},
		{"allow-on-master and migrate-on-replica", withRequired("--allow-on-master", "--migrate-on-replica"), "--allow-on-master and --migrate-on-replica cannot be used together"},
		{"quiet and verbose", withRequired("--quiet", "--verbose"), "--quiet and --verbose cannot be used together; drop one"},
		{"quiet and debug", withRequired("--quiet", "--debug"), "--quiet and --debug cannot be used together; drop one"},
		{"force cut-over without the lock view", withRequired("--force-cut-over-after=1m", "--skip-metadata-lock-check"), "--force-cut-over-after needs the metadata lock view that --skip-metadata-lock-check turns off"},
		{"negative force cut-over", withRequired("--force-cut-over-after=-5s"), "--force-cut-over-after=-5s: give a positive duration, e.g. 30s, or 0 to never kill"},
		{"chunk size zero", withRequired("--chunk-size=0"), "--chunk-size=0: give a positive number of rows per chunk"},
		{"chunk size negative", withRequired("--chunk-size=-1"), "--chunk-size=-1: give a positive number of rows per chunk"},
		{"unparsable alter", []string{"--database=shop", "--table=orders", "--alter=ADD COLUMN"}, "--alter does not parse: line 1 column 10: unexpected end of text; --alter takes the clauses"},
		{"two statements", []string{"--database=shop", "--table=orders", "--alter=ADD c INT; DROP TABLE x"}, "--alter does not parse: it holds 2 statements"},
		{"alter that renames the table", []string{"--database=shop", "--table=orders", "--alter=RENAME TO x"}, "the alter statement seems to RENAME the table"},
		{"alter ignore", []string{"--database=shop", "--alter=ALTER IGNORE TABLE orders ADD UNIQUE KEY (c)"}, "--alter uses ALTER IGNORE"},
		{"blank database", []string{"--database=   ", "--table=orders", "--alter=ADD c INT"}, "--database is required"},
		{"database name too long", []string{"--database=" + strings.Repeat("d", 65), "--table=orders", "--alter=ADD c INT"}, "--database is 65 characters long; MySQL names are at most 64 characters: check the name"},
		{"table name too long in characters", []string{"--database=shop", "--table=" + strings.Repeat("é", 65), "--alter=ADD c INT"}, "--table is 65 characters long"},
		{"socket directory missing", withRequired("--serve-socket-file=/nonexistent/dir/x.sock"), "--serve-socket-file=/nonexistent/dir/x.sock: directory /nonexistent/dir does not exist; create it or choose another path"},
		{"socket directory is a file", withRequired("--serve-socket-file=/dev/null/x.sock"), "--serve-socket-file=/dev/null/x.sock: /dev/null is not a directory; choose another path"},
		{"hooks path missing", withRequired("--hooks-path=/nonexistent/hooks"), "--hooks-path=/nonexistent/hooks does not exist; give the directory that holds the gh-ost-on-* hooks"},
		{"hooks path is a file", withRequired("--hooks-path=/dev/null"), "--hooks-path=/dev/null is not a directory"},
		{"approve and skip renames", withRequired("--approve-renamed-columns", "--skip-renamed-columns"), "--approve-renamed-columns and --skip-renamed-columns contradict each other"},
		{"ask-pass with password", withRequired("--ask-pass", "--password=x"), "--ask-pass and --password are mutually exclusive"},
		{"port zero", withRequired("--port=0"), "--port=0 is not a TCP port"},
		{"port too big", withRequired("--port=70000"), "--port=70000 is not a TCP port"},
		{"empty host", withRequired("--host="), "--host must not be empty"},
		{"bad master port", withRequired("--assume-master-host=primary:http"), `--assume-master-host=primary:http: "http" is not a TCP port`},
		{"replica server id zero", withRequired("--replica-server-id=0"), "--replica-server-id=0 must be between 1 and 4294967295"},
		{"replica server id too big", withRequired("--replica-server-id=4294967296"), "--replica-server-id=4294967296 must be between 1 and 4294967295"},
		{"alter names another table", withRequired("--alter=ALTER TABLE shop.customers ADD c INT"), "--table=orders but --alter names table customers; doppel migrates one table per run: make them agree"},
		{"alter names another database", withRequired("--alter=ALTER TABLE billing.orders ADD c INT"), "--database=shop but --alter names database billing"},
		{"missing conf file", withRequired("--conf=/nonexistent/doppel.cnf"), "--conf: open /nonexistent/doppel.cnf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, tc.args...)
			if out.code != exitUsage {
				t.Errorf("exit code %d, want %d", out.code, exitUsage)
			}
			if out.called {
				t.Errorf("the migration ran")
			}
			if !strings.Contains(out.stderr, "doppel: "+tc.want) {
				t.Errorf("stderr does not contain %q:\n%s", tc.want, out.stderr)
			}
		})
	}
}

func TestAllValidationErrorsAreReportedTogether(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, "--cut-over=fast", "--storage-engine=rocksdb")
	for _, want := range []string{"--alter is required", "--database is required", "--table is required", "--cut-over=fast", "rocksdb"} {
		if !strings.Contains(out.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, out.stderr)
		}
	}
}

func TestAlterStatementCanNameTheTable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		args          []string
		database, tbl string
	}{
		{"qualified name fills both", []string{"--alter=ALTER TABLE shop.orders ADD c INT"}, "shop", "orders"},
		{"quoted names", []string{"--alter=alter table `my shop`.`or``ders` add c int"}, "my shop", "or`ders"},
		{"unqualified name needs --database", []string{"--database=shop", "--alter=ALTER TABLE orders ADD c INT"}, "shop", "orders"},
		{"agreeing flags are fine", []string{"--database=shop", "--table=orders", "--alter=ALTER TABLE shop.orders ADD c INT"}, "shop", "orders"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, tc.args...)
			if out.code != exitOK {
				t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
			}
			if out.cfg.Database != tc.database || out.cfg.Table != tc.tbl {
				t.Errorf("database %q table %q, want %q %q", out.cfg.Database, out.cfg.Table, tc.database, tc.tbl)
			}
		})
	}
}

func TestCutOverDefaultMeansAtomic(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, withRequired("--cut-over=default")...)
	if out.code != exitOK || out.cfg.CutOver != "atomic" {
		t.Errorf("exit code %d, cut-over %q; stderr:\n%s", out.code, out.cfg.CutOver, out.stderr)
	}
}

func TestOutOfRangeValuesAreAdjustedAndLogged(t *testing.T) {
	t.Parallel()
	tests := []struct {
		arg  string
		flag string
		get  func(migration.Config) any
		want any
		used float64
	}{
		{"--chunk-size=5", "--chunk-size", func(c migration.Config) any { return c.ChunkSize }, int64(10), 10},
		{"--chunk-size=1000000", "--chunk-size", func(c migration.Config) any { return c.ChunkSize }, int64(100000), 100000},
		{"--dml-batch-size=0", "--dml-batch-size", func(c migration.Config) any { return c.DMLBatchSize }, int64(1), 1},
		{"--dml-batch-size=5000", "--dml-batch-size", func(c migration.Config) any { return c.DMLBatchSize }, int64(1000), 1000},
		{"--default-retries=0", "--default-retries", func(c migration.Config) any { return c.DefaultRetries }, int64(60), 60},
		{"--cut-over-lock-timeout-seconds=30", "--cut-over-lock-timeout-seconds", func(c migration.Config) any { return c.CutOverLockTimeout }, 3 * time.Second, 3},
		{"--cut-over-lock-timeout-seconds=0", "--cut-over-lock-timeout-seconds", func(c migration.Config) any { return c.CutOverLockTimeout }, 3 * time.Second, 3},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(tc.arg)...)
			if out.code != exitOK {
				t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
			}
			if got := tc.get(out.cfg); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			l := findLog(logLines(t, out.stderr), "flag value adjusted")
			if l == nil || l["flag"] != tc.flag || l["used"] != tc.used || l["level"] != "warn" {
				t.Errorf("no warning about %s; stderr:\n%s", tc.flag, out.stderr)
			}
		})
	}
}

func TestInRangeValuesAreNotAdjusted(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, withRequired("--chunk-size=100", "--chunk-size=100000", "--dml-batch-size=100", "--cut-over-lock-timeout-seconds=10")...)
	if out.code != exitOK || findLog(logLines(t, out.stderr), "flag value adjusted") != nil {
		t.Errorf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
}

func TestExitCodeFollowsTheMigrationResult(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		result error
		code   int
		msg    string
	}{
		{"dry run succeeds", required, nil, exitOK, "dry run finished; add --execute to migrate"},
		{"migration succeeds", withRequired("--execute"), nil, exitOK, "migration finished"},
		{"migration fails", withRequired("--execute"), errors.New("copy chunk: lost connection"), exitFailed, "migration failed"},
		{"dry run fails", required, errors.New("lost connection"), exitFailed, "migration failed"},
		{"preflight refuses", required, fmt.Errorf("preflight: %w", &migration.UsageError{}), exitFailed, "migration refused"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := harness{result: tc.result}.run(t, tc.args...)
			if out.code != tc.code {
				t.Errorf("exit code %d, want %d", out.code, tc.code)
			}
			l := findLog(logLines(t, out.stderr), tc.msg)
			if l == nil {
				t.Fatalf("no %q log line; stderr:\n%s", tc.msg, out.stderr)
			}
			if tc.result != nil && l["error"] != tc.result.Error() {
				t.Errorf("logged error %v, want %q", l["error"], tc.result)
			}
			if _, ok := l["stack"]; ok {
				t.Errorf("stack logged without --stack")
			}
		})
	}
}

type tracedError struct{ msg string }

func (e tracedError) Error() string { return e.msg }

func (e tracedError) Format(s fmt.State, verb rune) {
	io.WriteString(s, e.msg)
	if s.Flag('+') {
		io.WriteString(s, "\n\tat copier.copyChunk (copier.go:42)")
	}
}

func TestStackAddsTheErrorChainToTheFailure(t *testing.T) {
	t.Parallel()
	err := fmt.Errorf("copy: %w", tracedError{"lost connection"})
	out := harness{result: err}.run(t, withRequired("--execute", "--stack")...)
	if out.code != exitFailed {
		t.Fatalf("exit code %d", out.code)
	}
	l := findLog(logLines(t, out.stderr), "migration failed")
	if l == nil {
		t.Fatalf("no failure logged:\n%s", out.stderr)
	}
	if stack, _ := l["stack"].(string); !strings.Contains(stack, "copier.go:42") {
		t.Errorf("stack %q does not carry the %%+v detail", stack)
	}
	chain, _ := l["chain"].([]any)
	if len(chain) != 2 || chain[0] != "*fmt.wrapError" || chain[1] != "main.tracedError" {
		t.Errorf("chain %v", chain)
	}
}

func TestPasswordNeverReachesTheOutput(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-pw"
	err := fmt.Errorf("connect doppel:%s@tcp(127.0.0.1:3306)/shop: access denied", secret)
	out := harness{result: err}.run(t, withRequired("--execute", "--stack", "--debug", "--password="+secret)...)
	if out.code != exitFailed {
		t.Fatalf("exit code %d", out.code)
	}
	if out.cfg.Password != secret {
		t.Errorf("the migration did not get the password")
	}
	if strings.Contains(out.stderr+out.stdout, secret) {
		t.Errorf("password appears in the output:\n%s", out.stderr)
	}
}

func TestLogLevelFollowsTheVerbosityFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args     []string
		level    zerolog.Level
		startLog bool
	}{
		{nil, zerolog.InfoLevel, true},
		{[]string{"--verbose"}, zerolog.InfoLevel, true},
		{[]string{"--debug"}, zerolog.DebugLevel, true},
		{[]string{"--verbose", "--debug"}, zerolog.DebugLevel, true},
		{[]string{"--quiet"}, zerolog.ErrorLevel, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.args), func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(tc.args...)...)
			if out.code != exitOK {
				t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
			}
			if out.level != tc.level {
				t.Errorf("migration got level %v, want %v", out.level, tc.level)
			}
			started := findLog(logLines(t, out.stderr), "doppel starting") != nil
			if started != tc.startLog {
				t.Errorf("start logged %v, want %v; stderr:\n%s", started, tc.startLog, out.stderr)
			}
		})
	}
}

func TestQuietStillLogsTheFailure(t *testing.T) {
	t.Parallel()
	out := harness{result: errors.New("boom")}.run(t, withRequired("--quiet")...)
	lines := logLines(t, out.stderr)
	if out.code != exitFailed || len(lines) != 1 || lines[0]["outcome"] != "migration failed" || lines[0]["message"] != "FATAL boom" {
		t.Errorf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
}

func TestLogsAreJSONWhenStderrIsNotATerminal(t *testing.T) {
	t.Parallel()
	out := harness{}.run(t, required...)
	l := findLog(logLines(t, out.stderr), "doppel starting")
	if l == nil {
		t.Fatalf("no start line:\n%s", out.stderr)
	}
	for _, field := range []string{"time", "level", "version", "host", "database", "table", "execute"} {
		if _, ok := l[field]; !ok {
			t.Errorf("start line lacks %q: %v", field, l)
		}
	}
}

func TestAskPassReadsOneLineFromStdin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		stdin    string
		args     []string
		code     int
		password string
	}{
		{"a line", "from-stdin\nsecond line\n", nil, exitOK, "from-stdin"},
		{"a windows line", "from-stdin\r\n", nil, exitOK, "from-stdin"},
		{"no trailing newline", "from-stdin", nil, exitOK, "from-stdin"},
		{"empty stdin", "", nil, exitUsage, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out := harness{stdin: strings.NewReader(tc.stdin)}.run(t, withRequired(append(tc.args, "--ask-pass")...)...)
			if out.code != tc.code {
				t.Fatalf("exit code %d, want %d; stderr:\n%s", out.code, tc.code, out.stderr)
			}
			if out.cfg.Password != tc.password {
				t.Errorf("password %q, want %q", out.cfg.Password, tc.password)
			}
			if tc.password != "" && strings.Contains(out.stderr, tc.password) {
				t.Errorf("password echoed on stderr")
			}
		})
	}
}

func TestFinishedMigrationLogsItsReport(t *testing.T) {
	t.Parallel()
	report := migration.Report{RowsCopied: 1234, ChangesApplied: 56, CutOverStall: 40 * time.Millisecond, OldTable: "_orders_del", Duration: time.Minute}
	out := harness{report: report}.run(t, withRequired("--execute")...)
	if out.code != exitOK {
		t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
	l := findLog(logLines(t, out.stderr), "migration finished")
	if l == nil || l["rows_copied"] != 1234.0 || l["changes_applied"] != 56.0 || l["old_table"] != "_orders_del" {
		t.Errorf("finish line %v; stderr:\n%s", l, out.stderr)
	}
}

func TestInstantMigrationLogsItsAlgorithm(t *testing.T) {
	t.Parallel()
	report := migration.Report{InstantDDL: "INSTANT", Duration: time.Second}
	out := harness{report: report}.run(t, withRequired("--execute", "--attempt-instant-ddl")...)
	if out.code != exitOK {
		t.Fatalf("exit code %d, stderr:\n%s", out.code, out.stderr)
	}
	l := findLog(logLines(t, out.stderr), "migration finished: the server applied the ALTER in place (--attempt-instant-ddl); nothing was copied")
	if l == nil || l["algorithm"] != "INSTANT" || l["instant_ddl"] != true {
		t.Errorf("finish line %v; stderr:\n%s", l, out.stderr)
	}
}

func TestRedactHidesPasswordsWithoutMangling(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, password, want string }{
		{"dial doppel:doppel@tcp(h:1): refused", "doppel", "dial doppel:***@tcp(h:1): refused"},
		{"doppel's cut-over renames tables", "doppel", "doppel's cut-over renames tables"},
		{"bad password s3cret-long-pw given", "s3cret-long-pw", "bad password *** given"},
		{"nothing to hide", "", "nothing to hide"},
	}
	for _, c := range cases {
		if got := redact(c.in, c.password); got != c.want {
			t.Errorf("redact(%q, %q) = %q, want %q", c.in, c.password, got, c.want)
		}
	}
}

func TestMetricsAddrMustBeHostPort(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--metrics-addr=nonsense", "--metrics-addr=127.0.0.1:99999", "--metrics-addr=:http", "--metrics-addr=[::1",
		"--statsd-addr=nonsense", "--statsd-addr=127.0.0.1:0", "--statsd-addr=127.0.0.1:70000"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(arg)...)
			if out.code != exitUsage || out.called || !strings.Contains(out.stderr, arg) || !strings.Contains(out.stderr, "host:port") {
				t.Fatalf("exit code %d, called %v, stderr:\n%s", out.code, out.called, out.stderr)
			}
		})
	}
	t.Run("a good address gets a registry with the build info", func(t *testing.T) {
		t.Parallel()
		out := harness{}.run(t, withRequired("--metrics-addr=127.0.0.1:0")...)
		if out.code != exitOK || out.cfg.Metrics == nil {
			t.Fatalf("exit code %d, registry %v, stderr:\n%s", out.code, out.cfg.Metrics, out.stderr)
		}
		want := fmt.Sprintf("doppel_build_info{database=%q,goversion=%q,table=%q,version=%q} 1\n", out.cfg.Database, runtime.Version(), out.cfg.Table, version)
		err := testutil.GatherAndCompare(out.cfg.Metrics, strings.NewReader(
			"# HELP doppel_build_info Always 1; the labels name the doppel version and the Go version that built it.\n# TYPE doppel_build_info gauge\n"+want), "doppel_build_info")
		if err != nil {
			t.Error(err)
		}
	})
	t.Run("a statsd address gets the registry too", func(t *testing.T) {
		t.Parallel()
		out := harness{}.run(t, withRequired("--statsd-addr=127.0.0.1:8125")...)
		if out.code != exitOK || out.cfg.Metrics == nil {
			t.Fatalf("exit code %d, registry %v, stderr:\n%s", out.code, out.cfg.Metrics, out.stderr)
		}
	})
	t.Run("no address, no registry", func(t *testing.T) {
		t.Parallel()
		if out := (harness{}).run(t, required...); out.cfg.Metrics != nil {
			t.Error("a registry without --metrics-addr")
		}
	})
}

func TestCopyFlagsOutOfRangeAreRefused(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--threads=-1", "--threads=65", "--checksum-threads=-1", "--checksum-threads=65", "--target-chunk-time=-1s", "--max-apply-lag=-1s"} {
		t.Run(arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, append(append([]string{}, required...), arg)...)
			if out.code != exitUsage || out.called || !strings.Contains(out.stderr, arg) {
				t.Fatalf("exit code %d, called %v, stderr:\n%s", out.code, out.called, out.stderr)
			}
		})
	}
}
