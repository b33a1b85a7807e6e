package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/doppel-dev/doppel/migration"
)

// options holds the raw values of the flags doppel honours. It is turned into
// a migration.Config by buildConfig; nothing else reads it.
type options struct {
	host             string
	port             int
	user             string
	password         string
	conf             string
	askPass          bool
	assumeMasterHost string

	ssl              bool
	sslCA            string
	sslCert          string
	sslKey           string
	sslAllowInsecure bool
	mysqlTimeout     float64

	database string
	table    string
	alter    string

	execute            bool
	allowOnMaster      bool
	assumeRBR          bool
	exactRowCount      bool
	concurrentRowCount bool

	chunkSize      int64
	dmlBatchSize   int64
	defaultRetries int64

	initiallyDropGhostTable bool
	initiallyDropOldTable   bool
	okToDropTable           bool
	timestampOldTable       bool

	testOnReplica    bool
	migrateOnReplica bool
	replicaServerID  uint

	cutOver                   string
	cutOverLockTimeoutSeconds int64
	cutOverExponentialBackoff bool
	backoffMaxIntervalSeconds int64
	storageEngine             string

	attemptInstantDDL     bool
	skipMetadataLockCheck bool
	forceCutOverAfter     time.Duration
	approveRenamedColumns bool
	skipRenamedColumns    bool

	includeTriggers        bool
	triggerSuffix          string
	removeTriggerSuffix    bool
	discardForeignKeys     bool
	skipForeignKeyChecks   bool
	allowZeroInDate        bool
	skipStrictMode         bool
	allowNullableUniqueKey bool
	gtid                   bool
	analyzeGhostTable      bool
	panicOnWarnings        bool

	maxLagMillis                 int64
	throttleControlReplicas      string
	throttleQuery                string
	throttleHTTP                 string
	throttleHTTPIntervalMillis   int64
	throttleHTTPTimeoutMillis    int64
	ignoreHTTPErrors             bool
	heartbeatIntervalMillis      int64
	throttleFlagFile             string
	throttleAdditionalFlagFile   string
	panicFlagFile                string
	initiallyDropSocketFile      bool
	serveSocketFile              string
	serveTCPPort                 int64
	serveTCPAddress              string
	hooksPath                    string
	hooksHint                    string
	hooksHintOwner               string
	hooksHintToken               string
	hooksStatusInterval          int64
	maxLoad                      string
	criticalLoad                 string
	criticalLoadIntervalMillis   int64
	criticalLoadHibernateSeconds int64
	niceRatio                    float64

	checksum                bool
	checksumThreads         int
	threads                 int
	targetChunkTime         time.Duration
	checksumInterval        time.Duration
	postponeCutOverFlagFile string

	applyThreads      int
	maxApplyLag       time.Duration
	metricsAddr       string
	statsdAddr        string
	checkpoint        bool
	checkpointSeconds int64
	resume            bool
	maxReconnectWait  time.Duration
	logFormat         string

	planFormat   string
	failOn       string
	lintFullScan bool

	verbose bool
	debug   bool
	quiet   bool
	stack   bool
	version bool
	help    bool
}

// pendingFlag is a gh-ost flag that doppel accepts on its command line but
// does not act on yet. The default's Go type decides the flag's type, so the
// entry reads the same as gh-ost's definition.
type pendingFlag struct {
	name  string
	def   any // string, bool, int, int64, uint or float64
	usage string
}

