package copier

import (
	"sync"
	"sync/atomic"
)

// lowWatermark tracks chunks that finish out of order and keeps the high
// key of the last chunk of the longest finished prefix: a resumed copy
// starts after it, so no chunk above an unfinished one may count.
type lowWatermark struct {
	mark    atomic.Pointer[string] // read without the lock by checkpoints
	mu      sync.Mutex
	next    uint64            // sequence number of the oldest unfinished chunk
	pending map[uint64]string // finished chunks above it: their encoded high keys
}

// get is the watermark; "" before the first chunk.
func (w *lowWatermark) get() string {
	if m := w.mark.Load(); m != nil {
		return *m
	}
	return ""
}

// start sets the watermark an earlier run left; call it before any finish.
func (w *lowWatermark) start(mark string) { w.mark.Store(&mark) }

// finish records chunk seq (numbered from 0 in key order) as committed with
// high key high ("" when the key could not be encoded: the watermark then
// stays lower, which is safe).
func (w *lowWatermark) finish(seq uint64, high string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pending == nil {
		w.pending = map[uint64]string{}
	}
	w.pending[seq] = high
	for {
		h, ok := w.pending[w.next]
		if !ok {
			return
		}
		delete(w.pending, w.next)
		w.next++
		if h != "" {
			// Stored under the lock, so concurrent finishes never store an
			// older mark over a newer one.
			w.mark.Store(&h)
		}
	}
}
