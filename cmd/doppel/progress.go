package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/doppel-dev/doppel/migration"
)

// clearLine moves the cursor to the start of the line and erases it.
const clearLine = "\r\x1b[K"

// progressLine keeps one live status line at the bottom of a terminal. It is
// the output of the console log writer: a log line first erases the
// progress line, is printed on its own line, and the progress line is drawn
// again below it, so neither garbles the other.
type progressLine struct {
	mu    sync.Mutex
	out   io.Writer
	width func() int // the terminal's columns, 0 when unknown
	line  string     // what is shown now, "" for nothing
	meter progressMeter
}

func newProgressLine(out io.Writer, width func() int) *progressLine {
	return &progressLine{out: out, width: width}
}

// Write prints one log line (the console writer ends it with a newline).
func (p *progressLine) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line == "" {
		return p.out.Write(b)
	}
	// One write, so the terminal never shows a half-redrawn state.
	buf := make([]byte, 0, len(clearLine)+len(b)+len(p.line))
	buf = append(append(append(buf, clearLine...), b...), p.line...)
	if _, err := p.out.Write(buf); err != nil {
		return 0, err
	}
	return len(b), nil
}

// Update replaces the progress line with line, cut to the terminal's width:
// a line that wrapped could no longer be erased by clearLine.
func (p *progressLine) Update(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.show(line)
}

func (p *progressLine) show(line string) {
	if w := p.width(); w > 1 && utf8.RuneCountInString(line) >= w {
		line = string([]rune(line)[:w-1]) // the last column would wrap on some terminals
	}
	p.line = line
	_, _ = io.WriteString(p.out, clearLine+line)
}

// Clear erases the progress line, so the last log lines and the shell's
// prompt start on a clean line. Safe on nil (no progress line).
func (p *progressLine) Clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		_, _ = io.WriteString(p.out, clearLine)
		p.line = ""
	}
}

// status is the migration's OnStatus hook.
func (p *progressLine) status(s migration.Status) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.show(p.meter.line(s))
}

// progressMeter turns status snapshots into the text of the progress line.
// It remembers the rows copied over the last samples to show the recent
// copy rate, which tells more than the average since the start: the rate
// changes when the copy is throttled or narrowed.
type progressMeter struct {
	samples []rateSample // oldest first
}

type rateSample struct {
	at   time.Duration // the migration's elapsed time
	rows int64
}

const (
	barWidth   = 20
	rateWindow = 10 // samples; the status comes every second
)

func (pm *progressMeter) line(s migration.Status) string {
	pm.samples = append(pm.samples, rateSample{s.Elapsed, s.RowsCopied})
	if len(pm.samples) > rateWindow {
		pm.samples = append(pm.samples[:0], pm.samples[len(pm.samples)-rateWindow:]...)
	}
	parts := make([]string, 0, 8)
	if s.Phase == "checksum" && s.ChecksumTotal > 0 {
		p := float64(s.ChecksumDone) / float64(s.ChecksumTotal)
		parts = append(parts, fmtBar(p), fmtPercent(p), fmt.Sprintf("%d/%d chunks", s.ChecksumDone, s.ChecksumTotal), fmtETA(s.ChecksumETA))
	} else {
		parts = append(parts, fmtBar(s.Progress), fmtPercent(s.Progress), fmtRows(s.RowsCopied, s.RowsEstimate))
		if s.Phase == "copy" {
			parts = append(parts, pm.rate(), fmtETA(s.ETA))
		}
	}
	parts = append(parts, "lag "+fmtLag(s.Lag), "apply lag "+fmtLag(s.ApplyLag))
	state := s.Phase
	if s.Throttle != "" {
		state += ", throttled: " + s.Throttle
	}
	return strings.Join(append(parts, state), "  ")
}

// rate is the copy rate over the samples kept; unknown until two exist.
func (pm *progressMeter) rate() string {
	first, last := pm.samples[0], pm.samples[len(pm.samples)-1]
	if last.at <= first.at {
		return "- rows/s"
	}
	perSecond := max(float64(last.rows-first.rows)/(last.at-first.at).Seconds(), 0)
	return fmtCount(int64(perSecond+0.5)) + " rows/s"
}

func fmtBar(p float64) string {
	filled := int(min(max(p, 0), 1) * barWidth)
	return "[" + strings.Repeat("#", filled) + strings.Repeat(".", barWidth-filled) + "]"
}

func fmtPercent(p float64) string { return fmt.Sprintf("%5.1f%%", min(max(p, 0), 1)*100) }

func fmtRows(copied, estimate int64) string {
	if estimate <= 0 {
		return fmtCount(copied) + " rows"
	}
	return fmtCount(copied) + "/" + fmtCount(estimate) + " rows"
}

func fmtETA(d time.Duration) string {
	if d < 0 {
		return "ETA ?"
	}
	return "ETA " + d.Round(time.Second).String()
}

// fmtCount writes n with a k, M or G suffix beyond four digits, to keep the
// line short.
func fmtCount(n int64) string {
	switch {
	case n < 10_000:
		return fmt.Sprint(n)
	case n < 1_000_000:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	case n < 1_000_000_000:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1fG", float64(n)/1e9)
}

// fmtLag is milliseconds under a second, tenths of seconds above.
func fmtLag(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}