// notImplemented is the one list of gh-ost flags doppel does not honour yet.
// Setting any of them stops doppel before it touches a server: a runbook that
// relies on one must not run with that part silently missing. Implementing a
// flag means deleting its line here and binding it in defineFlags.
var notImplemented = []pendingFlag{
	{"master-user", "", "MySQL user for the primary, when it differs from --user (needs --assume-master-host)"},
	{"master-password", "", "MySQL password for the primary, when it differs from --password (needs --assume-master-host)"},
	{"charset", "utf8mb4", "character set of the MySQL connections"},
	{"allow-master-master", false, "allow running against a primary that replicates from another primary"},
	{"tungsten", false, "the topology replicates with Tungsten Replicator"},
	{"aliyun-rds", false, "the servers are Aliyun RDS instances"},
	{"gcp", false, "the servers are first-generation Google Cloud SQL instances"},
	{"azure", false, "the servers are Azure Database for MySQL instances"},
	{"test-on-replica-skip-replica-stop", false, "with --test-on-replica, leave replication running at cut-over"},
	{"force-named-cut-over", false, "the socket's cut-over command must name the table"},
	{"force-named-panic", false, "the socket's panic command must name the table"},
	{"switch-to-rbr", false, "switch the replica's binlog_format to ROW if it is not already"},
	{"replication-lag-query", "", "obsolete in gh-ost; lag is measured from the heartbeat"},
	{"allow-setup-metadata-lock-instruments", false, "enable performance_schema's metadata lock instrument for the cut-over check"},
	{"binlogsyncer-max-reconnect-attempts", int(0), "binlog reconnect attempts before giving up (0: no limit)"},
	{"skip-port-validation", false, "do not check that the server listens on the configured port"},
	{"revert", false, "swap back to the table saved by an earlier migration"},
	{"old-table", "", "with --revert, the table to swap back in"},
	{"runtime-metrics-interval", int(10), "seconds between runtime metric samples"},
	{"check-flag", false, "exit 0 if every other flag given is known"},
	{"force-table-names", "", "name prefix for the ghost, changelog and old tables"},
}

// ownFlags are doppel's flags that gh-ost does not have; all others are gh-ost's.
var ownFlags = []string{"checksum", "checksum-threads", "checksum-interval", "serve-tcp-address", "max-reconnect-wait",
	"force-cut-over-after", "apply-threads", "threads", "target-chunk-time", "max-apply-lag", "metrics-addr",
	"plan-format", "fail-on", "lint-full-scan", "log-format"}

