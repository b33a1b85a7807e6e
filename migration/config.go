package migration

import (
	"crypto/tls"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Config is everything a migration needs, already validated by cmd/doppel.
// Field names follow gh-ost's flags (see ../shared/ghost-flags.tsv).
type Config struct {
	// Inspected server: where doppel reads metadata and the binlog.
	Host     string
	Port     int
	User     string
	Password string
	// AssumeMasterHost ("host" or "host:port") skips primary discovery.
	AssumeMasterHost string
	// TLS, when set (dbconn.LoadTLS), encrypts every connection doppel
	// opens: the pools to the inspected server and the primary, the binlog
	// stream, the throttle's control replicas. Each connection checks the
	// certificate against the host it dials. nil: plaintext.
	TLS *tls.Config
	// MySQLTimeout bounds connecting, and each read and write, on the SQL
	// connections (gh-ost's --mysql-timeout); zero keeps dbconn's defaults.
	// The binlog stream keeps its own heartbeat-based timeout.
	MySQLTimeout time.Duration

	Database string
	Table    string
	Alter    string

	Execute          bool
	AllowOnMaster    bool
	AssumeRBR        bool
	ExactRowCount    bool
	ConcurrentRowCnt bool

	ChunkSize int64
	// CopyThreads is how many chunks the row copy runs at once (0: half
	// the server's CPUs, AutoThreads);
	// TargetChunkTime, when positive, adapts the chunk size from ChunkSize
	// so a chunk takes about that long.
	CopyThreads     int
	TargetChunkTime time.Duration
	DMLBatchSize    int64
	// ApplyThreads is how many transactions apply binlog changes to the
	// ghost at once, on disjoint keys (0: 1). It falls back to one when the
	// ghost has a unique key besides the migration key.
	ApplyThreads int
	// MaxApplyLag is how far the applier may fall behind the binlog while
	// the copy runs before the copy narrows to one thread (0: never); see
	// balance.
	MaxApplyLag    time.Duration
	DefaultRetries int64

	InitiallyDropGhostTable bool
	InitiallyDropOldTable   bool
	OkToDropTable           bool
	TimestampOldTable       bool

	TestOnReplica    bool
	MigrateOnReplica bool
	ReplicaServerID  uint32

	CutOver string // "atomic" or "two-step"
	// CutOverExponentialBackoff waits 1, 2, 4, … seconds (at most
	// ExponentialBackoffMaxInterval) between failed cut-over attempts
	// instead of one second.
	CutOverExponentialBackoff     bool
	ExponentialBackoffMaxInterval time.Duration
	CutOverLockTimeout            time.Duration
	StorageEngine                 string
	// ForceCutOverAfter, when positive, makes the cut-over kill the sessions
	// that hold metadata locks on the original or ghost table once that long
	// has passed since its first attempt (see cutover.Forcer). It needs a
	// view of the lock holders, so preflight refuses a server without one.
	ForceCutOverAfter time.Duration

	// AttemptInstantDDL asks the server to apply the ALTER to the original
	// in place (ALGORITHM=INSTANT, on MariaDB then NOCOPY with LOCK=NONE)
	// before any table is created, its metadata-lock wait bounded by
	// CutOverLockTimeout; only if it refuses or times out is a ghost built.
	// Not attempted with TestOnReplica or Resume.
	AttemptInstantDDL bool

	SkipMetadataLockCheck bool
	ApproveRenamedColumns bool
	SkipRenamedColumns    bool

	// Triggers (gh-ost's --include-triggers, --trigger-suffix,
	// --remove-trigger-suffix-if-exists): the original's triggers are created
	// on the ghost during cut-over, named with the suffix added (or removed,
	// when the name already ends with it and RemoveTriggerSuffix is set).
	IncludeTriggers     bool
	TriggerSuffix       string
	RemoveTriggerSuffix bool

	// DiscardForeignKeys migrates a table that references others; the new
	// table has no foreign keys. SkipForeignKeyChecks skips looking for
	// foreign keys at all (the operator asserts there are none).
	DiscardForeignKeys   bool
	SkipForeignKeyChecks bool

	// AllowZeroInDate lets the ghost's definition hold zero dates;
	// SkipStrictMode keeps the server's sql_mode for copy and apply instead
	// of adding STRICT_ALL_TABLES.
	AllowZeroInDate bool
	SkipStrictMode  bool

	// AllowNullableUniqueKey accepts a unique key with nullable columns as
	// the migration key, provided no key column holds NULL.
	AllowNullableUniqueKey bool

	// PanicOnWarnings stops the copy at the first row it would skip on a
	// unique key (gh-ost's --panic-on-warnings); without it such rows are
	// proven before the swap, and the migration fails only if one is lost.
	PanicOnWarnings bool

	// LintFullScan makes the dry run's lossy-change lint check every row of
	// the original against the new definition, instead of a sample of the
	// first rows.
	LintFullScan bool

	// GTID streams the binlog by GTID position instead of file and offset.
	GTID bool

	// AnalyzeGhostTable runs ANALYZE TABLE on the ghost before cut-over, so
	// the swapped-in table starts with fresh index statistics.
	AnalyzeGhostTable bool

	// SkipChecksum swaps the ghost in without comparing it to the original
	// (--checksum=false). ChecksumThreads is how many chunks are hashed at
	// once (0: half the server's CPUs, as CopyThreads); ChecksumInterval how
	// often the tables are compared again while the cut-over is postponed
	// (0: 1h).
	SkipChecksum     bool
	ChecksumThreads  int
	ChecksumInterval time.Duration

	// PostponeCutOverFlagFile holds the cut-over while the file exists; it
	// is created at start when missing (gh-ost's flag).
	PostponeCutOverFlagFile string

	// Throttling (gh-ost's flags of the same names).
	MaxLag                     time.Duration // --max-lag-millis
	HeartbeatInterval          time.Duration // --heartbeat-interval-millis
	ThrottleControlReplicas    string
	MaxLoad, CriticalLoad      string
	CriticalLoadInterval       time.Duration
	CriticalLoadHibernate      time.Duration
	ThrottleFlagFile           string
	ThrottleAdditionalFlagFile string
	ThrottleQuery              string
	ThrottleHTTP               string
	ThrottleHTTPInterval       time.Duration
	ThrottleHTTPTimeout        time.Duration
	IgnoreHTTPErrors           bool
	NiceRatio                  float64
	PanicFlagFile              string

	// Interactive control: a unix socket (ServeSocketFile; "" = gh-ost's
	// /tmp/gh-ost.<db>.<table>.sock) and, when ServeTCPAddr is set, TCP.
	ServeSocketFile         string
	InitiallyDropSocketFile bool
	ServeTCPAddr            string

	// Hooks (gh-ost's --hooks-* flags); HooksPath "" runs none.
	HooksPath, HooksHint, HooksHintOwner, HooksHintToken string
	HooksStatusInterval                                  time.Duration

	// StatusInterval is how often the status line is logged.
	StatusInterval time.Duration
	// OnStatus, when set, receives the status every second (or every
	// StatusInterval, if shorter) while rows are copied and changes applied:
	// a terminal's live progress line. The status line is then logged at
	// debug level only, since the caller shows it. Called from one
	// goroutine; it must not block.
	OnStatus func(Status)

	// Checkpoint records progress in _<t>_ghk every CheckpointInterval (0:
	// 300s), and when the run stops early, so that Resume can continue it.
	// Resume continues the interrupted migration the checkpoint describes
	// instead of starting over; it implies Checkpoint.
	Checkpoint         bool
	CheckpointInterval time.Duration
	Resume             bool

	// MaxReconnectWait bounds how long the migration waits for a server it
	// lost (restart, failover, network) before it stops with a resumable
	// checkpoint (0: 5 minutes).
	MaxReconnectWait time.Duration

	// MetricsAddr ("host:port", port 0 for any free one), when set, serves
	// Metrics (or a registry of the migration's own) on /metrics and
	// /healthz from the start of Run to its end. Metrics, when set, gets
	// the migration's collectors even without MetricsAddr; the caller owns
	// it and may register more (doppel_build_info).
	MetricsAddr string
	Metrics     *prometheus.Registry
	// StatsDAddr ("host:port"), when set, sends the same metrics to a
	// StatsD server over UDP every StatsDInterval (0: 10s) and once more
	// when Run ends (gh-ost's --statsd-addr).
	StatsDAddr     string
	StatsDInterval time.Duration
}
