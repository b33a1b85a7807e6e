package plan

import (
	"fmt"
	"time"
)

// ChecksumShare is the checksum's time as a share of the copy's, as
// bench/RESULTS.md measured it on the 1M-row table (29% idle, 34–35%
// loaded): the checksum reads both tables once, the copy reads one and
// writes the other.
const ChecksumShare = 0.30

// Estimate is how long the migration would take, from a measured sample.
type Estimate struct {
	// Seconds is copy plus checksum; 0 when it could not be measured (the
	// Method then says why).
	Seconds         float64 `json:"seconds"`
	Human           string  `json:"human"` // Seconds as a Go duration, e.g. "1m12s"
	CopySeconds     float64 `json:"copy_seconds"`
	ChecksumSeconds float64 `json:"checksum_seconds"`
	SampleRows      int64   `json:"sample_rows"`
	SampleSeconds   float64 `json:"sample_seconds"`
	RowsPerSecond   float64 `json:"rows_per_second"`
	Method          string  `json:"method"`
}

// Sample is a timed copy of some of the table's rows.
type Sample struct {
	Rows   int64
	Chunks int
	Took   time.Duration
	// Growing: chunk sizes doubled from --chunk-size, as the copier grows
	// them toward --target-chunk-time; else every chunk had --chunk-size rows.
	Growing bool
}

// Extrapolate estimates the migration of rows rows from a sample. The
// copy's rate is the sample's; the checksum adds ChecksumShare of the copy.
// What the estimate leaves out (throttling, replica lag, the applier
// competing with the copy under write load, the parallel copy) is said in
// Method.
func Extrapolate(rows int64, s Sample) Estimate {
	e := Estimate{SampleRows: s.Rows, SampleSeconds: s.Took.Seconds()}
	if s.Rows <= 0 || s.Took <= 0 {
		e.Method = "not measured: the sample copied no rows"
		return e
	}
	e.RowsPerSecond = float64(s.Rows) / s.Took.Seconds()
	e.CopySeconds = float64(max(rows, s.Rows)) / e.RowsPerSecond
	e.ChecksumSeconds = e.CopySeconds * ChecksumShare
	e.Seconds = e.CopySeconds + e.ChecksumSeconds
	e.Human = humanDuration(e.Seconds)
	chunks := "of --chunk-size rows"
	if s.Growing {
		chunks = "growing from --chunk-size as with --target-chunk-time"
	}
	e.Method = fmt.Sprintf("copied %d rows in %d chunks (%s; the copier's locking INSERT … SELECT, one thread) into the dry run's empty ghost in %s: %.0f rows/s, "+
		"extrapolated to %d rows; the checksum adds %.0f%% of the copy time (bench/RESULTS.md). Idle server; write load, throttling and replica lag make it longer",
		s.Rows, s.Chunks, chunks, s.Took.Round(time.Millisecond), e.RowsPerSecond, max(rows, s.Rows), ChecksumShare*100)
	return e
}

// Disk is the space the ghost needs against the space the server has.
type Disk struct {
	// NeededBytes is the original's data and index size: the ghost grows
	// to about as much (more with the ALTER's added columns or indexes).
	NeededBytes int64 `json:"needed_bytes"`
	// FreeBytes is the free space of the disk the server reports for its
	// data directory; nil when the server does not say (MariaDB reports it
	// only with the `disks` plugin, which doppel does not install).
	FreeBytes  *int64 `json:"free_bytes"`
	FreeSource string `json:"free_source"`
	// Enough: FreeBytes is known and larger than NeededBytes.
	Enough *bool `json:"enough"`
}

// JudgeDisk fills Enough and returns a finding when the space is short.
func (d *Disk) JudgeDisk() *Finding {
	if d.FreeBytes == nil {
		return nil
	}
	ok := *d.FreeBytes > d.NeededBytes
	d.Enough = &ok
	if ok {
		return nil
	}
	return &Finding{Severity: Error, Code: CodeDiskSpace,
		Reason: fmt.Sprintf("the ghost needs about %d bytes but the disk has %d free: the copy would fill it", d.NeededBytes, *d.FreeBytes)}
}

// humanDuration rounds to what an operator reads: tenths of a second from
// ten seconds on, milliseconds below.
func humanDuration(seconds float64) string {
	d := time.Duration(seconds * float64(time.Second))
	if d >= 10*time.Second {
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Millisecond).String()
}