// defineFlags registers every gh-ost flag on a new FlagSet: the implemented
// ones bound to o, the pending ones to values nobody reads. Usage and error
// output are left to the caller.
func defineFlags(o *options) *flag.FlagSet {
	fs := flag.NewFlagSet("doppel", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}

	fs.StringVar(&o.host, "host", "127.0.0.1", "MySQL host to inspect; preferably a replica")
	fs.IntVar(&o.port, "port", 3306, "MySQL port of --host")
	fs.StringVar(&o.user, "user", "", "MySQL user (overrides user in the --conf file)")
	fs.StringVar(&o.password, "password", "", "MySQL password (overrides password in the --conf file); prefer --ask-pass, --conf or DOPPEL_PASSWORD/MYSQL_PWD in the environment")
	fs.StringVar(&o.conf, "conf", "", "MySQL option file whose [client] section gives user and password")
	fs.BoolVar(&o.askPass, "ask-pass", false, "read the MySQL password from the terminal (or one line of stdin)")
	fs.StringVar(&o.assumeMasterHost, "assume-master-host", "", "the primary as host or host:port, instead of discovering it from --host")
	bindConnectionFlags(fs, o)

	fs.StringVar(&o.database, "database", "", "database of the table (required unless --alter names it)")
	fs.StringVar(&o.table, "table", "", "table to migrate (required unless --alter names it)")
	fs.StringVar(&o.alter, "alter", "", "the ALTER TABLE statement, or just its clauses, e.g. \"ADD COLUMN c INT\" (required)")

	fs.BoolVar(&o.execute, "execute", false, "really migrate; without it doppel checks everything and exits (dry run)")
	fs.BoolVar(&o.allowOnMaster, "allow-on-master", false, "allow --host to be the primary itself")
	fs.BoolVar(&o.assumeRBR, "assume-rbr", false, "trust that the replica already logs ROW binlogs; do not restart replication to make sure")
	fs.BoolVar(&o.exactRowCount, "exact-rowcount", false, "count the table's rows for progress instead of trusting the estimate")
	fs.BoolVar(&o.concurrentRowCount, "concurrent-rowcount", true, "with --exact-rowcount, count while copying rather than before")

	fs.Int64Var(&o.chunkSize, "chunk-size", 1000, fmt.Sprintf("rows of the first chunk, adapted from there by --target-chunk-time; must be positive, and is clamped into %d..%d", minChunkSize, maxChunkSize))
	fs.IntVar(&o.threads, "threads", autoThreads, threadsUsage)
	fs.DurationVar(&o.targetChunkTime, "target-chunk-time", defaultTargetChunkTime,
		fmt.Sprintf("adapt the chunk size (starting at --chunk-size, within %d..%d) so a chunk takes about this long: shrinks at once when chunks run long, grows by a quarter at most; while sessions wait on row locks chunks aim for less, down to 50ms; 0 keeps --chunk-size", minChunkSize, maxChunkSize))
	fs.Int64Var(&o.dmlBatchSize, "dml-batch-size", 10, fmt.Sprintf("binlog events applied per transaction; values outside %d..%d are clamped", minDMLBatchSize, maxDMLBatchSize))
	fs.Int64Var(&o.defaultRetries, "default-retries", 60, "attempts at a failing operation before giving up")

	fs.BoolVar(&o.initiallyDropGhostTable, "initially-drop-ghost-table", false, "drop a ghost table left by an earlier run instead of stopping")
	fs.BoolVar(&o.initiallyDropOldTable, "initially-drop-old-table", false, "drop an old (_del) table left by an earlier run instead of stopping")
	fs.BoolVar(&o.okToDropTable, "ok-to-drop-table", false, "drop the old table after the swap (dropping a big table can stall the server)")
	fs.BoolVar(&o.timestampOldTable, "timestamp-old-table", false, "put a timestamp in the old table's name so runs do not collide")

	fs.BoolVar(&o.testOnReplica, "test-on-replica", false, "migrate on the replica, then stop replication and swap back so both tables can be compared")
	fs.BoolVar(&o.migrateOnReplica, "migrate-on-replica", false, "migrate on the replica, cut-over included")
	fs.UintVar(&o.replicaServerID, "replica-server-id", 99999, "server_id doppel uses when reading the binlog as a replica")

	fs.StringVar(&o.cutOver, "cut-over", "atomic", "cut-over algorithm: atomic (also: default) or two-step")
	fs.Int64Var(&o.cutOverLockTimeoutSeconds, "cut-over-lock-timeout-seconds", 3, fmt.Sprintf("seconds writers may wait on the cut-over locks before the attempt is retried; values outside %d..%d keep the default", minCutOverLockTimeout, maxCutOverLockTimeout))
	fs.BoolVar(&o.cutOverExponentialBackoff, "cut-over-exponential-backoff", false, "wait 1, 2, 4, … seconds between failed cut-over attempts instead of one second")
	fs.Int64Var(&o.backoffMaxIntervalSeconds, "exponential-backoff-max-interval", 64, "longest wait in seconds between cut-over attempts with --cut-over-exponential-backoff")
	fs.StringVar(&o.storageEngine, "storage-engine", "innodb", "storage engine of the table; doppel supports innodb only")

	fs.BoolVar(&o.attemptInstantDDL, "attempt-instant-ddl", false, attemptInstantUsage)
	fs.BoolVar(&o.skipMetadataLockCheck, "skip-metadata-lock-check", false, "skip the metadata-lock check before the swap")
	fs.DurationVar(&o.forceCutOverAfter, "force-cut-over-after", 0, forceCutOverUsage)
	fs.BoolVar(&o.approveRenamedColumns, "approve-renamed-columns", false, "accept doppel's reading of columns the ALTER renames")
	fs.BoolVar(&o.skipRenamedColumns, "skip-renamed-columns", false, "treat columns the ALTER renames as unrelated: their data is not copied")

	fs.BoolVar(&o.includeTriggers, "include-triggers", false, "recreate the original table's triggers on the new table at cut-over (needs --trigger-suffix)")
	fs.StringVar(&o.triggerSuffix, "trigger-suffix", "", "suffix added to the recreated triggers' names, which must be unique per schema (needs --include-triggers)")
	fs.BoolVar(&o.removeTriggerSuffix, "remove-trigger-suffix-if-exists", false, "a trigger whose name already ends with --trigger-suffix gets it removed instead of added")
	fs.BoolVar(&o.discardForeignKeys, "discard-foreign-keys", false, "migrate a table that references other tables; the new table has NO foreign keys")
	fs.BoolVar(&o.skipForeignKeyChecks, "skip-foreign-key-checks", false, "do not look for foreign keys (you assert there are none)")
	fs.BoolVar(&o.allowZeroInDate, "allow-zero-in-date", false, "let the new table's definition hold zero dates (drops NO_ZERO_DATE, NO_ZERO_IN_DATE for its DDL)")
	fs.BoolVar(&o.skipStrictMode, "skip-strict-mode", false, "copy and apply under the server's sql_mode instead of adding STRICT_ALL_TABLES")
	fs.BoolVar(&o.allowNullableUniqueKey, "allow-nullable-unique-key", false, "accept a unique key with nullable columns as the migration key, if it holds no NULL")
	fs.BoolVar(&o.gtid, "gtid", false, "stream the binlog by GTID position instead of file and offset")
	fs.BoolVar(&o.panicOnWarnings, "panic-on-warnings", false, "stop at the first row the copy would skip on a unique key, instead of proving such rows before the swap")
	fs.BoolVar(&o.analyzeGhostTable, "analyze-ghost-table-before-cutover", false, "run ANALYZE TABLE on the new table before cut-over")

	fs.Int64Var(&o.maxLagMillis, "max-lag-millis", 1500, "pause while replication lag, measured through the heartbeat on the inspected replica and --throttle-control-replicas, exceeds this")
	fs.StringVar(&o.throttleControlReplicas, "throttle-control-replicas", "", "comma-separated host[:port] list of further replicas whose lag is watched; one that cannot be read pauses the migration")
	fs.Int64Var(&o.heartbeatIntervalMillis, "heartbeat-interval-millis", 100, "milliseconds between heartbeat writes, from which lag is measured (10..1000)")
	fs.StringVar(&o.maxLoad, "max-load", "", "pause while a status variable on the primary reaches its limit, e.g. Threads_running=25,Threads_connected=500")
	fs.StringVar(&o.criticalLoad, "critical-load", "", "abort (nothing swapped) when a status variable reaches its limit, same format as --max-load")
	fs.Int64Var(&o.criticalLoadIntervalMillis, "critical-load-interval-millis", 0, "on critical load, check again after this many milliseconds before acting (0: act at once)")
	fs.Int64Var(&o.criticalLoadHibernateSeconds, "critical-load-hibernate-seconds", 0, "on critical load, stop all activity this many seconds instead of aborting")
	fs.StringVar(&o.throttleFlagFile, "throttle-flag-file", "", "pause while this file exists")
	fs.StringVar(&o.throttleAdditionalFlagFile, "throttle-additional-flag-file", "/tmp/gh-ost.throttle", "pause while this file exists (shared by all migrations)")
	fs.StringVar(&o.throttleQuery, "throttle-query", "", "a SELECT run on the primary every second; a result above zero pauses the migration")
	fs.StringVar(&o.throttleHTTP, "throttle-http", "", "URL probed with HEAD; any status but 200 pauses the migration")
	fs.Int64Var(&o.throttleHTTPIntervalMillis, "throttle-http-interval-millis", 100, "milliseconds between --throttle-http probes")
	fs.Int64Var(&o.throttleHTTPTimeoutMillis, "throttle-http-timeout-millis", 1000, "timeout in milliseconds of one --throttle-http probe")
	fs.BoolVar(&o.ignoreHTTPErrors, "ignore-http-errors", false, "do not pause when --throttle-http cannot be reached")
	fs.Float64Var(&o.niceRatio, "nice-ratio", 0, "after each chunk, sleep this many times the chunk's copy time (0 to 100)")
	fs.StringVar(&o.panicFlagFile, "panic-flag-file", "", "abort at once, without cleanup, when this file appears")
	fs.StringVar(&o.serveSocketFile, "serve-socket-file", "", "unix socket for interactive commands (default /tmp/gh-ost.<database>.<table>.sock)")
	fs.BoolVar(&o.initiallyDropSocketFile, "initially-drop-socket-file", false, "remove a stale socket file left by an earlier run before serving")
	fs.Int64Var(&o.serveTCPPort, "serve-tcp-port", 0, "TCP port for interactive commands (0: none)")
	fs.StringVar(&o.serveTCPAddress, "serve-tcp-address", "127.0.0.1", "address --serve-tcp-port binds; the default takes commands from this host only, 0.0.0.0 from anywhere (the socket has no authentication)")
	fs.StringVar(&o.hooksPath, "hooks-path", "", "directory of gh-ost-on-* hook executables")
	fs.StringVar(&o.hooksHint, "hooks-hint", "", "free text passed to hooks as GH_OST_HOOKS_HINT")
	fs.StringVar(&o.hooksHintOwner, "hooks-hint-owner", "", "free text passed to hooks as GH_OST_HOOKS_HINT_OWNER")
	fs.StringVar(&o.hooksHintToken, "hooks-hint-token", "", "free text passed to hooks as GH_OST_HOOKS_HINT_TOKEN")
	fs.Int64Var(&o.hooksStatusInterval, "hooks-status-interval", 60, "seconds between runs of the gh-ost-on-status hooks")

	fs.StringVar(&o.postponeCutOverFlagFile, "postpone-cut-over-flag-file", "", "keep syncing, and re-verifying every --checksum-interval, but do not cut over while this file exists (created at start if missing)")
	fs.BoolVar(&o.checksum, "checksum", true, "compare the new table with the original at one consistent point before the swap, repairing differing chunks; =false swaps unverified")
	fs.IntVar(&o.checksumThreads, "checksum-threads", autoThreads, fmt.Sprintf("chunks the checksum hashes at once (%d..%d); 0 is half the server's CPUs, as for --threads", minChecksumThreads, maxChecksumThreads))
	fs.DurationVar(&o.checksumInterval, "checksum-interval", time.Hour, "while the cut-over is postponed, compare the tables in full again this often")

	fs.IntVar(&o.applyThreads, "apply-threads", defaultApplyThreads, fmt.Sprintf("transactions that apply binlog changes to the new table at once, each on its own keys (%d..%d); one when the new table has a unique key besides the migration key", minApplyThreads, maxApplyThreads))
	fs.DurationVar(&o.maxApplyLag, "max-apply-lag", defaultMaxApplyLag, "while the applier is further behind the binlog than this, the row copy runs on one thread (resting between chunks at 5 times this) so the applier catches up; 0 never narrows the copy")
	fs.StringVar(&o.metricsAddr, "metrics-addr", "", "serve Prometheus metrics on http://<host:port>/metrics (and /healthz); port 0 picks a free port, logged as \"metrics listening\"; empty: none")
	fs.StringVar(&o.statsdAddr, "statsd-addr", "", "send the same metrics to a StatsD server at host:port over UDP every 10s and when doppel exits: gauges as values, counters as their growth, labels as DogStatsD tags (|#table:t); empty: none")
	fs.BoolVar(&o.checkpoint, "checkpoint", false, "record progress in the _<table>_ghk table, so an interrupted migration can be continued with --resume")
	fs.Int64Var(&o.checkpointSeconds, "checkpoint-seconds", 300, "seconds between checkpoints (a checkpoint is also written when the copy ends and when doppel stops early)")
	fs.BoolVar(&o.resume, "resume", false, "continue the interrupted migration of this table from its checkpoint, with the same --alter; implies --checkpoint")
	fs.DurationVar(&o.maxReconnectWait, "max-reconnect-wait", 5*time.Minute, "how long to wait for a server that went away (restart, failover) before stopping; with --checkpoint the migration can then be resumed")

	fs.StringVar(&o.planFormat, "plan-format", "text", "how the dry run (no --execute) reports its plan (docs/plan.md): text, as log lines; json, one JSON document on stdout (docs/plan.schema.json), the log lines still on stderr")
	fs.StringVar(&o.failOn, "fail-on", "none", "the dry run exits 1 when the plan's lossy-change lint has a finding this severe or worse: none, warning or error (docs/plan.md)")
	fs.BoolVar(&o.lintFullScan, "lint-full-scan", false, fmt.Sprintf("the dry run's lint checks every row of the table for data the ALTER would lose (longer values, NULLs, duplicates, ...) instead of the first %d", migration.LintSampleRows))

	fs.StringVar(&o.logFormat, "log-format", logAuto, "json (one object a line), console (for people; on a terminal with a live progress line), or auto: console when stderr is a terminal, json otherwise")
	fs.BoolVar(&o.verbose, "verbose", false, "log progress (info level; the default)")
	fs.BoolVar(&o.debug, "debug", false, "log debug detail")
	fs.BoolVar(&o.quiet, "quiet", false, "log errors only")
	fs.BoolVar(&o.stack, "stack", false, "on failure, log the full error chain with its details")
	fs.BoolVar(&o.version, "version", false, "print the version and exit")
	fs.BoolVar(&o.help, "help", false, "print this help and exit")

	for _, p := range notImplemented {
		switch d := p.def.(type) {
		case string:
			fs.String(p.name, d, p.usage)
		case bool:
			fs.Bool(p.name, d, p.usage)
		case int:
			fs.Int(p.name, d, p.usage)
		case int64:
			fs.Int64(p.name, d, p.usage)
		case uint:
			fs.Uint(p.name, d, p.usage)
		case float64:
			fs.Float64(p.name, d, p.usage)
		default:
			// A programming error in the table above; the tests catch it.
			panic(fmt.Sprintf("flag --%s: unsupported default type %T", p.name, p.def))
		}
	}
	return fs
}

