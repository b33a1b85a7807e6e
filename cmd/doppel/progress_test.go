package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/migration"
)

// onTerminal runs doppel as if stderr were an interactive terminal; the fake
// migration gets the config and the logger.
func onTerminal(t *testing.T, migrate migrateFunc, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := app{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, migrate: migrate,
		getenv: func(string) string { return "" },
		exit:   func(code int) { t.Errorf("unexpected hard exit with code %d", code) },
		isTTY:  func(io.Writer) bool { return true }}
	return a.run(args), stderr.String()
}

func TestLogFormatFlag(t *testing.T) {
	t.Parallel()
	t.Run("auto off a terminal is JSON, without a progress line", func(t *testing.T) {
		t.Parallel()
		out := harness{}.run(t, required...)
		if out.code != exitOK || findLog(logLines(t, out.stderr), "doppel starting") == nil || out.cfg.OnStatus != nil {
			t.Fatalf("exit code %d, progress hook %v, stderr:\n%s", out.code, out.cfg.OnStatus != nil, out.stderr)
		}
	})
	t.Run("json on a terminal stays JSON, without a progress line", func(t *testing.T) {
		t.Parallel()
		var hooked bool
		code, stderr := onTerminal(t, func(_ context.Context, cfg migration.Config, _ zerolog.Logger) (migration.Report, error) {
			hooked = cfg.OnStatus != nil
			return migration.Report{}, nil
		}, withRequired("--log-format=json")...)
		if code != exitOK || hooked || findLog(logLines(t, stderr), "doppel starting") == nil {
			t.Fatalf("exit code %d, progress hook %v, stderr:\n%s", code, hooked, stderr)
		}
	})
	t.Run("console off a terminal is plain text without colours", func(t *testing.T) {
		t.Parallel()
		out := harness{}.run(t, withRequired("--log-format=console")...)
		if out.code != exitOK || out.cfg.OnStatus != nil {
			t.Fatalf("exit code %d, progress hook %v", out.code, out.cfg.OnStatus != nil)
		}
		if strings.HasPrefix(out.stderr, "{") || !strings.Contains(out.stderr, "doppel starting") ||
			!strings.Contains(out.stderr, "table=orders") || strings.Contains(out.stderr, "\x1b") {
			t.Errorf("not plain console lines:\n%q", out.stderr)
		}
	})
	t.Run("auto on a terminal is console, with a progress line", func(t *testing.T) {
		t.Parallel()
		code, stderr := onTerminal(t, func(_ context.Context, cfg migration.Config, log zerolog.Logger) (migration.Report, error) {
			if cfg.OnStatus == nil {
				return migration.Report{}, fmt.Errorf("no progress hook")
			}
			cfg.OnStatus(migration.Status{Phase: "copy", RowsCopied: 50, RowsEstimate: 100, Progress: 0.5, ETA: 3 * time.Second})
			log.Info().Msg("an event during the copy")
			return migration.Report{}, nil
		}, withRequired("--execute")...)
		if code != exitOK {
			t.Fatalf("exit code %d, stderr:\n%q", code, stderr)
		}
		// The event erases the progress line, is printed, and the line is
		// drawn again below it.
		const half = "[##########..........]   50.0%"
		drawn := strings.Index(stderr, clearLine+half)
		event := strings.Index(stderr, "an event during the copy")
		if drawn < 0 || event < drawn {
			t.Fatalf("progress line not drawn before the event:\n%q", stderr)
		}
		erased := strings.LastIndex(stderr[:event], clearLine)
		if erased < drawn+len(clearLine) || strings.Contains(stderr[erased:event], "\n") {
			t.Errorf("the progress line was not erased before the event:\n%q", stderr)
		}
		if !strings.HasPrefix(stderr[event:], "an event during the copy") || !strings.Contains(stderr[event:], "\n"+half) {
			t.Errorf("the event did not redraw the progress line:\n%q", stderr[event:])
		}
		// Erased for good before the outcome is logged.
		last := stderr[strings.LastIndex(stderr, clearLine)+len(clearLine):]
		if !strings.Contains(last, "migration finished") || strings.Contains(last, "[#") || !strings.HasSuffix(last, "\n") {
			t.Errorf("after the migration the progress line was not erased:\n%q", last)
		}
	})
	t.Run("quiet on a terminal draws no progress line", func(t *testing.T) {
		t.Parallel()
		var hooked bool
		code, _ := onTerminal(t, func(_ context.Context, cfg migration.Config, _ zerolog.Logger) (migration.Report, error) {
			hooked = cfg.OnStatus != nil
			return migration.Report{}, nil
		}, withRequired("--quiet")...)
		if code != exitOK || hooked {
			t.Errorf("exit code %d, progress hook %v", code, hooked)
		}
	})
	for _, arg := range []string{"--log-format=xml", "--log-format=", "--log-format=JSON"} {
		t.Run("refuses "+arg, func(t *testing.T) {
			t.Parallel()
			out := harness{}.run(t, withRequired(arg)...)
			if out.code != exitUsage || out.called || !strings.Contains(out.stderr, arg+":") || !strings.Contains(out.stderr, "json, console or auto") {
				t.Fatalf("exit code %d, called %v, stderr:\n%s", out.code, out.called, out.stderr)
			}
		})
	}
}

