package migration

import (
	"context"
	"strconv"
	"time"

	"github.com/doppel-dev/doppel/binlog"
)

// Status is a snapshot of a running migration.
type Status struct {
	Phase          string
	RowsCopied     int64
	RowsEstimate   int64
	Progress       float64 // 0..1, copy progress
	ChangesApplied int64
	Backlog        int // transactions read from the binlog, not yet applied
	Applied        binlog.Position
	Read           binlog.Position
	Throttle       string
	Elapsed        time.Duration
	ETA            time.Duration // -1 when unknown
}

func (m *migrator) status() Status {
	s := Status{Phase: m.phase.Load().(string), RowsEstimate: m.rowsEstimate.Load(), ChangesApplied: m.applied.Load(),
		Throttle: m.throttle.Reason(), Elapsed: time.Since(m.started), ETA: -1}
	if m.copier != nil {
		s.RowsCopied = m.copier.Copied()
	}
	if m.backlog != nil {
		s.Backlog = m.backlog()
	}
	if p, ok := m.lastApplied.Load().(binlog.Position); ok {
		s.Applied = p
	}
	if m.streamer != nil {
		s.Read = m.streamer.LastRead()
	}
	if s.RowsEstimate > 0 {
		s.Progress = min(float64(s.RowsCopied)/float64(s.RowsEstimate), 1)
	}
	if m.copier != nil && m.copier.Done() {
		s.Progress = 1
	}
	if s.Progress > 0 && s.Progress < 1 {
		s.ETA = time.Duration(float64(s.Elapsed) * (1 - s.Progress) / s.Progress).Round(time.Second)
	}
	if s.Progress == 1 {
		s.ETA = 0
	}
	return s
}

// statusLoop logs a status line every StatusInterval.
func (m *migrator) statusLoop(ctx context.Context) error {
	every := m.cfg.StatusInterval
	if every <= 0 {
		every = 5 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		s := m.status()
		ev := m.log.Info().Str("phase", s.Phase).Int64("copied", s.RowsCopied).Int64("estimate", s.RowsEstimate).
			Str("progress", formatPct(s.Progress)).Int64("applied", s.ChangesApplied).Int("backlog", s.Backlog).
			Str("binlog_applied", s.Applied.String()).Dur("elapsed", s.Elapsed.Round(time.Second))
		if s.ETA >= 0 {
			ev = ev.Dur("eta", s.ETA)
		}
		if s.Throttle != "" {
			ev = ev.Str("throttled", s.Throttle)
		}
		ev.Msg("status")
	}
}

func formatPct(p float64) string { return strconv.FormatFloat(p*100, 'f', 1, 64) + "%" }
