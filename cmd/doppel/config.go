package main

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/doppel-dev/doppel/migration"
	"github.com/doppel-dev/doppel/plan"
	"github.com/doppel-dev/doppel/throttle"
)

// Ranges gh-ost enforces. gh-ost clamps chunk and batch sizes into range
// rather than refusing them, and so does doppel, so that a runbook tuned for
// gh-ost still runs; the adjustment is logged. These are current gh-ost's
// ranges (its own end-to-end cases run with --chunk-size=10).
const (
	minChunkSize    = 10
	maxChunkSize    = 100000
	minDMLBatchSize = 1
	maxDMLBatchSize = 1000

	minCutOverLockTimeout = 1
	maxCutOverLockTimeout = 10
	defaultRetries        = 60
	defaultLockTimeout    = 3
)

// doppel's own checksum flags: more threads than the server has cores only
// queue, and each one holds a snapshot connection. 0 (the default) is half
// the server's CPUs, as for --threads.
const (
	minChecksumThreads = 0
	maxChecksumThreads = 64
)

// --apply-threads: each is a pinned connection with its own transaction.
// The default is settled by bench/ (see README).
const (
	minApplyThreads     = 1
	maxApplyThreads     = 64
	defaultApplyThreads = 4
)

// The row copy's workers (--threads): each holds a connection and share
// locks on its chunk. 0, the default, is half the server's CPUs
// (migration.AutoThreads; measured in README, "Speed").
const (
	autoThreads            = 0
	minCopyThreads         = autoThreads
	maxCopyThreads         = 64
	defaultTargetChunkTime = 500 * time.Millisecond
	// The copy narrows once the applier is this far behind (balance in
	// migration); measured in bench/RESULTS.md.
	defaultMaxApplyLag = 2 * time.Second
)

const (
	cutOverAtomic  = "atomic"
	cutOverTwoStep = "two-step"
)

// adjustment records a flag value doppel changed to stay within what gh-ost
// accepts. It is logged, never silent.
type adjustment struct {
	flag      string
	requested int64
	used      int64
	why       string
}

