package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/doppel-dev/doppel/internal/workload"
)

// baselineFor is how long the writers run alone in the loaded runs, to
// measure the rate every tool's writers are compared with.
const baselineFor = 15 * time.Second

func (r result) writeRate() float64 {
	if r.took <= 0 {
		return 0
	}
	return float64(r.writes) / r.took.Seconds()
}

// writeSample is the writers' count of writes at a moment of a run.
type writeSample struct {
	at     time.Duration // since the tool started
	writes int64
}

// writeSampler records the writers' progress every 100ms, so that their rate
// can be told apart for each of doppel's phases.
type writeSampler struct {
	w       *workload.Workload
	start   time.Time
	mu      sync.Mutex
	samples []writeSample
	done    chan struct{}
	wg      sync.WaitGroup
}

func sampleWrites(w *workload.Workload, start time.Time) *writeSampler {
	s := &writeSampler{w: w, start: start, done: make(chan struct{})}
	s.take()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.done:
				return
			case <-t.C:
				s.take()
			}
		}
	}()
	return s
}

func (s *writeSampler) take() {
	n := s.w.Result().Writes
	s.mu.Lock()
	s.samples = append(s.samples, writeSample{time.Since(s.start), n})
	s.mu.Unlock()
}

func (s *writeSampler) stop() []writeSample {
	close(s.done)
	s.wg.Wait()
	s.take()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// writesAt interpolates the count of writes at d.
func writesAt(samples []writeSample, d time.Duration) float64 {
	if len(samples) == 0 {
		return 0
	}
	if d <= samples[0].at {
		return float64(samples[0].writes)
	}
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if d <= b.at {
			f := float64(d-a.at) / float64(b.at-a.at)
			return float64(a.writes) + f*float64(b.writes-a.writes)
		}
	}
	return float64(samples[len(samples)-1].writes)
}

// phaseRate is the writers' rate while doppel was in one phase.
type phaseRate struct {
	phase string
	took  time.Duration
	rate  float64 // writes/s
}

// writesByPhase cuts the run at doppel's "phase changed" events (their
// elapsed field counts from doppel's start, a few milliseconds after the
// bench started the process) and measures the writers in each piece.
func writesByPhase(out []byte, samples []writeSample, took time.Duration) []phaseRate {
	type change struct {
		Message string  `json:"message"`
		Phase   string  `json:"phase"`
		Elapsed float64 `json:"elapsed"` // ms
	}
	var cuts []change
	for _, line := range bytes.Split(out, []byte("\n")) {
		if !bytes.Contains(line, []byte(`"phase changed"`)) {
			continue
		}
		var c change
		if json.Unmarshal(line, &c) == nil && c.Message == "phase changed" {
			cuts = append(cuts, c)
		}
	}
	var rates []phaseRate
	for i, c := range cuts {
		from := time.Duration(c.Elapsed * float64(time.Millisecond))
		to := took
		if i+1 < len(cuts) {
			to = time.Duration(cuts[i+1].Elapsed * float64(time.Millisecond))
		}
		if to <= from {
			continue
		}
		n := writesAt(samples, to) - writesAt(samples, from)
		rates = append(rates, phaseRate{phase: c.Phase, took: to - from, rate: n / (to - from).Seconds()})
	}
	return rates
}

// reportPhaseWrites prints where in doppel's run the writers lost
// throughput.
func reportPhaseWrites(results []result, alone float64) {
	for _, r := range results {
		if len(r.phaseWrites) == 0 {
			continue
		}
		fmt.Printf("\nthe writers during each of doppel's phases (%s offered)\n\n", r.load)
		tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "phase\tseconds\twrites/s\tkept")
		for _, p := range r.phaseWrites {
			kept := "-"
			if alone > 0 {
				kept = fmt.Sprintf("%.0f%%", 100*p.rate/alone)
			}
			fmt.Fprintf(tw, "%s\t%.1f\t%.0f\t%s\n", p.phase, p.took.Seconds(), p.rate, kept)
		}
		tw.Flush()
	}
}
