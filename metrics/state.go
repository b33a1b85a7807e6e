package metrics

import (
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ThrottleReasons are the values of doppel_throttled's reason label: the
// kinds of reason the throttle gives, without their details (file names,
// measured values), which would make a new series for every value.
var ThrottleReasons = []string{"user", "lag", "replica-unreachable", "flag-file", "max-load", "throttle-query", "throttle-http", "critical-load", "other"}

// ThrottleReason maps a throttle reason as the throttle package words it to
// one of ThrottleReasons ("" when not throttled).
func ThrottleReason(reason string) string {
	switch {
	case reason == "":
		return ""
	case reason == "commanded by user":
		return "user"
	case strings.HasPrefix(reason, "lag "):
		return "lag"
	case strings.HasPrefix(reason, "control replica "), strings.HasPrefix(reason, "replica "):
		return "replica-unreachable"
	case strings.HasPrefix(reason, "flag file "):
		return "flag-file"
	case strings.HasPrefix(reason, "max-load"):
		return "max-load"
	case strings.HasPrefix(reason, "throttle-query"):
		return "throttle-query"
	case strings.HasPrefix(reason, "throttle-http"):
		return "throttle-http"
	case strings.HasPrefix(reason, "hibernating"):
		return "critical-load"
	}
	return "other"
}

// state exports a Snapshot taken at scrape time.
type state struct {
	snapshot func() Snapshot

	phase, rowsCopied, rowsEstimate, progress, chunkSize, backlog, applyLag, streamLag,
	replicaLag, throttled, throttledSeconds, checksumDone, checksumTotal, checksumETA, eta *prometheus.Desc
}

func newState(labels prometheus.Labels, snapshot func() Snapshot) *state {
	d := func(name, help string, variable ...string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, variable, labels)
	}
	return &state{
		snapshot:         snapshot,
		phase:            d("doppel_phase", "1 for the phase the migration is in, 0 for the others.", "phase"),
		rowsCopied:       d("doppel_rows_copied_total", "Rows the copy has written into the ghost table."),
		rowsEstimate:     d("doppel_rows_estimated", "Rows the original table is estimated (or counted) to hold."),
		progress:         d("doppel_copy_progress_ratio", "Copy progress, from 0 to 1."),
		chunkSize:        d("doppel_copy_chunk_size_rows", "Rows in the copier's next chunk (adapts to --target-chunk-time)."),
		backlog:          d("doppel_apply_backlog_transactions", "Transactions read from the binlog and not applied yet."),
		applyLag:         d("doppel_apply_lag_seconds", "Age of the newest heartbeat the applier has passed: how far the ghost table is behind the binlog."),
		streamLag:        d("doppel_binlog_stream_lag_seconds", "Age of the newest heartbeat the binlog reader has read: how far it is behind the binlog's head."),
		replicaLag:       d("doppel_replica_lag_seconds", "Replication lag last measured through the heartbeat, per watched replica.", "replica"),
		throttled:        d("doppel_throttled", "1 for the reason work is paused now, 0 for the others; all 0 when not throttled.", "reason"),
		throttledSeconds: d("doppel_throttled_seconds_total", "Total time the migration's work was paused."),
		checksumDone:     d("doppel_checksum_chunks_done", "Chunks of the current checksum pass compared so far."),
		checksumTotal:    d("doppel_checksum_pass_chunks", "Chunks in the current checksum pass."),
		checksumETA:      d("doppel_checksum_eta_seconds", "Estimated time left in the current checksum pass; -1 when unknown."),
		eta:              d("doppel_eta_seconds", "Estimated time until the copy is done; 0 once done, -1 when unknown."),
	}
}

func (s *state) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.phase, s.rowsCopied, s.rowsEstimate, s.progress, s.chunkSize, s.backlog, s.applyLag,
		s.streamLag, s.replicaLag, s.throttled, s.throttledSeconds, s.checksumDone, s.checksumTotal, s.checksumETA, s.eta} {
		ch <- d
	}
}

func (s *state) Collect(ch chan<- prometheus.Metric) {
	v := s.snapshot()
	gauge := func(d *prometheus.Desc, value float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, value, labels...)
	}
	phases := Phases
	if !slices.Contains(phases, v.Phase) {
		// A phase this list lacks is still shown rather than lost.
		phases = append(slices.Clone(phases), v.Phase)
	}
	for _, p := range phases {
		gauge(s.phase, boolValue(p == v.Phase), p)
	}
	ch <- prometheus.MustNewConstMetric(s.rowsCopied, prometheus.CounterValue, float64(v.RowsCopied))
	gauge(s.rowsEstimate, float64(v.RowsEstimate))
	gauge(s.progress, v.Progress)
	gauge(s.chunkSize, float64(v.ChunkSize))
	gauge(s.backlog, float64(v.Backlog))
	gauge(s.applyLag, v.ApplyLag.Seconds())
	if v.StreamLagKnown {
		gauge(s.streamLag, v.StreamLag.Seconds())
	}
	names := make([]string, 0, len(v.ReplicaLag))
	for name := range v.ReplicaLag {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		gauge(s.replicaLag, v.ReplicaLag[name].Seconds(), name)
	}
	reason := ThrottleReason(v.Throttle)
	for _, r := range ThrottleReasons {
		gauge(s.throttled, boolValue(r == reason), r)
	}
	ch <- prometheus.MustNewConstMetric(s.throttledSeconds, prometheus.CounterValue, v.Throttled.Seconds())
	gauge(s.checksumDone, float64(v.ChecksumDone))
	gauge(s.checksumTotal, float64(v.ChecksumTotal))
	gauge(s.checksumETA, seconds(v.ChecksumETA))
	gauge(s.eta, seconds(v.ETA))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// seconds exports an estimate; the migration's -1ns (unknown) becomes -1.
func seconds(d time.Duration) float64 {
	if s := d.Seconds(); s >= 0 {
		return s
	}
	return -1
}
