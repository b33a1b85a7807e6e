package checksum

import (
	"math"
	"testing"
)

// Every integer in [lo, hi] lands in exactly one part, parts are in order,
// and the bounds survive the extremes of both signednesses.
func TestSplitCoversTheRangeOnce(t *testing.T) {
	cases := []struct {
		name     string
		lo, hi   any
		unsigned bool
	}{
		{"small signed", int64(-5), int64(20), false},
		{"whole signed range", int64(math.MinInt64), int64(math.MaxInt64), false},
		{"whole unsigned range", uint64(0), uint64(math.MaxUint64), true},
		{"top of unsigned", uint64(math.MaxUint64 - 9), uint64(math.MaxUint64), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parts := split(Chunk{Low: []any{c.lo}, High: []any{c.hi}}, 8, c.unsigned)
			if len(parts) < 2 || len(parts) > 9 {
				t.Fatalf("%d parts", len(parts))
			}
			if parts[0].Low[0] != c.lo || parts[len(parts)-1].High[0] != c.hi {
				t.Fatalf("parts do not span the chunk: %v .. %v", parts[0].Low, parts[len(parts)-1].High)
			}
			for i := 1; i < len(parts); i++ {
				prev, _ := bits(parts[i-1].High[0])
				low, _ := bits(parts[i].Low[0])
				high, _ := bits(parts[i].High[0])
				if prev != low || !less(low, high, c.unsigned) {
					t.Fatalf("part %d: %v after %v", i, parts[i], parts[i-1])
				}
			}
		})
	}
	if split(Chunk{Low: []any{int64(1)}, High: []any{int64(2)}}, 8, false) != nil {
		t.Error("a chunk of one key was split")
	}
	if split(Chunk{High: []any{int64(100)}}, 8, false) != nil {
		t.Error("an open chunk was split")
	}
}
