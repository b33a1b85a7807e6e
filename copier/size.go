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