// buildConfig checks the flags together and turns them into a Config. It
// returns every problem it finds, not just the first, so the operator can fix
// the command line in one go. The password from --ask-pass is not handled
// here: it is only read once the command line is known to be usable.
func buildConfig(o *options, getenv func(string) string) (migration.Config, []adjustment, []string) {
	var problems []string
	problem := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	var adjusted []adjustment

	cfg := migration.Config{
		Host:                    strings.TrimSpace(o.host),
		Port:                    o.port,
		User:                    o.user,
		Password:                o.password,
		AssumeMasterHost:        strings.TrimSpace(o.assumeMasterHost),
		Database:                o.database,
		Table:                   o.table,
		Alter:                   strings.TrimSpace(o.alter),
		Execute:                 o.execute,
		AllowOnMaster:           o.allowOnMaster,
		AssumeRBR:               o.assumeRBR,
		ExactRowCount:           o.exactRowCount,
		ConcurrentRowCnt:        o.concurrentRowCount,
		InitiallyDropGhostTable: o.initiallyDropGhostTable,
		InitiallyDropOldTable:   o.initiallyDropOldTable,
		OkToDropTable:           o.okToDropTable,
		TimestampOldTable:       o.timestampOldTable,
		TestOnReplica:           o.testOnReplica,
		MigrateOnReplica:        o.migrateOnReplica,
		AttemptInstantDDL:       o.attemptInstantDDL,
		SkipMetadataLockCheck:   o.skipMetadataLockCheck,
		ForceCutOverAfter:       o.forceCutOverAfter,
		ApproveRenamedColumns:   o.approveRenamedColumns,
		SkipRenamedColumns:      o.skipRenamedColumns,
		IncludeTriggers:         o.includeTriggers,
		TriggerSuffix:           o.triggerSuffix,
		RemoveTriggerSuffix:     o.removeTriggerSuffix,
		DiscardForeignKeys:      o.discardForeignKeys,
		SkipForeignKeyChecks:    o.skipForeignKeyChecks,
		AllowZeroInDate:         o.allowZeroInDate,
		SkipStrictMode:          o.skipStrictMode,
		AllowNullableUniqueKey:  o.allowNullableUniqueKey,
		GTID:                    o.gtid,
		AnalyzeGhostTable:       o.analyzeGhostTable,
		PanicOnWarnings:         o.panicOnWarnings,
		SkipChecksum:            !o.checksum,
		ChecksumThreads:         o.checksumThreads,
		CopyThreads:             o.threads,
		TargetChunkTime:         o.targetChunkTime,
		ChecksumInterval:        o.checksumInterval,
		PostponeCutOverFlagFile: o.postponeCutOverFlagFile,
		ApplyThreads:            o.applyThreads,
		LintFullScan:            o.lintFullScan,
		MaxApplyLag:             o.maxApplyLag,
		MetricsAddr:             o.metricsAddr,
		StatsDAddr:              o.statsdAddr,
		Checkpoint:              o.checkpoint || o.resume,
		CheckpointInterval:      time.Duration(o.checkpointSeconds) * time.Second,
		Resume:                  o.resume,
		MaxReconnectWait:        o.maxReconnectWait,

		CutOverExponentialBackoff:     o.cutOverExponentialBackoff,
		ExponentialBackoffMaxInterval: time.Duration(o.backoffMaxIntervalSeconds) * time.Second,

		MaxLag:                     time.Duration(o.maxLagMillis) * time.Millisecond,
		HeartbeatInterval:          time.Duration(o.heartbeatIntervalMillis) * time.Millisecond,
		ThrottleControlReplicas:    o.throttleControlReplicas,
		MaxLoad:                    o.maxLoad,
		CriticalLoad:               o.criticalLoad,
		CriticalLoadInterval:       time.Duration(o.criticalLoadIntervalMillis) * time.Millisecond,
		CriticalLoadHibernate:      time.Duration(o.criticalLoadHibernateSeconds) * time.Second,
		ThrottleFlagFile:           o.throttleFlagFile,
		ThrottleAdditionalFlagFile: o.throttleAdditionalFlagFile,
		ThrottleQuery:              o.throttleQuery,
		ThrottleHTTP:               o.throttleHTTP,
		ThrottleHTTPInterval:       time.Duration(o.throttleHTTPIntervalMillis) * time.Millisecond,
		ThrottleHTTPTimeout:        time.Duration(o.throttleHTTPTimeoutMillis) * time.Millisecond,
		IgnoreHTTPErrors:           o.ignoreHTTPErrors,
		NiceRatio:                  o.niceRatio,
		PanicFlagFile:              o.panicFlagFile,
		ServeSocketFile:            o.serveSocketFile,
		InitiallyDropSocketFile:    o.initiallyDropSocketFile,
		HooksPath:                  o.hooksPath,
		HooksHint:                  o.hooksHint,
		HooksHintOwner:             o.hooksHintOwner,
		HooksHintToken:             o.hooksHintToken,
		HooksStatusInterval:        time.Duration(o.hooksStatusInterval) * time.Second,
	}
	var connProblems []string
	cfg.TLS, cfg.MySQLTimeout, connProblems = connectionSettings(o)
	problems = append(problems, connProblems...)
	if o.serveTCPPort != 0 {
		if o.serveTCPPort < 1 || o.serveTCPPort > 65535 {
			problem("--serve-tcp-port=%d is not a TCP port (1 to 65535, or 0 for none)", o.serveTCPPort)
		}
		// An empty host would make the port listen on every interface: the
		// socket takes commands such as panic, so that must be asked for
		// by name.
		if strings.TrimSpace(o.serveTCPAddress) == "" {
			problem("--serve-tcp-address is empty; give 127.0.0.1 (the default) to accept commands from this host only, or 0.0.0.0 to accept them from anywhere")
		}
		cfg.ServeTCPAddr = net.JoinHostPort(o.serveTCPAddress, strconv.FormatInt(o.serveTCPPort, 10))
	}
	// Values the throttle parses are checked here with its own parser, so
	// a typo stops doppel before it connects.
	limits := &throttle.Limits{}
	for _, c := range []struct {
		flag string
		err  error
	}{
		{"max-lag-millis", limits.SetMaxLag(cfg.MaxLag)},
		{"max-load", limits.SetMaxLoad(o.maxLoad)},
		{"critical-load", limits.SetCriticalLoad(o.criticalLoad)},
		{"throttle-query", limits.SetThrottleQuery(o.throttleQuery)},
		{"throttle-http", limits.SetThrottleHTTP(o.throttleHTTP)},
		{"throttle-control-replicas", limits.SetControlReplicas(o.throttleControlReplicas)},
		{"nice-ratio", limits.SetNiceRatio(o.niceRatio)},
	} {
		if c.err != nil {
			problem("--%s: %v", c.flag, c.err)
		}
	}
	if o.heartbeatIntervalMillis < 10 || o.heartbeatIntervalMillis > 1000 {
		problem("--heartbeat-interval-millis=%d: give 10 to 1000", o.heartbeatIntervalMillis)
	}
	if o.throttleHTTPIntervalMillis < 10 || o.throttleHTTPTimeoutMillis < 10 {
		problem("--throttle-http-interval-millis and --throttle-http-timeout-millis must be at least 10")
	}
	if o.criticalLoadIntervalMillis < 0 || o.criticalLoadHibernateSeconds < 0 {
		problem("--critical-load-interval-millis and --critical-load-hibernate-seconds must not be negative")
	}
	if o.backoffMaxIntervalSeconds < 1 {
		problem("--exponential-backoff-max-interval=%d: give at least 1 second", o.backoffMaxIntervalSeconds)
	}
	if o.hooksStatusInterval < 1 {
		problem("--hooks-status-interval=%d: give at least 1 second", o.hooksStatusInterval)
	}
	if o.checksumThreads < minChecksumThreads || o.checksumThreads > maxChecksumThreads {
		problem("--checksum-threads=%d: give %d to %d (0: half the server's CPUs)", o.checksumThreads, minChecksumThreads, maxChecksumThreads)
	}
	if o.applyThreads < minApplyThreads || o.applyThreads > maxApplyThreads {
		problem("--apply-threads=%d: give %d to %d", o.applyThreads, minApplyThreads, maxApplyThreads)
	}
	if o.threads < minCopyThreads || o.threads > maxCopyThreads {
		problem("--threads=%d: give %d to %d chunks copied at once (0: half the server's CPUs)", o.threads, minCopyThreads, maxCopyThreads)
	}
	if o.metricsAddr != "" {
		// Only the form is checked here; whether the address can be bound
		// is known once the migration binds it, before it touches anything.
		_, port, err := net.SplitHostPort(o.metricsAddr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 0 || n > 65535 {
			problem("--metrics-addr=%s: give host:port, e.g. 127.0.0.1:9090 (port 0 picks a free port)", o.metricsAddr)
		}
	}
	if o.statsdAddr != "" {
		_, port, err := net.SplitHostPort(o.statsdAddr)
		if n, perr := strconv.Atoi(port); err != nil || perr != nil || n < 1 || n > 65535 {
			problem("--statsd-addr=%s: give host:port, e.g. 127.0.0.1:8125", o.statsdAddr)
		}
	}
	if !plan.ValidFormat(o.planFormat) {
		problem("--plan-format=%s: give one of %s", o.planFormat, strings.Join(plan.FormatValues, ", "))
	}
	if _, err := plan.ParseFailOn(o.failOn); err != nil {
		problem("%v", err)
	}
	if p := logFormatProblem(o.logFormat); p != "" {
		problem("%s", p)
	}
	if o.maxApplyLag < 0 {
		problem("--max-apply-lag=%s: give a positive duration, e.g. 2s, or 0 to never narrow the copy", o.maxApplyLag)
	}
	if o.targetChunkTime < 0 {
		problem("--target-chunk-time=%s: give a positive duration, e.g. 500ms, or 0 to keep --chunk-size", o.targetChunkTime)
	}
	if o.checkpointSeconds < 1 {
		problem("--checkpoint-seconds=%d: give at least 1 second", o.checkpointSeconds)
	}
	if o.maxReconnectWait < time.Second {
		problem("--max-reconnect-wait=%s: give at least 1s, e.g. 5m", o.maxReconnectWait)
	}
	if o.checksumInterval <= 0 {
		problem("--checksum-interval=%s: give a positive duration, e.g. 1h or 10m", o.checksumInterval)
	}

	if cfg.Host == "" {
		problem("--host must not be empty")
	}
	if o.port < 1 || o.port > 65535 {
		problem("--port=%d is not a TCP port (1 to 65535)", o.port)
	}
	if cfg.AssumeMasterHost != "" {
		if msg := checkHostPort(cfg.AssumeMasterHost); msg != "" {
			problem("--assume-master-host=%s: %s", cfg.AssumeMasterHost, msg)
		}
	}

	if o.password == "" {
		o.password = movedPassword(getenv)
		cfg.Password = o.password
	}
	if o.conf != "" {
		user, password, err := readOptionFile(o.conf, getenv)
		if err != nil {
			problem("--conf: %v", err)
		}
		// gh-ost's precedence: a non-empty command-line value beats the file.
		if cfg.User == "" {
			cfg.User = user
		}
		if cfg.Password == "" {
			cfg.Password = password
		}
	}
	if o.askPass && o.password != "" {
		problem("--ask-pass and --password are mutually exclusive; give the password one way")
	}
	// Last in precedence, as the mysql client does: the environment, which
	// keeps the password out of the process list.
	if cfg.Password == "" && !o.askPass {
		cfg.Password = envPassword(getenv)
	}

	if cfg.Alter == "" {
		problem("--alter is required, e.g. --alter=\"ADD COLUMN c INT\"")
	} else if err := migration.ValidateAlter(cfg.Alter); err != nil {
		problem("%v", err)
	} else if db, table, ok := alterTarget(cfg.Alter); ok {
		// Like gh-ost, a full statement may name the table instead of
		// --database/--table; naming it twice differently is a mistake worth
		// stopping for, since one of the two is not what the operator meant.
		if cfg.Table == "" {
			cfg.Table = table
		} else if cfg.Table != table {
			problem("--table=%s but --alter names table %s; doppel migrates one table per run: make them agree", cfg.Table, table)
		}
		if db != "" {
			if cfg.Database == "" {
				cfg.Database = db
			} else if cfg.Database != db {
				problem("--database=%s but --alter names database %s; make them agree", cfg.Database, db)
			}
		}
	}
	for _, n := range []struct{ flag, name string }{{"database", cfg.Database}, {"table", cfg.Table}} {
		switch l := utf8.RuneCountInString(n.name); {
		case strings.TrimSpace(n.name) == "":
			problem("--%s is required (or name it in --alter: ALTER TABLE db.table ...)", n.flag)
		case l > maxNameLength:
			problem("--%s is %d characters long; MySQL names are at most %d characters: check the name", n.flag, l, maxNameLength)
		}
	}

	// Pairs that ask for two different things; which one was meant only the
	// operator knows.
	for _, c := range []struct {
		a, b string
		both bool
		why  string
	}{
		{"test-on-replica", "migrate-on-replica", o.testOnReplica && o.migrateOnReplica, "one swaps back for a test, the other keeps the swap"},
		{"allow-on-master", "test-on-replica", o.allowOnMaster && o.testOnReplica, "one migrates on the primary, the other on a replica"},
		{"allow-on-master", "migrate-on-replica", o.allowOnMaster && o.migrateOnReplica, "one migrates on the primary, the other on a replica"},
		{"quiet", "verbose", o.quiet && o.verbose, ""},
		{"quiet", "debug", o.quiet && o.debug, ""},
	} {
		if c.both {
			why := ""
			if c.why != "" {
				why = " (" + c.why + ")"
			}
			problem("--%s and --%s cannot be used together%s; drop one", c.a, c.b, why)
		}
	}
	switch {
	case o.includeTriggers && o.triggerSuffix == "":
		problem("--include-triggers needs --trigger-suffix: trigger names are unique per schema, so the recreated triggers need new names")
	case !o.includeTriggers && o.triggerSuffix != "":
		problem("--trigger-suffix needs --include-triggers")
	case o.removeTriggerSuffix && !o.includeTriggers:
		problem("--remove-trigger-suffix-if-exists needs --include-triggers and --trigger-suffix")
	case o.triggerSuffix != "" && !validSuffix(o.triggerSuffix):
		problem("--trigger-suffix=%q: use letters, digits and underscores only", o.triggerSuffix)
	}
	if o.approveRenamedColumns && o.skipRenamedColumns {
		problem("--approve-renamed-columns and --skip-renamed-columns contradict each other (copy the renamed columns' data, or not); choose one")
	}
	switch {
	case o.forceCutOverAfter < 0:
		problem("--force-cut-over-after=%s: give a positive duration, e.g. 30s, or 0 to never kill", o.forceCutOverAfter)
	case o.forceCutOverAfter > 0 && o.skipMetadataLockCheck:
		problem("--force-cut-over-after needs the metadata lock view that --skip-metadata-lock-check turns off: it kills only sessions it sees holding the tables' locks; drop one")
	}
	checkPaths(o, problem)

	switch o.cutOver {
	case cutOverAtomic, "default", "":
		cfg.CutOver = cutOverAtomic
	case cutOverTwoStep:
		cfg.CutOver = cutOverTwoStep
	default:
		problem("--cut-over=%s is not a cut-over algorithm; use atomic or two-step", o.cutOver)
	}

	switch strings.ToLower(strings.TrimSpace(o.storageEngine)) {
	case "innodb":
		cfg.StorageEngine = "innodb"
	case "rocksdb":
		problem("--storage-engine=rocksdb is not supported: doppel migrates InnoDB tables only")
	default:
		problem("--storage-engine=%s is not supported: doppel migrates InnoDB tables only (--storage-engine=innodb)", o.storageEngine)
	}

	if o.replicaServerID == 0 || o.replicaServerID > math.MaxUint32 {
		problem("--replica-server-id=%d must be between 1 and %d (a MySQL server_id)", o.replicaServerID, uint64(math.MaxUint32))
	} else {
		cfg.ReplicaServerID = uint32(o.replicaServerID)
	}

	// gh-ost raises a small chunk size to its minimum; zero or less is
	// not a size at all, more likely a templating slip than a wish.
	cfg.ChunkSize = clamp(o.chunkSize, minChunkSize, maxChunkSize)
	if o.chunkSize <= 0 {
		problem("--chunk-size=%d: give a positive number of rows per chunk (%d to %d; 1000 is the default)", o.chunkSize, minChunkSize, maxChunkSize)
	} else if cfg.ChunkSize != o.chunkSize {
		adjusted = append(adjusted, adjustment{"chunk-size", o.chunkSize, cfg.ChunkSize,
			fmt.Sprintf("outside %d..%d", minChunkSize, maxChunkSize)})
	}
	cfg.DMLBatchSize = clamp(o.dmlBatchSize, minDMLBatchSize, maxDMLBatchSize)
	if cfg.DMLBatchSize != o.dmlBatchSize {
		adjusted = append(adjusted, adjustment{"dml-batch-size", o.dmlBatchSize, cfg.DMLBatchSize,
			fmt.Sprintf("outside %d..%d", minDMLBatchSize, maxDMLBatchSize)})
	}

	// gh-ost keeps its default when these are out of range instead of
	// clamping; doppel does the same so a gh-ost command line behaves alike.
	cfg.DefaultRetries = o.defaultRetries
	if o.defaultRetries < 1 {
		cfg.DefaultRetries = defaultRetries
		adjusted = append(adjusted, adjustment{"default-retries", o.defaultRetries, defaultRetries,
			"must be at least 1; default kept"})
	}
	lockTimeout := o.cutOverLockTimeoutSeconds
	if lockTimeout < minCutOverLockTimeout || lockTimeout > maxCutOverLockTimeout {
		lockTimeout = defaultLockTimeout
		adjusted = append(adjusted, adjustment{"cut-over-lock-timeout-seconds", o.cutOverLockTimeoutSeconds, defaultLockTimeout,
			fmt.Sprintf("outside %d..%d; default kept", minCutOverLockTimeout, maxCutOverLockTimeout)})
	}
	cfg.CutOverLockTimeout = time.Duration(lockTimeout) * time.Second

	return cfg, adjusted, problems
}

// maxNameLength is MySQL's limit on database and table names, in characters.
const maxNameLength = 64

// checkPaths refuses files and directories that cannot work, before doppel
// connects anywhere: found later, they would stop a run that has already
// created tables.
func checkPaths(o *options, problem func(string, ...any)) {
	if p := o.serveSocketFile; p != "" {
		dir := filepath.Dir(p)
		fi, err := os.Stat(dir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problem("--serve-socket-file=%s: directory %s does not exist; create it or choose another path", p, dir)
		case err != nil:
			problem("--serve-socket-file=%s: %v; choose another path", p, err)
		case !fi.IsDir():
			problem("--serve-socket-file=%s: %s is not a directory; choose another path", p, dir)
		}
	}
	if p := o.hooksPath; p != "" {
		const fix = "give the directory that holds the gh-ost-on-* hooks"
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			problem("--hooks-path=%s does not exist; %s", p, fix)
		case err != nil:
			problem("--hooks-path=%s: %v; %s", p, err, fix)
		case !fi.IsDir():
			problem("--hooks-path=%s is not a directory; %s", p, fix)
		}
	}
}

