package copier

import (
	"sync"
	"time"
)

// Bounds of an adapted chunk size: gh-ost's --chunk-size range.
const (
	MinChunkSize int64 = 10
	MaxChunkSize int64 = 100000
)

// nextChunkSize is the chunk size to use after a chunk of rows rows took
// took, when chunks should take about target and the size now is current.
// A chunk that ran long (lock waits, load) shrinks the size at once to what
// the measured rate fits into target: a long chunk holds its share locks
// that long, and writers queue behind them. Growth is gentle, a quarter per
// chunk at most, so one fast chunk on an idle stretch of keys does not
// produce a huge one where rows are hot. Near the target nothing changes, so
// noise does not make the size wander.
func nextChunkSize(current, rows int64, took, target time.Duration) int64 {
	if target <= 0 || took <= 0 || rows <= 0 {
		return current
	}
	ideal := int64(float64(rows) * float64(target) / float64(took))
	next := current
	switch {
	case took > target*5/4:
		next = min(current, ideal)
	case took < target*3/4 && ideal > current:
		next = min(ideal, current+max(current/4, 1))
	}
	return min(max(next, MinChunkSize), MaxChunkSize)
}

// sizer holds the chunk size chunks are planned with. gen counts operator
// changes: a chunk planned before one says nothing about the size the
// operator chose, so its time is not fed back.
type sizer struct {
	mu   sync.Mutex
	size int64
	gen  uint64
}

func (s *sizer) get() (size int64, gen uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.size, s.gen
}

func (s *sizer) set(n int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.size = n
	s.gen++
}

// observe feeds back the time a chunk of rows rows planned in generation gen
// took; it returns the sizes before and after.
func (s *sizer) observe(gen uint64, rows int64, took, target time.Duration) (before, after int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	before = s.size
	if gen == s.gen {
		s.size = nextChunkSize(s.size, rows, took, target)
	}
	return before, s.size
}

// contendedChunkTime is the shortest a chunk aims for while the server
// reports row lock waits: shorter chunks cost the copy more round trips
// than they save anyone waiting.
const contendedChunkTime = 50 * time.Millisecond

// contendedQuiet is how long the row lock waits must stay flat before the
// chunks lengthen again. Writers that met the copy's locks a moment ago are
// still writing: lengthening after a few quiet chunks only brings the long
// waits back (measured in bench/RESULTS.md).
const contendedQuiet = 2 * time.Second

// contention shortens the chunks' target time while sessions wait on row
// locks. A writer that meets a chunk's share locks waits until the chunk
// commits, so the time lost to the copy grows with the square of the chunk
// time (more rows locked, each for longer). The server's count of row lock
// waits cannot say who waited on whom; a rise of it during the copy halves
// the target, down to contendedChunkTime, and once it has stayed flat for
// contendedQuiet each chunk lets the target grow back by a quarter towards
// the configured one. On an idle server the copy keeps its full chunk time.
type contention struct {
	mu    sync.Mutex
	have  bool
	last  int64         // the counter at the last look
	rose  time.Time     // when the counter last rose
	aim   time.Duration // the target now; 0 until the first look
	shown bool          // the shortening was logged once
}

// target returns the chunk time to aim for, given the configured one and
// the counter of row lock waits read at now, after a chunk, and the aim
// before.
func (c *contention) target(configured time.Duration, waits int64, now time.Time) (aim, before time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aim == 0 {
		c.aim = configured
	}
	before = c.aim
	if c.have {
		switch {
		case waits > c.last:
			c.aim = max(c.aim/2, min(configured, contendedChunkTime))
			c.rose = now
		case now.Sub(c.rose) >= contendedQuiet:
			c.aim = min(c.aim+c.aim/4, configured)
		}
	}
	// Workers read the counter concurrently, so a reading may arrive after
	// a newer one: the counter never goes back.
	c.have, c.last = true, max(c.last, waits)
	return c.aim, before
}

// current is the target without a new look (a counter that failed to read).
func (c *contention) current(configured time.Duration) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aim == 0 {
		return configured
	}
	return c.aim
}

// logged reports whether the first shortening was already logged, and marks
// it so: the operator sees it once at info level, the rest at debug.
func (c *contention) logged() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	was := c.shown
	c.shown = true
	return was
}
