package migration

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/rs/zerolog"

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
	// ApplyLag is how far the applier is behind the binlog: the age of the
	// newest heartbeat it has passed (see balance).
	ApplyLag time.Duration
	Applied  binlog.Position
	Read     binlog.Position
	Throttle string
	Lag      time.Duration // the worst replica lag measured through the heartbeat
	// ChecksumDone and ChecksumTotal count the chunks of the current
	// checksum pass; ChecksumETA is its estimated time left (-1 unknown).
	ChecksumDone, ChecksumTotal int64
	ChecksumETA                 time.Duration
	Elapsed                     time.Duration
	ETA                         time.Duration // -1 when unknown
}

func (m *migrator) status() Status {
	s := Status{Phase: m.phase.Load().(string), RowsEstimate: m.rowsEstimate.Load(), ChangesApplied: m.applied.Load(),
		Throttle: m.throttle.Reason(), Lag: m.lagOf(), Elapsed: time.Since(m.started), ETA: -1}
	if m.copier != nil {
		s.RowsCopied = m.copier.Copied()
	}
	if m.backlog != nil {
		s.Backlog = m.backlog()
	}
	if m.balance != nil {
		s.ApplyLag = m.balance.lag()
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
	s.ChecksumETA = -1
	if m.checker != nil {
		var started time.Time
		s.ChecksumDone, s.ChecksumTotal, started = m.checker.Progress()
		if s.ChecksumDone > 0 && s.ChecksumTotal > 0 {
			left := float64(s.ChecksumTotal-s.ChecksumDone) / float64(s.ChecksumDone)
			s.ChecksumETA = time.Duration(float64(time.Since(started)) * left).Round(time.Second)
		}
	}
	return s
}

// statusLoop logs a status line every StatusInterval. With OnStatus set it
// also feeds it every second, so a terminal's progress line moves smoothly,
// and logs at debug level: the terminal already shows the status, and an
// info line every few seconds would scroll the other events away.
func (m *migrator) statusLoop(ctx context.Context) error {
	every := m.cfg.StatusInterval
	if every <= 0 {
		every = 5 * time.Second
	}
	tick, level := every, zerolog.InfoLevel
	if m.cfg.OnStatus != nil {
		tick, level = min(every, time.Second), zerolog.DebugLevel
	}
	logEvery := max(int(every/tick), 1) // ticks per logged line
	t := time.NewTicker(tick)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		s := m.status()
		if m.cfg.OnStatus != nil {
			m.cfg.OnStatus(s)
		}
		if n%logEvery == 0 {
			m.logStatus(s, level)
		}
	}
}

func (m *migrator) logStatus(s Status, level zerolog.Level) {
	ev := m.log.WithLevel(level).Str("phase", s.Phase).Int64("copied", s.RowsCopied).Int64("estimate", s.RowsEstimate).
		Str("progress", formatPct(s.Progress)).Int64("applied", s.ChangesApplied).Int("backlog", s.Backlog).
		Dur("apply_lag", s.ApplyLag.Round(time.Millisecond)).Str("binlog_applied", s.Applied.String()).Dur("lag", s.Lag).Dur("elapsed", s.Elapsed.Round(time.Second))
	if s.ETA >= 0 {
		ev = ev.Dur("eta", s.ETA)
	}
	if s.Phase == "checksum" && s.ChecksumTotal > 0 {
		ev = ev.Str("checksum", strconv.FormatInt(s.ChecksumDone, 10)+"/"+strconv.FormatInt(s.ChecksumTotal, 10)+" chunks")
		if s.ChecksumETA >= 0 {
			ev = ev.Dur("checksum_eta", s.ChecksumETA)
		}
	}
	throttled := "no"
	if s.Throttle != "" {
		throttled = s.Throttle
	}
	ev.Str("throttled", throttled).Msg("status")
}

// statusLine is the status in one line, for the on-status hook.
func (m *migrator) statusLine() string {
	s := m.status()
	line := fmt.Sprintf("phase %s; copied %d/%d (%s); applied %d; backlog %d; apply lag %s; lag %s; elapsed %s",
		s.Phase, s.RowsCopied, s.RowsEstimate, formatPct(s.Progress), s.ChangesApplied, s.Backlog, s.ApplyLag.Round(time.Millisecond),
		s.Lag.Round(time.Millisecond), s.Elapsed.Round(time.Second))
	if s.ETA >= 0 {
		line += "; ETA " + s.ETA.String()
	}
	if s.Throttle != "" {
		line += "; throttled: " + s.Throttle
	}
	return line
}

func formatPct(p float64) string { return strconv.FormatFloat(p*100, 'f', 1, 64) + "%" }
