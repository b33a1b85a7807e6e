package metrics

import (
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Phases are the migration's phases, in the order a run passes them. Each
// gets a doppel_phase series at every scrape (1 for the current one, 0 for
// the others), so a dashboard sees a phase appear and disappear as a step
// rather than as a gap.
var Phases = []string{"preflight", "instant-ddl", "copy", "catch-up", "checksum", "postponed", "cut-over", "cleanup", "done"}

// ChangeTypes are the values of the type label of the binlog counters.
var ChangeTypes = []string{"insert", "update", "delete"}

// Snapshot is the live state of a migration at one instant, as the
// migration reports it. Durations are converted to seconds on export.
type Snapshot struct {
	Phase        string
	RowsCopied   int64
	RowsEstimate int64
	Progress     float64 // copy progress, 0..1
	ChunkSize    int64   // rows the copier puts in its next chunk
	Backlog      int     // transactions read from the binlog, not yet applied
	ApplyLag     time.Duration
	// StreamLag is how far the binlog reader is behind the binlog's head;
	// StreamLagKnown is false until it could be measured.
	StreamLag      time.Duration
	StreamLagKnown bool
	ReplicaLag     map[string]time.Duration // by replica name (host:port)
	Throttle       string                   // why work is paused; "" when it is not
	Throttled      time.Duration            // total time paused so far
	ChecksumDone   int64                    // chunks of the current checksum pass compared
	ChecksumTotal  int64                    // chunks in the current checksum pass
	ChecksumETA    time.Duration            // -1 when unknown
	ETA            time.Duration            // until the copy is done; -1 when unknown
}

// Config says what the collectors describe and where live state comes from.
type Config struct {
	Database, Table string
	// Snapshot returns the migration's current state; it is called once per
	// scrape, from the scraping goroutine, so it must be safe for that.
	Snapshot func() Snapshot
}

// Metrics counts a migration's events. Its methods are safe for concurrent
// use and do nothing on a nil *Metrics.
type Metrics struct {
	chunkDuration   prometheus.Histogram
	received        *prometheus.CounterVec
	applied         *prometheus.CounterVec
	applyDuration   prometheus.Histogram
	mismatches      prometheus.Counter
	repaired        prometheus.Counter
	cutOverAttempts prometheus.Counter
	cutOverLock     prometheus.Histogram
	stall           prometheus.Gauge
	errors, retries *prometheus.CounterVec

	mu           sync.Mutex
	longestStall float64 // seconds; what stall shows
}

// New registers the migration's collectors on reg.
func New(reg prometheus.Registerer, cfg Config) (*Metrics, error) {
	if cfg.Snapshot == nil {
		return nil, fmt.Errorf("metrics: no snapshot function")
	}
	labels := prometheus.Labels{"database": cfg.Database, "table": cfg.Table}
	// Chunks adapt to --target-chunk-time (500ms by default); cut-over locks
	// should last milliseconds. The buckets span both with room either side.
	chunkBuckets := prometheus.ExponentialBuckets(0.01, 2, 12)    // 10ms .. ~20s
	applyBuckets := prometheus.ExponentialBuckets(0.001, 2.5, 12) // 1ms .. ~60s
	lockBuckets := prometheus.ExponentialBuckets(0.005, 2, 12)    // 5ms .. ~10s
	m := &Metrics{
		chunkDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "doppel_copy_chunk_duration_seconds", Help: "Time to copy one chunk of rows into the ghost table, retries included.",
			ConstLabels: labels, Buckets: chunkBuckets,
		}),
		received: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doppel_binlog_events_received_total", Help: "Row changes to the migrated table read from the binlog, by type.",
			ConstLabels: labels,
		}, []string{"type"}),
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doppel_binlog_events_applied_total", Help: "Row changes to the migrated table applied to the ghost table, by type.",
			ConstLabels: labels,
		}, []string{"type"}),
		applyDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "doppel_apply_batch_duration_seconds", Help: "Time to apply one batch of binlog changes to the ghost table.",
			ConstLabels: labels, Buckets: applyBuckets,
		}),
		mismatches: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "doppel_checksum_mismatches_total", Help: "Checksum chunks found to differ between the original and the ghost table.",
			ConstLabels: labels,
		}),
		repaired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "doppel_checksum_chunks_repaired_total", Help: "Differing checksum chunks recopied from the original.",
			ConstLabels: labels,
		}),
		cutOverAttempts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "doppel_cutover_attempts_total", Help: "Cut-over attempts, successful or not.",
			ConstLabels: labels,
		}),
		cutOverLock: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "doppel_cutover_lock_duration_seconds", Help: "Per cut-over attempt, the time from requesting the lock on the original until the swap or the release: what writers may wait.",
			ConstLabels: labels, Buckets: lockBuckets,
		}),
		stall: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "doppel_cutover_writer_stall_max_seconds", Help: "The longest writers to the original may have waited for any cut-over attempt so far.",
			ConstLabels: labels,
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doppel_errors_total", Help: "Errors met, by where they happened; most are retried (see doppel_retries_total).",
			ConstLabels: labels,
		}, []string{"kind"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "doppel_retries_total", Help: "Operations started again after an error, by operation.",
			ConstLabels: labels,
		}, []string{"kind"}),
	}
	// The labelled counters start at zero for every known value, so a rate
	// over them has a series from the first scrape on.
	for _, t := range ChangeTypes {
		m.received.WithLabelValues(t)
		m.applied.WithLabelValues(t)
	}
	cs := []prometheus.Collector{
		newState(labels, cfg.Snapshot), m.chunkDuration, m.received, m.applied, m.applyDuration,
		m.mismatches, m.repaired, m.cutOverAttempts, m.cutOverLock, m.stall, m.errors, m.retries,
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// ChunkCopied records one chunk of the row copy.
func (m *Metrics) ChunkCopied(took time.Duration) {
	if m == nil {
		return
	}
	m.chunkDuration.Observe(took.Seconds())
}

// Received counts n row changes of one type ("insert", "update", "delete")
// read from the binlog.
func (m *Metrics) Received(changeType string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.received.WithLabelValues(changeType).Add(float64(n))
}

// Applied counts n row changes of one type applied to the ghost.
func (m *Metrics) Applied(changeType string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.applied.WithLabelValues(changeType).Add(float64(n))
}

// ApplyBatch records one batch of changes applied to the ghost.
func (m *Metrics) ApplyBatch(took time.Duration) {
	if m == nil {
		return
	}
	m.applyDuration.Observe(took.Seconds())
}

// ChecksumMismatch counts a chunk found to differ; repaired says whether
// it was then recopied.
func (m *Metrics) ChecksumMismatch(repaired bool) {
	if m == nil {
		return
	}
	m.mismatches.Inc()
	if repaired {
		m.repaired.Inc()
	}
}

// CutOverAttempt records one cut-over attempt and how long writers may have
// waited for it.
func (m *Metrics) CutOverAttempt(stall time.Duration) {
	if m == nil {
		return
	}
	m.cutOverAttempts.Inc()
	m.cutOverLock.Observe(stall.Seconds())
	m.mu.Lock()
	defer m.mu.Unlock()
	if s := stall.Seconds(); s > m.longestStall {
		m.longestStall = s
		m.stall.Set(s)
	}
}

// Error counts an error of a kind (where it happened, e.g. "copy-chunk").
func (m *Metrics) Error(kind string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(kind).Inc()
}

// Retry counts an operation started again after an error, and that error.
func (m *Metrics) Retry(kind string) {
	if m == nil {
		return
	}
	m.errors.WithLabelValues(kind).Inc()
	m.retries.WithLabelValues(kind).Inc()
}

// RegisterBuildInfo adds doppel_build_info, a constant 1 whose labels say
// which doppel and Go built the running binary.
func RegisterBuildInfo(reg prometheus.Registerer, database, table, version, goVersion string) error {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "doppel_build_info", Help: "Always 1; the labels name the doppel version and the Go version that built it.",
		ConstLabels: prometheus.Labels{"database": database, "table": table, "version": version, "goversion": goVersion},
	})
	g.Set(1)
	if err := reg.Register(g); err != nil {
		return fmt.Errorf("register build info: %w", err)
	}
	return nil
}
