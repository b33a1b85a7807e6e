package migration

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/doppel-dev/doppel/binlog"
	"github.com/doppel-dev/doppel/metrics"
)

// listenMetrics registers the migration's collectors and, with
// MetricsAddr, binds the metrics address and serves it until Run returns;
// with StatsDAddr, it pushes the same registry to StatsD until then. It runs
// first of all, so a bad address refuses the run before anything on the
// servers is looked at, locked or dropped; serving from the start shows the
// preflight and cleanup phases too, which is why neither is one of the
// copy's background tasks: close stops them and waits for them.
func (m *migrator) listenMetrics() error {
	if m.cfg.MetricsAddr == "" && m.cfg.Metrics == nil && m.cfg.StatsDAddr == "" {
		return nil
	}
	reg := m.cfg.Metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	var srv *metrics.Server
	var statsd *metrics.StatsD
	release := func() {
		if srv != nil {
			srv.Close()
		}
		if statsd != nil {
			statsd.Close()
		}
	}
	if m.cfg.MetricsAddr != "" {
		var err error
		if srv, err = metrics.Listen(m.cfg.MetricsAddr, reg, m.base); err != nil {
			return refuse("--metrics-addr: %v", err)
		}
	}
	if m.cfg.StatsDAddr != "" {
		var err error
		if statsd, err = metrics.DialStatsD(m.cfg.StatsDAddr, reg, m.base); err != nil {
			release()
			return refuse("--statsd-addr: %v", err)
		}
	}
	met, err := metrics.New(reg, metrics.Config{Database: m.cfg.Database, Table: m.cfg.Table, Snapshot: m.metricsSnapshot})
	if err != nil {
		release()
		return err
	}
	m.metrics = met
	if srv == nil && statsd == nil {
		return nil
	}
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if srv != nil {
		wg.Go(func() {
			// Nobody else could act on this error: the migration goes on
			// without metrics rather than stop over them.
			if err := srv.Serve(ctx); err != nil {
				m.log.Warn().Err(err).Msg("metrics server stopped")
			}
		})
	}
	if statsd != nil {
		interval := m.cfg.StatsDInterval
		if interval <= 0 {
			interval = metrics.StatsDInterval
		}
		wg.Go(func() {
			defer statsd.Close()
			statsd.Run(ctx, interval) // its last push is the run's final state
		})
	}
	m.stopMetrics = func() { stop(); wg.Wait() }
	return nil
}

// metricsSnapshot is the migration's state for a scrape. Until the
// workers exist (and after, while fields they set may still be written)
// only the phase is known; workersReady orders those writes before any
// read here.
func (m *migrator) metricsSnapshot() metrics.Snapshot {
	if !m.workersReady.Load() {
		return metrics.Snapshot{Phase: m.phase.Load().(string), ETA: -1, ChecksumETA: -1}
	}
	s := m.status()
	_, each := m.throttle.Lag()
	snap := metrics.Snapshot{
		Phase: s.Phase, RowsCopied: s.RowsCopied, RowsEstimate: s.RowsEstimate, Progress: s.Progress,
		ChunkSize: m.copier.ChunkSize(), Backlog: s.Backlog, ApplyLag: s.ApplyLag, ReplicaLag: each,
		Throttle: s.Throttle, Throttled: m.throttle.Throttled(),
		ChecksumDone: s.ChecksumDone, ChecksumTotal: s.ChecksumTotal, ChecksumETA: s.ChecksumETA, ETA: s.ETA,
	}
	if beat := m.streamBeat.Load(); beat != 0 {
		snap.StreamLag, snap.StreamLagKnown = max(time.Since(time.Unix(0, beat)), 0), true
	}
	return snap
}

// onStreamed counts what the binlog reader read, as it reads it. The
// stream lag is the age of the newest heartbeat read: doppel writes one
// every heartbeat interval, so it is as exact as the apply lag.
func (m *migrator) onStreamed(txn binlog.Txn) {
	var counts changeCounts
	for _, ch := range txn.Changes {
		if strings.EqualFold(ch.Table, m.cfg.Table) {
			counts.add(ch.Kind)
			continue
		}
		if at, ok := heartbeatTime(ch); ok {
			m.streamBeat.Store(at.UnixNano())
		}
	}
	counts.report(m.metrics.Received)
}

// changeCounts counts row changes by kind, for the metrics' type label.
type changeCounts [3]int

func (c *changeCounts) add(k binlog.Kind) {
	if k >= binlog.Insert && k <= binlog.Delete {
		c[k-binlog.Insert]++
	}
}

func (c *changeCounts) report(count func(changeType string, n int)) {
	for i, n := range c {
		count((binlog.Insert + binlog.Kind(i)).String(), n)
	}
}