// pendingNames is the set of flags in notImplemented.
func pendingNames() map[string]bool {
	m := make(map[string]bool, len(notImplemented))
	for _, p := range notImplemented {
		m[p.name] = true
	}
	return m
}

// refusedFlags lists, sorted by name, the pending flags the user set. Visit sees a flag even when it was set to its default,
// which is the point: the operator asked for the behaviour explicitly.
func refusedFlags(fs *flag.FlagSet) []string {
	pending := pendingNames()
	var refused []string
	fs.Visit(func(f *flag.Flag) {
		if pending[f.Name] {
			refused = append(refused, f.Name)
		}
	})
	return refused
}

const helpIntro = `doppel changes the schema of a live MySQL or MariaDB table without blocking
its writers. It builds a ghost table with the new schema, copies the rows into
it while replaying the binlog onto it, proves no row was dropped on a unique
key, verifies both tables hold the same rows (checksum), and swaps the tables
atomically. Its flags are gh-ost's. Without --execute it only checks that the
migration can run (the ALTER is proven on a throwaway table), then exits.

Usage:
  doppel --host=HOST --user=USER --ask-pass --database=DB --table=TABLE \
         --alter="ADD COLUMN c INT" [--execute]

Flags take the forms --name=value, --name value, -name=value and -name value;
when a flag is repeated, the last value wins. Boolean flags are set with
--name, or --name=false.
`