func TestProgressLineText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		status migration.Status
		want   []string // substrings, in order
		absent []string
	}{
		{"nothing copied yet, estimate and ETA unknown",
			migration.Status{Phase: "copy", ETA: -1},
			[]string{"[....................]", "   0.0%", "0 rows", "- rows/s", "ETA ?", "lag 0s", "apply lag 0s", "copy"}, nil},
		{"half way",
			migration.Status{Phase: "copy", RowsCopied: 5000, RowsEstimate: 10_000, Progress: 0.5, ETA: 90 * time.Second},
			[]string{"[##########..........]", "  50.0%", "5000/10.0k rows", "ETA 1m30s"}, []string{"throttled"}},
		{"big counts are short",
			migration.Status{Phase: "copy", RowsCopied: 1_234_567, RowsEstimate: 2_000_000_000, Progress: 0.0006, ETA: time.Hour},
			[]string{"[....................]", "   0.1%", "1.2M/2.0G rows", "ETA 1h0m0s"}, nil},
		{"the bar never overflows",
			migration.Status{Phase: "copy", Progress: 1.7, ETA: 0},
			[]string{"[####################]", "100.0%", "ETA 0s"}, nil},
		{"after the copy there is no rate or ETA",
			migration.Status{Phase: "catch-up", RowsCopied: 300, RowsEstimate: 300, Progress: 1, ETA: 0,
				Lag: 1234 * time.Millisecond, ApplyLag: 40 * time.Millisecond},
			[]string{"[####################]", "100.0%", "300/300 rows", "lag 1.2s", "apply lag 40ms", "catch-up"},
			[]string{"rows/s", "ETA"}},
		{"throttled, with its reason",
			migration.Status{Phase: "copy", Progress: 0.25, ETA: -1, Throttle: "lag 2.1s > 1.5s"},
			[]string{"[#####...............]", "  25.0%", "copy, throttled: lag 2.1s > 1.5s"}, nil},
		{"the checksum shows its chunks",
			migration.Status{Phase: "checksum", Progress: 1, ChecksumDone: 3, ChecksumTotal: 12, ChecksumETA: 9 * time.Second},
			[]string{"[#####...............]", "  25.0%", "3/12 chunks", "ETA 9s", "checksum"}, []string{"rows"}},
		{"the checksum's ETA unknown",
			migration.Status{Phase: "checksum", ChecksumTotal: 12, ChecksumETA: -1},
			[]string{"0/12 chunks", "ETA ?"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var m progressMeter
			line := m.line(tc.status)
			rest := line
			for _, w := range tc.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("%q lacks %q (in this order)", line, w)
				}
				rest = rest[i+len(w):]
			}
			for _, a := range tc.absent {
				if strings.Contains(line, a) {
					t.Errorf("%q has %q", line, a)
				}
			}
			if strings.ContainsAny(line, "\r\n") {
				t.Errorf("%q is not one line", line)
			}
		})
	}
}

func TestProgressRateIsRecent(t *testing.T) {
	t.Parallel()
	var m progressMeter
	at := func(sec int, rows int64) string {
		return m.line(migration.Status{Phase: "copy", Elapsed: time.Duration(sec) * time.Second, RowsCopied: rows, ETA: -1})
	}
	at(10, 0)
	at(11, 1000)
	if line := at(12, 3000); !strings.Contains(line, "1500 rows/s") {
		t.Errorf("two seconds, 3000 rows: %q", line)
	}
	// A burst, then nothing for longer than the window: the rate is the
	// recent one, not the average since the start.
	for s := 13; s < 13+rateWindow; s++ {
		at(s, 50_000)
	}
	if line := at(13+rateWindow, 50_000); !strings.Contains(line, "  0 rows/s") {
		t.Errorf("stalled copy: %q", line)
	}
}

func TestProgressLineRedrawsAroundLogLines(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgressLine(&out, func() int { return 0 })
	step := func(what string, do func(), want string) {
		t.Helper()
		out.Reset()
		do()
		if out.String() != want {
			t.Errorf("%s wrote %q, want %q", what, out.String(), want)
		}
	}
	write := func(s string) func() { return func() { _, _ = p.Write([]byte(s)) } }
	step("a log line before any progress", write("first\n"), "first\n")
	step("the first update", func() { p.Update("50%") }, clearLine+"50%")
	step("a log line", write("second\n"), clearLine+"second\n50%")
	step("an update", func() { p.Update("60%") }, clearLine+"60%")
	step("clearing", p.Clear, clearLine)
	step("a log line after clearing", write("last\n"), "last\n")
	step("clearing again", p.Clear, "")
	var none *progressLine
	none.Clear() // no progress line: nothing to do, no panic
}

func TestProgressLineFitsTheTerminal(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	width := 10
	p := newProgressLine(&out, func() int { return width })
	p.Update("0123456789abcdef")
	p.Update("ééééééééééé")
	width = 0 // unknown: left alone
	p.Update("0123456789abcdef")
	want := clearLine + "012345678" + clearLine + "ééééééééé" + clearLine + "0123456789abcdef"
	if out.String() != want {
		t.Errorf("wrote %q, want %q", out.String(), want)
	}
}

// TestProgressLineKeepsLogLinesWhole: log lines and updates from many
// goroutines never split a line.
func TestProgressLineKeepsLogLinesWhole(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	p := newProgressLine(&out, func() int { return 0 })
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				if g == 0 {
					p.Update(fmt.Sprintf("progress %d", i))
				} else {
					_, _ = p.Write(fmt.Appendf(nil, "log %d-%d\n", g, i))
				}
			}
		})
	}
	wg.Wait()
	p.Clear()
	// Every piece between two erasures is whole log lines, then at most one
	// progress line.
	piece := regexp.MustCompile(`^(log \d+-\d+\n)*(progress \d+)?$`)
	for _, seg := range strings.Split(out.String(), clearLine) {
		if !piece.MatchString(seg) {
			t.Fatalf("garbled output %q", seg)
		}
	}
	for g := 1; g < 4; g++ {
		for i := range 50 {
			if n := strings.Count(out.String(), fmt.Sprintf("log %d-%d\n", g, i)); n != 1 {
				t.Errorf("log %d-%d written %d times", g, i, n)
			}
		}
	}
}
