package migration

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/doppel-dev/doppel/internal/syncbuf"
	"github.com/doppel-dev/doppel/throttle"
)

// logEvents decodes the JSON lines written to logs so far.
func logEvents(t *testing.T, logs *syncbuf.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if l == "" {
			continue
		}
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, ev)
	}
	return out
}

// bareMigrator has just what status and the phase need: no server.
func bareMigrator(cfg Config, log zerolog.Logger) *migrator {
	m := &migrator{cfg: cfg, log: log, throttle: throttle.New(throttle.Config{}), started: time.Now()}
	m.phase.Store("preflight")
	return m
}

func TestEveryPhaseTransitionIsLoggedOnce(t *testing.T) {
	t.Parallel()
	var logs syncbuf.Buffer
	m := bareMigrator(Config{}, zerolog.New(&logs))
	for _, p := range []string{"copy", "copy", "catch-up", "checksum", "postponed", "postponed", "checksum", "cut-over"} {
		m.setPhase(p)
	}
	var got []string
	for _, ev := range logEvents(t, &logs) {
		if ev["message"] != "phase changed" || ev["level"] != "info" {
			t.Errorf("unexpected event %v", ev)
			continue
		}
		if _, ok := ev["elapsed"]; !ok {
			t.Errorf("no elapsed in %v", ev)
		}
		got = append(got, ev["previous"].(string)+">"+ev["phase"].(string))
	}
	want := "preflight>copy copy>catch-up catch-up>checksum checksum>postponed postponed>checksum checksum>cut-over"
	if strings.Join(got, " ") != want {
		t.Errorf("transitions %q, want %q", strings.Join(got, " "), want)
	}
	if s := m.status(); s.Phase != "cut-over" {
		t.Errorf("status phase %q", s.Phase)
	}
}

// TestStatusFeedsOnStatusEverySecond: with a live progress line the status
// comes every second, and its log line only every StatusInterval, at debug
// level, so it does not flood the terminal.
func TestStatusFeedsOnStatusEverySecond(t *testing.T) {
	t.Parallel()
	var logs syncbuf.Buffer
	statuses := make(chan Status, 16)
	m := bareMigrator(Config{StatusInterval: 3 * time.Second, OnStatus: func(s Status) { statuses <- s }},
		zerolog.New(&logs).Level(zerolog.DebugLevel))
	m.phase.Store("copy")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.statusLoop(ctx) }()
	began := time.Now()
	for i := 1; i <= 4; i++ {
		select {
		case s := <-statuses:
			if s.Phase != "copy" {
				t.Errorf("status %d: phase %q", i, s.Phase)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("status %d did not come", i)
		}
	}
	// The loop logs after calling OnStatus: the third call's line is written
	// before the fourth call.
	cancel()
	<-done
	if took := time.Since(began); took < 3500*time.Millisecond || took > 6*time.Second {
		t.Errorf("four statuses took %v, want about 4s", took)
	}
	var lines []map[string]any
	for _, ev := range logEvents(t, &logs) {
		if ev["message"] == "status" {
			lines = append(lines, ev)
		}
	}
	if len(lines) != 1 || lines[0]["level"] != "debug" || lines[0]["phase"] != "copy" {
		t.Errorf("status lines %v, want one at debug level", lines)
	}
}

func TestStatusIsLoggedAtInfoWithoutOnStatus(t *testing.T) {
	t.Parallel()
	var logs syncbuf.Buffer
	m := bareMigrator(Config{StatusInterval: 50 * time.Millisecond}, zerolog.New(&logs))
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Millisecond)
	defer cancel()
	_ = m.statusLoop(ctx)
	n := 0
	for _, ev := range logEvents(t, &logs) {
		if ev["message"] == "status" {
			n++
			if ev["level"] != "info" || ev["throttled"] != "no" {
				t.Errorf("status line %v", ev)
			}
		}
	}
	if n < 2 {
		t.Errorf("%d status lines in 180ms at a 50ms interval", n)
	}
}