// forceCutOverUsage is long because the flag kills other sessions: the
// operator must know exactly which ones before using it.
var forceCutOverUsage = strings.Join([]string{
	"once the cut-over has been trying this long since its first attempt, KILL the",
	"sessions that keep it from its locks, so the attempt can swap; 0 never kills (e.g. 30s, 5m).",
	"Killed: any session but doppel's own and the server's replication and system threads that",
	"holds a metadata lock on the original or the ghost table and has held it for a second (half",
	"--cut-over-lock-timeout-seconds if shorter) while an attempt waited: a transaction that",
	"wrote to the table or only read it, a long query, LOCK TABLES, an open HANDLER. Its",
	"transaction is rolled back. Each kill is logged as a warning naming the session (id, user,",
	"host, command, time, state, table, lock; no query text).",
	"Not killed: sessions that only wait for a lock on the table (writers queued behind the",
	"cut-over), sessions without a lock on these tables (other tables, idle ones).",
	"Lock holders are read from MariaDB's information_schema.METADATA_LOCK_INFO (doppel installs",
	"the metadata_lock_info plugin when it may) or from performance_schema.metadata_locks with",
	"the mdl instrument on. Without either, nothing shows which table a transaction holds (one that",
	"only read it shows nowhere at all), so doppel refuses to start rather than kill on a guess.",
	"Needs the privilege to kill other users' sessions (CONNECTION ADMIN or SUPER).",
	"Not with --skip-metadata-lock-check; no effect with --test-on-replica.",
}, "\n        ")

