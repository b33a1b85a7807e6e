package copier

import (
	"testing"
	"time"
)

func TestNextChunkSize(t *testing.T) {
	const target = 500 * time.Millisecond
	ms := time.Millisecond
	cases := []struct {
		name          string
		current, rows int64
		took, target  time.Duration
		want          int64
	}{
		{"no target keeps the size", 1000, 1000, 5 * time.Second, 0, 1000},
		{"no measurement keeps the size", 1000, 1000, 0, target, 1000},
		{"on target stays", 1000, 1000, 500 * ms, target, 1000},
		{"slightly slow stays", 1000, 1000, 600 * ms, target, 1000},
		{"slightly fast stays", 1000, 1000, 400 * ms, target, 1000},
		{"twice too slow halves at once", 1000, 1000, time.Second, target, 500},
		{"a lock wait of 10s shrinks to the rate", 1000, 1000, 10 * time.Second, target, 50},
		{"shrinking stops at the minimum", 1000, 1000, time.Minute, target, MinChunkSize},
		{"fast grows by a quarter only", 1000, 1000, 50 * ms, target, 1250},
		{"fast grows at most by a quarter", 1000, 1000, 370 * ms, target, 1250},
		{"growth reaches the ideal and no further", 1000, 800, 350 * ms, target, 1142},
		{"growth from the minimum", 10, 10, ms, target, 12},
		{"growth from below the minimum is clamped", 3, 3, ms, target, MinChunkSize},
		{"growth stops at the maximum", 90000, 90000, ms, target, MaxChunkSize},
		{"a fast stale chunk planned smaller does not shrink", 4000, 1000, 300 * ms, target, 4000},
		{"a slow stale chunk planned larger shrinks to its rate", 200, 1000, time.Second, target, 200},
		{"a slow chunk planned larger than now shrinks further", 1000, 4000, 4 * time.Second, target, 500},
		{"fast growth bounded by the current size, not the chunk's", 2000, 1000, 100 * ms, target, 2500},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := nextChunkSize(c.current, c.rows, c.took, c.target); got != c.want {
				t.Fatalf("nextChunkSize(%d, %d, %v, %v) = %d, want %d", c.current, c.rows, c.took, c.target, got, c.want)
			}
		})
	}
}

// An operator's size is the new starting point: chunks planned before it
// carry no information about it and must not override it.
func TestOperatorChunkSizeWinsOverChunksPlannedBefore(t *testing.T) {
	var s sizer
	s.set(1000)
	_, gen := s.get()
	s.set(20000) // the operator
	if _, after := s.observe(gen, 1000, 5*time.Second, 500*time.Millisecond); after != 20000 {
		t.Fatalf("a chunk planned before the operator's change set the size to %d", after)
	}
	_, gen = s.get()
	if _, after := s.observe(gen, 20000, 5*time.Second, 500*time.Millisecond); after != 2000 {
		t.Fatalf("a chunk planned after the operator's change: size %d, want 2000", after)
	}
}

func TestWatermarkCoversOnlyTheFinishedPrefix(t *testing.T) {
	var w lowWatermark
	w.start("resumed")
	steps := []struct {
		seq  uint64
		high string
		want string
	}{
		{2, "c", "resumed"}, // chunk 0 still running
		{1, "b", "resumed"},
		{0, "a", "c"}, // 0..2 all done
		{4, "e", "c"},
		{5, "", "c"}, // unencodable key: stays lower
		{3, "d", "e"},
		{6, "g", "g"},
	}
	for _, s := range steps {
		w.finish(s.seq, s.high)
		if got := w.get(); got != s.want {
			t.Fatalf("after chunk %d: watermark %q, want %q", s.seq, got, s.want)
		}
	}
}

func TestContentionShortensChunksWhileSessionsWait(t *testing.T) {
	ms := time.Millisecond
	var c contention
	const configured = 500 * time.Millisecond
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	look := func(waits int64, after time.Duration, want time.Duration) {
		t.Helper()
		now = now.Add(after)
		if got, _ := c.target(configured, waits, now); got != want {
			t.Fatalf("after counter %d: aim %v, want %v", waits, got, want)
		}
	}
	// The first look only learns the counter: waits before the copy say
	// nothing about it.
	look(1000, 0, configured)
	look(1000, 100*ms, configured)
	// Each rise halves the aim, down to contendedChunkTime.
	look(1001, 100*ms, 250*ms)
	look(1005, 100*ms, 125*ms)
	look(1006, 100*ms, 62500*time.Microsecond)
	look(1007, 100*ms, contendedChunkTime)
	look(1010, 100*ms, contendedChunkTime)
	// Quiet chunks change nothing until the counter has been flat for
	// contendedQuiet; then each grows the aim by a quarter, up to the target.
	look(1010, contendedQuiet-200*ms, contendedChunkTime)
	look(1010, 100*ms, contendedChunkTime)
	look(1010, 100*ms, 62500*time.Microsecond)
	for range 20 {
		look(1010, 100*ms, c.current(configured)+min(c.current(configured)/4, configured-c.current(configured)))
	}
	look(1010, 100*ms, configured)
	// A new rise starts the quiet period over.
	look(1011, 100*ms, 250*ms)
	look(1011, time.Second, 250*ms)
	// An older reading, arriving late from another worker, is no rise and
	// does not move the counter back: 1011 again is still no rise.
	look(1009, 100*ms, 250*ms)
	look(1011, 100*ms, 250*ms)
	if got := c.current(configured); got != 250*ms {
		t.Fatalf("current = %v, want 250ms", got)
	}

	// A target below the floor is never lengthened by it.
	var small contention
	small.target(20*ms, 1, now)
	if got, _ := small.target(20*ms, 2, now); got != 20*ms {
		t.Fatalf("a 20ms target under contention aims for %v", got)
	}
	// Before any look, current is the configured target.
	var fresh contention
	if got := fresh.current(configured); got != configured {
		t.Fatalf("fresh current = %v", got)
	}
}
