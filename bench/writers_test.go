package main

import (
	"math"
	"testing"
	"time"
)

func TestWritesByPhase(t *testing.T) {
	// 100 writes/s for the first 2 s, 10/s after.
	var samples []writeSample
	for ms := 0; ms <= 4000; ms += 100 {
		n := int64(min(ms, 2000) / 10)
		if ms > 2000 {
			n += int64((ms - 2000) / 100)
		}
		samples = append(samples, writeSample{time.Duration(ms) * time.Millisecond, n})
	}
	out := []byte(`{"level":"info","message":"binlog stream started"}
{"level":"info","phase":"copy","previous":"","elapsed":0,"message":"phase changed"}
{"level":"info","phase":"checksum","previous":"copy","elapsed":2000,"message":"phase changed"}
not json "phase changed"
`)
	got := writesByPhase(out, samples, 4*time.Second)
	want := []phaseRate{{"copy", 2 * time.Second, 100}, {"checksum", 2 * time.Second, 10}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].phase != want[i].phase || got[i].took != want[i].took || math.Abs(got[i].rate-want[i].rate) > 0.01 {
			t.Errorf("phase %d: got %+v, want %+v", i, got[i], want[i])
		}
	}
	// Between samples the count is interpolated.
	if n := writesAt(samples, 150*time.Millisecond); math.Abs(n-15) > 0.01 {
		t.Errorf("writesAt(150ms) = %v, want 15", n)
	}
}