// attemptInstantUsage says what the flag changes on the server, since the
// ALTER then runs on the live table itself.
var attemptInstantUsage = strings.Join([]string{
	"before creating any table, run the ALTER on the original table itself with ALGORITHM=INSTANT",
	"(a metadata change), and on MariaDB then ALGORITHM=NOCOPY, LOCK=NONE (no rebuild; writers keep",
	"writing, but an index build still takes its time, and replicas apply it after the primary). Its",
	"wait for the table's metadata lock, during which writers queue behind it, is bounded by",
	"--cut-over-lock-timeout-seconds. If the server refuses or the wait times out, the table is unchanged",
	"and doppel migrates through a ghost table as usual. Not attempted with --test-on-replica or --resume.",
	"A dry run tells whether the ALTER could run in place, with or without this flag.",
}, "\n        ")

const helpOutro = `
Exit codes:
  0  migrated (or the dry run passed)
  1  the migration failed, was interrupted, or was refused by a check against
     the servers (or the --throttle-http service); a refusal changes nothing.
     A dry run also exits 1 when its plan has findings at or above --fail-on
  2  bad usage: the command line was refused before connecting anywhere;
     nothing was changed

An interrupted run (signal, crash, lost server) started with --checkpoint is
continued by the same command with --resume. What failures look like, and how
to clean up after one: docs/operations.md.

To compare two tables by hand with the same checksum: doppel checksum --help
`

