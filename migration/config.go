package migration

import "time"

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

	Database string
	Table    string
	Alter    string

	Execute          bool
	AllowOnMaster    bool
	AssumeRBR        bool
	ExactRowCount    bool
	ConcurrentRowCnt bool

	ChunkSize      int64
	DMLBatchSize   int64
	DefaultRetries int64

	InitiallyDropGhostTable bool
	InitiallyDropOldTable   bool
	OkToDropTable           bool
	TimestampOldTable       bool

	TestOnReplica    bool
	MigrateOnReplica bool
	ReplicaServerID  uint32

	CutOver            string // "atomic" or "two-step"
	CutOverLockTimeout time.Duration
	StorageEngine      string

	SkipMetadataLockCheck bool
	ApproveRenamedColumns bool
	SkipRenamedColumns    bool

	// StatusInterval is how often the status line is logged.
	StatusInterval time.Duration
}