func clamp(v, lo, hi int64) int64 {
	return min(max(v, lo), hi)
}

// checkHostPort accepts "host", "host:port" and "[v6]:port"; it returns what
// is wrong, or "".
func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		// A bare host (or bare IPv6 address) has no port to split off.
		if strings.Count(s, ":") != 1 && !strings.ContainsAny(s, "[]") {
			return ""
		}
		return "expected host or host:port"
	}
	if host == "" {
		return "the host is empty"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("%q is not a TCP port (1 to 65535)", port)
	}
	return ""
}

// alterTarget reports the table (and database, if qualified) that --alter
// names when it is a whole ALTER TABLE statement rather than bare clauses.
// It understands just enough to find the name: the real parsing is the schema
// package's job. Anything it cannot read yields ok == false, which only means
// --database and --table must be given.
func alterTarget(alter string) (db, table string, ok bool) {
	s := alter
	word := func() string {
		s = strings.TrimLeft(s, " \t\r\n")
		w, rest, _ := identifier(s)
		if strings.HasPrefix(s, "`") {
			// A quoted name is never a keyword.
			return ""
		}
		s = rest
		return strings.ToUpper(w)
	}
	if word() != "ALTER" {
		return "", "", false
	}
	w := word()
	for w == "ONLINE" || w == "IGNORE" {
		w = word()
	}
	if w != "TABLE" {
		return "", "", false
	}
	// MariaDB's ALTER TABLE IF EXISTS; IF is reserved, so it is never a
	// bare table name.
	if saved := s; word() != "IF" {
		s = saved
	} else if word() != "EXISTS" {
		return "", "", false
	}
	s = strings.TrimLeft(s, " \t\r\n")
	first, rest, ok := identifier(s)
	if !ok {
		return "", "", false
	}
	if strings.HasPrefix(rest, ".") {
		second, _, ok := identifier(rest[1:])
		if !ok {
			return "", "", false
		}
		return first, second, true
	}
	return "", first, true
}

// identifier reads one MySQL identifier, backquoted or bare, from the start
// of s.
func identifier(s string) (name, rest string, ok bool) {
	if strings.HasPrefix(s, "`") {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '`' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '`' {
				b.WriteByte('`')
				i++
				continue
			}
			return b.String(), s[i+1:], b.Len() > 0
		}
		return "", s, false
	}
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !(r == '_' || r == '$' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= 0x80 && r != utf8.RuneError) {
			break
		}
		i += size
	}
	return s[:i], s[i:], i > 0
}

// validSuffix keeps trigger names plain identifiers, so they need no quoting
// in operators' scripts.
func validSuffix(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}