// printHelp writes the help text: the flags doppel honours first, then the
// gh-ost flags it only recognises, so nobody mistakes one for the other.
func printHelp(w io.Writer, fs *flag.FlagSet) {
	pending := pendingNames()
	var b strings.Builder
	b.WriteString(helpIntro)
	b.WriteString("\nFlags:\n")
	fs.VisitAll(func(f *flag.Flag) {
		if !pending[f.Name] {
			writeFlagHelp(&b, f)
		}
	})
	b.WriteString("\ngh-ost flags not implemented yet. doppel knows them but refuses to run\n")
	b.WriteString("(exit code 2) when any of them is set, even to its default.\n")
	fs.VisitAll(func(f *flag.Flag) {
		if pending[f.Name] {
			writeFlagHelp(&b, f)
		}
	})
	b.WriteString(helpOutro)
	_, _ = io.WriteString(w, b.String())
}

func writeFlagHelp(b *strings.Builder, f *flag.Flag) {
	typeName, usage := flag.UnquoteUsage(f)
	fmt.Fprintf(b, "  --%s", f.Name)
	if typeName != "" {
		fmt.Fprintf(b, " %s", typeName)
	}
	fmt.Fprintf(b, "\n        %s", usage)
	switch f.DefValue {
	case "", "0", "0s", "false":
	default:
		if typeName == "string" {
			fmt.Fprintf(b, " (default %q)", f.DefValue)
		} else {
			fmt.Fprintf(b, " (default %s)", f.DefValue)
		}
	}
	b.WriteString("\n")
}

// threadsUsage carries the measurement behind the default, so an operator
// knows what a thread costs the application on a small server.
var threadsUsage = fmt.Sprintf("chunks the row copy runs at once (%d..%d), each one locking statement on its own key range; "+
	"0 (the default) is half the server's CPUs as its thread_pool_size reports them, at most 8 (2 on MySQL, which does not say): "+
	"on a 2-core server a second thread saved no time and cost the application's writers part of their rate (README, \"Speed\")",
	minCopyThreads, maxCopyThreads)
